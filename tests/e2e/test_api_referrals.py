"""Lead referral over HTTP: a member refers a lead with consent, the receiving member accepts and links
orders, the commission is shown; a lead's name and contact only for the two members and the
coordinator; a third member finds nothing; bad input is problem+json with nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.settlement import service as settlement
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import referrals
from tests.support.factories import credit_code, make_alliance
from tests.support.http import problem

A = "/api/v1/alliances/nb/referrals"
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency,attributed_to,refund_of"
LINES = ["L1,O1,2026-11-05T10:00:00+08:00,M2,M2,store,S-1,1,1000.00,CNY,M1,",
         "L2,O2,2026-11-05T11:00:00+08:00,M2,M2,store,S-1,1,99.99,CNY,,"]
LEAD = {"to_member": "M2", "name": "宁波悦佳贸易有限公司", "contact": "13800001111", "products": "A4 复印纸",
        "consent": {"by": "王经理", "at": "2026-11-01", "how": "written"}}


def _key(store: Store, clock: FrozenClock, role: Role, alliance: str, member: str | None = None) -> dict[str, str]:
    key = create_api_key(store, role=role, alliance=alliance, member=member, name=f"{role.value} {member}",
                         created_by="t", clock=clock).key
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def world(store: Store, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], FrozenClock]]:
    clock = FrozenClock(datetime(2026, 11, 2, 2, tzinfo=UTC))
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    facts = FactStore(tmp_path / "facts.duckdb")
    settlement.import_order_lines(Stores(store, facts), "nb", path, None, FrozenClock(datetime(2026, 11, 6, tzinfo=UTC)))
    facts.close()
    keys = {
        "coordinator": _key(store, clock, Role.COORDINATOR, "nb"),
        "auditor": _key(store, clock, Role.AUDITOR, "nb"),
        "m1": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M1"),
        "m2": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M2"),
        "m3": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M3"),
        "m2analyst": _key(store, clock, Role.MEMBER_ANALYST, "nb", "M2"),
        "outsider": _key(store, clock, Role.COORDINATOR, "other"),
    }
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb")) as client:
        yield client, keys, clock


def _count(store: Store) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(referrals)).scalar_one())


def test_refer_accept_link_and_the_commission(world: Any, store: Store) -> None:
    client, keys, clock = world
    made = client.post(A, json=LEAD, headers=keys["m1"])
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["number"], body["from_member"], body["state"], body["window_ends"]) == (1, "M1", "submitted",
                                                                                         "2027-01-31")
    # the analyst of the receiving member reads but does not answer
    problem(client.post(f"{A}/1/accept", headers=keys["m2analyst"]), 403, "forbidden")
    assert client.post(f"{A}/1/accept", headers=keys["m2"]).json()["state"] == "accepted"
    clock.advance(timedelta(days=5))
    candidates = client.get(f"{A}/1/candidates", headers=keys["m2"])
    assert candidates.status_code == 200 and [c["order_id"] for c in candidates.json()["candidates"]] == ["O1"]
    linked = client.post(f"{A}/1/orders", json={"orders": ["O1"]}, headers=keys["m2"])
    assert linked.status_code == 200 and linked.json()["state"] == "converted", linked.text
    commission = client.get(f"{A}/1/commission", headers=keys["m1"]).json()
    assert (commission["target_minor"], commission["base_minor"]) == (5000, 100000)
    board = client.get(f"{A}/leaderboard", params={"period": "2026-11"}, headers=keys["m3"]).json()
    assert board["rows"] == [{"rank": 1, "member": "M1", "made": 1, "accepted": 1, "converted": 1,
                              "commission_minor": 0}]


def test_who_sees_the_lead(world: Any, store: Store) -> None:
    client, keys, _ = world
    client.post(A, json=LEAD, headers=keys["m1"])
    for who in ("m1", "m2", "coordinator"):
        assert client.get(f"{A}/1", headers=keys[who]).json()["lead_name"] == "宁波悦佳贸易有限公司"
    audited = client.get(f"{A}/1", headers=keys["auditor"]).json()
    assert audited["lead_name"] is None and audited["lead_contact"] is None and audited["consent"] is None
    problem(client.get(f"{A}/1/commission", headers=keys["auditor"]), 404, "referral_not_found")
    problem(client.get(f"{A}/1", headers=keys["m3"]), 404, "referral_not_found")
    assert client.get(A, headers=keys["m3"]).json() == {"referrals": []}
    problem(client.get(f"{A}/1", headers=keys["outsider"]), 404, "alliance_not_found")
    problem(client.post(f"{A}/1/accept", headers=keys["m3"]), 404, "referral_not_found")


def test_bad_input_stores_nothing(world: Any, store: Store) -> None:
    client, keys, _ = world
    problem(client.post(A, json={**LEAD, "consent": None}, headers=keys["m1"]), 422, "referral_consent_missing")
    bad = problem(client.post(A, json={**LEAD, "to_member": "M1", "name": " "}, headers=keys["m1"]), 422,
                  "referral_invalid")
    assert {p["field"] for p in bad["errors"]} == {"to_member", "name"}
    assert _count(store) == 0
    client.post(A, json=LEAD, headers=keys["m1"])
    dup = problem(client.post(A, json={**LEAD, "name": "宁波 悦佳贸易"}, headers=keys["m3"]), 409, "referral_duplicate")
    assert "1" in dup["detail"]
    problem(client.post(f"{A}/1/reject", json={"reason": ""}, headers=keys["m2"]), 422, "referral_invalid")
    problem(client.put(f"{A}/programme", json={"commission_rate": "1.5"}, headers=keys["coordinator"]), 422,
            "invalid_input")
    problem(client.put(f"{A}/programme", json={"commission_rate": "0.1"}, headers=keys["m1"]), 403, "forbidden")
    assert client.put(f"{A}/programme", json={"commission_rate": "0.08", "hold_days": 14},
                      headers=keys["coordinator"]).json()["commission_rate"] == "0.08"
    problem(client.get(f"{A}/leaderboard", params={"period": "2026-13"}, headers=keys["m1"]), 422, "invalid_input")
    assert _count(store) == 1
