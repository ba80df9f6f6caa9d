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
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
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


def _acts_for(viewer: Viewer, code: str) -> str | None:
    """The member this viewer's own account acts for here (None: it acts for no member)."""
    member = viewer.principal.member
    return member if member is not None and viewer.may(Action.ACT_FOR_MEMBER, code, member) else None


@router.get("/alliances/{code}/disputes", response_class=HTMLResponse)
async def dispute_list(request: Request, code: Code, store: StoreDep, clock: ClockDep,
                       viewer: PageViewer) -> HTMLResponse:
    def load() -> tuple[Any, list[disputes.DisputeView], Any]:
        return (registry.get_alliance(store, code), disputes.list_disputes(store, code, viewer.principal, clock),
                disputes.ladder_of(store, code))

    alliance, found, ladder = await run_in_threadpool(load)
    return render(request, "disputes/list.html", alliance=alliance, section="disputes", disputes=found,
                  ladder=ladder, may_open=_acts_for(viewer, code) is not None,
                  when=lambda moment: local_time(moment, alliance.timezone))


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
    return render(request, "disputes/new.html", alliance=alliance, section="disputes", claimant=_acts_for(viewer, code),
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
        with request.app.state.facts.using() as facts:
            return disputes.open_dispute(store, facts, code, claim, viewer.principal, clock)

    try:
        view = await run_in_threadpool(run)
    except InvalidInput as exc:
        alliance = await run_in_threadpool(registry.get_alliance, store, code)
        context = await run_in_threadpool(_form_context, store, code)
        return render(request, "disputes/new.html", status=422, alliance=alliance, section="disputes",
                      claimant=_acts_for(viewer, code), form=fields, problems=[exc.message], **context)
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
    report = json.loads(view.stored.report)
    mine = _acts_for(viewer, code)
    running = view.stored.status in ("open", "answered", "escalated")
    return render(request, "disputes/show.html", alliance=alliance, section="disputes", d=view, s=view.stored,
                  report=report, report_json=json.dumps(report, ensure_ascii=False, indent=2),
                  may_answer=running and mine in view.stored.respondents,
                  may_withdraw=running and mine == view.stored.claimant, respondent=mine,
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
