"""Joint marketing campaigns over HTTP: the lead member proposes, every member consents with its own
key, a cost is split and scheduled as a charge, ROI per member; ratios that do not sum to 1 and costs
over the budget are problem+json with nothing stored; a member not taking part and another alliance's
key find nothing; the coordinator never consents for a member."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
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
from alliance.store.tables import marketing_campaigns, marketing_costs, marketing_participants, operation_charges
from tests.support.factories import credit_code, make_alliance
from tests.support.http import problem

A = "/api/v1/alliances/nb/marketing/campaigns"
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency,attributed_to,refund_of"
LINES = ["L1,O1,2026-11-05T10:00:00+08:00,M1,M1,live,S-1,1,1000.00,CNY,M1,",
         "L2,O2,2026-11-05T11:00:00+08:00,M2,M2,store,S-9,1,300.00,CNY,M1,",
         "L3,O3,2026-11-05T11:00:00+08:00,M3,M3,store,S-9,1,99.99,CNY,M1,"]
CAMPAIGN = {"title": "联合白皮书", "kind": "white_paper", "lead": "M1", "first_day": "2026-11-01",
            "last_day": "2026-11-30", "budget": "3000.00", "ratios": {"M1": "0.5", "M2": "0.5"},
            "attribution": "attributed", "values": [], "baseline": True}


def _key(store: Store, clock: FrozenClock, role: Role, alliance: str, member: str | None = None) -> dict[str, str]:
    key = create_api_key(store, role=role, alliance=alliance, member=member, name=f"{role.value} {member}",
                         created_by="t", clock=clock).key
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def world(store: Store, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    clock = FrozenClock(datetime(2026, 11, 12, 2, tzinfo=UTC))
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    facts = FactStore(tmp_path / "facts.duckdb")
    settlement.import_order_lines(Stores(store, facts), "nb", path, None, clock)
    facts.close()
    keys = {
        "coordinator": _key(store, clock, Role.COORDINATOR, "nb"),
        "auditor": _key(store, clock, Role.AUDITOR, "nb"),
        "m1": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M1"),
        "m2": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M2"),
        "m3": _key(store, clock, Role.MEMBER_ADMIN, "nb", "M3"),
        "outsider": _key(store, clock, Role.COORDINATOR, "other"),
    }
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb")) as client:
        yield client, keys


def _counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(int(c.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in (marketing_campaigns, marketing_participants, marketing_costs, operation_charges))


def test_propose_consent_cost_and_roi(world: Any, store: Store) -> None:
    client, keys = world
    made = client.post(A, json=CAMPAIGN, headers=keys["m1"])
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["code"], body["state"], body["attribution"]) == ("mkt-1", "proposed",
                                                                  {"rule": "attributed", "values": ["M1"]})
    early = client.post(f"{A}/1/costs", json={"payer": "M1", "amount": "10.00", "description": "x", "day": "2026-11-03"},
                        headers=keys["m1"])
    problem(early, 409, "marketing_campaign_state")
    assert client.post(f"{A}/1/members/M2/consent", headers=keys["coordinator"]).status_code == 403
    assert client.post(f"{A}/1/members/M2/consent", headers=keys["m1"]).status_code == 404
    consented = client.post(f"{A}/1/members/M2/consent", headers=keys["m2"])
    assert consented.status_code == 200 and consented.json()["state"] == "active"
    cost = client.post(f"{A}/1/costs", json={"payer": "ext:print-co", "amount": "1000.01", "description": "印刷",
                                             "day": "2026-11-03"}, headers=keys["m1"])
    assert cost.status_code == 201, cost.text
    assert cost.json()["costs"][0]["shares"] == {"M1": "500.01", "M2": "500.00"}  # largest remainder, tie: M1 sorts first
    roi = client.get(f"{A}/1/roi", headers=keys["m2"]).json()
    by = {m["member"]: m for m in roi["members"]}
    assert by["M1"]["revenue"] == "1000.00" and by["M2"]["revenue"] == "300.00"
    assert (by["M1"]["roi_shown"], by["M2"]["roi_shown"], roi["alliance"]["roi_shown"]) == ("1.00", "-0.40", "0.30")
    assert roi["baseline_period"] == {"first_day": "2026-10-02", "last_day": "2026-10-31"}
    assert [c["number"] for c in client.get(A, headers=keys["auditor"]).json()["campaigns"]] == [1]


def test_bad_input_is_refused_and_nothing_stored(world: Any, store: Store) -> None:
    client, keys = world
    before = _counts(store)
    wrong = client.post(A, json={**CAMPAIGN, "ratios": {"M1": "0.5", "M2": "0.4"}}, headers=keys["coordinator"])
    problem(wrong, 422, "marketing_ratios_sum")
    assert "0.9" in wrong.json()["detail"]
    garbled = client.post(A, json={**CAMPAIGN, "ratios": {"M1": "half", "M2": "0.5"}, "budget": "x"},
                          headers=keys["coordinator"])
    problem(garbled, 422, "marketing_campaign_invalid")
    assert client.post(A, json=CAMPAIGN, headers=keys["m2"]).status_code == 403  # M2 does not lead it
    assert _counts(store) == before
    client.post(A, json=CAMPAIGN, headers=keys["m1"])
    client.post(f"{A}/1/members/M2/consent", headers=keys["m2"])
    before = _counts(store)
    over = client.post(f"{A}/1/costs", json={"payer": "M1", "amount": "3000.01", "description": "x",
                                             "day": "2026-11-03"}, headers=keys["m1"])
    problem(over, 409, "marketing_over_budget")
    stranger = client.post(f"{A}/1/costs", json={"payer": "M3", "amount": "1.00", "description": "x",
                                                 "day": "2026-11-03"}, headers=keys["coordinator"])
    problem(stranger, 422, "marketing_cost_invalid")
    assert _counts(store) == before


def test_who_sees_a_campaign(world: Any, store: Store) -> None:
    client, keys = world
    client.post(A, json=CAMPAIGN, headers=keys["m1"])
    assert client.get(f"{A}/1", headers=keys["m3"]).status_code == 404
    assert client.get(f"{A}/1/roi", headers=keys["m3"]).status_code == 404
    assert client.get(A, headers=keys["m3"]).json()["campaigns"] == []
    assert client.get(f"{A}/1", headers=keys["outsider"]).status_code == 404
    assert client.get(f"{A}/1", headers=keys["m2"]).json()["may_consent"] is True
