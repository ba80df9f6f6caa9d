"""Warning rules over HTTP: the coordinator adds, edits, disables, imports and exports rules and
sets silences; an evaluation fires and the firing is read back; a member reads only its own
firings; an outsider and another alliance get nothing; refusals are problem+json and store nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.health.warnings import periods, service
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.http import problem
from tests.support.warnings import COORDINATOR, idle_rule, setup_alliance, source

W = "/api/v1/alliances/tea/warnings"


def _key(store: Store, clock: FrozenClock, role: Role, alliance: str | None, member: str | None = None) -> dict[str, str]:
    issued = create_api_key(store, role=role, alliance=alliance, member=member, name="t", created_by="t", clock=clock)
    return {"Authorization": f"Bearer {issued.key}"}


@pytest.fixture
def world(store: Store, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    setup_alliance(store, clock)
    setup_alliance(store, clock, code="other")
    series = source()
    monkeypatch.setattr(service, "make_source", lambda _store: series)
    keys = {"coord": _key(store, clock, Role.COORDINATOR, "tea"),
            "m1": _key(store, clock, Role.MEMBER_ADMIN, "tea", "M1"),
            "m2": _key(store, clock, Role.MEMBER_ANALYST, "tea", "M2"),
            "aud": _key(store, clock, Role.AUDITOR, "tea"),
            "far": _key(store, clock, Role.COORDINATOR, "other")}
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb")) as client:
        yield client, keys, series


def test_rules_firings_and_silences_over_http(world: Any, clock: FrozenClock) -> None:
    client, keys, series = world
    coord = keys["coord"]
    answer = client.post(f"{W}/rules", json=idle_rule(**{"for": 1}), headers=coord)
    assert answer.status_code == 201, answer.text
    assert answer.json()["version"] == 1 and answer.json()["condition"] == {"kind": "above", "threshold": "0.15"}
    edited = client.put(f"{W}/rules/idle", json=idle_rule(**{"for": 1, "severity": "critical"}), headers=coord)
    assert edited.json()["version"] == 2
    shown = client.get(f"{W}/rules/idle", headers=keys["m1"]).json()
    assert [v["severity"] for v in shown["versions"]] == ["warning", "critical"]
    week = periods.latest_completed(clock.now().date(), "week")
    series.put("resource_idle_rate", "M1", week, Decimal("0.4"))
    series.put("resource_idle_rate", "M2", week, Decimal("0.5"))
    evaluated = client.post(f"{W}/evaluation", headers=coord).json()
    assert {(t["member"], t["to"]) for t in evaluated["transitions"]} == {("M1", "firing"), ("M2", "firing")}
    [group] = client.get(f"{W}/firing", headers=coord).json()["groups"]
    assert (group["rule"], group["members"], group["severity"]) == ("idle", ["M1", "M2"], "critical")
    [mine] = client.get(f"{W}/firing", headers=keys["m1"]).json()["groups"]
    assert mine["members"] == ["M1"]
    assert [f["member"] for f in client.get(f"{W}/history", headers=keys["m2"]).json()["firings"]] == ["M2"]
    assert client.post(f"{W}/evaluation", headers=coord).json()["transitions"] == []  # the same week again

    silence = client.post(f"{W}/silences", json={"rule": "idle", "reason": "调整中",
                                                 "expires_at": (clock.now() + timedelta(days=3)).isoformat()},
                          headers=coord)
    assert silence.status_code == 201 and silence.json()["active"]
    ended = client.delete(f"{W}/silences/{silence.json()['id']}", headers=coord)
    assert ended.json()["active"] is False and ended.json()["ended_by"]
    problem(client.delete(f"{W}/silences/{silence.json()['id']}", headers=coord), 409, "warning_silence_ended")
    assert client.post(f"{W}/rules/idle/disable", headers=coord).json()["enabled"] is False
    exported = client.get(f"{W}/export", headers=keys["aud"])
    assert exported.status_code == 200 and "id: idle" in exported.text


def test_bad_input_is_a_problem_and_stores_nothing(world: Any, clock: FrozenClock) -> None:
    client, keys, _ = world
    coord = keys["coord"]
    client.post(f"{W}/rules", json=idle_rule(), headers=coord)
    before = client.get(f"{W}/rules/idle", headers=coord).json()
    body = problem(client.post(f"{W}/rules", json=idle_rule(id="x", **{"for": 0}, kpi="nope"), headers=coord),
                   422, "invalid_input")
    assert "for" in str(body)
    problem(client.post(f"{W}/rules", json=idle_rule(), headers=coord), 409, "warning_rule_exists")
    problem(client.put(f"{W}/rules/nope", json=idle_rule(), headers=coord), 404, "warning_rule_not_found")
    body = problem(client.post(f"{W}/import", json={"document": "rules:\n- id: y\n  name: {zh: 甲, en: A}\n"
                                                                "  kpi: goal_drift\n  condition: {kind: up}\n"},
                               headers=coord), 422, "invalid_input")
    assert "line 5" in str(body)
    problem(client.post(f"{W}/silences", json={"rule": "idle", "reason": "",
                                               "expires_at": (clock.now() - timedelta(days=1)).isoformat()},
                        headers=coord), 422, "invalid_input")
    assert client.get(f"{W}/rules/idle", headers=coord).json() == before
    assert client.get(f"{W}/silences", headers=coord).json() == {"silences": []}
    assert [r["id"] for r in client.get(f"{W}/rules", headers=coord).json()["rules"]] == ["idle"]


def test_who_may_do_what(world: Any) -> None:
    client, keys, _ = world
    client.post(f"{W}/rules", json=idle_rule(), headers=keys["coord"])
    for who in ("m1", "m2", "aud"):
        problem(client.post(f"{W}/rules", json=idle_rule(id="z"), headers=keys[who]), 403, "forbidden")
        problem(client.get(f"{W}/silences", headers=keys[who]), 403, "forbidden")
        problem(client.post(f"{W}/evaluation", headers=keys[who]), 403, "forbidden")
        assert client.get(f"{W}/rules", headers=keys[who]).status_code == 200
    # Another alliance's coordinator: this alliance is not there for it.
    for method, path in (("GET", f"{W}/rules"), ("GET", f"{W}/firing"), ("GET", f"{W}/history"),
                         ("POST", f"{W}/defaults"), ("GET", f"{W}/export")):
        problem(client.request(method, path, headers=keys["far"]), 404, "alliance_not_found")
    assert client.get(f"{W}/rules").status_code == 401


def test_the_servers_daily_loop_evaluates_the_rules(store: Store, clock: FrozenClock, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`alliance serve` with ALLIANCE_SETTLE_AT runs the warning evaluation among its minute jobs."""
    from datetime import time

    import alliance.server as server
    from alliance.health.warnings import evaluation

    setup_alliance(store, clock)
    series = source()
    monkeypatch.setattr(service, "make_source", lambda _store: series)
    service.save_rules(store, "tea", COORDINATOR, [idle_rule(**{"for": 1})], clock)
    series.put("resource_idle_rate", "M1", periods.latest_completed(clock.now().date(), "week"), Decimal("0.9"))
    jobs: list[Any] = []

    class Loop:
        def __init__(self, *args: Any, also: Any = (), **kwargs: Any) -> None:
            jobs.extend(also)

        def start(self) -> None: ...

        def stop(self) -> None: ...

    monkeypatch.setattr(server, "DailySettlement", Loop)
    with TestClient(server.create_app(store, clock, tmp_path / "facts.duckdb", settle_at=time(1, 0))):
        for job in jobs:
            job()
    [group] = service.firing_now(store, "tea", COORDINATOR, clock)
    assert group.members == ["M1"]
    assert evaluation.evaluate(store, "tea", clock, source=series).evaluated == []  # done by the loop already

