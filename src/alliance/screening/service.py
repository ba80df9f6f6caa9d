"""Screening use cases that touch the store: saved runs, prospects, due diligence and pilots.

Each function opens one unit of work, looks everything up within the given alliance (an id from
another alliance is simply not found), applies the pure rules of `pipeline`, and commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.ledger.coverage import text_digest
from alliance.core.clock import Clock
from alliance.core.decimals import check_decimal
from alliance.core.paging import Page
from alliance.core.text import check_text
from alliance.core.errors import Conflict, InvalidInput, NotFound, Problem
from alliance.core.messages import Message
from alliance.registry import service as registry
from alliance.registry.lifecycle import Write
from alliance.registry.service import require_writable
from alliance.registry.model import Alliance
from alliance.screening.blanks import BlankChoice, BlankOutcome
from alliance.screening.candidates import CandidateTable, MemberScreening, screen_members
from alliance.screening.criteria import CriteriaSpec, parse_spec
from alliance.screening.entities import (
    Cadence,
    DdItem,
    Decision,
    Kpi,
    Measurement,
    Pilot,
    Prospect,
    SavedRun,
    StageEvent,
)
from alliance.screening.pipeline import (
    DEFAULT_CHECKLIST,
    SETTLED,
    Area,
    ChecklistItem,
    ItemStatus,
    KpiDirection,
    KpiResult,
    Source,
    Stage,
    StageRefused,
    check_item_update,
    check_transition,
    kpi_result,
    meeting_dates,
)
from alliance.screening.report import SensitivitySettings, screening_report
from alliance.screening.scoring import Method, rank
from alliance.store.database import Store, on_duplicate
from alliance.store.unit_of_work import UnitOfWork

# A saved run keeps every input (so it can be recomputed) but only the top of its report.
REPORT_ROWS_KEPT = 1000
MAX_SAVED_CANDIDATES = 200_000
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
MAX_PILOT_DAYS = 3 * 365  # a pilot is a small project, not an open-ended programme
TEXT_LIMIT = 100  # owners, actors, signers: the column length
NOTE_LIMIT = 2000  # notes on a move, a measurement, a decision (as the API declares)


class PilotWithoutKpis(InvalidInput):
    """A go / no-go on a pilot with no KPI to judge it by needs the reason written down."""

    code = "pilot_without_kpis"

    def __init__(self, pilot_id: int) -> None:
        super().__init__(Message("pilot {pilot_id} has no KPI: add one, or give the reason for deciding without any",
                                 pilot_id=pilot_id),
                         [Problem(Message("pilot {pilot_id}", pilot_id=pilot_id), "note", Message("required when the pilot has no KPI"))])
        self.pilot_id = pilot_id


class ProspectNotFound(NotFound):
    code = "prospect_not_found"
    title = Message("Prospect not found")


def member_candidates(store: Store, alliance_code: str, spec: CriteriaSpec) -> CandidateTable:
    """The alliance's current members as candidates, valued by their stored profile metrics
    (BlankMetrics if any is blank: `member_screening` takes the user's choice)."""
    return member_screening(store, alliance_code, spec).table


def member_screening(store: Store, alliance_code: str, spec: CriteriaSpec,
                     blanks: BlankChoice | None = None) -> MemberScreening:
    """The alliance's current members as candidates; blank metrics are reported (BlankMetrics), or
    their members or criteria left out as `blanks` chooses (see `screening.blanks`)."""
    return screen_members(spec, registry.list_members(store, alliance_code), blanks)



# -- saved runs ------------------------------------------------------------------------------------

def _inputs(spec: CriteriaSpec, method: Method, table: CandidateTable, settings: SensitivitySettings,
            blanks: BlankOutcome | None = None) -> dict[str, Any]:
    inputs = {
        "criteria": spec.to_mapping(),
        "notes": list(spec.notes),
        "method": method.value,
        "candidates": {"names": list(table.names), "values": table.values.tolist()},
        "sensitivity": {"draws": settings.draws, "spread": settings.spread, "seed": settings.seed},
    }
    if blanks is not None:
        # The user's choice on blank metrics and what it left out: in the inputs, so in their digest
        # (and the ledger's record of it). Runs without blanks keep the shape they always had.
        inputs["blanks"] = blanks.record()
    return inputs


def ranked_report(spec: CriteriaSpec, table: CandidateTable, method: Method, settings: SensitivitySettings,
                  limit: int | None = None) -> dict[str, Any]:
    """Rank and report: the pure computation, run within the computing budget (core.budget)."""
    return screening_report(rank(spec, table, method), settings, limit=limit)


def budgeted_report(spec: CriteriaSpec, table: CandidateTable, method: Method, settings: SensitivitySettings,
                    limit: int | None = None) -> dict[str, Any]:
    """`ranked_report` in a child process with the memory and time budget (503 past it)."""
    from alliance.core import budget

    return budget.run(ranked_report, spec, table, method, settings, limit)


def run_screening(
    store: Store, alliance_code: str, spec: CriteriaSpec, method: Method, table: CandidateTable,
    settings: SensitivitySettings, actor: str, clock: Clock, blanks: BlankOutcome | None = None,
) -> tuple[SavedRun, dict[str, Any]]:
    """Rank, save the run with all its inputs under the alliance, and return it with the full report.

    `blanks`: what the user chose to leave out for blank member metrics (`member_screening`)."""
    if len(table.names) > MAX_SAVED_CANDIDATES:
        raise InvalidInput(
            Message("{count} candidates is more than a saved run keeps ({limit}); screen without "
                    "saving, or shortlist first", count=len(table.names), limit=MAX_SAVED_CANDIDATES)
        )
    report = budgeted_report(spec, table, method, settings)
    if blanks is not None:
        report["blanks"] = blanks.record()
    inputs = _inputs(spec, method, table, settings, blanks)
    kept = {**report, "ranking": report["ranking"][:REPORT_ROWS_KEPT]}
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        run_id = uow.screening.add_run(
            alliance.id, created_at=clock.now(), actor=actor, method=method.value,
            candidate_count=len(table.names), inputs_sha256=ledger.digest(inputs), inputs=inputs, report=kept,
        )
        # The ranking's digest, not its names: every member may read the ledger, and a run over the
        # members' own figures must not tell them who ranks first (the run itself stays the coordinator's).
        order = [[row["name"], row["score"]] for row in report["ranking"]]
        ledger.record(uow, alliance.id, alliance.code, events.SCREENING_RUN, actor, clock.now(), {
            "run": run_id, "method": method.value, "candidates": len(table.names), "inputs_sha256": ledger.digest(inputs),
            "ranking_sha256": ledger.digest({"ranking": order})})
        uow.commit()
        saved = uow.screening.run(alliance.id, run_id)
    assert saved is not None
    return saved, report


def list_runs(store: Store, alliance_code: str) -> list[SavedRun]:
    with store.unit_of_work() as uow:
        return uow.screening.runs(uow.alliances.require(alliance_code).id)


def page_runs(store: Store, alliance_code: str, *, limit: int, offset: int, newest_first: bool = False) -> Page[SavedRun]:
    """One page of the saved runs, oldest first (or newest first), and how many there are."""
    with store.unit_of_work() as uow:
        alliance_id = uow.alliances.require(alliance_code).id
        items = uow.screening.runs(alliance_id, limit=limit, offset=offset, newest_first=newest_first)
        return Page(items, uow.screening.count_runs(alliance_id), limit, offset)


def get_run(store: Store, alliance_code: str, run_id: int) -> SavedRun:
    with store.unit_of_work() as uow:
        run = uow.screening.run(uow.alliances.require(alliance_code).id, run_id)
    if run is None:
        raise NotFound(Message("alliance {alliance_code!r} has no screening run {run_id}",
                               alliance_code=alliance_code, run_id=run_id))
    return run


def recompute_run(store: Store, alliance_code: str, run_id: int) -> tuple[SavedRun, dict[str, Any], bool]:
    """Recompute a saved run from its stored inputs; the flag says whether the result is identical."""
    run = get_run(store, alliance_code, run_id)
    if ledger.digest(run.inputs) != run.inputs_sha256:
        raise Conflict(Message("screening run {run_id}'s stored inputs do not match their SHA-256; they were "
                               "altered", run_id=run_id))
    spec = parse_spec(run.inputs["criteria"])
    candidates = run.inputs["candidates"]
    values = np.asfortranarray(np.array(candidates["values"], dtype=np.float64).reshape(len(candidates["names"]), -1))
    table = CandidateTable(list(candidates["names"]), values)
    settings = SensitivitySettings(**run.inputs["sensitivity"])
    report = budgeted_report(spec, table, Method(run.inputs["method"]), settings)
    report["notes"] = run.inputs.get("notes", [])
    if "blanks" in run.inputs:
        report["blanks"] = run.inputs["blanks"]
    same = {**report, "ranking": report["ranking"][:REPORT_ROWS_KEPT]} == run.report
    return run, report, same


# -- prospects -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ProspectFile:
    prospect: Prospect
    checklist: list[DdItem]
    events: list[StageEvent]
    pilot: Pilot | None


def _checklist_rows(prospect_id: int, actor: str, clock: Clock) -> list[dict[str, Any]]:
    now = clock.now()
    return [
        {"prospect_id": prospect_id, "area": area.value, "title": title, "required": required, "owner": "",
         "status": ItemStatus.OPEN.value, "waiver_reason": "", "due_on": None, "evidence_name": None,
         "evidence_sha256": None, "updated_at": now, "updated_by": actor}
        for area, title, required in DEFAULT_CHECKLIST
    ]


def _new_prospect(uow: UnitOfWork, alliance: Alliance, name: str, source: Source, credit_code: str | None,
                  actor: str, clock: Clock, run_id: int | None = None, score: float | None = None,
                  note: str = "") -> int:
    now = clock.now()
    prospect_id = uow.screening.add_prospect(
        alliance.id, name=name, credit_code=credit_code, source=source.value, stage=Stage.SCREENED.value,
        screening_run_id=run_id, score=score, created_at=now, updated_at=now,
    )
    uow.screening.add_event(alliance.id, prospect_id, None, Stage.SCREENED, actor, now, note)
    uow.screening.add_items(alliance.id, _checklist_rows(prospect_id, actor, clock))
    return prospect_id


def add_prospect(store: Store, alliance_code: str, name: str, source: Source, actor: str, clock: Clock,
                 credit_code: str | None = None, *, note: str = "", score: float | None = None,
                 then: Callable[[UnitOfWork, Alliance, int], None] | None = None) -> Prospect:
    """Record a candidate partner at the `screened` stage, with the default due-diligence checklist
    (`note` on its first event: why it came, e.g. the matching's explanation; `score` as it scored).
    `then(uow, alliance, prospect_id)` runs in the same transaction before it commits (what the caller
    links to the new prospect is stored with it, or nothing is)."""
    require_writable(store, alliance_code, Write.SCREENING)  # not once the alliance is dissolved
    name = check_text(name, Message("a prospect's name"), 200)
    if credit_code:
        from alliance.registry.credit_code import InvalidCreditCode, normalise_credit_code

        try:
            credit_code = normalise_credit_code(credit_code)
        except InvalidCreditCode as exc:
            raise InvalidInput(Message("credit code {credit_code!r} is not valid: {reason}",
                                       credit_code=credit_code, reason=exc.reason)) from None
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        if name in uow.screening.prospect_names(alliance.id):
            raise Conflict(Message("{name!r} is already a prospect of {alliance_code!r}",
                                   name=name, alliance_code=alliance_code))
        with on_duplicate(Conflict(Message("{name!r} is already a prospect of {alliance_code!r}",
                                           name=name, alliance_code=alliance_code))):
            prospect_id = _new_prospect(uow, alliance, name, source, credit_code or None, actor, clock,
                                        score=score, note=note[:2000])
        if then is not None:
            then(uow, alliance, prospect_id)
        uow.commit()
        found = uow.screening.prospect(alliance.id, prospect_id)
    assert found is not None
    return found


def shortlist(store: Store, alliance_code: str, run_id: int, top: int, actor: str, clock: Clock) -> list[Prospect]:
    """Add the best `top` candidates of a saved run as prospects (those already there are skipped)."""
    require_writable(store, alliance_code, Write.SCREENING)  # not once the alliance is dissolved
    if top < 1:
        raise InvalidInput(Message("the number of candidates to shortlist (top) must be at least 1"))
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        run = uow.screening.run(alliance.id, run_id)
        if run is None:
            raise NotFound(Message("alliance {alliance_code!r} has no screening run {run_id}",
                                   alliance_code=alliance_code, run_id=run_id))
        existing = uow.screening.prospect_names(alliance.id)
        added = [
            _new_prospect(uow, alliance, row["name"], Source.SCREENING, None, actor, clock, run.id, row["score"])
            for row in run.report["ranking"][:top]
            if row["name"] not in existing
        ]
        uow.commit()
        return [p for p in uow.screening.prospects(alliance.id) if p.id in set(added)]


def list_prospects(store: Store, alliance_code: str, stage: Stage | None = None) -> list[Prospect]:
    with store.unit_of_work() as uow:
        return uow.screening.prospects(uow.alliances.require(alliance_code).id, stage)


def page_prospects(store: Store, alliance_code: str, stage: Stage | None = None, *, limit: int,
                   offset: int) -> Page[Prospect]:
    """One page of the prospects (of one stage, if given), in the order they were added."""
    with store.unit_of_work() as uow:
        alliance_id = uow.alliances.require(alliance_code).id
        items = uow.screening.prospects(alliance_id, stage, limit=limit, offset=offset)
        return Page(items, uow.screening.count_prospects(alliance_id, stage), limit, offset)


def open_items(store: Store, alliance_code: str) -> int:
    """Due-diligence items still to settle (neither done nor waived) of prospects in due diligence."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        unsettled = [s.value for s in ItemStatus if s not in SETTLED]
        return uow.screening.count_items(alliance.id, Stage.DUE_DILIGENCE, unsettled)


def _prospect(uow: UnitOfWork, alliance: Alliance, prospect_id: int, *, for_update: bool = False) -> Prospect:
    found = uow.screening.prospect(alliance.id, prospect_id, for_update=for_update)
    if found is None:
        raise ProspectNotFound(Message("alliance {code!r} has no prospect {prospect_id}",
                                       code=alliance.code, prospect_id=prospect_id))
    return found


def prospect_file(store: Store, alliance_code: str, prospect_id: int) -> ProspectFile:
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        prospect = _prospect(uow, alliance, prospect_id)
        return ProspectFile(
            prospect, uow.screening.items(alliance.id, prospect_id), uow.screening.events(alliance.id, prospect_id),
            uow.screening.pilot_of(alliance.id, prospect_id),
        )


def _checklist(items: Sequence[DdItem]) -> list[ChecklistItem]:
    return [ChecklistItem(i.area, i.title, i.required, i.status, i.waiver_reason) for i in items]


def _move(uow: UnitOfWork, alliance: Alliance, prospect: Prospect, target: Stage, actor: str, clock: Clock,
          note: str, *, via_review: bool = False) -> None:
    check_transition(prospect.stage, target, _checklist(uow.screening.items(alliance.id, prospect.id)),
                     via_review=via_review)
    now = clock.now()
    uow.screening.set_stage(alliance.id, prospect.id, target, now)
    uow.screening.add_event(alliance.id, prospect.id, prospect.stage, target, actor, now, note)


def move_prospect(store: Store, alliance_code: str, prospect_id: int, target: Stage, actor: str, clock: Clock,
                  note: str = "") -> Prospect:
    """Move a prospect to due_diligence or rejected (the pilot and partner stages have their own steps)."""
    require_writable(store, alliance_code, Write.SCREENING)  # not once the alliance is dissolved
    if target is Stage.PILOT:
        raise StageRefused(Message("a prospect enters the pilot stage by starting its pilot (name, dates, cadence)"))
    note = check_text(note, Message("a note"), NOTE_LIMIT, required=False, multiline=True)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        prospect = _prospect(uow, alliance, prospect_id, for_update=True)
        _move(uow, alliance, prospect, target, actor, clock, note)
        uow.commit()
        return _prospect(uow, alliance, prospect_id)


# -- due diligence ---------------------------------------------------------------------------------

def add_item(store: Store, alliance_code: str, prospect_id: int, area: Area, title: str, required: bool,
             actor: str, clock: Clock, owner: str = "", due_on: date | None = None) -> DdItem:
    require_writable(store, alliance_code, Write.SCREENING)  # not once the alliance is dissolved
    title = check_text(title, Message("a checklist item's title"), 200)
    owner = check_text(owner, Message("an owner's name"), TEXT_LIMIT, required=False)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        _prospect(uow, alliance, prospect_id)
        item_id = uow.screening.add_item(
            alliance.id, prospect_id=prospect_id, area=area.value, title=title.strip(), required=required,
            owner=owner, status=ItemStatus.OPEN.value, waiver_reason="", due_on=due_on, evidence_name=None,
            evidence_sha256=None, updated_at=clock.now(), updated_by=actor,
        )
        uow.commit()
        item = uow.screening.item(alliance.id, item_id)
    assert item is not None
    return item


def update_item(
    store: Store, alliance_code: str, item_id: int, actor: str, clock: Clock, *,
    status: ItemStatus | None = None, waiver_reason: str | None = None, owner: str | None = None,
    due_on: date | None = None, evidence: tuple[str, bytes] | None = None,
) -> DdItem:
    """Change an item's status, owner, due date or evidence; a waiver needs a reason.

    Evidence is stored once per alliance by its SHA-256 and the item records the file's name and hash.
    """
    require_writable(store, alliance_code, Write.SCREENING)  # not once the alliance is dissolved
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        item = uow.screening.item(alliance.id, item_id)
        if item is None:
            raise NotFound(Message("alliance {alliance_code!r} has no due-diligence item {item_id}",
                                   alliance_code=alliance_code, item_id=item_id))
        new_status = status or item.status
        reason = waiver_reason if waiver_reason is not None else (item.waiver_reason if new_status is ItemStatus.WAIVED else "")
        check_item_update(new_status, reason)
        if owner is not None:
            owner = check_text(owner, Message("an owner's name"), TEXT_LIMIT, required=False)
        if waiver_reason is not None:
            reason = check_text(reason, Message("a waiver reason"), 2000, required=False, multiline=True)
        values: dict[str, Any] = {"status": new_status.value, "waiver_reason": reason,
                                  "updated_at": clock.now(), "updated_by": actor}
        if owner is not None:
            values["owner"] = owner
        if due_on is not None:
            values["due_on"] = due_on
        if evidence is not None:
            name, content = evidence
            if len(content) > MAX_EVIDENCE_BYTES:
                raise InvalidInput(Message("evidence file {name!r} is {size} bytes; the limit is {limit}",
                                           name=name, size=len(content), limit=MAX_EVIDENCE_BYTES))
            digest = hashlib.sha256(content).hexdigest()
            uow.screening.store_evidence(alliance.id, digest, content)
            values.update(evidence_name=name[:255], evidence_sha256=digest)
        uow.screening.update_item(alliance.id, item_id, **values)
        uow.commit()
        updated = uow.screening.item(alliance.id, item_id)
    assert updated is not None
    return updated


def evidence_of(store: Store, alliance_code: str, item_id: int) -> tuple[str, str, bytes]:
    """(file name, SHA-256, content) of an item's evidence."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        item = uow.screening.item(alliance.id, item_id)
        if item is None or item.evidence_sha256 is None or item.evidence_name is None:
            raise NotFound(Message("due-diligence item {item_id} of {alliance_code!r} has no evidence",
                                   item_id=item_id, alliance_code=alliance_code))
        content = uow.screening.evidence(alliance.id, item.evidence_sha256)
    assert content is not None
    return item.evidence_name, item.evidence_sha256, content


# -- pilots ----------------------------------------------------------------------------------------

def start_pilot(store: Store, alliance_code: str, prospect_id: int, name: str, starts_on: date, ends_on: date,
                cadence: Cadence, actor: str, clock: Clock) -> Pilot:
    """Move the prospect into the pilot stage (due-diligence gate applies) and open its pilot."""
    require_writable(store, alliance_code, Write.SCREENING)  # not once the alliance is dissolved
    name = check_text(name, Message("a pilot's name"), 200)
    wrong: Problem | None = None
    if ends_on < starts_on:
        wrong = Problem("pilot", "ends_on", Message("{ends_on} is before the start {starts_on}",
                                                    ends_on=ends_on, starts_on=starts_on))
    elif (ends_on - starts_on).days > MAX_PILOT_DAYS:
        wrong = Problem("pilot", "ends_on", Message("a pilot runs at most {years} years",
                                                    years=MAX_PILOT_DAYS // 365))
    if wrong is not None:
        raise InvalidInput(Message("{field} {reason}", field=wrong.field, reason=wrong.reason), [wrong])
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        prospect = _prospect(uow, alliance, prospect_id, for_update=True)
        _move(uow, alliance, prospect, Stage.PILOT, actor, clock, f"pilot {name.strip()}")
        pilot_id = uow.screening.add_pilot(
            alliance.id, prospect_id=prospect_id, name=name.strip(), starts_on=starts_on, ends_on=ends_on,
            cadence=cadence.value, decision=None, decision_note="", decided_by=None, decided_at=None,
        )
        uow.commit()
        pilot = uow.screening.pilot(alliance.id, pilot_id)
    assert pilot is not None
    return pilot


def _pilot(uow: UnitOfWork, alliance: Alliance, pilot_id: int) -> Pilot:
    found = uow.screening.pilot(alliance.id, pilot_id)
    if found is None:
        raise NotFound(Message("alliance {code!r} has no pilot {pilot_id}", code=alliance.code, pilot_id=pilot_id))
    return found


def add_kpi(store: Store, alliance_code: str, pilot_id: int, name: str, unit: str, direction: KpiDirection,
            target: Decimal) -> Kpi:
    require_writable(store, alliance_code, Write.SCREENING)  # not once the alliance is dissolved
    name = check_text(name, Message("a KPI's name"), 100)
    unit = check_text(unit, Message("a KPI's unit"), 32, required=False)
    check_decimal(target, Message("target"))
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        pilot = _pilot(uow, alliance, pilot_id)
        if pilot.decision is not None:
            raise Conflict(Message("pilot {pilot_id} was already decided ({decision})",
                                   pilot_id=pilot_id, decision=pilot.decision.value))
        if any(k.name == name.strip() for k in uow.screening.kpis(alliance.id, pilot_id)):
            raise Conflict(Message("pilot {pilot_id} already has a KPI named {name!r}",
                                   pilot_id=pilot_id, name=name.strip()))
        kpi_id = uow.screening.add_kpi(alliance.id, pilot_id=pilot_id, name=name.strip(), unit=unit,
                                       direction=direction.value, target=target)
        uow.commit()
        kpi = uow.screening.kpi(alliance.id, kpi_id)
    assert kpi is not None
    return kpi


def record_measurement(store: Store, alliance_code: str, kpi_id: int, measured_on: date, value: Decimal,
                       clock: Clock, note: str = "") -> Measurement:
    require_writable(store, alliance_code, Write.SCREENING)  # not once the alliance is dissolved
    check_decimal(value, Message("value"))
    note = check_text(note, Message("a note"), NOTE_LIMIT, required=False, multiline=True)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        kpi = uow.screening.kpi(alliance.id, kpi_id)
        if kpi is None:
            raise NotFound(Message("alliance {alliance_code!r} has no KPI {kpi_id}",
                                   alliance_code=alliance_code, kpi_id=kpi_id))
        if any(m.measured_on == measured_on for m in uow.screening.measurements(alliance.id, [kpi_id])):
            raise Conflict(Message("KPI {name!r} already has a value for {measured_on}",
                                   name=kpi.name, measured_on=measured_on))
        uow.screening.add_measurement(alliance.id, kpi_id, measured_on, value, note, clock.now())
        uow.commit()
    return Measurement(kpi_id, measured_on, value, note)


@dataclass(frozen=True, slots=True)
class PilotReview:
    pilot: Pilot
    prospect: Prospect
    kpis: list[KpiResult]
    history: dict[str, list[Measurement]]
    meetings: list[date]

    @property
    def all_met(self) -> bool:
        return bool(self.kpis) and all(k.met for k in self.kpis)


def pilot_kpis(store: Store, alliance_code: str, pilot_id: int) -> list[Kpi]:
    """A pilot's KPIs with their ids (to record a measurement against one)."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        return uow.screening.kpis(alliance.id, _pilot(uow, alliance, pilot_id).id)


def review_pilot(store: Store, alliance_code: str, pilot_id: int) -> PilotReview:
    """Attainment per KPI from its latest value, the measurement history and the meeting calendar."""
    with store.unit_of_work() as uow:
        return _review(uow, uow.alliances.require(alliance_code), pilot_id)


def _review(uow: UnitOfWork, alliance: Alliance, pilot_id: int) -> PilotReview:
    pilot = _pilot(uow, alliance, pilot_id)
    prospect = _prospect(uow, alliance, pilot.prospect_id)
    kpis = uow.screening.kpis(alliance.id, pilot_id)
    measurements = uow.screening.measurements(alliance.id, [k.id for k in kpis])
    history: dict[str, list[Measurement]] = {k.name: [m for m in measurements if m.kpi_id == k.id] for k in kpis}
    results = [
        kpi_result(k.name, k.unit, k.direction, k.target,
                   (history[k.name][-1].measured_on, history[k.name][-1].value) if history[k.name] else None)
        for k in kpis
    ]
    return PilotReview(pilot, prospect, results, history, meeting_dates(pilot.starts_on, pilot.ends_on, pilot.cadence.value))


def decide_pilot(store: Store, alliance_code: str, pilot_id: int, decision: Decision, note: str, actor: str,
                 clock: Clock) -> PilotReview:
    """Record the go / no-go decision; go makes the prospect a partner, no-go rejects it."""
    note = check_text(note, Message("a note"), NOTE_LIMIT, required=False, multiline=True)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        pilot = _pilot(uow, alliance, pilot_id)
        if pilot.decision is not None:
            raise Conflict(Message("pilot {pilot_id} was already decided: {decision}",
                                   pilot_id=pilot_id, decision=pilot.decision.value))
        if not note.strip() and decision is Decision.NO_GO:
            raise InvalidInput(Message("a no-go decision needs a note saying why"))
        # A go / no-go is a judgement on measured KPIs; without any, only a written reason stands in.
        if not note.strip() and not uow.screening.kpis(alliance.id, pilot_id):
            raise PilotWithoutKpis(pilot_id)
        prospect = _prospect(uow, alliance, pilot.prospect_id, for_update=True)
        uow.screening.decide(alliance.id, pilot_id, decision, note, actor, clock.now())
        target = Stage.PARTNER if decision is Decision.GO else Stage.REJECTED
        _move(uow, alliance, prospect, target, actor, clock, f"pilot {decision.value}: {note}".strip(), via_review=True)
        review = _review(uow, alliance, pilot_id)  # built before the commit: a failure here saves nothing
        # Every member reads the ledger; the prospect's name and the go / no-go note are the
        # coordinator's: the entry keeps the prospect's id and the note's digest.
        ledger.record(uow, alliance.id, alliance.code, events.PILOT_DECIDED, actor, clock.now(), {
            "pilot": pilot_id, "prospect": prospect.id, "decision": decision.value,
            "note_sha256": text_digest(note)})
        uow.commit()
    return review
