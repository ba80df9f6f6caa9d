"""The erasure over HTTP and on the case page: refused inside the retrieval window (409, naming the
date), not the members' to do (403: a member's admin; another member's key also 403, as every
coordinator action; another alliance's coordinator 404), then the coordinator's erasure (200, once: a
second is 409 `exit_data_erased`); the departed member's key stops working at once; the page shows the
button with what is erased and kept only after the window, in English and Chinese, and the erasure's
summary afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.exits import service as exits
from alliance.exits.model import Trigger
from alliance.ledger import service as ledger
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.exits import CODE, COORDINATOR, at, build
from tests.support.http import problem
from tests.support.web import add_user, sign_in

URL = f"/api/v1/alliances/{CODE}/exits/1/erasure"
PAGE = f"/alliances/{CODE}/exits/1"


@pytest.fixture
def now() -> FrozenClock:
    return FrozenClock(datetime(2026, 12, 17, 2, tzinfo=UTC))


@pytest.fixture
def app(store: Store, clock: FrozenClock, now: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    """M3 insolvent on 1 December (its membership ends that day; retrieval window through the 31st)."""
    build(store, clock, tmp_path).close()
    exits.open_case(store, CODE, "M3", Trigger.INSOLVENCY, datetime(2026, 12, 1).date(), at(12, 2),
                    principal=COORDINATOR)
    exits.record_ends_due(store, at(12, 2, 3))
    with TestClient(create_app(store, now, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def key(store: Store, clock: FrozenClock, role: Role, alliance: str = CODE, member: str | None = None) -> dict[str, str]:
    issued = create_api_key(store, role=role, alliance=alliance, member=member, name="t", created_by="t", clock=clock)
    return {"Authorization": f"Bearer {issued.key}"}


def test_the_erasure_over_the_api(app: TestClient, store: Store, clock: FrozenClock, now: FrozenClock) -> None:
    coordinator, m3 = key(store, clock, Role.COORDINATOR), key(store, clock, Role.MEMBER_ADMIN, member="M3")
    assert app.get(f"/api/v1/alliances/{CODE}/exits/1", headers=m3).status_code == 200  # a departed member reads
    refused = problem(app.post(URL, headers=coordinator), 409, "exit_window_open")
    assert "2026-12-31" in refused["detail"]
    preview = app.get(URL, headers=coordinator).json()
    assert preview["ready"] is False and "2026-12-31" in preview["refused"] and preview["counts"]["api_keys"] == 1
    for who in (m3, key(store, clock, Role.MEMBER_ADMIN, member="M2"), key(store, clock, Role.AUDITOR)):
        problem(app.post(URL, headers=who), 403, "forbidden")
        problem(app.get(URL, headers=who), 403, "forbidden")
    problem(app.post(URL, headers=key(store, clock, Role.COORDINATOR, alliance="other")), 404, "alliance_not_found")
    now.advance(timedelta(days=15))  # 1 January: the window (through 31 December) has passed
    assert app.get(URL, headers=coordinator).json()["ready"] is True
    done = app.post(URL, headers=coordinator)
    assert done.status_code == 200, done.text
    data = {s["step"]: s for s in done.json()["steps"]}["data"]
    assert data["status"] == "done" and data["detail"]["erasure"]["counts"]["api_keys"] == 1
    problem(app.get(f"/api/v1/alliances/{CODE}/exits/1", headers=m3), 401, "not_authenticated")
    problem(app.post(URL, headers=coordinator), 409, "exit_data_erased")
    problem(app.post(f"/api/v1/alliances/{CODE}/exits/1/steps", json={"step": "data", "status": "open"},
                     headers=coordinator), 409, "exit_step_not_by_hand")
    assert ledger.verify_store(store, CODE).ok


def test_the_button_on_the_coordinators_case_page(app: TestClient, store: Store, clock: FrozenClock,
                                                  now: FrozenClock) -> None:
    add_user(store, clock, "coord", Role.COORDINATOR, CODE)
    add_user(store, clock, "m3-admin", Role.MEMBER_ADMIN, CODE, "M3")
    token = sign_in(app, "coord")
    assert 'id="erase-form"' not in app.get(PAGE).text  # inside the window: no button
    early = app.post(f"{PAGE}/erase", data={"csrf_token": token, "confirm": "yes"}, headers={"Accept-Language": "en"})
    assert early.status_code == 409 and "2026-12-31" in early.text
    now.advance(timedelta(days=15))
    token = sign_in(app, "coord")  # two weeks later: a new session
    page = app.get(PAGE, headers={"Accept-Language": "en"}).text
    for found in ('id="erase-form"', "Erase what the alliance no longer needs", "accounts of its people",
                  "API keys: revoked", "accounting vouchers and books: 30 years"):
        assert found in page, found
    zh = app.get(PAGE, headers={"Accept-Language": "zh-CN"}).text
    assert "删除联盟不再需要的数据" in zh and "会计凭证和会计账簿：保管30年" in zh
    unconfirmed = app.post(f"{PAGE}/erase", data={"csrf_token": token}, headers={"Accept-Language": "en"})
    assert unconfirmed.status_code == 422 and "tick the box" in unconfirmed.text
    done = app.post(f"{PAGE}/erase", data={"csrf_token": token, "confirm": "yes"}, follow_redirects=False)
    assert done.status_code == 303
    after = app.get(PAGE, headers={"Accept-Language": "en"}).text
    assert 'id="erase-form"' not in after and 'id="erasure-done"' in after
    # The member's admin account was erased with M3's data: it signs in no more.
    app.cookies.clear()
    from tests.support.web import sign_in_form
    answer = app.post("/sign-in", data=sign_in_form(app, "m3-admin"), follow_redirects=False)
    assert answer.status_code != 303
