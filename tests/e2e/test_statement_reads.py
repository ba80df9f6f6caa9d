"""A kept closed-day statement served in front of the routing (api.statement_reads): the same
answer as the route, to the same keys, and every refusal still the route's own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_api_key, list_api_keys, revoke_api_key
from alliance.edge.guards import RateLimiter
from alliance.api.statement_reads import CachedStatementReads
from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import hardware_split
from tests.support.http import problem
from tests.support.web import add_user, sign_in

LINES = ("line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
         "L1,O1,2026-12-05T10:00:00+08:00,HW,HW,store,HW-1,1,1000.01,CNY\n")
SW_STATEMENT = "/api/v1/alliances/cloud-hw/statements/SW"
DAY = {"day": "2026-12-05"}


@dataclass
class Setting:
    client: TestClient
    store: Store
    clock: FrozenClock
    keys: dict[str, str]

    def read(self, who: str | None, url: str = SW_STATEMENT, params: dict[str, str] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.keys[who]}"} if who else {}
        return self.client.get(url, params=DAY if params is None else params, headers=headers)

    @property
    def served(self) -> int:
        return _fast_path(self.client.app).served


def _fast_path(app: Any) -> CachedStatementReads:
    layer = app.middleware_stack
    while not isinstance(layer, CachedStatementReads):
        layer = layer.app
    return layer


def _key(store: Store, clock: FrozenClock, role: Role, alliance: str | None, member: str | None = None,
         **extra: Any) -> str:
    return create_api_key(store, role=role, alliance=alliance, member=member, name=role.value, created_by="tests",
                          clock=clock, **extra).key


@pytest.fixture
def setting(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[Setting]:
    hardware_split(store, clock)
    later = FrozenClock(datetime(2026, 12, 6, 2, tzinfo=UTC))
    keys = {
        "coordinator": _key(store, clock, Role.COORDINATOR, "cloud-hw"),
        "sw": _key(store, clock, Role.MEMBER_ANALYST, "cloud-hw", "SW"),
        "hw": _key(store, clock, Role.MEMBER_ADMIN, "cloud-hw", "HW"),
        "auditor": _key(store, clock, Role.AUDITOR, "cloud-hw"),
        "other": _key(store, clock, Role.COORDINATOR, "other"),
        "expired": _key(store, later, Role.MEMBER_ANALYST, "cloud-hw", "SW", lifetime=timedelta(hours=1)),
    }
    with TestClient(create_app(store, later, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        auth = {"Authorization": f"Bearer {keys['coordinator']}"}
        assert client.post("/api/v1/alliances/cloud-hw/order-lines", content=LINES,
                           headers={**auth, "Content-Type": "text/csv"}).status_code == 200
        assert client.post("/api/v1/alliances/cloud-hw/settlements", json=DAY, headers=auth).status_code == 201
        yield Setting(client, store, later, keys)


def test_the_kept_answer_is_the_routes_byte_for_byte(setting: Setting) -> None:
    first = setting.read("sw")
    assert first.status_code == 200 and first.json()["total"] == "300.00"
    assert setting.served == 0  # the first read is the route's: it computes and keeps the answer
    again = setting.read("sw")
    assert setting.served == 1
    assert again.status_code == 200 and again.content == first.content
    assert again.headers == first.headers  # content type, length and every security header


def test_each_key_that_may_read_it_is_served_and_others_get_the_routes_refusal(setting: Setting) -> None:
    setting.read("coordinator")  # kept
    for who in ("coordinator", "sw", "auditor"):
        assert setting.read(who).json()["total"] == "300.00"
    assert setting.served == 3
    # Another member's analyst, another alliance's coordinator: 404 as from the route, nothing leaks.
    assert "300.00" not in problem(setting.read("hw"), 404, "not_found")["detail"]
    problem(setting.read("other"), 404, "alliance_not_found")
    problem(setting.read("other", url="/api/v1/alliances/other/statements/SW"), 404, "not_found")
    problem(setting.read(None), 401, "not_authenticated")
    setting.keys["forged"] = setting.keys["sw"][:-4] + "AAAA"
    problem(setting.read("forged"), 401, "not_authenticated")
    assert setting.served == 3


def test_a_revoked_or_expired_key_is_refused_at_once(setting: Setting) -> None:
    assert setting.read("sw").status_code == setting.read("sw").status_code == 200
    prefix = setting.keys["sw"].split("_")[1]
    revoke_api_key(setting.store, prefix, setting.clock)
    problem(setting.read("sw"), 401, "not_authenticated")
    # The server's clock moves past the expiry: the kept answer is not served to the expired key.
    assert setting.read("expired").status_code == 200
    setting.clock.advance(timedelta(hours=2))
    problem(setting.read("expired"), 401, "not_authenticated")


def test_odd_requests_are_left_to_the_route(setting: Setting) -> None:
    setting.read("sw")
    served = setting.served
    problem(setting.read("sw", params={"day": "2026-12-5"}), 422, "invalid_request")
    problem(setting.read("sw", params={"day": "2026-02-30"}), 422, "invalid_request")
    problem(setting.read("sw", params={}), 422, "invalid_request")
    problem(setting.read("sw", params={"day": "2026-12-04"}), 404, "not_found")
    with_more = setting.read("sw", params={**DAY, "format": "json"})  # the route ignores unknown parameters
    assert with_more.status_code == 200 and with_more.json()["total"] == "300.00"
    assert setting.client.head(SW_STATEMENT, params=DAY, headers={"Authorization": f"Bearer {setting.keys['sw']}"}
                               ).status_code in (200, 405)
    assert setting.served == served


def test_a_signed_in_browser_is_answered_by_the_route(setting: Setting) -> None:
    setting.read("coordinator")
    add_user(setting.store, setting.clock, "lin", Role.MEMBER_ANALYST, "cloud-hw", "HW")
    sign_in(setting.client, "lin")
    served = setting.served
    problem(setting.client.get(SW_STATEMENT, params=DAY), 404, "not_found")
    assert setting.client.get("/api/v1/alliances/cloud-hw/statements/HW", params=DAY).json()["total"] == "-300.00"
    assert setting.served == served


def test_the_rate_limit_holds_with_retry_after(setting: Setting) -> None:
    setting.client.app.state.rate_limiter = RateLimiter(rate=0.01, burst=3)
    assert [setting.read("sw").status_code for _ in range(3)] == [200, 200, 200]
    refused = setting.read("sw")
    problem(refused, 429, "rate_limited")
    assert int(refused.headers["retry-after"]) >= 1
    assert setting.read("auditor").status_code == 200  # another key has its own bucket


def test_a_keys_first_use_is_recorded_when_the_kept_answer_serves_it(setting: Setting) -> None:
    setting.read("coordinator")
    fresh = _key(setting.store, setting.clock, Role.MEMBER_ANALYST, "cloud-hw", "SW")
    served = setting.served
    setting.keys["fresh"] = fresh
    assert setting.read("fresh").status_code == 200 and setting.served == served + 1
    prefix = fresh.split("_")[1]
    used = {k.prefix: k.last_used_at for k in list_api_keys(setting.store, "cloud-hw")}
    assert used[prefix] is not None


def test_a_key_without_the_scope_is_refused_even_when_the_answer_is_kept(setting: Setting) -> None:
    setting.read("sw")  # kept
    setting.keys["records-only"] = _key(setting.store, setting.clock, Role.MEMBER_ANALYST, "cloud-hw", "SW",
                                        scopes=["read_records"])
    setting.keys["statements-only"] = _key(setting.store, setting.clock, Role.MEMBER_ANALYST, "cloud-hw", "SW",
                                           scopes=["read_member_data"])
    served = setting.served
    assert "limited to read_records" in problem(setting.read("records-only"), 403, "forbidden")["detail"]
    assert setting.read("statements-only").json()["total"] == "300.00"
    assert setting.served == served + 1


def test_requests_the_route_reads_differently_are_left_to_it(setting: Setting) -> None:
    setting.read("coordinator")  # kept
    served = setting.served
    sw, hw = setting.keys["sw"], setting.keys["hw"]
    # Two Authorization headers: the route takes the first (HW's key: not its statement).
    two = setting.client.get(SW_STATEMENT, params=DAY, headers=[("Authorization", f"Bearer {hw}"),
                                                                ("Authorization", f"Bearer {sw}")])
    problem(two, 404, "not_found")
    # A line break at the end of the member's code is no code at all for the route.
    for who, status in (("sw", 404), ("coordinator", 422)):
        odd = setting.client.get(SW_STATEMENT + "%0A", params=DAY, headers={"Authorization": f"Bearer {setting.keys[who]}"})
        assert odd.status_code == status, (who, odd.text)
    # A GET with a body is the body limit's and the route's to answer.
    with_body = setting.client.request("GET", SW_STATEMENT, params=DAY, content=b"{}",
                                       headers={"Authorization": f"Bearer {sw}"})
    assert with_body.status_code == 200 and with_body.json()["total"] == "300.00"
    assert setting.served == served


def test_a_mounted_app_is_routed_on_its_own_paths() -> None:
    from alliance.api.statement_reads import _route_path

    assert _route_path({"path": "/api/v1/x", "root_path": ""}) == "/api/v1/x"
    assert _route_path({"path": "/prefix/api/v1/x", "root_path": "/prefix"}) == "/api/v1/x"
