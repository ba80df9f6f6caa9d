"""Payouts over HTTP and on the web page: a member's admin chooses its currency, the coordinator
records a payout and gets its statement; every bad input is a problem+json with a stable code and
nothing stored (an unknown currency, one that is not ISO 4217, an open day, a day already paid, a
missing rate, a bad date); isolation: a member sees only its own payouts, the coordinator and the
auditor all, another alliance nothing. The page in English and Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import payout_currency_choices, payouts
from tests.support.factories import make_alliance
from tests.support.http import problem
from tests.support.payouts import settled_alliance
from tests.support.web import add_user, sign_in

URL = "/api/v1/alliances/cloud-hw/payouts"
SW_D5_D6 = {"member": "SW", "first_day": "2026-12-05", "last_day": "2026-12-06", "payout_day": "2026-12-08"}


@pytest.fixture
def app(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    settled_alliance(store, clock, tmp_path).close()
    make_alliance(store, clock, code="other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def key(store: Store, clock: FrozenClock, role: Role, alliance: str = "cloud-hw",
        member: str | None = None) -> dict[str, str]:
    issued = create_api_key(store, role=role, alliance=alliance, member=member, name="t", created_by="t", clock=clock)
    return {"Authorization": f"Bearer {issued.key}"}


def count(store: Store, table: object = payouts) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_choose_record_and_read_a_payout(app: TestClient, store: Store, clock: FrozenClock) -> None:
    sw_admin = key(store, clock, Role.MEMBER_ADMIN, member="SW")
    chosen = app.put(f"{URL}/currencies", json={"member": "SW", "currency": "usd"}, headers=sw_admin)
    assert chosen.status_code == 200 and chosen.json()["currency"] == "USD", chosen.text
    coordinator = key(store, clock, Role.COORDINATOR)
    done = app.post(URL, json=SW_D5_D6, headers=coordinator)
    assert done.status_code == 201, done.text
    body = done.json()
    assert {k: body[k] for k in ("payout", "owed", "rate", "rate_day", "rate_source", "paid", "value_back",
                                 "difference", "settlement_currency", "payee_currency")} == {
        "payout": 1, "owed": "7123.40", "rate": "7.2", "rate_day": "2026-12-08", "rate_source": "PBOC central parity",
        "paid": "989.36", "value_back": "7123.39", "difference": "0.01", "settlement_currency": "CNY",
        "payee_currency": "USD"}
    assert app.get(f"{URL}/1", headers=sw_admin).json()["paid"] == "989.36"
    listed = app.get(URL, headers=key(store, clock, Role.AUDITOR)).json()
    assert listed["total"] == 1 and listed["settlement_currency"] == "CNY"
    currencies = app.get(f"{URL}/currencies", headers=sw_admin).json()
    assert currencies["current"] == {"SW": "USD"} and currencies["history"][0]["set_by"].startswith("key:")


def test_isolation_a_member_sees_only_its_own(app: TestClient, store: Store, clock: FrozenClock) -> None:
    coordinator = key(store, clock, Role.COORDINATOR)
    assert app.post(URL, json=SW_D5_D6, headers=coordinator).status_code == 201
    assert app.post(URL, json={**SW_D5_D6, "member": "HW"}, headers=coordinator).status_code == 201
    hw_analyst = key(store, clock, Role.MEMBER_ANALYST, member="HW")
    own = app.get(URL, headers=hw_analyst).json()
    assert [p["member"] for p in own["items"]] == ["HW"] and own["total"] == 1
    problem(app.get(f"{URL}/1", headers=hw_analyst), 404, "payout_not_found")  # SW's
    problem(app.get(URL, params={"member": "SW"}, headers=hw_analyst), 404, "not_found")
    for role in (Role.COORDINATOR, Role.AUDITOR):
        assert app.get(URL, headers=key(store, clock, role)).json()["total"] == 2
    sw_admin = key(store, clock, Role.MEMBER_ADMIN, member="SW")
    problem(app.put(f"{URL}/currencies", json={"member": "HW", "currency": "USD"}, headers=sw_admin), 404,
            "not_found")
    for role, member in ((Role.MEMBER_ANALYST, "SW"), (Role.AUDITOR, None)):
        problem(app.put(f"{URL}/currencies", json={"member": member or "SW", "currency": "USD"},
                        headers=key(store, clock, role, member=member)), 403, "forbidden")
    problem(app.post(URL, json={**SW_D5_D6, "first_day": "2026-12-07", "last_day": "2026-12-07"}, headers=sw_admin),
            403, "forbidden")
    outsider = key(store, clock, Role.COORDINATOR, alliance="other")
    problem(app.get(URL, headers=outsider), 404, "alliance_not_found")
    problem(app.get(f"{URL}/1", headers=outsider), 404, "alliance_not_found")
    assert count(store, payout_currency_choices) == 0 and count(store) == 2


def test_bad_input_is_a_clear_problem_and_stores_nothing(app: TestClient, store: Store, clock: FrozenClock) -> None:
    coordinator = key(store, clock, Role.COORDINATOR)
    for currency, words in (("XYZ", "unknown currency"), ("US$", "not an ISO 4217"), ("dollars", "not an ISO 4217")):
        body = problem(app.put(f"{URL}/currencies", json={"member": "SW", "currency": currency}, headers=coordinator),
                       422, "invalid_money")
        assert words in body["detail"]
    assert count(store, payout_currency_choices) == 0
    opened = problem(app.post(URL, json={**SW_D5_D6, "last_day": "2026-12-07"}, headers=coordinator), 409,
                     "payout_day_open")
    assert "2026-12-07 has not been settled" in opened["detail"]
    assert "must come after" in problem(app.post(URL, json={**SW_D5_D6, "payout_day": "2026-12-06"}, headers=coordinator),
                                   422, "invalid_input")["detail"]
    problem(app.post(URL, json={**SW_D5_D6, "first_day": "5.12.2026"}, headers=coordinator), 422, "invalid_input")
    problem(app.post(URL, json={**SW_D5_D6, "member": "NOPE"}, headers=coordinator), 404, "member_not_found")
    assert app.put(f"{URL}/currencies", json={"member": "SW", "currency": "EUR"}, headers=coordinator).status_code == 200
    missing = problem(app.post(URL, json=SW_D5_D6, headers=coordinator), 422, "rate_missing")
    assert "EUR" in missing["detail"] and "2026-12-08" in missing["detail"]
    zh = app.post(URL, json=SW_D5_D6, headers={**coordinator, "Accept-Language": "zh-CN"}).json()
    assert zh["detail"] != missing["detail"]  # said in Chinese
    assert count(store) == 0
    assert app.put(f"{URL}/currencies", json={"member": "SW", "currency": "JPY"}, headers=coordinator).status_code == 200
    assert app.post(URL, json={**SW_D5_D6, "last_day": "2026-12-05"}, headers=coordinator).status_code == 201
    paid = problem(app.post(URL, json=SW_D5_D6, headers=coordinator), 409, "payout_days_paid")
    assert "payout 1 (2026-12-05 to 2026-12-05)" in paid["detail"]
    problem(app.post(URL, json={**SW_D5_D6, "extra": 1}, headers=coordinator), 422, "invalid_request")
    assert count(store) == 1


def test_the_page_records_chooses_and_isolates(app: TestClient, store: Store, clock: FrozenClock) -> None:
    add_user(store, clock, "coord", Role.COORDINATOR, "cloud-hw")
    add_user(store, clock, "sw-admin", Role.MEMBER_ADMIN, "cloud-hw", "SW")
    add_user(store, clock, "hw-analyst", Role.MEMBER_ANALYST, "cloud-hw", "HW")
    add_user(store, clock, "outsider", Role.COORDINATOR, "other")
    page = "/alliances/cloud-hw/payouts"
    token = sign_in(app, "sw-admin")
    mine = app.get(page, headers={"Accept-Language": "en"})
    assert mine.status_code == 200 and 'id="currency-form"' in mine.text and 'id="payout-form"' not in mine.text
    chosen = app.post(f"{page}/currency", data={"csrf_token": token, "member": "SW", "currency": "usd"},
                      headers={"Accept-Language": "en"})
    assert chosen.status_code == 200 and "SW is paid in USD from now on." in chosen.text
    token = sign_in(app, "coord")
    bad = app.post(page, data={"csrf_token": token, **SW_D5_D6, "last_day": "2026-12-07"},
                   headers={"Accept-Language": "en"})
    assert bad.status_code == 409 and "2026-12-07 has not been settled" in bad.text and count(store) == 0
    done = app.post(page, data={"csrf_token": token, **SW_D5_D6}, headers={"Accept-Language": "en"})
    assert done.status_code == 200 and "Payout 1 recorded: SW is paid 989.36 USD" in done.text
    assert "7.2 on 2026-12-08 (PBOC central parity)" in done.text
    zh = app.get(page, headers={"Accept-Language": "zh-CN"}).text
    assert "付款" in zh and "989.36" in zh and "汇兑" in zh
    sign_in(app, "hw-analyst")
    theirs = app.get(page, headers={"Accept-Language": "en"})
    assert theirs.status_code == 200 and "989.36" not in theirs.text and 'id="payout-empty"' in theirs.text
    assert 'id="currency-form"' not in theirs.text
    sign_in(app, "outsider")
    assert app.get(page).status_code == 404
    assert count(store) == 1
