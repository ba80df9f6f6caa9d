"""Helpers for HTTP tests."""

from __future__ import annotations

from typing import Any


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert an RFC 9457 problem response with this status and stable `code`; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def admin_headers(store: Any) -> dict[str, str]:
    """An Authorization header with a fresh platform admin key (for tests about something else)."""
    from alliance.access.roles import Role
    from alliance.access.service import create_api_key
    from alliance.core.clock import SystemClock

    issued = create_api_key(store, role=Role.PLATFORM_ADMIN, alliance=None, member=None, name="tests",
                            created_by="tests", clock=SystemClock())
    return {"Authorization": f"Bearer {issued.key}"}


def member_headers(store: Any, alliance: str, member: str) -> dict[str, str]:
    """An Authorization header with a fresh member admin key: the account that acts for `member`
    (publishes its data, signs for it), which no platform admin or coordinator may do."""
    from alliance.access.roles import Role
    from alliance.access.service import create_api_key
    from alliance.core.clock import SystemClock

    issued = create_api_key(store, role=Role.MEMBER_ADMIN, alliance=alliance, member=member, name=f"{member} admin",
                            created_by="tests", clock=SystemClock())
    return {"Authorization": f"Bearer {issued.key}"}
