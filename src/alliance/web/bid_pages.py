"""Joint bids (联合投标) in the browser: the alliance's bids with their state and outcome and the form to
draft one; a bid's page with the request, the consortium table (role, scope, share, price, confirmation)
and its shares as a bar chart, the documents, the timeline, and a form for each step the viewer may take
(the lead: members, submit, outcome, the project agreement; each member: confirm, documents).

The rules are `alliance.operations.bids`'; these pages read the form, say every refusal in the page's
language (nothing stored), and show the terms only where the service says the viewer may see them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from alliance.access.policy import Action, Forbidden
from alliance.core.clock import local_today
from alliance.core.errors import Conflict, InvalidInput, Problem
from alliance.core.messages import Message
from alliance.core.money import Money
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.operations.bids import service
from alliance.operations.bids.documents import MAX_BYTES
from alliance.operations.bids.model import OUTCOMES, BidInvalid, Request as BidRequest, Role, State
from alliance.registry import service as registry
from alliance.sharing import attorneys
from alliance.store.database import Store
from alliance.web import charts
from alliance.web.forms import FormView, PostedForm
from alliance.web.i18n import N_
from alliance.web.render import gettext_for, render, say_for
from alliance.web.resource_pages import field_errors
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)

STATE_LABELS = {State.DRAFT: N_("Draft"), State.SUBMITTED: N_("Submitted"), State.WON: N_("Won"),
                State.LOST: N_("Lost"), State.WITHDRAWN: N_("Withdrawn")}
ROLE_LABELS = {Role.LEAD: N_("Lead"), Role.PARTNER: N_("Partner"), Role.SUBCONTRACTOR: N_("Subcontractor")}
STEP_LABELS = {"created": N_("Bid drafted"), "request": N_("Request changed"), "part": N_("Member's part set"),
               "removed": N_("Member removed"), "confirmed": N_("Part confirmed"), "document": N_("Document added"),
               "submitted": N_("Bid submitted"), "won": N_("Won"), "lost": N_("Lost"), "withdrawn": N_("Withdrawn"),
               "agreement": N_("Project agreement proposed")}
SAVED = {"created": N_("The bid was drafted."), "part": N_("The consortium was changed; every member confirms again."),
         "removed": N_("The member was removed; every member confirms again."),
         "confirmed": N_("Your part was confirmed."), "document": N_("The document was added."),
         "submitted": N_("The bid was submitted; it can no longer change."),
         "outcome": N_("The outcome was recorded."),
         "agreement": N_("The project agreement was proposed; each party signs it on the agreements page.")}
NOT_VALID = N_("Nothing was saved: correct the fields marked below.")


def _labels() -> dict[str, Any]:
    return {"state_labels": STATE_LABELS, "role_labels": ROLE_LABELS, "step_labels": STEP_LABELS}


def _refusal(request: Request, exc: Exception) -> tuple[int, dict[str, str], list[str]]:
    say = say_for(request)
    if isinstance(exc, InvalidInput):
        found, _ = field_errors(say, exc)
        return 422, found, [say(exc.message), *(say(p.text()) for p in exc.problems)]
    status = 409 if isinstance(exc, Conflict) else 403
    return status, {}, [say(exc.message)]  # type: ignore[attr-defined]


# -- the list ---------------------------------------------------------------------------------------------------

def _list_page(request: Request, store: Store, viewer: Viewer, code: str, clock: Any, *, status: int = 200,
               form: FormView | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    found = service.bids(store, code, viewer.principal)
    own = viewer.principal.member
    # whom it drafts for: its own member, and the members whose `operate` power of attorney it holds
    operated = attorneys.operated_members(store, viewer.principal, code, clock)
    leads = viewer.step_members(Action.BID, code, [m.code for m in registry.list_members(store, code)],
                                operated=operated) if operated else []
    may_draft = (own is not None and viewer.may(Action.BID, code, own)) or bool(leads)
    lead_options = [(m, m) for m in leads] if leads and leads != [own] else []
    return render(request, "bids/list.html", status=status, alliance=alliance, section="bids", bids=found,
                  may_draft=may_draft, lead_options=lead_options,
                  form=form or FormView({"currency": alliance.currency, "lead_member": own or "",
                                         "due_on": local_today(clock, alliance.timezone).isoformat()}), **_labels())


@router.get("/alliances/{code}/bids", response_class=HTMLResponse)
def bids_page(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> HTMLResponse:
    """The alliance's bids with their state and outcome; a member admin drafts one its member leads."""
    return _list_page(request, store, viewer, code, clock)


@router.post("/alliances/{code}/bids", response_class=HTMLResponse)
async def create_post(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    posted = await PostedForm.read(request)
    values = {k: posted.values.get(k, "") for k in ("customer", "title", "reference", "due_on", "currency", "offered",
                                                    "scope", "share", "lead_member")}
    due = posted.day("due_on")
    currency = values["currency"].strip().upper()
    _ = gettext_for(request)

    def work() -> Response:
        errors = {k: _(msgid) % params if params else _(msgid) for k, (msgid, params) in posted.errors.items()}
        try:
            offered = Money.parse(values["offered"], currency).minor
        except InvalidInput as exc:
            errors["offered"] = say_for(request)(exc.message)
            offered = 0
        if errors or due is None:
            return _list_page(request, store, viewer, code, clock, status=422,
                              form=FormView(values, errors, [_(NOT_VALID)]))
        try:
            made = service.create(store, code, viewer.principal, BidRequest(
                values["customer"], values["title"], values["reference"], due, currency, offered), clock,
                lead_scope=values["scope"], lead_share=values["share"],
                as_member=values["lead_member"].strip()[:32] or None)  # a member whose `operate` power it holds
        except (InvalidInput, Conflict, Forbidden) as exc:
            status, found, lines = _refusal(request, exc)
            return _list_page(request, store, viewer, code, clock, status=status, form=FormView(values, found, lines))
        return RedirectResponse(f"/alliances/{code}/bids/{made.number}?saved=created", status_code=303)

    return await run_in_threadpool(work)


# -- one bid ------------------------------------------------------------------------------------------------------

def _bid_page(request: Request, store: Store, viewer: Viewer, code: str, number: int, *, status: int = 200,
              refused: list[str] | None = None, form: FormView | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    seen = service.bid(store, code, viewer.principal, number)
    b = seen.bid
    split = b.price_split() if seen.sees_terms else {}
    option = charts.bars([p.member for p in b.parts], {"%": [p.share * 100 for p in b.parts]}, unit="%") \
        if seen.sees_terms and b.parts else None
    members = registry.list_members(store, code)
    return render(request, "bids/bid.html", status=status, alliance=alliance, section="bids", seen=seen, b=b,
                  split=split, option=option, refused=refused or [], form=form or FormView(),
                  acting_for=seen.member if viewer.principal.member is None else None,
                  member_options=[(m.code, f"{m.legal_name} ({m.code})") for m in members if m.code != b.lead_member],
                  role_options=[(r.value, r.value) for r in (Role.PARTNER, Role.SUBCONTRACTOR)],
                  outcome_options=[(s.value, s.value) for s in (State.WON, State.LOST, State.WITHDRAWN)],
                  max_mib=MAX_BYTES // (1024 * 1024), saved=SAVED.get(request.query_params.get("saved", "")),
                  **_labels())


@router.get("/alliances/{code}/bids/{number}", response_class=HTMLResponse)
def bid_page(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """One bid: the request, the consortium table and chart, documents, timeline and the viewer's steps."""
    return _bid_page(request, store, viewer, code, number)


def _acting(store: Store, code: str, viewer: Viewer, number: int, shown: str = "") -> str | None:
    """The member an account held for no member (the coordinator) acts for in this bid: the one the page
    showed the step for (`shown`, the form's `as_member`: a power changed since must not turn the click into
    another member's step), else one whose `operate` power of attorney it holds (service.viewed chooses it,
    the lead first); a member's account: its own (None). The service checks the power."""
    if viewer.principal.member is not None:
        return None
    return shown or service.bid(store, code, viewer.principal, number).member


async def _shown(request: Request) -> str:
    """The member the bid page showed its step for (the forms' hidden `as_member`), or ""."""
    return str((await request.form()).get("as_member", "") or "").strip()[:32]


async def _act(request: Request, store: Store, viewer: Viewer, code: str, number: int, saved: str, values: dict[str, str],
               do: Any) -> Response:
    def work() -> Response:
        try:
            do()
        except (InvalidInput, Conflict, Forbidden) as exc:
            status, found, lines = _refusal(request, exc)
            return _bid_page(request, store, viewer, code, number, status=status, refused=lines,
                             form=FormView(values, found))
        return RedirectResponse(f"/alliances/{code}/bids/{number}?saved={saved}", status_code=303)

    return await run_in_threadpool(work)


@router.post("/alliances/{code}/bids/{number}/members", response_class=HTMLResponse)
async def member_post(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    shown = await _shown(request)
    posted = await PostedForm.read(request)
    values = {k: posted.values.get(k, "") for k in ("member", "role", "scope", "share")}
    role = Role(values["role"]) if values["role"] in (Role.PARTNER.value, Role.SUBCONTRACTOR.value) else Role.PARTNER
    return await _act(request, store, viewer, code, number, "part", values, lambda: service.set_part(
        store, code, viewer.principal, number, values["member"].strip(), role, values["scope"], values["share"], clock,
        as_member=_acting(store, code, viewer, number, shown)))


@router.post("/alliances/{code}/bids/{number}/members/{partner}/remove", response_class=HTMLResponse)
async def remove_post(request: Request, code: Code, number: Id, partner: str, store: StoreDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    shown = await _shown(request)
    return await _act(request, store, viewer, code, number, "removed", {}, lambda: service.remove_part(
        store, code, viewer.principal, number, partner, clock, as_member=_acting(store, code, viewer, number, shown)))


@router.post("/alliances/{code}/bids/{number}/confirm", response_class=HTMLResponse)
async def confirm_post(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                       viewer: PageViewer) -> Response:
    shown = await _shown(request)
    return await _act(request, store, viewer, code, number, "confirmed", {}, lambda: service.confirm(
        store, code, viewer.principal, number, clock, as_member=_acting(store, code, viewer, number, shown)))


@router.post("/alliances/{code}/bids/{number}/documents", response_class=HTMLResponse)
async def document_post(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                        viewer: PageViewer) -> Response:
    shown = await _shown(request)
    form = await request.form()
    upload = form.get("file")
    name, content = "", b""
    if isinstance(upload, UploadFile) and upload.filename:
        # The kind is checked from the name and the content; browsers' declared types vary (zip, jpg).
        name, content = upload.filename, await upload.read(MAX_BYTES + 1)

    def add() -> None:
        if not name:
            raise BidInvalid(Message("the document was not stored"), [Problem("document", "file", Message(
                "choose a file"))])
        service.add_document(store, code, viewer.principal, number, name, content, clock,
                             as_member=_acting(store, code, viewer, number, shown))

    return await _act(request, store, viewer, code, number, "document", {}, add)


@router.get("/alliances/{code}/bids/{number}/documents/{sha256}")
def document_get(code: Code, number: Id, sha256: str, store: StoreDep, viewer: PageViewer) -> Response:
    document, content = service.document(store, code, viewer.principal, number, sha256.lower())
    return Response(content, media_type=document.content_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.name, safe='')}"})


@router.post("/alliances/{code}/bids/{number}/submit", response_class=HTMLResponse)
async def submit_post(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    shown = await _shown(request)
    return await _act(request, store, viewer, code, number, "submitted", {}, lambda: service.submit(
        store, code, viewer.principal, number, clock, as_member=_acting(store, code, viewer, number, shown)))


@router.post("/alliances/{code}/bids/{number}/outcome", response_class=HTMLResponse)
async def outcome_post(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                       viewer: PageViewer) -> Response:
    shown = await _shown(request)
    posted = await PostedForm.read(request)
    values = {k: posted.values.get(k, "") for k in ("outcome", "awarded", "reason")}

    def record() -> None:
        outcome = next((s for s in OUTCOMES if s.value == values["outcome"]), None)
        if outcome is None:
            raise BidInvalid(Message("the outcome is not valid"), [Problem("outcome", "outcome", Message(
                "the outcome is won, lost or withdrawn"))])
        awarded = None
        if outcome is State.WON:
            current = service.bid(store, code, viewer.principal, number).bid
            try:
                awarded = Money.parse(values["awarded"], current.request.currency).minor
            except InvalidInput as exc:
                raise BidInvalid(Message("the outcome is not valid"), [Problem("outcome", "awarded",
                                                                                exc.message)]) from None
        service.record_outcome(store, code, viewer.principal, number, outcome, clock, awarded_minor=awarded,
                               reason=values["reason"], as_member=_acting(store, code, viewer, number, shown))

    return await _act(request, store, viewer, code, number, "outcome", values, record)


@router.post("/alliances/{code}/bids/{number}/agreement", response_class=HTMLResponse)
async def agreement_post(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                         viewer: PageViewer) -> Response:
    shown = await _shown(request)
    posted = await PostedForm.read(request)
    values = {k: posted.values.get(k, "") for k in ("agreement_code", "effective_from", "channel", "in_alliance")}
    start = posted.day("effective_from") if values["effective_from"].strip() else None

    def propose() -> None:
        if posted.errors:
            raise BidInvalid(Message("the agreement is not valid"), [Problem("agreement", "effective_from", Message(
                "enter a date as YYYY-MM-DD"))])
        service.create_agreement(store, code, viewer.principal, number, clock,
                                 code=values["agreement_code"].strip() or None, effective_from=start,
                                 channel=values["channel"].strip() or None,
                                 in_alliance=values["in_alliance"].strip() or None,
                                 as_member=_acting(store, code, viewer, number, shown))

    return await _act(request, store, viewer, code, number, "agreement", values, propose)
