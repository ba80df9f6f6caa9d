"""Exchange rates over HTTP and in the web page: the coordinator imports a CSV and pushes JSON,
everyone of the alliance reads the register a page at a time; bad rows and conflicts answer
problem+json listing each row, with nothing stored; another alliance's people see nothing (404);
the page uploads, shows the rejected rows and the charts, in English and Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import fx_rates
from tests.support.factories import credit_code, make_alliance
from tests.support.http import problem
from tests.support.web import add_user, sign_in

URL = "/api/v1/alliances/tea/exchange-rates"
CSV = ("\ufeffday,currency,rate,source\n2026-11-19,USD,7.1100,PBOC central parity\n"
       "2026-11-19,EUR,7.521,ECB reference\n2026-11-20,USD,7.1234,PBOC central parity\n").encode()
CSV_TYPE = {"Content-Type": "text/csv"}


@pytest.fixture
def app(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    for code in ("tea", "other"):
        make_alliance(store, clock, code=code)
        registry.add_member(store, code, {"code": "A", "name": "A 公司", "credit_code": credit_code(1)}, clock)
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def key(store: Store, clock: FrozenClock, role: Role, alliance: str = "tea", member: str | None = None) -> dict[str, str]:
    issued = create_api_key(store, role=role, alliance=alliance, member=member, name="t", created_by="t", clock=clock)
    return {"Authorization": f"Bearer {issued.key}"}


def count(store: Store) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(fx_rates)).scalar_one())


def test_import_push_and_read_over_the_api(app: TestClient, store: Store, clock: FrozenClock) -> None:
    coordinator = key(store, clock, Role.COORDINATOR)
    first = app.post(f"{URL}/csv", content=CSV, headers={**coordinator, **CSV_TYPE})
    assert first.status_code == 201, first.text
    assert (first.json()["import"], first.json()["added"], first.json()["duplicates"]) == (1, 3, 0)
    again = app.post(f"{URL}/csv", content=CSV, headers={**coordinator, **CSV_TYPE})
    assert again.status_code == 200 and again.json()["duplicates"] == 3 and again.json()["import"] is None
    pushed = app.post(URL, json={"rates": [{"day": "2026-11-21", "currency": "usd", "rate": "7.13",
                                            "source": "PBOC central parity"}]}, headers=coordinator)
    assert pushed.status_code == 201 and pushed.json()["rates"] == [
        {"day": "2026-11-21", "currency": "USD", "rate": "7.13", "source": "PBOC central parity"}]

    analyst = key(store, clock, Role.MEMBER_ANALYST, member="A")
    listed = app.get(URL, params={"limit": 2}, headers=analyst)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert (body["total"], body["limit"], body["offset"], body["settlement_currency"]) == (4, 2, 0, "CNY")
    assert [(r["day"], r["currency"], r["rate"]) for r in body["items"]] == [("2026-11-21", "USD", "7.13"),
                                                                            ("2026-11-20", "USD", "7.1234")]
    second = app.get(URL, params={"limit": 2, "offset": 2, "currency": "EUR"}, headers=analyst).json()
    assert second["total"] == 1 and second["items"] == []
    assert app.get(URL, params={"currency": "EUR"}, headers=analyst).json()["items"][0]["rate"] == "7.521"
    problem(app.get(URL, params={"currency": "XYZ"}, headers=analyst), 422, "invalid_money")


def test_bad_rows_and_conflicts_are_problems_and_store_nothing(app: TestClient, store: Store,
                                                               clock: FrozenClock) -> None:
    coordinator = key(store, clock, Role.COORDINATOR)
    bad = CSV + b"2026-11-21,USD,0,PBOC\n2026-11-21,CNY,1,PBOC\n"
    body = problem(app.post(f"{URL}/csv", content=bad, headers={**coordinator, **CSV_TYPE}), 422, "fx_rates_invalid")
    assert [(e["where"], e["field"]) for e in body["errors"]] == [("row 5", "rate"), ("row 6", "currency")]
    assert count(store) == 0
    zh = app.post(f"{URL}/csv", content=bad, headers={**coordinator, **CSV_TYPE, "Accept-Language": "zh-CN"}).json()
    assert zh["errors"][0]["where"] != "row 5"  # said in Chinese
    pushed = app.post(URL, json={"rates": [{"day": "2026-02-30", "currency": "USD", "rate": "7", "source": "x"}]},
                      headers=coordinator)
    assert problem(pushed, 422, "fx_rates_invalid")["errors"][0]["where"] == "item 1"
    problem(app.post(URL, json={"rates": [{"day": "2026-11-20", "currency": "USD", "rate": 7.1, "source": "x"}]},
                     headers=coordinator), 422, "invalid_request")  # a rate is text, never a JSON number
    assert count(store) == 0

    assert app.post(f"{URL}/csv", content=CSV, headers={**coordinator, **CSV_TYPE}).status_code == 201
    changed = CSV.replace(b"7.1234", b"7.2") + b"2026-11-22,USD,7.3,PBOC\n"
    conflict = problem(app.post(f"{URL}/csv", content=changed, headers={**coordinator, **CSV_TYPE}), 409,
                       "fx_rate_conflict")
    assert "7.2 in this import, but 7.1234 is stored" in conflict["errors"][0]["reason"]
    assert count(store) == 3
    problem(app.post(f"{URL}/csv", content=CSV, headers={**coordinator, "Content-Type": "application/json"}), 422,
            "invalid_input")


def test_who_may_import_and_isolation(app: TestClient, store: Store, clock: FrozenClock) -> None:
    coordinator = key(store, clock, Role.COORDINATOR)
    assert app.post(f"{URL}/csv", content=CSV, headers={**coordinator, **CSV_TYPE}).status_code == 201
    for role, member in ((Role.MEMBER_ADMIN, "A"), (Role.MEMBER_ANALYST, "A"), (Role.AUDITOR, None)):
        headers = key(store, clock, role, member=member)
        problem(app.post(f"{URL}/csv", content=CSV, headers={**headers, **CSV_TYPE}), 403, "forbidden")
        problem(app.post(URL, json={"rates": []}, headers=headers), 403, "forbidden")
        assert app.get(URL, headers=headers).status_code == 200
    for role, member in ((Role.MEMBER_ADMIN, "A"), (Role.COORDINATOR, None)):
        outsider = key(store, clock, role, alliance="other", member=member)
        problem(app.get(URL, headers=outsider), 404, "alliance_not_found")
        problem(app.post(f"{URL}/csv", content=CSV, headers={**outsider, **CSV_TYPE}), 404, "alliance_not_found")
        assert app.get("/api/v1/alliances/other/exchange-rates", headers=outsider).json()["total"] == 0
    problem(app.get(URL), 401, "not_authenticated")
    assert count(store) == 3


def test_the_page_uploads_shows_rejected_rows_and_charts(app: TestClient, store: Store, clock: FrozenClock) -> None:
    add_user(store, clock, "coord", Role.COORDINATOR, "tea")
    add_user(store, clock, "analyst", Role.MEMBER_ANALYST, "tea", "A")
    add_user(store, clock, "outsider", Role.COORDINATOR, "other")
    page = "/alliances/tea/exchange-rates"
    token = sign_in(app, "coord")
    empty = app.get(page, headers={"Accept-Language": "en"})
    assert empty.status_code == 200 and 'id="fx-form"' in empty.text and 'id="fx-empty"' in empty.text

    bad = CSV + b"2026-11-21,USD,-1,PBOC\n"
    refused = app.post(page, data={"csrf_token": token}, files={"file": ("rates.csv", bad, "text/csv")},
                       headers={"Accept-Language": "en"})
    assert refused.status_code == 422
    assert 'id="fx-problems"' in refused.text and "row 5" in refused.text and "greater than zero" in refused.text
    assert count(store) == 0

    done = app.post(page, data={"csrf_token": token}, files={"file": ("rates.csv", CSV, "text/csv")},
                    headers={"Accept-Language": "en"})
    assert done.status_code == 200 and "3 rates added" in done.text
    assert 'data-chart="fx-chart-USD-option"' in done.text and 'id="fx-chart-EUR"' in done.text
    assert "7.1234" in done.text and count(store) == 3
    zh = app.get(page, headers={"Accept-Language": "zh-CN"}).text
    assert "汇率登记簿" in zh and "导入汇率" in zh and "最近的汇率" in zh and 'id="fx-rates"' in zh
    conflict = app.post(page, data={"csrf_token": token}, headers={"Accept-Language": "en"},
                        files={"file": ("rates.csv", CSV.replace(b"7.521", b"7.6"), "text/csv")})
    assert conflict.status_code == 409 and "7.6 in this import, but 7.521 is stored" in conflict.text

    sign_in(app, "analyst")
    read = app.get(page, headers={"Accept-Language": "en"})
    assert read.status_code == 200 and 'id="fx-form"' not in read.text and "7.1234" in read.text
    sign_in(app, "outsider")
    assert app.get(page).status_code == 404
    assert count(store) == 3


def test_a_day_with_a_usd_line_settles_once_its_rate_is_in_over_the_api(app: TestClient, store: Store,
                                                                         clock: FrozenClock) -> None:
    """Orders in USD for a CNY alliance: the settlement answers 422 `rate_missing` (naming USD and the
    day) until the rate is pushed, then settles; the seller's statement lists the sale as sold and as
    counted, another member cannot read it, and the journal books the conversion."""
    from datetime import timedelta

    from alliance.sharing import service as sharing
    from tests.support.factories import admin_of

    registry.add_member(store, "tea", {"code": "B", "name": "B 公司", "credit_code": credit_code(2)}, clock)
    sharing.propose_version(store, "tea", "agreement: split\neffective_from: 2026-11-26\nparties: [A, B]\nrules:\n"
                            "  - {id: s, kind: fixed_split, select: {product_owner: B}, shares: {A: 0.3, B: 0.7}}\n",
                            "秘书长", clock)
    for member in ("A", "B"):
        sharing.sign(store, "tea", "split", 1, member, "代表", clock, principal=admin_of("tea", member))
    clock.advance(timedelta(days=6))
    coordinator = key(store, clock, Role.COORDINATOR)
    lines = ("line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
             "U1,O1,2026-11-26T10:00:00+08:00,A,B,web,X,1,100.01,USD\n")
    imported = app.post("/api/v1/alliances/tea/order-lines", content=lines.encode(),
                        headers={**coordinator, **CSV_TYPE})
    assert imported.status_code in (200, 201), imported.text
    missing = problem(app.post("/api/v1/alliances/tea/settlements", json={"day": "2026-11-26"}, headers=coordinator),
                      422, "rate_missing")
    assert "USD" in missing["detail"] and "2026-11-26" in missing["detail"]
    assert app.post(URL, json={"rates": [{"day": "2026-11-26", "currency": "USD", "rate": "7.1234",
                                          "source": "PBOC central parity"}]}, headers=coordinator).status_code == 201
    run = app.post("/api/v1/alliances/tea/settlements", json={"day": "2026-11-26"}, headers=coordinator)
    assert run.status_code == 201, run.text
    statement = app.get("/api/v1/alliances/tea/statements/A", params={"day": "2026-11-26"},
                        headers=key(store, clock, Role.MEMBER_ADMIN, member="A"))
    assert statement.status_code == 200, statement.text
    assert statement.json()["conversions"] == [{
        "day": "2026-11-26", "currency": "USD", "rate": "7.1234", "source": "PBOC central parity", "lines": 1,
        "original": "100.01", "converted": "712.41", "adjustment": False}]
    problem(app.get("/api/v1/alliances/tea/statements/A", params={"day": "2026-11-26"},
                    headers=key(store, clock, Role.MEMBER_ADMIN, member="B")), 404, "not_found")
    journal = app.get("/api/v1/alliances/tea/journal", params={"from": "2026-11-26", "to": "2026-11-30"},
                      headers=coordinator)
    assert "Equity:Alliance:TEA:FX:USD  100.01 USD @@ 712.41 CNY" in journal.text
