"""Screening over HTTP: AHP, saved screening runs, prospects, due diligence, pilots.

Every write is recorded with the actor the request's API key stands for.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from alliance.api.schemas import Body, Day
from alliance.edge.deps import ActorDep, ClockDep, Code, Id, Limit, Offset, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.api.uploads import read_capped
from alliance.core.decimals import parse_decimal
from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.screening import service
from alliance.screening.ahp import ahp_weights
from alliance.screening.blanks import BlankChoice
from alliance.screening.candidates import CandidateTable, table_from_records
from alliance.screening.criteria import parse_spec, preset
from alliance.screening.entities import Cadence, DdItem, Decision, Pilot, Prospect
from alliance.screening.pipeline import Area, ItemStatus, KpiDirection, Source, Stage
from alliance.screening.report import SensitivitySettings
from alliance.screening.scoring import Method

router = APIRouter(tags=["screening"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((404, "not found"), (409, "conflict"), (422, "invalid input"))
}


class AhpIn(Body):
    criteria: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(min_length=2, max_length=15)
    matrix: list[list[Annotated[Decimal, Field(gt=0, lt=1_000_000)]]] = Field(max_length=15)
    force: bool = False


@router.post("/ahp", responses=ERRORS)
def ahp(body: AhpIn) -> dict[str, Any]:
    """Weights from a pairwise comparison matrix, with the consistency ratio (Saaty)."""
    from alliance.screening.ahp import parse_matrix

    n = len(body.criteria)
    if len(body.matrix) != n or any(len(row) != n for row in body.matrix):
        raise InvalidInput(Message("the matrix must be {size} x {size}, one row and one column per criterion", size=n))
    header = ["", *body.criteria]
    rows = [[name, *(str(v) for v in row)] for name, row in zip(body.criteria, body.matrix, strict=True)]
    names, matrix = parse_matrix(header, rows)
    result = ahp_weights(names, matrix, force=body.force)
    return {"weights": result.weights, "consistency_ratio": result.consistency_ratio,
            "consistent": result.consistent, "consistency_index": result.consistency_index,
            "random_index": result.random_index, "lambda_max": result.lambda_max}


class CandidateIn(Body):
    name: str = Field(min_length=1, max_length=200)
    values: dict[str, float | str] = Field(max_length=100)


class ScreeningIn(Body):
    criteria: dict[str, Any] | str = Field(description="A spec mapping, or the name of a ready-made set.")
    method: Method = Method.WEIGHTED
    normalize: bool = False
    candidates: list[CandidateIn] | None = Field(default=None, max_length=service.MAX_SAVED_CANDIDATES,
                                                  description="Omit to screen the alliance's members.")
    draws: int = Field(default=2000, ge=1, le=100_000)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    top: int | None = Field(default=None, ge=1)
    blanks: BlankChoice | None = Field(
        default=None, description="Screening the members, what to leave out for a blank metric: the members with one "
                                  "(exclude-members) or the criteria with one (exclude-criteria). Without it, blanks "
                                  "are a 422 (blank_metrics) listing each member and criterion.")


def _run_summary(run: Any) -> dict[str, Any]:
    ranking = run.report["ranking"]
    return {"id": run.id, "created_at": run.created_at.isoformat(), "actor": run.actor, "method": run.method,
            "candidates": run.candidate_count, "inputs_sha256": run.inputs_sha256,
            "leader": ranking[0]["name"] if ranking else None}


@router.post("/alliances/{code}/screenings", status_code=status.HTTP_201_CREATED, responses=ERRORS)
def create_screening(code: Code, actor: ActorDep, body: ScreeningIn, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    """Rank candidates (given inline, or the alliance's members), save the run with its inputs."""
    spec = preset(body.criteria, normalize=body.normalize) if isinstance(body.criteria, str) else parse_spec(
        body.criteria, normalize=body.normalize)
    table: CandidateTable
    outcome = None
    if body.candidates is None:
        screening = service.member_screening(store, code, spec, body.blanks)
        spec, table, outcome = screening.spec, screening.table, screening.blanks
    elif body.blanks is not None:
        raise InvalidInput(Message("blanks applies to screening the alliance's members (omit candidates)"))
    else:
        table = table_from_records(spec, [(c.name, c.values) for c in body.candidates])
    run, report = service.run_screening(store, code, spec, body.method, table,
                                        SensitivitySettings(draws=body.draws, seed=body.seed), actor, clock,
                                        blanks=outcome)
    if body.top is not None:
        report = {**report, "ranking": report["ranking"][: body.top]}
    return {"run": _run_summary(run), **report}


@router.get("/alliances/{code}/screenings", responses=ERRORS)
def list_screenings(code: Code, store: StoreDep, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    """The saved runs, oldest first, a page at a time (`total`: how many in all)."""
    page = service.page_runs(store, code, limit=limit, offset=offset)
    return page.as_json([_run_summary(r) for r in page.items])


@router.get("/alliances/{code}/screenings/{run_id}", responses=ERRORS)
def get_screening(code: Code, run_id: Id, store: StoreDep, recompute: bool = False) -> dict[str, Any]:
    """A saved run; `?recompute=true` recomputes it from its stored inputs and says if it matches."""
    if recompute:
        run, report, same = service.recompute_run(store, code, run_id)
        return {"run": _run_summary(run), "identical": same, "inputs": run.inputs, **report}
    run = service.get_run(store, code, run_id)
    return {"run": _run_summary(run), "inputs": run.inputs, **run.report}


class ShortlistIn(Body):
    top: int = Field(ge=1, le=1000)


def _prospect(p: Prospect) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "credit_code": p.credit_code, "source": p.source.value,
            "stage": p.stage.value, "screening_run": p.screening_run_id, "score": p.score,
            "created_at": p.created_at.isoformat(), "updated_at": p.updated_at.isoformat()}


@router.post("/alliances/{code}/screenings/{run_id}/shortlist", status_code=201, responses=ERRORS)
def shortlist(code: Code, actor: ActorDep, run_id: Id, body: ShortlistIn, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    added = service.shortlist(store, code, run_id, body.top, actor, clock)
    return {"items": [_prospect(p) for p in added]}


class ProspectIn(Body):
    name: str = Field(min_length=1, max_length=200)
    source: Source = Source.OTHER
    credit_code: str | None = Field(default=None, max_length=40)


@router.post("/alliances/{code}/prospects", status_code=201, responses=ERRORS)
def add_prospect(code: Code, actor: ActorDep, body: ProspectIn, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    return _prospect(service.add_prospect(store, code, body.name, body.source, actor, clock, body.credit_code))


@router.get("/alliances/{code}/prospects", responses=ERRORS)
def list_prospects(code: Code, store: StoreDep, stage: Stage | None = None, limit: Limit = 100,
                   offset: Offset = 0) -> dict[str, Any]:
    """The prospects (of one stage, if given) in the order they were added, a page at a time."""
    page = service.page_prospects(store, code, stage, limit=limit, offset=offset)
    return page.as_json([_prospect(p) for p in page.items])


def _item(i: DdItem) -> dict[str, Any]:
    return {"id": i.id, "area": i.area.value, "title": i.title, "required": i.required, "owner": i.owner,
            "status": i.status.value, "waiver_reason": i.waiver_reason,
            "due_on": i.due_on.isoformat() if i.due_on else None,
            "evidence": None if i.evidence_sha256 is None else {"name": i.evidence_name, "sha256": i.evidence_sha256},
            "updated_at": i.updated_at.isoformat(), "updated_by": i.updated_by}


def _pilot(p: Pilot) -> dict[str, Any]:
    return {"id": p.id, "prospect": p.prospect_id, "name": p.name, "starts_on": p.starts_on.isoformat(),
            "ends_on": p.ends_on.isoformat(), "cadence": p.cadence.value,
            "decision": p.decision.value if p.decision else None, "decision_note": p.decision_note,
            "decided_by": p.decided_by, "decided_at": p.decided_at.isoformat() if p.decided_at else None}


@router.get("/alliances/{code}/prospects/{prospect_id}", responses=ERRORS)
def get_prospect(code: Code, prospect_id: Id, store: StoreDep) -> dict[str, Any]:
    f = service.prospect_file(store, code, prospect_id)
    return {
        **_prospect(f.prospect),
        "events": [{"from": e.from_stage.value if e.from_stage else None, "to": e.to_stage.value, "actor": e.actor,
                    "at": e.at.isoformat(), "note": e.note} for e in f.events],
        "checklist": [_item(i) for i in f.checklist],
        "pilot": _pilot(f.pilot) if f.pilot else None,
    }


class StageIn(Body):
    to: Stage
    note: str = Field(default="", max_length=2000)


@router.post("/alliances/{code}/prospects/{prospect_id}/stage", responses=ERRORS)
def move(code: Code, actor: ActorDep, prospect_id: Id, body: StageIn, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    return _prospect(service.move_prospect(store, code, prospect_id, body.to, actor, clock, body.note))


class ItemIn(Body):
    area: Area
    title: str = Field(min_length=1, max_length=200)
    required: bool = True
    owner: str = Field(default="", max_length=100)
    due_on: Day | None = None


@router.post("/alliances/{code}/prospects/{prospect_id}/checklist", status_code=201, responses=ERRORS)
def add_item(code: Code, actor: ActorDep, prospect_id: Id, body: ItemIn, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    return _item(service.add_item(store, code, prospect_id, body.area, body.title, body.required, actor, clock,
                                  body.owner, body.due_on))


class ItemPatch(Body):
    status: ItemStatus | None = None
    waiver_reason: str | None = Field(default=None, max_length=2000)
    owner: str | None = Field(default=None, max_length=100)
    due_on: Day | None = None


@router.patch("/alliances/{code}/dd-items/{item_id}", responses=ERRORS)
def update_item(code: Code, actor: ActorDep, item_id: Id, body: ItemPatch, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    return _item(service.update_item(store, code, item_id, actor, clock, status=body.status,
                                     waiver_reason=body.waiver_reason, owner=body.owner, due_on=body.due_on))


@router.put("/alliances/{code}/dd-items/{item_id}/evidence", responses=ERRORS,
            openapi_extra={"requestBody": {"content": {"application/octet-stream": {}}, "required": True}})
async def upload_evidence(code: Code, actor: ActorDep, item_id: Id, request: Request, store: StoreDep, clock: ClockDep,
                          filename: Annotated[str, Query(min_length=1, max_length=255)]) -> dict[str, Any]:
    """The request body is the file itself; it is stored once per alliance under its SHA-256."""
    content = await read_capped(request, service.MAX_EVIDENCE_BYTES, Message("an evidence file"))
    if not content:
        raise InvalidInput(Message("the evidence file is empty"), [Problem("body", "", Message("no bytes were sent"))])
    # The store is synchronous: keep it off the event loop so other requests are served meanwhile.
    item = await run_in_threadpool(service.update_item, store, code, item_id, actor, clock, evidence=(filename, content))
    return _item(item)


@router.get("/alliances/{code}/dd-items/{item_id}/evidence", responses=ERRORS, response_class=Response)
def download_evidence(code: Code, item_id: Id, store: StoreDep) -> Response:
    name, digest, content = service.evidence_of(store, code, item_id)
    from urllib.parse import quote

    return Response(content, media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
        "X-Content-SHA256": digest,
    })


class PilotIn(Body):
    name: str = Field(min_length=1, max_length=200)
    starts_on: Day
    ends_on: Day
    cadence: Cadence = Cadence.BIWEEKLY


@router.post("/alliances/{code}/prospects/{prospect_id}/pilot", status_code=201, responses=ERRORS)
def start_pilot(code: Code, actor: ActorDep, prospect_id: Id, body: PilotIn, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    return _pilot(service.start_pilot(store, code, prospect_id, body.name, body.starts_on, body.ends_on,
                                      body.cadence, actor, clock))


class KpiIn(Body):
    name: str = Field(min_length=1, max_length=100)
    unit: str = Field(default="", max_length=32)
    direction: KpiDirection = KpiDirection.HIGHER
    target: str = Field(max_length=64, description='A decimal as a string, e.g. "3.5": exact, never a float.')


@router.post("/alliances/{code}/pilots/{pilot_id}/kpis", status_code=201, responses=ERRORS)
def add_kpi(code: Code, pilot_id: Id, body: KpiIn, store: StoreDep) -> dict[str, Any]:
    target = parse_decimal(body.target, "target")
    k = service.add_kpi(store, code, pilot_id, body.name, body.unit, body.direction, target)
    return {"id": k.id, "pilot": k.pilot_id, "name": k.name, "unit": k.unit, "direction": k.direction.value,
            "target": str(k.target)}


class MeasurementIn(Body):
    measured_on: Day
    value: str = Field(max_length=64, description='A decimal as a string, e.g. "3.85".')
    note: str = Field(default="", max_length=2000)


@router.post("/alliances/{code}/kpis/{kpi_id}/measurements", status_code=201, responses=ERRORS)
def measure(code: Code, kpi_id: Id, body: MeasurementIn, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    value = parse_decimal(body.value, "value")
    m = service.record_measurement(store, code, kpi_id, body.measured_on, value, clock, body.note)
    return {"kpi": m.kpi_id, "measured_on": m.measured_on.isoformat(), "value": str(m.value), "note": m.note}


def _review(r: service.PilotReview) -> dict[str, Any]:
    return {
        "pilot": _pilot(r.pilot), "prospect": _prospect(r.prospect), "all_met": r.all_met,
        "meetings": [d.isoformat() for d in r.meetings],
        "kpis": [{"name": k.name, "unit": k.unit, "direction": k.direction.value, "target": str(k.target),
                  "actual": None if k.actual is None else str(k.actual),
                  "measured_on": k.measured_on.isoformat() if k.measured_on else None,
                  "attainment": None if k.attainment is None else str(k.attainment), "met": k.met,
                  "history": [{"measured_on": m.measured_on.isoformat(), "value": str(m.value)}
                              for m in r.history[k.name]]}
                 for k in r.kpis],
    }


@router.get("/alliances/{code}/pilots/{pilot_id}/review", responses=ERRORS)
def review(code: Code, pilot_id: Id, store: StoreDep) -> dict[str, Any]:
    return _review(service.review_pilot(store, code, pilot_id))


class DecisionIn(Body):
    decision: Decision
    note: str = Field(default="", max_length=2000)


@router.post("/alliances/{code}/pilots/{pilot_id}/decision", responses=ERRORS)
def decide(code: Code, actor: ActorDep, pilot_id: Id, body: DecisionIn, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    return _review(service.decide_pilot(store, code, pilot_id, body.decision, body.note, actor, clock))

