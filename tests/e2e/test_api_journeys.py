"""Journey metrics over the API: members and the coordinator read a month's metrics (counts only,
never a customer key), only the coordinator records them (a member key gets 403, another
alliance's 404), errors are problem+json in the caller's language, and a refusal stores nothing."""

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
from alliance.datashare.datasets import service as datasets
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import journey_metric_sources, period_metrics
from tests.support.factories import make_alliance, member_values

J = "/api/v1/alliances/nb/journey-metrics"
NOW = datetime(2026, 11, 12, 2, tzinfo=UTC)  # October has ended in Shanghai, November not


def key_of(name: str) -> str:
    return (name.encode().hex() * 64)[:64]


@pytest.fixture
def world(store: Store, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    clock = FrozenClock(NOW)
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n in (1, 2):
            registry.add_member(store, code, member_values(n, joined_on="2026-01-01"), clock)
    facts = FactStore(tmp_path / "facts.duckdb")
    for member, rows in {"M0001": [("a", "purchase"), ("a", "purchase"), ("b", "purchase"), ("a", "referral")],
                         "M0002": [("a", "purchase"), ("c", "visit")]}.items():
        cells = [(n, {"event_id": f"{member}-{n}", "customer_key": key_of(who), "member": member, "event_type": kind,
                      "occurred_at": f"2026-10-{n + 1:02d}T10:00:00+08:00"}) for n, (who, kind) in enumerate(rows, 1)]
        datasets.import_rows(Stores(store, facts), "nb", member, "customer_events", cells, clock)
    facts.close()

    def key(role: Role, member: str | None = None, alliance: str = "nb") -> dict[str, str]:
        issued = create_api_key(store, role=role, alliance=alliance, member=member, name=role.value, created_by="t",
                                clock=clock)
        return {"Authorization": f"Bearer {issued.key}"}

    keys = {"member": key(Role.MEMBER_ADMIN, "M0001"), "coordinator": key(Role.COORDINATOR),
            "auditor": key(Role.AUDITOR), "other": key(Role.COORDINATOR, alliance="other")}
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb")) as client:
        yield client, keys


def _stored(store: Store) -> tuple[int, int]:
    with store.engine.connect() as c:
        return (int(c.execute(select(func.count()).select_from(period_metrics)).scalar_one()),
                int(c.execute(select(func.count()).select_from(journey_metric_sources)).scalar_one()))


def test_members_read_the_coordinator_records_and_verifies(world: Any, store: Store) -> None:
    client, keys = world
    # The live recount is the coordinator's and the auditor's: a member could probe it with made-up
    # events of a customer it knows. A member reads the month as recorded (nothing yet).
    assert client.get(f"{J}/2026-10", headers=keys["member"]).status_code == 403
    assert client.get(f"{J}/2026-10/verify", headers=keys["member"]).status_code == 403
    before = client.get(f"{J}/2026-10/recorded", headers=keys["member"])
    assert before.status_code == 200 and before.json()["members"] == [] and before.json()["events"] == 0
    shown = client.get(f"{J}/2026-10", headers=keys["coordinator"])
    assert shown.status_code == 200, shown.text
    body = shown.json()
    m1 = next(m for m in body["members"] if m["member"] == "M0001")
    assert m1["values"] == {"repurchase_rate": "0.5000", "cross_member_purchase_rate": "0.5000",
                            "referral_coefficient": "0.5000", "user_assets": "2"}
    assert m1["counts"]["buyers"] == 2 and m1["recorded"]["user_assets"] is None and body["can_record"]
    assert body["alliance_values"]["user_assets"] == "3" and body["events"] == 6
    assert key_of("a") not in shown.text
    assert client.get(f"{J}/2026-10", headers=keys["auditor"]).status_code == 200

    refused = client.post(f"{J}/2026-10", headers=keys["member"])
    assert refused.status_code == 403 and _stored(store) == (0, 0)
    done = client.post(f"{J}/2026-10", headers=keys["coordinator"])
    assert done.status_code == 200, done.text
    assert done.json()["recorded_at"] and not done.json()["can_record"] and _stored(store) == (8, 8)
    assert client.post(f"{J}/2026-10", headers=keys["coordinator"]).status_code == 200  # identical: a no-op
    assert _stored(store) == (8, 8)
    verified = client.get(f"{J}/2026-10/verify", headers=keys["auditor"])
    assert verified.status_code == 200 and verified.json() == {"period": "2026-10", "ok": True, "checked": 8,
                                                                "differences": []}
    as_recorded = client.get(f"{J}/2026-10/recorded", headers=keys["member"]).json()
    r1 = next(m for m in as_recorded["members"] if m["member"] == "M0001")
    assert r1["values"] == r1["recorded"] == m1["values"] and r1["counts"]["buyers"] == 2
    assert as_recorded["alliance_values"] == {} and key_of("a") not in str(as_recorded)


def test_errors_are_problems_in_the_callers_language_and_store_nothing(world: Any, store: Store) -> None:
    client, keys = world
    coordinator = keys["coordinator"]
    bad = client.post(f"{J}/2026-13", headers=coordinator)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["code"] == "invalid_input"
    still_open = client.post(f"{J}/2026-11", headers={**coordinator, "Accept-Language": "zh-CN"})
    assert still_open.status_code == 409 and still_open.json()["code"] == "journey_period_open"
    assert "尚未结束" in still_open.json()["detail"]
    assert client.get(f"{J}/2026-11", headers=coordinator).status_code == 409
    assert client.get(f"{J}/2026-10", headers=keys["other"]).status_code == 404
    assert client.post(f"{J}/2026-10", headers=keys["other"]).status_code == 404
    assert client.get("/api/v1/alliances/nobody/journey-metrics/2026-10", headers=coordinator).status_code == 404
    assert _stored(store) == (0, 0)


def test_a_month_recorded_otherwise_is_refused_with_each_value_listed(world: Any, store: Store) -> None:
    client, keys = world
    settlement.record_metrics(store, "nb", ["period", "metric", "member", "value"],
                              [["2026-10", "user_assets", "M0001", "7"], ["2026-10", "repurchase_rate", "M0002", "0.9"]],
                              FrozenClock(NOW))
    before = _stored(store)
    refused = client.post(f"{J}/2026-10", headers={**keys["coordinator"], "Accept-Language": "zh-CN"})
    assert refused.status_code == 409 and refused.json()["code"] == "journey_already_recorded"
    errors = {e["where"]: e for e in refused.json()["errors"]}
    assert set(errors) == {"M0001/user_assets", "M0002/repurchase_rate"}
    assert errors["M0001/user_assets"]["field"] == "value" and "7" in errors["M0001/user_assets"]["reason"]
    assert "2" in errors["M0001/user_assets"]["reason"] and "计算" in errors["M0001/user_assets"]["reason"]
    assert _stored(store) == before
