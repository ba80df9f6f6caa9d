"""Order lines, settlement runs, statements and the journal over HTTP."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import Field

from alliance.api.schemas import Body, Day, SettlementOut, StatementOut
from alliance.edge.deps import ActorDep, ClockDep, Code, PrincipalDep, StoreDep, StoresDep
from alliance.edge.problems import PROBLEM_JSON, problem_in_language
from alliance.api.statement_reads import ClosedDayStatements
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.language import accepted_locale, say
from alliance.registry import service as registry
from alliance.settlement import service
from alliance.settlement import service_corrections
from alliance.settlement.journal import beancount, to_csv
from alliance.settlement.unshared import NO_AGREEMENT_IN_FORCE, UnsharedDay
from alliance.settlement.facts import IngestReport

router = APIRouter(tags=["settlement"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((404, "not found"), (409, "conflict"), (413, "too large"), (422, "invalid input"))
}
FORMATS = {"text/csv": "csv", "application/x-ndjson": "jsonl", "application/jsonl": "jsonl",
           "application/vnd.apache.parquet": "parquet", "application/x-parquet": "parquet",
           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx"}


def _report(r: IngestReport, locale: str) -> dict[str, Any]:
    """An import's report; each rejected line's reason said in `locale` (when it is a Message)."""
    return {
        "inserted": r.inserted, "duplicates": r.duplicates, "rejected_count": r.rejected_count,
        "conflict_count": r.conflict_count, "kept": r.kept,
        "rejected": [{"row": x.row, "line_id": x.line_id, "reason": say(x.reason, locale)} for x in r.rejected],
        # Amounts as money, "376.00 CNY" (the fact store shows them so: alliance.store.facts.intake_sql.as_shown).
        "conflicts": [{"line_id": c.line_id, "stored": c.stored, "incoming": c.incoming} for c in r.conflicts],
    }


@router.post("/alliances/{code}/order-lines", responses=ERRORS,
             openapi_extra={"requestBody": {"content": {t: {} for t in FORMATS}, "required": True}})
async def import_lines(
    code: Code, request: Request, stores: StoresDep, clock: ClockDep, actor: ActorDep,
    all_or_nothing: bool = True,
) -> JSONResponse:
    """Bulk import: the body is CSV, XLSX, JSON Lines or Parquet (by Content-Type). With bad lines and
    `all_or_nothing` (default) nothing is stored and the answer is a 422 listing them."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = FORMATS.get(content_type)
    if fmt is None:
        raise InvalidInput(Message("Content-Type must be one of {formats}", formats=', '.join(FORMATS)))
    # Bounded by the one body limit (ALLIANCE_MAX_BODY_MB, edge.guards.BodyLimit) before it is read.
    body = await request.body()
    registry.get_alliance(stores.records, code)  # an unknown alliance is a 404 before the body is stored

    def run() -> IngestReport:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload.{fmt}"
            path.write_bytes(body)
            return service.import_order_lines(stores, code, path, fmt, clock, all_or_nothing=all_or_nothing,
                                              shown_as=Message("the uploaded {format} file", format=fmt),
                                              actor=actor)

    report = await run_in_threadpool(run)
    locale = accepted_locale(request.headers.get("accept-language"))
    if not report.kept:
        return _problem(request, 422, "order_lines_rejected", Message("Order lines rejected"),
                        Message("nothing was imported: some lines are bad or conflict with stored ones"),
                        **_report(report, locale))
    response = JSONResponse(_report(report, locale))
    response.headers["Content-Language"] = locale.replace("_", "-")
    response.headers["Vary"] = "Accept-Language"
    return response


def _problem(request: Request, status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    """A problem answer of this router's own, said in the language Accept-Language asks for (as
    edge.problems says a domain error)."""
    return problem_in_language(request.headers.get("accept-language"), status, code, title, detail, **extra)


class SettleIn(Body):
    day: Day | None = None
    allow_unshared: bool = Field(
        default=False, description="Confirm that a day with order lines but no agreement in force closes with "
        "nothing shared; without it such a day is refused (409 `day_unshared`) and stays open.")


@router.post("/alliances/{code}/settlements", status_code=201, responses={**ERRORS, 201: {"model": SettlementOut}})
def settle(request: Request, code: Code, actor: ActorDep, body: SettleIn, stores: StoresDep,
           clock: ClockDep) -> JSONResponse:
    """Settle and close a business day (default yesterday in the alliance's time zone).

    A day with order lines but no agreement in force would close for good with nothing shared: it is
    refused with 409 `day_unshared` (saying how many lines) unless the body has `allow_unshared: true`."""
    try:
        result = service.settle(stores, code, body.day, actor, clock, allow_unshared=body.allow_unshared)
    except UnsharedDay as exc:
        asked = UnsharedDay(exc.alliance, exc.day, exc.lines, Message('send "allow_unshared": true'))
        return _problem(request, exc.status, exc.code, exc.title, asked.message, day=exc.day.isoformat(),
                        lines=exc.lines, reason=NO_AGREEMENT_IN_FORCE)
    return JSONResponse({
        "day": result.day.isoformat(), "lines": result.lines, "late_lines": result.late_lines,
        "agreements": result.agreements, "net": {k: v.amount_text() for k, v in result.net.items()},
        "departed_parties": [{"agreement": d.agreement_code, "version": d.version, "member": d.member_code,
                              "left_on": d.left_on.isoformat()} for d in result.departed],
        "unshared_reason": result.unshared_reason,
        "corrections": [{"id": c, "correction_of": named} for c, named in result.corrections],
    }, status_code=201)


@router.get("/alliances/{code}/statements/{member}", responses=ERRORS, response_model=StatementOut)
async def statement(request: Request, code: Code, member: Code, store: StoreDep, day: Day) -> Response:
    # On the event loop: a cached answer costs nothing, and the first read is two indexed reads
    # (well under a millisecond), less than a thread hop; this is the read members' systems make most.
    cache: ClosedDayStatements = request.app.state.closed_day_statements
    body = cache.get((code, member, day))
    if body is None:
        document = service.statement_document(code, member, service.statement(store, code, member, day))
        body = StatementOut.model_validate(document).model_dump_json().encode()
        cache.put((code, member, day), body)
    return Response(body, media_type="application/json")


@router.get("/alliances/{code}/journal", responses=ERRORS, response_class=Response)
def journal(code: Code, store: StoreDep, first: Annotated[Day, Query(alias="from")],
            last: Annotated[Day, Query(alias="to")], format: str = "beancount") -> Response:  # noqa: A002
    if format not in ("beancount", "csv"):
        raise InvalidInput(Message("format must be beancount or csv, not {format!r}", format=format))
    currency, entries = service.journal(store, code, first, last)
    if format == "csv":
        return Response(to_csv(entries), media_type="text/csv; charset=utf-8")
    return Response(beancount(code, currency, entries), media_type="text/plain; charset=utf-8")


class MetricIn(Body):
    period: str
    metric: str
    member: str
    value: str


class MetricsIn(Body):
    values: list[MetricIn]


@router.post("/alliances/{code}/metrics", status_code=201, responses=ERRORS)
def record_metrics(code: Code, body: MetricsIn, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    """Record period metrics (values as decimal strings); every row or none, never rewritten."""
    if len(body.values) > 100_000:
        raise InvalidInput(Message("at most 100,000 values per request"))
    rows = [[v.period, v.metric, v.member, v.value] for v in body.values]
    count = service.record_metrics(store, code, ["period", "metric", "member", "value"], rows, clock, header_row=0)
    return {"recorded": count}


@router.get("/alliances/{code}/agreements/{agreement}/rules/{rule}/contribution-report", responses=ERRORS,
            response_class=Response)
def contribution_report(code: Code, agreement: Code, rule: Code, stores: StoresDep,
                        first: Annotated[Day, Query(alias="from")], last: Annotated[Day, Query(alias="to")],
                        format: str = "json") -> Response:  # noqa: A002
    """A contribution rule's split over a period, recomputed from recorded data and explained per
    member (JSON, Markdown or HTML); every member's values, so for the coordinator and auditors."""
    from alliance.settlement.disputes import contribution_report as report_of

    if format not in ("json", "markdown", "html"):
        raise InvalidInput(Message("format must be json, markdown or html, not {format!r}", format=format))
    report = report_of(stores, code, agreement, rule, first, last)
    if format == "markdown":
        return Response(report.markdown(), media_type="text/markdown; charset=utf-8")
    if format == "html":
        return Response(report.html(), media_type="text/html; charset=utf-8")
    return JSONResponse(report.as_json())


@router.get("/alliances/{code}/corrections", responses=ERRORS)
def corrections(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """Rulings' corrections, pending and booked (with the day they were booked on), in the order they
    were scheduled. The coordinator, auditors and the platform admin see all of them; a member's
    keys only those its member pays or receives in, with only those transfers."""
    return {"corrections": [c.as_json() for c in service_corrections.list_corrections(store, code, principal)]}
