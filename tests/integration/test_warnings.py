"""Warning rules in the store (SQLite and PostgreSQL): evaluation over weeks of a simulated clock
gives pending -> firing -> resolved, one grouped notice per rule in the notification outbox, firings
kept with what their actions did, silences that hold notices back until they expire, idempotent
evaluation, and refusals that leave every stored row as it was."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import InvalidInput, NotFound
from alliance.health.warnings import evaluation, periods, service
from alliance.store.database import Store
from alliance.store.notify_repository import OutboxRepository
from alliance.store.tables import (health_warning_firings, health_warning_rules, health_warning_silences,
                                   health_warning_states)
from tests.support.warnings import COORDINATOR, idle_rule, setup_alliance, source

WEEK = timedelta(weeks=1)


def _rows(store: Store) -> dict[str, list[Any]]:
    with store.engine.connect() as c:
        return {t.name: [tuple(r) for r in c.execute(select(t).order_by(t.c.id))]
                for t in (health_warning_rules, health_warning_states, health_warning_firings, health_warning_silences)}


def _outbox(store: Store) -> list[Any]:
    with store.unit_of_work() as uow:
        return OutboxRepository(uow.connection).of_alliance(uow.alliances.require("tea").id)


def _week(clock: FrozenClock) -> Any:
    return periods.latest_completed(clock.now().date(), "week")


def test_pending_then_firing_then_resolved_with_one_grouped_notice(store: Store, clock: FrozenClock) -> None:
    setup_alliance(store, clock)
    series = source()
    service.save_rules(store, "tea", COORDINATOR, [idle_rule()], clock, mode="add")
    high = {"M1": Decimal("0.2"), "M2": Decimal("0.3"), "M3": Decimal("0.1")}

    def week(values: dict[str, Decimal]) -> Any:
        for member, value in values.items():
            series.put("resource_idle_rate", member, _week(clock), value)
        return evaluation.evaluate(store, "tea", clock, source=series)

    first = week(high)
    assert [(t.member, t.after) for t in first.transitions] == [("M1", "pending"), ("M2", "pending")]
    assert _outbox(store) == []
    clock.advance(WEEK)
    second = week(high)
    assert [(t.member, t.before, t.after) for t in second.transitions] == [("M1", "pending", "firing"),
                                                                         ("M2", "pending", "firing")]
    [notice] = [n for n in _outbox(store) if n.audience == "coordinators"]
    assert (notice.event, notice.group_key) == ("warning.fired", "idle")
    assert "M1 (0.2), M2 (0.3)" in notice.body
    # Each member hears of its own case only, never which other members are concerned.
    own = {n.member: n.body for n in _outbox(store) if n.audience == "member_only"}
    assert sorted(own) == ["M1", "M2"] and "M1 (0.2)" in own["M1"] and "M2" not in own["M1"]
    groups = service.firing_now(store, "tea", COORDINATOR, clock)
    assert [(g.rule.id, g.members) for g in groups] == [("idle", ["M1", "M2"])]
    [m2] = [f for f in groups[0].firings if f.member == "M2"]
    assert m2.firing.values == {(_week(clock) - WEEK).isoformat(): "0.3", _week(clock).isoformat(): "0.3"}
    assert [a["kind"] for a in m2.firing.actions] == ["notify"] and m2.firing.actions[0]["done"]

    # Evaluating the same week again changes nothing.
    before = _rows(store)
    assert evaluation.evaluate(store, "tea", clock, source=series).transitions == []
    assert _rows(store) == before

    clock.advance(WEEK)
    third = week({"M1": Decimal("0.05"), "M2": Decimal("0.3"), "M3": Decimal("0.1")})
    assert [(t.member, t.after) for t in third.transitions] == [("M1", "resolved")]
    assert [n.event for n in _outbox(store) if n.audience == "coordinators"] == ["warning.fired", "warning.resolved"]
    history = service.history(store, "tea", COORDINATOR, clock)
    assert [(f.member, f.firing.resolved_period is not None) for f in history] == [("M2", False), ("M1", True)]


def test_a_member_sees_only_its_own_firings(store: Store, clock: FrozenClock) -> None:
    setup_alliance(store, clock)
    series = source()
    service.save_rules(store, "tea", COORDINATOR, [idle_rule(**{"for": 1})], clock)
    for member in ("M1", "M2"):
        series.put("resource_idle_rate", member, _week(clock), Decimal("0.5"))
    evaluation.evaluate(store, "tea", clock, source=series)
    m1 = Principal("m1", Role.MEMBER_ANALYST, "tea", "M1")
    assert [g.members for g in service.firing_now(store, "tea", m1, clock)] == [["M1"]]
    assert [f.member for f in service.history(store, "tea", m1, clock)] == ["M1"]
    with pytest.raises(Forbidden):
        service.add_silence(store, "tea", m1, rule_id="idle", member=None, reason="x",
                            expires_at=clock.now() + WEEK, clock=clock)


def test_a_silenced_firing_is_told_after_its_silence_expires(store: Store, clock: FrozenClock) -> None:
    setup_alliance(store, clock)
    series = source()
    service.save_rules(store, "tea", COORDINATOR, [idle_rule(**{"for": 1})], clock)
    service.add_silence(store, "tea", COORDINATOR, rule_id="idle", member="M1", reason="维修中",
                        expires_at=clock.now() + WEEK + timedelta(days=1), clock=clock)
    series.put("resource_idle_rate", "M1", _week(clock), Decimal("0.5"))
    evaluation.evaluate(store, "tea", clock, source=series)
    assert _outbox(store) == []
    [group] = service.firing_now(store, "tea", COORDINATOR, clock)
    assert group.silenced and not group.firings[0].firing.notified
    clock.advance(WEEK)  # still silenced
    series.put("resource_idle_rate", "M1", _week(clock), Decimal("0.5"))
    evaluation.evaluate(store, "tea", clock, source=series)
    assert _outbox(store) == []
    clock.advance(WEEK)  # the silence has expired: the firing is told now
    series.put("resource_idle_rate", "M1", _week(clock), Decimal("0.5"))
    evaluation.evaluate(store, "tea", clock, source=series)
    assert [n.event for n in _outbox(store) if n.audience == "coordinators"] == ["warning.fired"]


def test_ending_a_silence_early(store: Store, clock: FrozenClock) -> None:
    setup_alliance(store, clock)
    service.save_rules(store, "tea", COORDINATOR, [idle_rule()], clock)
    silence = service.add_silence(store, "tea", COORDINATOR, rule_id="idle", member=None, reason="节假日",
                                  expires_at=clock.now() + 3 * WEEK, clock=clock)
    assert silence.active(clock.now())
    ended = service.end_silence(store, "tea", COORDINATOR, silence.id, clock)
    assert not ended.active(clock.now()) and ended.ended_by == COORDINATOR.actor
    before = _rows(store)
    with pytest.raises(service.SilenceEnded):
        service.end_silence(store, "tea", COORDINATOR, silence.id, clock)
    assert _rows(store) == before


def test_bad_silences_and_rules_leave_the_store_as_it_was(store: Store, clock: FrozenClock) -> None:
    setup_alliance(store, clock)
    service.save_rules(store, "tea", COORDINATOR, [idle_rule()], clock)
    before = _rows(store)
    for reason, expires, member in (("", clock.now() + WEEK, None), ("ok", clock.now() - WEEK, None),
                                    ("ok", None, None), ("ok", clock.now() + WEEK, "M9")):
        with pytest.raises(InvalidInput):
            service.add_silence(store, "tea", COORDINATOR, rule_id="idle", member=member, reason=reason,
                                expires_at=expires, clock=clock)
    with pytest.raises(NotFound):
        service.add_silence(store, "tea", COORDINATOR, rule_id="nope", member=None, reason="x",
                            expires_at=clock.now() + WEEK, clock=clock)
    with pytest.raises(InvalidInput) as caught:
        service.save_rules(store, "tea", COORDINATOR, [idle_rule(owner="M9"), idle_rule(id="b", kpi="nope")], clock)
    assert {p.field for p in caught.value.problems} == {"kpi"}
    with pytest.raises(InvalidInput) as caught:
        service.save_rules(store, "tea", COORDINATOR, [idle_rule(owner="M9")], clock)
    assert [p.field for p in caught.value.problems] == ["owner"]
    with pytest.raises(InvalidInput) as caught:
        service.import_rules(store, "tea", COORDINATOR, "rules:\n- id: x\n  kpi: [\n", clock)
    assert "line" in str(caught.value)
    with pytest.raises(service.WarningRuleExists):
        service.save_rules(store, "tea", COORDINATOR, [idle_rule(severity="critical")], clock, mode="add")
    assert _rows(store) == before


def test_an_edit_keeps_the_old_version(store: Store, clock: FrozenClock) -> None:
    setup_alliance(store, clock)
    service.save_rules(store, "tea", COORDINATOR, [idle_rule()], clock)
    service.save_rules(store, "tea", COORDINATOR, [idle_rule(severity="critical")], clock, mode="edit")
    service.set_enabled(store, "tea", COORDINATOR, "idle", False, clock)
    current, versions = service.get_rule(store, "tea", COORDINATOR, "idle")
    assert [(v.version, v.rule.severity, v.rule.enabled) for v in versions] == [
        (1, "warning", True), (2, "critical", True), (3, "critical", False)]
    assert current.version == 3
    # A disabled rule is not evaluated.
    assert evaluation.evaluate(store, "tea", clock, source=source()).evaluated == []
    text = service.export_rules(store, "tea", COORDINATOR)
    assert service.import_rules(store, "tea", COORDINATOR, text, clock)[0].version == 3  # unchanged: no new version


def test_defaults_install_once_and_the_scheduler_is_idempotent(store: Store, clock: FrozenClock) -> None:
    setup_alliance(store, clock)
    installed = service.install_defaults(store, "tea", COORDINATOR, clock)
    assert len(installed) == 7 and service.install_defaults(store, "tea", COORDINATOR, clock) == []
    series = source()
    series.put("public_sentiment", "M2", _week(clock), Decimal("10"))
    series.put("collaboration_entropy", None, _week(clock), Decimal("5"))
    [done] = evaluation.evaluate_due(store, clock, source=series)
    assert {(t.rule, t.member, t.after) for t in done.transitions} == {
        ("public-sentiment-red", "M2", "firing"), ("collaboration-entropy", None, "firing")}
    actions = {(a["rule"], a["kind"]): a for a in done.actions}
    # No incidents capability and no meeting ahead in this build: each record says so.
    assert not actions[("collaboration-entropy", "agenda_item")]["done"]
    assert "no meeting" in actions[("collaboration-entropy", "agenda_item")]["said"]
    before = _rows(store)
    assert evaluation.evaluate_due(store, clock, source=series)[0].evaluated == []
    assert _rows(store) == before


def test_open_incident_opens_one_real_incident_the_members_concerned_see(store: Store, clock: FrozenClock) -> None:
    from alliance.health.incidents import service as incidents

    setup_alliance(store, clock)
    service.install_defaults(store, "tea", COORDINATOR, clock)
    series = source()
    for member in ("M1", "M3"):
        series.put("public_sentiment", member, _week(clock), Decimal("10"))
    evaluation.evaluate(store, "tea", clock, source=series)
    [opened] = incidents.list_incidents(store, "tea", COORDINATOR, clock)  # one incident for the rule, both members
    assert (opened.kind.key, opened.stored.severity) == ("supplier_risk", "SEV1")  # a critical rule opens a SEV1
    assert "M1, M3" in opened.title
    m3 = Principal("m3", Role.MEMBER_ANALYST, "tea", "M3")
    m2 = Principal("m2", Role.MEMBER_ANALYST, "tea", "M2")
    assert [i.number for i in incidents.list_incidents(store, "tea", m3, clock)] == [opened.number]
    assert incidents.list_incidents(store, "tea", m2, clock) == []  # not concerned
    [group] = service.firing_now(store, "tea", COORDINATOR, clock)
    assert group.firings[0].firing.actions[0]["ref"] == {"incident": opened.number}
    evaluation.evaluate(store, "tea", clock, source=series)  # the same period again: no second incident
    assert len(incidents.list_incidents(store, "tea", COORDINATOR, clock)) == 1


def test_agenda_item_goes_to_the_next_meeting_of_the_body(store: Store, clock: FrozenClock) -> None:
    from datetime import date, time

    from alliance.governance import service_meetings as meetings

    setup_alliance(store, clock)
    body = meetings.create_body(store, "tea", COORDINATOR, name="联合管理委员会", kind="joint_committee",
                                term_from=date(2026, 11, 1), term_to=None, cadence="quarterly",
                                meeting_time=time(10, 0), duration_minutes=60,
                                seats=[("M1", "chair", None), ("M2", "member", None)], rules=None, clock=clock)
    made = meetings.schedule(store, "tea", COORDINATOR, body.id, date(2026, 12, 15), 2, clock)
    rule = idle_rule(**{"for": 1, "actions": [{"kind": "agenda_item", "body": "joint_committee"}]})
    service.save_rules(store, "tea", COORDINATOR, [rule], clock)
    series = source()
    series.put("resource_idle_rate", "M3", _week(clock), Decimal("0.4"))
    evaluation.evaluate(store, "tea", clock, source=series)
    record = meetings.meeting_record(store, "tea", COORDINATOR, made[0].id)
    assert [i.title for i in record.agenda] == ["召开资源再分配会议 / Resource reallocation meeting (M3)"]
    [group] = service.firing_now(store, "tea", COORDINATOR, clock)
    assert group.firings[0].firing.actions[0]["ref"]["meeting"] == made[0].id


_runs = 0


def test_evaluating_week_by_week_gives_the_engines_states(store: Store, clock: FrozenClock) -> None:
    """The states the scheduler stores week after week (carried through the database) are those the
    vectorised engine computes over the whole history at once, on random series with damping."""
    import numpy as np
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from alliance.health.warnings import engine

    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(cells=st.lists(st.sampled_from(["0.1", "0.5", None]), min_size=2 * 10, max_size=2 * 10),
           for_periods=st.integers(1, 3), keep=st.integers(0, 2))
    def check(cells: list[str | None], for_periods: int, keep: int) -> None:
        global _runs
        _runs += 1
        code = f"h{_runs}"
        setup_alliance(store, clock, code=code, members=("A", "B"))
        principal = Principal("coord", Role.COORDINATOR, code)
        service.save_rules(store, code, principal, [idle_rule(**{"for": for_periods, "keep_firing_for": keep})],
                           clock)
        series = source()
        at = FrozenClock(clock.now())
        seen = {"A": [], "B": []}  # type: dict[str, list[str]]
        for week in range(10):
            day = periods.latest_completed(at.now().date(), "week")
            for i, member in enumerate(("A", "B")):
                value = cells[2 * week + i]
                series.put("resource_idle_rate", member, day, None if value is None else Decimal(value))
            evaluation.evaluate(store, code, at, source=series)
            with store.unit_of_work() as uow:
                from alliance.store.warning_repository import WarningRepository

                for s in WarningRepository(uow.connection).states(uow.alliances.require(code).id):
                    seen[s.member].append(s.status)
            at.advance(WEEK)
        held = np.array([[cells[2 * w + i] == "0.5" for w in range(10)] for i in range(2)])
        expected = engine.run(held, for_periods, keep).states
        assert [[engine.STATE_NAMES[int(x)] for x in row] for row in expected] == [seen["A"], seen["B"]]

    check()


def test_a_new_alliance_gets_the_standard_rules_when_founded(store: Store, clock: FrozenClock) -> None:
    from alliance.registry import service as registry
    from alliance.registry.model import AllianceKind, AllianceSpec, AllianceStructure

    spec = AllianceSpec(code="new", name="新联盟", kind=AllianceKind.SME, structure=AllianceStructure.MESH)
    registry.create_alliance(store, spec, clock, then=lambda uow, alliance: service.install_defaults_in(
        uow, alliance.id, "founder", clock.now()))
    views = service.list_rules(store, "new", Principal("c", Role.COORDINATOR, "new"))
    assert len(views) == 7 and {v.changed_by for v in views} == {"founder"}


def test_the_standard_rules_read_the_real_kpi_catalogue(store: Store, clock: FrozenClock) -> None:
    """No in-memory source: the KPI catalogue's entered values and bands (health.kpis) drive the
    standard rules. A red public-sentiment index opens the backup-supplier incident for that member
    only (the catalogue's amber threshold, 50, is the red bound); an idle rate of 12 (the catalogue's unit is
    per cent) stays quiet under the 15 of the standard rule."""
    from alliance.health.incidents import service as incidents
    from alliance.health.kpis import records
    from alliance.health.warnings.source import KpiSeries

    setup_alliance(store, clock)
    service.install_defaults(store, "tea", COORDINATOR, clock)
    bands = KpiSeries(store).bands("tea")
    assert (bands["public_sentiment"].higher_is_better, bands["public_sentiment"].red) == (True, Decimal("50"))
    week = _week(clock)
    iso = week.isocalendar()
    period = f"{iso.year}-W{iso.week:02d}"
    records.enter_value(store, "tea", COORDINATOR, "public_sentiment", period, "45", clock, member="M2")
    records.enter_value(store, "tea", COORDINATOR, "public_sentiment", period, "50", clock, member="M1")  # amber, not red
    records.enter_value(store, "tea", COORDINATOR, "resource_idle_rate", period, "12", clock, member="M3")
    evaluation.evaluate(store, "tea", clock)
    [opened] = incidents.list_incidents(store, "tea", COORDINATOR, clock)
    assert opened.stored.members == ["M2"] and opened.kind.key == "supplier_risk"
    assert not any(f.rule.id == "resource-idle" for f in service.firing_now(store, "tea", COORDINATOR, clock))
