"""Over HTTP, inputs that used to be a 500 or to block settlement for good are a 422 naming the problem."""

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
from tests.support.http import admin_headers, member_headers

HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
LINE = "L1,O1,2026-12-05T10:00:00+08:00,HW,HW,store,HW-1,1,1000.01,CNY\n"
V1 = "/api/v1/alliances/cloud-hw"
CSV = {"Content-Type": "text/csv"}
YAML = {"Content-Type": "application/yaml"}


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    hardware_split(store, clock)
    later = FrozenClock(datetime(2026, 12, 6, 2, tzinfo=UTC))
    with TestClient(create_app(store, later, tmp_path / "facts.duckdb")) as c:
        c.headers.update(admin_headers(store))
        yield c


def test_a_line_of_year_one_is_refused_and_the_day_still_settles(client: TestClient) -> None:
    year_one = "L0,O0,0001-01-01T00:00:00+14:00,HW,HW,store,HW-1,1,1.00,CNY\n"
    r = client.post(f"{V1}/order-lines", content=HEADER + LINE + year_one, headers=CSV)
    assert r.status_code == 422 and r.json()["rejected"][0]["row"] == 3
    assert "outside the years 2000 to 2099" in r.json()["rejected"][0]["reason"]
    assert client.post(f"{V1}/order-lines", content=HEADER + LINE, headers=CSV).status_code == 200
    run = client.post(f"{V1}/settlements", json={})
    assert run.status_code == 201 and run.json()["net"] == {"HW": "-300.00", "SW": "300.00"}


@pytest.mark.parametrize(("shares", "says"), [
    ("{SW: 1e999999999, HW: 0}", "more than 18 digits before the point"),
    ("{SW: 1e-999999999, HW: 1}", "28 after it"),
    ("{SW: 0.3000000000000000000000000000001, HW: 0.6999999999999999999999999999999}", "28 after it"),
])
def test_a_share_that_cannot_be_held_exactly_is_a_422(client: TestClient, shares: str, says: str) -> None:
    document = HW_SPLIT.replace("hw-split", "hw-split-2").replace("{SW: 0.30, HW: 0.70}", shares)
    assert shares in document
    r = client.post(f"{V1}/agreements", content=document.encode(), headers=YAML)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert says in r.text


def test_an_agreement_amount_beyond_what_a_statement_holds_is_a_422(client: TestClient) -> None:
    document = """
agreement: campaign
effective_from: 2026-12-01
parties: [SW, HW]
rules:
  - {id: c, kind: cost_share, amount: "99999999999999999999.00", incurred_on: 2026-12-05, paid_by: SW, ratios: {SW: 0.5, HW: 0.5}}
"""
    r = client.post(f"{V1}/agreements", content=document.encode(), headers=YAML)
    assert r.status_code == 422 and "the most an agreement amount may be" in r.text


@pytest.mark.parametrize("name", ["sales\x00", "sales \u202egnp.exe", "\u2066hidden\u2069"])
def test_a_view_name_with_control_or_direction_characters_is_a_422(client: TestClient, store: Store, name: str) -> None:
    r = client.post(f"{V1}/views", json={"member": "SW", "name": name, "fields": {"channel": "visible"}, "k": 5},
                    headers=member_headers(store, "cloud-hw", "SW"))  # only SW's own account publishes its data
    assert r.status_code == 422, r.text
    assert any(e["field"] == "name" for e in r.json()["errors"])
