"""Order lines, settlement, statements and the journal over HTTP, with Idempotency-Key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import HW_SPLIT, hardware_split
from tests.support.http import admin_headers

HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
LINE = "L1,O1,2026-12-05T10:00:00+08:00,HW,HW,store,HW-1,1,1000.01,CNY\n"
V1 = "/api/v1/alliances/cloud-hw"
CSV = {"Content-Type": "text/csv"}


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    hardware_split(store, clock)
    later = FrozenClock(datetime(2026, 12, 6, 2, tzinfo=UTC))
    with TestClient(create_app(store, later, tmp_path / "facts.duckdb")) as c:
        c.headers.update(admin_headers(store))
        yield c


def test_idempotent_bulk_import(client: TestClient) -> None:
    key = {**CSV, "Idempotency-Key": "batch-2026-12-05"}
    first = client.post(f"{V1}/order-lines", content=HEADER + LINE, headers=key)
    assert first.status_code == 200 and first.json()["inserted"] == 1
    again = client.post(f"{V1}/order-lines", content=HEADER + LINE, headers=key)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    other_body = client.post(f"{V1}/order-lines", content=HEADER + LINE.replace("1000.01", "5.00"), headers=key)
    assert other_body.status_code == 409 and other_body.json()["code"] == "idempotency_key_reused"
    plain_retry = client.post(f"{V1}/order-lines", content=HEADER + LINE, headers=CSV)
    assert plain_retry.json()["duplicates"] == 1 and plain_retry.json()["inserted"] == 0


def test_an_import_is_recorded_with_the_key_that_sent_it(client: TestClient, store: Store) -> None:
    from alliance.ledger import service as ledger

    assert client.post(f"{V1}/order-lines", content=HEADER + LINE, headers=CSV).status_code == 200
    prefix = client.headers["Authorization"].removeprefix("Bearer ")[3:11]
    (entry,) = [e["entry"] for e in ledger.entries(store, "cloud-hw") if e["type"] == "orders.imported"]
    assert entry["actor"] == f"{prefix} (platform_admin of platform)"  # the key, not a bare "platform"


def test_bad_lines_are_a_422_listing_them(client: TestClient) -> None:
    bad = HEADER + LINE + "L2,O2,2026-12-05 10:00,HW,XX,store,S,1,1.001,CNY\n"
    r = client.post(f"{V1}/order-lines", content=bad, headers=CSV)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == "order_lines_rejected" and body["rejected"][0]["row"] == 3 and body["inserted"] == 0
    kept = client.post(f"{V1}/order-lines", params={"all_or_nothing": "false"}, content=bad, headers=CSV)
    assert kept.status_code == 200 and kept.json()["inserted"] == 1 and kept.json()["rejected_count"] == 1
    assert client.post(f"{V1}/order-lines", content=b"x", headers={"Content-Type": "application/pdf"}).status_code == 422


def test_settle_statement_journal_and_isolation(client: TestClient) -> None:
    client.post(f"{V1}/order-lines", content=HEADER + LINE, headers=CSV)
    run = client.post(f"{V1}/settlements", json={})
    assert run.status_code == 201, run.text
    assert run.json()["day"] == "2026-12-05" and run.json()["net"] == {"HW": "-300.00", "SW": "300.00"}
    again = client.post(f"{V1}/settlements", json={"day": "2026-12-05"})
    assert again.status_code == 409 and again.json()["code"] == "day_closed"
    sw = client.get(f"{V1}/statements/SW", params={"day": "2026-12-05"}).json()
    assert sw["total"] == "300.00" and sw["lines"][0]["amount"] == "300.00" and sw["lines"][0]["rate"] == "0.3"
    ledger = client.get(f"{V1}/journal", params={"from": "2026-12-01", "to": "2026-12-31"})
    assert ledger.status_code == 200 and "Liabilities:Alliance:CLOUD-HW:SW  -300.00 CNY" in ledger.text
    csv = client.get(f"{V1}/journal", params={"from": "2026-12-01", "to": "2026-12-31", "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and ",SW,300.00,CNY" in csv.text
    other = "/api/v1/alliances/other"
    assert client.get(f"{other}/statements/SW", params={"day": "2026-12-05"}).status_code == 404
    assert client.get(f"{other}/journal", params={"from": "2026-12-01", "to": "2026-12-31"}).text.count("*") == 0
    assert client.post(f"{other}/settlements", json={"day": "2026-12-05"}).json()["net"] == {}


def test_metrics_over_http_and_idempotent_agreement_proposals(client: TestClient) -> None:
    values = [{"period": "2026-12", "metric": "user_assets", "member": m, "value": v} for m, v in (("SW", "3"), ("HW", "1"))]
    assert client.post(f"{V1}/metrics", json={"values": values}).json() == {"recorded": 2}
    again = client.post(f"{V1}/metrics", json={"values": values})
    assert again.status_code == 422 and "not rewritten" in str(again.json()["errors"])
    bad = client.post(f"{V1}/metrics", json={"values": [{"period": "2026-13", "metric": "x", "member": "ZZ", "value": "a"}]})
    assert {e["field"] for e in bad.json()["errors"]} == {"period", "member", "value"}
    document = HW_SPLIT.replace("hw-split", "hw-split-2").replace("2026-12-01", "2027-02-01").encode()
    headers = {"Content-Type": "application/yaml", "Idempotency-Key": "propose-1"}
    first = client.post(f"{V1}/agreements", content=document, headers=headers)
    assert first.status_code == 201 and first.json()["version"] == 1
    replay = client.post(f"{V1}/agreements", content=document, headers=headers)
    assert replay.status_code == 201 and replay.json() == first.json() and replay.headers["idempotent-replayed"] == "true"
    versions = client.get(f"{V1}/agreements").json()["items"]
    assert [len(a["versions"]) for a in versions if a["agreement"] == "hw-split-2"] == [1]


def test_statements_of_closed_days_are_answered_the_same_every_time(client: TestClient) -> None:
    statement = f"{V1}/statements/SW"
    assert client.get(statement, params={"day": "2026-12-05"}).status_code == 404  # not settled: nothing kept
    client.post(f"{V1}/order-lines", content=HEADER + LINE, headers=CSV)
    assert client.post(f"{V1}/settlements", json={"day": "2026-12-05"}).status_code == 201
    first = client.get(statement, params={"day": "2026-12-05"})
    again = client.get(statement, params={"day": "2026-12-05"})
    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert first.headers["content-type"] == "application/json" and first.json()["total"] == "300.00"
    assert client.get(f"{V1}/statements/HW", params={"day": "2026-12-05"}).json()["total"] == "-300.00"
    assert client.get("/api/v1/alliances/other/statements/SW", params={"day": "2026-12-05"}).status_code == 404


def test_a_run_names_parties_of_its_versions_that_had_left(client: TestClient, store: Store) -> None:
    from datetime import date

    from alliance.registry import service as registry

    client.post(f"{V1}/order-lines", content=HEADER + LINE, headers=CSV)
    later = FrozenClock(datetime(2026, 12, 6, 2, tzinfo=UTC))
    registry.end_membership(store, "cloud-hw", "HW", date(2026, 12, 5), later)
    run = client.post(f"{V1}/settlements", json={"day": "2026-12-05"})
    assert run.status_code == 201, run.text
    # The version was signed with HW as a party: it still allocates to it, and the run says so.
    assert run.json()["net"] == {"HW": "-300.00", "SW": "300.00"}
    assert run.json()["departed_parties"] == [{"agreement": "hw-split", "version": 1, "member": "HW",
                                               "left_on": "2026-12-05"}]


@pytest.mark.parametrize("day", [0, "1699920000", "2026-11-20T00:00:00", "20261205", "2026-12-5", True])
def test_a_day_is_written_yyyy_mm_dd_and_nothing_else(client: TestClient, day: object) -> None:
    r = client.post(f"{V1}/settlements", json={"day": day})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
    assert client.get(f"{V1}/statements/SW", params={"day": "1699920000"}).status_code == 422
    # Nothing was closed by the refused requests.
    assert client.post(f"{V1}/settlements", json={"day": "2026-12-05"}).status_code == 201


def test_days_before_the_alliance_and_its_lines_and_unknown_accounts_are_refused(client: TestClient) -> None:
    ancient = client.post(f"{V1}/settlements", json={"day": "0001-01-01"})
    assert ancient.status_code == 422 and "before 'cloud-hw' was founded" in ancient.json()["detail"]
    client.post(f"{V1}/order-lines", content=HEADER + LINE, headers=CSV)
    assert client.post(f"{V1}/settlements", json={"day": "2026-12-05"}).status_code == 201
    unknown = client.get(f"{V1}/statements/NOPE", params={"day": "2026-12-05"})
    assert unknown.status_code == 404 and "no member or account 'NOPE'" in unknown.json()["detail"]
    backwards = client.get(f"{V1}/journal", params={"from": "2026-12-30", "to": "2026-12-01"})
    assert backwards.status_code == 422 and "--" not in backwards.json()["detail"]


# Rule ids and account codes are free text: a spreadsheet must show them, never run them.
FORMULA_AGREEMENT = """
agreement: hw-split
effective_from: 2026-12-01
parties: [SW, HW]
accounts: {growth: fund}
rules:
  - {id: "=1+1", kind: fixed_split, select: {product_owner: HW}, shares: {SW: 0.30, HW: 0.70}}
  - {id: "@SUM(A1:A9)", kind: growth_fund, rate: 0.10, target: "0.00", period: day, fund: growth}
"""


def test_journal_csv_shows_formula_like_ids_as_text_and_amounts_as_numbers(store: Store, clock: FrozenClock,
                                                                           tmp_path: Path) -> None:
    import csv
    import io
    from decimal import Decimal

    hardware_split(store, clock, FORMULA_AGREEMENT)
    with TestClient(create_app(store, FrozenClock(datetime(2026, 12, 6, 2, tzinfo=UTC)), tmp_path / "facts.duckdb")) as c:
        c.headers.update(admin_headers(store))
        c.post(f"{V1}/order-lines", content=HEADER + LINE, headers=CSV)
        run = c.post(f"{V1}/settlements", json={})
        assert run.status_code == 201, run.text
        body = c.get(f"{V1}/journal", params={"from": "2026-12-01", "to": "2026-12-31", "format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {r["rule"] for r in rows} == {"'=1+1", "'@SUM(A1:A9)"}
    # (An account such as =HYPERLINK(...) is refused when the agreement is proposed: accounts are
    # codes, test_agreement_document; the escaping covers any cell all the same, test_cells.)
    assert "growth" in {r["account"] for r in rows}
    # 10% of 1000.01 above 0.00 goes to the fund; HW owes it and 30% of its sale to SW.
    assert sorted(r["amount"] for r in rows) == ["-100.00", "-300.00", "100.00", "300.00"]
    assert sum(Decimal(r["amount"]) for r in rows) == 0  # plain numbers, negative ones included
