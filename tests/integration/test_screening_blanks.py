"""Screening members with blank metrics (issue 17): every blank reported, then the user's choice
(leave out the members, or the criteria) applied, saved with the run and covered by its digest."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from alliance.core.clock import FrozenClock
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.screening import service
from alliance.screening.blanks import BlankChoice, BlankMetrics
from alliance.screening.criteria import preset
from alliance.screening.report import SensitivitySettings
from alliance.screening.scoring import Method
from alliance.store.database import Store
from alliance.store.tables import screening_runs
from tests.support.factories import make_alliance, member_values

FULL = {"revenue": "1000000", "profit": "50000", "cash_flow": "80000", "debt_ratio": "0.4", "compliance_records": "1"}
SETTINGS = SensitivitySettings(draws=20)


@pytest.fixture
def alliance(store: Store, clock: FrozenClock) -> str:
    make_alliance(store, clock, code="nb")
    for n in (1, 2, 3):
        registry.add_member(store, "nb", member_values(n, **{**FULL, "revenue": str(1000000 * n)}), clock)
    registry.add_member(store, "nb", member_values(4, **{k: v for k, v in FULL.items() if k != "revenue"}), clock)
    registry.add_member(store, "nb", member_values(5, **{k: v for k, v in FULL.items() if k not in ("revenue", "profit")}),
                        clock)
    return "nb"


def test_blanks_are_reported_member_by_member_and_nothing_is_ranked(store: Store, alliance: str) -> None:
    with pytest.raises(BlankMetrics) as caught:
        service.member_screening(store, alliance, preset("financial"))
    assert caught.value.code == "blank_metrics" and caught.value.status == 422
    assert "2 member(s) have blank metrics (3 blank(s))" in caught.value.message
    assert [(p.where, p.field, p.reason) for p in caught.value.problems] == [
        ("测试企业4有限公司 (M0004)", "revenue", "is blank"), ("测试企业5有限公司 (M0005)", "revenue", "is blank"),
        ("测试企业5有限公司 (M0005)", "profit", "is blank")]
    with pytest.raises(BlankMetrics):
        service.member_candidates(store, alliance, preset("financial"))


def test_leaving_out_the_members_ranks_the_others_and_the_run_keeps_the_choice(store: Store, clock: FrozenClock,
                                                                              alliance: str) -> None:
    screening = service.member_screening(store, alliance, preset("financial"), BlankChoice.EXCLUDE_MEMBERS)
    assert [n[-6:-1] for n in screening.table.names] == ["M0001", "M0002", "M0003"]
    assert screening.spec.names == preset("financial").names
    run, report = service.run_screening(store, alliance, screening.spec, Method.WEIGHTED, screening.table, SETTINGS,
                                        "analyst", clock, blanks=screening.blanks)
    assert run.inputs["blanks"] == {
        "choice": "exclude-members",
        "blanks": [["测试企业4有限公司 (M0004)", "revenue"], ["测试企业5有限公司 (M0005)", "revenue"],
                   ["测试企业5有限公司 (M0005)", "profit"]],
        "excluded_members": ["测试企业4有限公司 (M0004)", "测试企业5有限公司 (M0005)"], "excluded_criteria": []}
    assert report["blanks"] == run.inputs["blanks"] and "2 member(s) with blank metrics were left out" in report["notes"][-1]
    assert run.inputs_sha256 == ledger.digest(run.inputs)
    _, again, same = service.recompute_run(store, alliance, run.id)
    assert same and again["blanks"] == run.inputs["blanks"]


def test_leaving_out_the_criteria_ranks_everyone_on_the_rest_reweighted(store: Store, clock: FrozenClock,
                                                                       alliance: str) -> None:
    screening = service.member_screening(store, alliance, preset("financial"), BlankChoice.EXCLUDE_CRITERIA)
    assert len(screening.table.names) == 5
    assert screening.spec.names == ["cash_flow", "debt_ratio", "compliance_records"]
    assert sum(screening.spec.weights) == pytest.approx(1.0)
    full = dict(zip(preset("financial").names, preset("financial").weights))
    kept = full["cash_flow"] + full["debt_ratio"] + full["compliance_records"]
    assert screening.spec.weights[0] == pytest.approx(full["cash_flow"] / kept)
    run, report = service.run_screening(store, alliance, screening.spec, Method.TOPSIS, screening.table, SETTINGS,
                                        "analyst", clock, blanks=screening.blanks)
    assert run.inputs["blanks"]["excluded_criteria"] == ["revenue", "profit"]
    assert set(report["criteria"]) == {"cash_flow", "debt_ratio", "compliance_records"}
    assert "criteria with blank metrics were left out: revenue, profit" in report["notes"][-1]
    _, _, same = service.recompute_run(store, alliance, run.id)
    assert same


def test_without_blanks_a_choice_changes_nothing_and_is_not_recorded(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock, code="full")
    for n in (1, 2):
        registry.add_member(store, "full", member_values(n, **FULL), clock)
    screening = service.member_screening(store, "full", preset("financial"), BlankChoice.EXCLUDE_CRITERIA)
    assert screening.blanks is None and screening.spec == preset("financial")
    run, _ = service.run_screening(store, "full", screening.spec, Method.WEIGHTED, screening.table, SETTINGS, "a", clock,
                                   blanks=screening.blanks)
    assert "blanks" not in run.inputs


def test_a_choice_that_leaves_nothing_to_rank_is_refused(store: Store, clock: FrozenClock) -> None:
    make_alliance(store, clock, code="empty")
    registry.add_member(store, "empty", member_values(1, **{k: v for k, v in FULL.items() if k != "revenue"}), clock)
    with pytest.raises(BlankMetrics, match="every member has a blank metric"):
        service.member_screening(store, "empty", preset("financial"), BlankChoice.EXCLUDE_MEMBERS)
    only_revenue = {"revenue": {"weight": 1.0, "scale": "raw"}}
    from alliance.screening.criteria import parse_spec

    with pytest.raises(BlankMetrics, match="every weighted criterion has a blank"):
        service.member_screening(store, "empty", parse_spec(only_revenue), BlankChoice.EXCLUDE_CRITERIA)


def test_an_edited_choice_in_a_saved_run_is_found_by_the_ledger(store: Store, clock: FrozenClock, alliance: str) -> None:
    screening = service.member_screening(store, alliance, preset("financial"), BlankChoice.EXCLUDE_MEMBERS)
    run, _ = service.run_screening(store, alliance, screening.spec, Method.WEIGHTED, screening.table, SETTINGS,
                                   "analyst", clock, blanks=screening.blanks)
    assert ledger.verify_store(store, alliance).ok
    with store.engine.begin() as c:
        inputs = c.execute(select(screening_runs.c.inputs).where(screening_runs.c.id == run.id)).scalar_one()
        inputs = json.loads(inputs) if isinstance(inputs, str) else inputs
        inputs["blanks"]["choice"] = "exclude-criteria"
        c.execute(update(screening_runs).where(screening_runs.c.id == run.id).values(inputs=inputs))
    report = ledger.verify_store(store, alliance)
    assert not report.ok and "screening run" in str(report.first_mismatch)
