"""Disputes in the browser: the list with the escalation ladder, the form a member's admin opens a
dispute with (days, rule, amount, evidence files), and the dispute's page: the claim, where it stands
on the ladder and until when, the answer and withdrawal forms for the parties, and the neutral data
report as tables with a chart of the recomputed shares beside the settled ones.

Who sees what is decided by `governance.disputes` (its parties, the coordinator, auditors; anyone
else gets a 404 page); the forms are shown only to the accounts whose act they would be.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from alliance.access.policy import Action
from alliance.core.errors import AllianceError, InvalidInput
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, Id, StoreDep, opened_stores
from alliance.governance import disputes
from alliance.registry import service as registry
from alliance.sharing import service as sharing
from alliance.web import charts
from alliance.web.i18n import N_
from alliance.web.render import gettext_for, is_htmx, refused_page, render
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)


def local_time(moment: datetime | None, zone: str) -> str:
    """An instant in the alliance's time zone with its offset: "2026-12-22 10:00 +08:00"."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(zone))
    offset = f"{local:%z}"
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:5]}"


@router.get("/alliances/{code}/disputes", response_class=HTMLResponse)
async def dispute_list(request: Request, code: Code, store: StoreDep, clock: ClockDep,
                       viewer: PageViewer) -> HTMLResponse:
    def load() -> tuple[Any, list[disputes.DisputeView], Any]:
        return (registry.get_alliance(store, code), disputes.list_disputes(store, code, viewer.principal, clock),
                disputes.ladder_of(store, code))

    alliance, found, ladder = await run_in_threadpool(load)
    return await _list_page(request, store, code, viewer, alliance, found, ladder)


async def _list_page(request: Request, store: Any, code: str, viewer: Viewer, alliance: Any,
                     found: list[disputes.DisputeView], ladder: Any, *, status: int = 200,
                     ladder_form: dict[str, Any] | None = None, ladder_error: Any = None) -> HTMLResponse:
    bodies = await run_in_threadpool(_bodies, store, code, viewer)
    return render(request, "disputes/list.html", status=status, alliance=alliance, section="disputes", disputes=found,
                  ladder=ladder, may_open=viewer.own_member(code) is not None,
                  when=lambda moment: local_time(moment, alliance.timezone), bodies=bodies,
                  may_set_ladder=viewer.may(Action.MANAGE_ALLIANCE, code),
                  ladder_form=ladder_form or _ladder_rows(ladder), ladder_error=ladder_error)


def _bodies(store: Any, code: str, viewer: Viewer) -> dict[int, str]:
    """The alliance's bodies by id (the directory every role of the alliance reads), for the ladder."""
    from alliance.governance import service_meetings

    try:
        return {b.id: b.name for b in service_meetings.list_bodies(store, code, viewer.principal)}
    except AllianceError:
        return {}


LADDER_ROWS = 8  # the levels the form offers at most (the stored ones and empty rows to add)


def _ladder_rows(ladder: Any) -> dict[str, Any]:
    """The ladder as the form's values: each level's name, clock and body, then empty rows to add levels."""
    rows = [{"key": level.key, "name": level.name, "days": "" if level.days is None else str(level.days),
             "body": "" if level.body is None else str(level.body)} for level in ladder.levels]
    rows += [{"key": "", "name": "", "days": "", "body": ""} for _ in range(max(1, LADDER_ROWS - len(rows)))]
    return {"levels": rows, "response_days": str(ladder.response_days), "ruling_days": str(ladder.ruling_days)}


def _whole(text: str) -> int | str | None:
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdigit() else text  # anything else is named by the ladder's own check


@router.post("/alliances/{code}/disputes/ladder", response_class=HTMLResponse)
async def set_ladder(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    """The coordinator's ladder form: per level a name, a clock in days (empty on the last level) and the
    body that hears it; a row left without a name is left out. Refused: every problem above the form,
    nothing stored."""
    form = await request.form()
    rows = []
    for n in range(LADDER_ROWS + 10):
        name = str(form.get(f"level-{n}-name", ""))[:100].strip()
        if f"level-{n}-name" not in form:
            break
        rows.append({"key": str(form.get(f"level-{n}-key", ""))[:32].strip(), "name": name,
                     "days": str(form.get(f"level-{n}-days", ""))[:10], "body": str(form.get(f"level-{n}-body", ""))[:10]})
    kept = [r for r in rows if r["name"]]
    used = {r["key"] for r in kept if r["key"]}
    levels = []
    for n, r in enumerate(kept, start=1):
        key = r["key"] or next(k for k in (f"level_{i}" for i in range(n, n + 100)) if k not in used)
        used.add(key)
        levels.append({"key": key, "name": r["name"], "days": _whole(r["days"]), "body": r["body"] or None})
    data = {"levels": levels, "response_days": _whole(str(form.get("response_days", ""))[:10]) or 14,
            "ruling_days": _whole(str(form.get("ruling_days", ""))[:10]) or 90}
    try:
        await run_in_threadpool(disputes.set_ladder, store, code, data, viewer.principal, clock)
    except InvalidInput as exc:
        def load() -> tuple[Any, list[disputes.DisputeView], Any]:
            return (registry.get_alliance(store, code), disputes.list_disputes(store, code, viewer.principal, clock),
                    disputes.ladder_of(store, code))

        alliance, found, ladder = await run_in_threadpool(load)
        values = {"levels": rows + [{"key": "", "name": "", "days": "", "body": ""}],
                  "response_days": str(form.get("response_days", ""))[:10],
                  "ruling_days": str(form.get("ruling_days", ""))[:10]}
        return await _list_page(request, store, code, viewer, alliance, found, ladder, status=422,
                                ladder_form=values, ladder_error=exc.message)
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/disputes#ladder", status_code=303)


def _form_context(store: Any, code: str) -> dict[str, Any]:
    members = registry.list_members(store, code)
    agreements = sharing.list_agreements(store, code)
    rules = []
    for agreement_code, versions in agreements.items():
        for v in versions:
            from alliance.sharing.agreement import load_agreement_text

            for rule in load_agreement_text(v.document).rules:
                rules.append((f"{agreement_code}:{v.version}:{rule.id}", f"{agreement_code} v{v.version} / {rule.id}"))
    return {"members": [(m.code, f"{m.code} {m.legal_name}") for m in members], "rules": rules}


@router.get("/alliances/{code}/disputes/new", response_class=HTMLResponse)
async def new_form(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    alliance = await run_in_threadpool(registry.get_alliance, store, code)
    context = await run_in_threadpool(_form_context, store, code)
    return render(request, "disputes/new.html", alliance=alliance, section="disputes", claimant=viewer.own_member(code),
                  form={}, problems=[], **context)


def _days(text: str) -> list[date]:
    found = []
    for part in text.replace(",", " ").replace("，", " ").split():
        try:
            found.append(date.fromisoformat(part))
        except ValueError:
            raise InvalidInput(Message("days: {day!r} is not a date (YYYY-MM-DD)", day=part)) from None
    return found


@router.post("/alliances/{code}/disputes/new", response_class=HTMLResponse)
async def open_dispute(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    evidence = []
    for upload in form.getlist("evidence"):
        if isinstance(upload, UploadFile) and upload.filename:
            evidence.append((upload.filename, await upload.read(disputes.MAX_EVIDENCE_BYTES + 1)))
    agreement, _, rest = fields.get("rule", "").partition(":")
    version, _, rule = rest.partition(":")

    def run() -> disputes.DisputeView:
        claim = disputes.Claim(
            claimant=fields.get("claimant", ""), respondents=form.getlist("respondents"),  # type: ignore[arg-type]
            agreement=agreement, version=int(version) if version.isdigit() else 0, rule=rule,
            days=_days(fields.get("days", "")), amount=fields.get("amount", ""),
            statement=fields.get("statement", "")[:disputes.MAX_STATEMENT + 1], evidence=evidence)
        with opened_stores(request) as stores:
            return disputes.open_dispute(stores, code, claim, viewer.principal, clock)

    try:
        view = await run_in_threadpool(run)
    except InvalidInput as exc:
        alliance = await run_in_threadpool(registry.get_alliance, store, code)
        context = await run_in_threadpool(_form_context, store, code)
        return render(request, "disputes/new.html", status=422, alliance=alliance, section="disputes",
                      claimant=viewer.own_member(code), form=fields, problems=[exc.message], **context)
    except AllianceError as exc:
        if is_htmx(request):
            raise
        return refused_page(request, exc, N_("The dispute was not opened"))
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/disputes/{view.number}", status_code=303)


def _report_tables(report: dict[str, Any], gettext: Any) -> dict[str, Any]:
    """The report's recomputation rows and a chart of recomputed vs settled shares."""
    recomputed = report.get("recomputation")
    if not recomputed or not recomputed.get("members"):
        return {"recomputed": recomputed, "chart": None}
    rows = recomputed["members"]
    chosen = "banzhaf" if recomputed.get("method") == "banzhaf" else "shapley"
    chart = charts.bars([m["member"] for m in rows], {
        gettext("Recomputed by the agreed algorithm"): [Decimal(m[chosen]) if m[chosen] is not None else None
                                                        for m in rows],
        gettext("Paid by the daily settlements"): [Decimal(m["settled"]) for m in rows],
    }, unit=report.get("currency", ""), mark_zero=True)
    return {"recomputed": recomputed, "chart": chart}


@router.get("/alliances/{code}/disputes/{number}", response_class=HTMLResponse)
async def dispute_page(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                       viewer: PageViewer) -> HTMLResponse:
    def load() -> tuple[Any, disputes.DisputeView]:
        return registry.get_alliance(store, code), disputes.show(store, code, number, viewer.principal, clock)

    alliance, view = await run_in_threadpool(load)
    bodies = await run_in_threadpool(_bodies, store, code, viewer)
    report = json.loads(view.stored.report)
    mine = viewer.own_member(code)
    running = view.stored.status in ("open", "answered", "escalated")
    return render(request, "disputes/show.html", alliance=alliance, section="disputes", d=view, s=view.stored,
                  report=report, report_json=json.dumps(report, ensure_ascii=False, indent=2),
                  may_answer=running and mine in view.stored.respondents,
                  may_withdraw=running and mine == view.stored.claimant, respondent=mine, bodies=bodies,
                  when=lambda moment: local_time(moment, alliance.timezone),
                  **_report_tables(report, gettext_for(request)))


@router.get("/alliances/{code}/disputes/{number}/evidence/{sha256}")
async def evidence(code: Code, number: Id, sha256: str, store: StoreDep, clock: ClockDep,
                   viewer: PageViewer) -> Response:
    name, content = await run_in_threadpool(disputes.evidence_file, store, code, number, sha256.lower(),
                                             viewer.principal, clock)
    return Response(content, media_type="application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}"})


async def _act(request: Request, code: str, number: int, act: Any) -> Response:
    try:
        await run_in_threadpool(act)
    except AllianceError as exc:
        if is_htmx(request):
            raise
        return refused_page(request, exc, N_("The dispute was not changed"))
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/disputes/{number}", status_code=303)


@router.post("/alliances/{code}/disputes/{number}/answer", response_class=HTMLResponse)
async def answer(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                 viewer: PageViewer) -> Response:
    form = await request.form()
    text = str(form.get("answer", ""))[:disputes.MAX_STATEMENT + 1]
    respondent = str(form.get("respondent", ""))[:32]
    evidence = [(u.filename, await u.read(disputes.MAX_EVIDENCE_BYTES + 1)) for u in form.getlist("evidence")
                if isinstance(u, UploadFile) and u.filename]
    return await _act(request, code, number, lambda: disputes.answer(
        store, code, number, respondent, text, viewer.principal, clock, evidence=evidence))


@router.post("/alliances/{code}/disputes/{number}/withdraw", response_class=HTMLResponse)
async def withdraw(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                   viewer: PageViewer) -> Response:
    return await _act(request, code, number, lambda: disputes.withdraw(store, code, number, viewer.principal, clock))
