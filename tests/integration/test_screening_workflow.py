"""Saved screening runs and the prospect pipeline (due diligence, pilot, decision) on both stores."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import update

from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceNotFound, Conflict, InvalidInput, NotFound
from alliance.screening import service
from alliance.screening.candidates import CandidateTable
from alliance.screening.criteria import preset
from alliance.screening.entities import Cadence, Decision
from alliance.screening.pipeline import Area, ItemStatus, KpiDirection, Source, Stage, StageRefused
from alliance.screening.report import SensitivitySettings
from alliance.screening.scoring import Method
from alliance.store.database import Store
from alliance.store.tables import screening_runs
from tests.support.factories import make_alliance

ARTICLE = CandidateTable(
    ["伙伴A", "伙伴B", "伙伴C"],
    np.asfortranarray(np.array([[8, 9, 7, 8, 6], [9, 7, 9, 9, 8], [7, 8, 6, 7, 9]], dtype=np.float64)),
)


@pytest.fixture
def alliance(store: Store, clock: FrozenClock) -> str:
    make_alliance(store, clock)
    make_alliance(store, clock, code="other")
    return "nb-precision"


def test_saved_run_keeps_inputs_and_recomputes_identically(store: Store, clock: FrozenClock, alliance: str) -> None:
    run, report = service.run_screening(store, alliance, preset("article"), Method.TOPSIS, ARTICLE,
                                        SensitivitySettings(draws=500, seed=7), "analyst", clock)
    assert run.candidate_count == 3 and run.method == "topsis" and run.actor == "analyst"
    assert run.created_at == clock.now()
    assert run.report == report
    assert run.inputs["candidates"]["names"] == ["伙伴A", "伙伴B", "伙伴C"]
    again, recomputed, same = service.recompute_run(store, alliance, run.id)
    assert same and recomputed == report
    assert [r.id for r in service.list_runs(store, alliance)] == [run.id]
    assert service.list_runs(store, "other") == []
    with pytest.raises(NotFound):
        service.get_run(store, "other", run.id)
    # The ledger (which every member reads) holds the ranking's digest, never who ranks where.
    from alliance.ledger import service as ledger

    [entry] = [e["entry"] for e in ledger.entries(store, alliance) if e["type"] == "screening.run_saved"]
    assert "伙伴" not in json.dumps(entry, ensure_ascii=False)
    order = [[row["name"], row["score"]] for row in report["ranking"]]
    assert len(entry["payload"]["ranking_sha256"]) == 64
    assert entry["payload"]["ranking_sha256"] == hashlib.sha256(json.dumps(
        {"ranking": order}, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def test_altered_inputs_are_detected(store: Store, clock: FrozenClock, alliance: str) -> None:
    run, _ = service.run_screening(store, alliance, preset("article"), Method.WEIGHTED, ARTICLE,
                                   SensitivitySettings(draws=100), "analyst", clock)
    tampered = {**run.inputs, "method": "topsis"}
    with store.engine.begin() as c:
        c.execute(update(screening_runs).where(screening_runs.c.id == run.id).values(inputs=tampered))
    with pytest.raises(Conflict, match="altered"):
        service.recompute_run(store, alliance, run.id)


def test_shortlist_then_due_diligence_gate_then_pilot_go(store: Store, clock: FrozenClock, alliance: str) -> None:
    run, _ = service.run_screening(store, alliance, preset("article"), Method.WEIGHTED, ARTICLE,
                                   SensitivitySettings(draws=100), "analyst", clock)
    added = service.shortlist(store, alliance, run.id, 2, "analyst", clock)
    assert [(p.name, p.stage, p.source) for p in added] == [
        ("伙伴B", Stage.SCREENED, Source.SCREENING), ("伙伴A", Stage.SCREENED, Source.SCREENING)]
    assert added[0].score == pytest.approx(8.4)
    assert service.shortlist(store, alliance, run.id, 2, "analyst", clock) == []  # already there
    b = added[0]

    with pytest.raises(StageRefused, match="starting its pilot"):
        service.move_prospect(store, alliance, b.id, Stage.PILOT, "coordinator", clock)
    service.move_prospect(store, alliance, b.id, Stage.DUE_DILIGENCE, "coordinator", clock, "looks strong")
    file = service.prospect_file(store, alliance, b.id)
    required = [i for i in file.checklist if i.required]
    assert {i.area for i in file.checklist} == set(Area) and required
    assert service.open_items(store, alliance) == len(file.checklist)  # only prospects in due diligence count

    with pytest.raises(StageRefused) as refused:
        service.start_pilot(store, alliance, b.id, "华东联合促销", date(2026, 12, 1), date(2027, 2, 28),
                            Cadence.BIWEEKLY, "coordinator", clock)
    assert len(refused.value.problems) == len(required)
    assert service.prospect_file(store, alliance, b.id).prospect.stage is Stage.DUE_DILIGENCE

    evidence = "审计报告 2025".encode()
    first = service.update_item(store, alliance, required[0].id, "auditor", clock, status=ItemStatus.DONE,
                                owner="张会计", evidence=("audit-2025.pdf", evidence))
    assert first.evidence_sha256 == hashlib.sha256(evidence).hexdigest() and first.owner == "张会计"
    assert service.evidence_of(store, alliance, required[0].id) == ("audit-2025.pdf", first.evidence_sha256, evidence)
    with pytest.raises(InvalidInput, match="waiver needs a reason"):
        service.update_item(store, alliance, required[1].id, "auditor", clock, status=ItemStatus.WAIVED)
    service.update_item(store, alliance, required[1].id, "auditor", clock, status=ItemStatus.WAIVED,
                        waiver_reason="上市公司，年报公开")
    assert service.open_items(store, alliance) == len(file.checklist) - 2  # one done, one waived
    for item in required[2:]:
        service.update_item(store, alliance, item.id, "auditor", clock, status=ItemStatus.DONE)

    pilot = service.start_pilot(store, alliance, b.id, "华东联合促销", date(2026, 12, 1), date(2027, 2, 28),
                                Cadence.MONTHLY, "coordinator", clock)
    cac = service.add_kpi(store, alliance, pilot.id, "获客成本", "元", KpiDirection.LOWER, Decimal("50"))
    conversion = service.add_kpi(store, alliance, pilot.id, "转化率", "%", KpiDirection.HIGHER, Decimal("3.5"))
    service.record_measurement(store, alliance, cac.id, date(2026, 12, 31), Decimal("62.5"), clock)
    service.record_measurement(store, alliance, cac.id, date(2027, 1, 31), Decimal("40"), clock)
    service.record_measurement(store, alliance, conversion.id, date(2027, 1, 31), Decimal("3.15"), clock)
    with pytest.raises(Conflict, match="already has a value"):
        service.record_measurement(store, alliance, cac.id, date(2027, 1, 31), Decimal("41"), clock)

    review = service.review_pilot(store, alliance, pilot.id)
    by_name = {k.name: k for k in review.kpis}
    assert by_name["获客成本"].attainment == Decimal("1.2500") and by_name["获客成本"].met
    assert by_name["转化率"].attainment == Decimal("0.9000") and not by_name["转化率"].met
    assert not review.all_met
    assert review.meetings == [date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)]
    assert [m.value for m in review.history["获客成本"]] == [Decimal("62.5"), Decimal("40")]

    decided = service.decide_pilot(store, alliance, pilot.id, Decision.GO, "转化率接近目标，整体可行", "committee", clock)
    assert decided.pilot.decision is Decision.GO and decided.pilot.decided_by == "committee"
    final = service.prospect_file(store, alliance, b.id)
    assert final.prospect.stage is Stage.PARTNER
    assert [(e.from_stage, e.to_stage) for e in final.events] == [
        (None, Stage.SCREENED), (Stage.SCREENED, Stage.DUE_DILIGENCE), (Stage.DUE_DILIGENCE, Stage.PILOT),
        (Stage.PILOT, Stage.PARTNER)]
    with pytest.raises(Conflict, match="already decided"):
        service.decide_pilot(store, alliance, pilot.id, Decision.NO_GO, "改主意", "committee", clock)


def test_a_pilot_without_kpis_is_decided_only_with_a_written_reason(store: Store, clock: FrozenClock,
                                                                    alliance: str) -> None:
    p = service.add_prospect(store, alliance, "宁波某模具", Source.TRADE_SHOW, "analyst", clock)
    service.move_prospect(store, alliance, p.id, Stage.DUE_DILIGENCE, "c", clock)
    for item in service.prospect_file(store, alliance, p.id).checklist:
        service.update_item(store, alliance, item.id, "c", clock, status=ItemStatus.DONE)
    pilot = service.start_pilot(store, alliance, p.id, "样件试制", date(2026, 12, 1), date(2026, 12, 31),
                                Cadence.WEEKLY, "c", clock)
    with pytest.raises(service.PilotWithoutKpis) as refused:
        service.decide_pilot(store, alliance, pilot.id, Decision.GO, "  ", "c", clock)
    assert refused.value.code == "pilot_without_kpis" and refused.value.problems[0].field == "note"
    unchanged = service.prospect_file(store, alliance, p.id)
    assert unchanged.prospect.stage is Stage.PILOT and unchanged.pilot is not None and unchanged.pilot.decision is None
    decided = service.decide_pilot(store, alliance, pilot.id, Decision.GO, "样件一次通过，客户已下单，无需再设指标", "c", clock)
    assert decided.pilot.decision is Decision.GO and decided.prospect.stage is Stage.PARTNER


def test_no_go_rejects_and_final_stages_stay_final(store: Store, clock: FrozenClock, alliance: str) -> None:
    p = service.add_prospect(store, alliance, "苏州某精密", Source.TRADE_SHOW, "analyst", clock)
    service.move_prospect(store, alliance, p.id, Stage.DUE_DILIGENCE, "c", clock)
    for item in service.prospect_file(store, alliance, p.id).checklist:
        service.update_item(store, alliance, item.id, "c", clock, status=ItemStatus.WAIVED, waiver_reason="试点规模小")
    pilot = service.start_pilot(store, alliance, p.id, "小批量试产", date(2026, 12, 1), date(2026, 12, 31),
                                Cadence.WEEKLY, "c", clock)
    with pytest.raises(InvalidInput, match="needs a note"):
        service.decide_pilot(store, alliance, pilot.id, Decision.NO_GO, "", "c", clock)
    service.decide_pilot(store, alliance, pilot.id, Decision.NO_GO, "良率不达标", "c", clock)
    assert service.prospect_file(store, alliance, p.id).prospect.stage is Stage.REJECTED
    with pytest.raises(StageRefused, match="final stage"):
        service.move_prospect(store, alliance, p.id, Stage.DUE_DILIGENCE, "c", clock)


def test_prospects_are_scoped_to_their_alliance(store: Store, clock: FrozenClock, alliance: str) -> None:
    p = service.add_prospect(store, alliance, "宁波某模具", Source.REFERRAL, "a", clock)
    with pytest.raises(service.ProspectNotFound):
        service.prospect_file(store, "other", p.id)
    with pytest.raises(service.ProspectNotFound):
        service.move_prospect(store, "other", p.id, Stage.REJECTED, "a", clock)
    item = service.prospect_file(store, alliance, p.id).checklist[0]
    with pytest.raises(NotFound):
        service.update_item(store, "other", item.id, "a", clock, status=ItemStatus.DONE)
    assert service.list_prospects(store, "other") == []
    with pytest.raises(AllianceNotFound):
        service.list_prospects(store, "missing")


def test_prospect_refusals(store: Store, clock: FrozenClock, alliance: str) -> None:
    service.add_prospect(store, alliance, "甲", Source.OTHER, "a", clock)
    with pytest.raises(Conflict):
        service.add_prospect(store, alliance, "甲", Source.OTHER, "a", clock)
    with pytest.raises(InvalidInput, match="credit code"):
        service.add_prospect(store, alliance, "乙", Source.OTHER, "a", clock, credit_code="123")
    with pytest.raises(InvalidInput):
        service.add_prospect(store, alliance, " ", Source.OTHER, "a", clock)
    assert [p.name for p in service.list_prospects(store, alliance)] == ["甲"]


def test_notes_with_control_characters_are_refused_and_nothing_is_saved(store: Store, clock: FrozenClock,
                                                                        alliance: str) -> None:
    # PostgreSQL refuses a NUL outright and SQLite would keep it: both refuse it here, before saving.
    p = service.add_prospect(store, alliance, "台州某注塑", Source.OTHER, "a", clock)
    with pytest.raises(InvalidInput, match="control characters"):
        service.move_prospect(store, alliance, p.id, Stage.DUE_DILIGENCE, "c", clock, note="见\x00附件")
    with pytest.raises(InvalidInput, match="longer than 2000"):
        service.move_prospect(store, alliance, p.id, Stage.DUE_DILIGENCE, "c", clock, note="长" * 2001)
    assert service.prospect_file(store, alliance, p.id).prospect.stage is Stage.SCREENED
    service.move_prospect(store, alliance, p.id, Stage.DUE_DILIGENCE, "c", clock, note="  第一行\n第二行  ")
    assert service.prospect_file(store, alliance, p.id).events[-1].note == "第一行\n第二行"
    for item in service.prospect_file(store, alliance, p.id).checklist:
        service.update_item(store, alliance, item.id, "c", clock, status=ItemStatus.WAIVED, waiver_reason="小批量")
    pilot = service.start_pilot(store, alliance, p.id, "试产", date(2026, 12, 1), date(2026, 12, 31), Cadence.WEEKLY,
                                "c", clock)
    kpi = service.add_kpi(store, alliance, pilot.id, "良率", "%", KpiDirection.HIGHER, Decimal("95"))
    with pytest.raises(InvalidInput, match="control characters"):
        service.record_measurement(store, alliance, kpi.id, date(2026, 12, 7), Decimal("96"), clock, note="\x00")
    with pytest.raises(InvalidInput, match="control characters"):
        service.decide_pilot(store, alliance, pilot.id, Decision.GO, "好\x1b[31m", "c", clock)
    review = service.review_pilot(store, alliance, pilot.id)
    assert review.history == {} or all(not values for values in review.history.values())
    assert review.pilot.decision is None and review.prospect.stage is Stage.PILOT
