"""Lead referral (线索转介) in the browser: the referrals a viewer may see and the programme, the form to
refer a lead (with the lead's consent), a referral's page with the receiving member's and the
referrer's actions, its candidate orders and its commission line by line, and the leaderboard of a
month or quarter with a chart.

The rules are `alliance.operations.referrals`'; these pages read the form, name every wrong field
beside it (422, nothing stored), and show a lead's name and contact only where the service says the
viewer may see them (the two members and the coordinator).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.access.policy import Action
from alliance.core.clock import local_today
from alliance.core.errors import Conflict, InvalidInput
from alliance.edge.deps import ClockDep, Code, Id, StoreDep, opened_stores
from alliance.operations.referrals import leaderboard as board
from alliance.operations.referrals import service, service_orders
from alliance.operations.referrals.model import (NAME_LIMIT, PRODUCTS_LIMIT, REASON_LIMIT, Consent, ConsentHow,
                                                 Extension, LeadDraft, LeadKind, Programme, State)
from alliance.registry import service as registry
from alliance.sharing import attorneys
from alliance.store.database import Store
from alliance.web import charts
from alliance.web.forms import FILL_IN, FormView, PostedForm
from alliance.web.i18n import N_
from alliance.web.render import gettext_for, render, say_for
from alliance.web.resource_pages import field_errors
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)

STATE_LABELS = {State.SUBMITTED: N_("Submitted"), State.ACCEPTED: N_("Accepted"), State.REJECTED: N_("Rejected"),
                State.CONVERTED: N_("Converted"), State.LOST: N_("Lost")}
KIND_LABELS = {LeadKind.CUSTOMER: N_("Customer"), LeadKind.PARTNER: N_("Prospect partner")}
CONSENT_LABELS = {ConsentHow.WRITTEN: N_("Written"), ConsentHow.EMAIL: N_("E-mail"), ConsentHow.MESSAGE: N_("Message"),
                  ConsentHow.VERBAL: N_("Verbal"), ConsentHow.FORM: N_("Web form")}
EXTENSION_LABELS = {Extension.NONE: N_("None"), Extension.REQUESTED: N_("Requested"), Extension.GRANTED: N_("Granted"),
                    Extension.REFUSED: N_("Refused")}
SAVED = {"submitted": N_("The lead was referred."), "accepted": N_("The referral was accepted."),
         "rejected": N_("The referral was rejected."), "lost": N_("The referral was marked lost."),
         "extension": N_("The extension was asked."), "decided": N_("The extension was decided."),
         "orders": N_("The orders were linked."), "programme": N_("The referral programme was saved.")}
NOT_VALID = N_("Nothing was saved: correct the fields marked below.")
NOT_A_RATE = N_("Enter a share from 0 to 1, such as 0.05 for 5%.")
WHOLE_DAYS = N_("Enter a whole number of days.")


def _labels() -> dict[str, Any]:
    return {"state_labels": STATE_LABELS, "kind_labels": KIND_LABELS, "consent_labels": CONSENT_LABELS,
            "extension_labels": EXTENSION_LABELS}


# -- the list, the programme ----------------------------------------------------------------------------------

def _list_page(request: Request, store: Store, viewer: Viewer, code: str, *, status: int = 200,
               form: FormView | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    found = service.referrals(store, code, viewer.principal)
    programme = service.programme(store, code, viewer.principal)
    return render(request, "referrals/list.html", status=status, alliance=alliance, section="referrals",
                  referrals=found, programme=programme,
                  may_refer=viewer.acts_for_members(Action.REFER_LEADS, code,
                                                    operated=attorneys.operated_members(store, viewer.principal, code,
                                                                                        None)),
                  may_manage=viewer.may(Action.MANAGE_ALLIANCE, code),
                  form=form or FormView({k: str(v) for k, v in vars_of(programme).items()}),
                  saved=SAVED.get(request.query_params.get("saved", "")), **_labels())


def vars_of(p: Programme) -> dict[str, object]:
    return {"commission_rate": p.commission_rate, "hold_days": p.hold_days, "window_days": p.window_days,
            "max_extension_days": p.max_extension_days}


@router.get("/alliances/{code}/referrals", response_class=HTMLResponse)
def referrals_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """The referrals the viewer may see, the programme (the coordinator changes it)."""
    return _list_page(request, store, viewer, code)


@router.post("/alliances/{code}/referrals/programme", response_class=HTMLResponse)
async def programme_post(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    posted = await PostedForm.read(request)
    values = {k: posted.values.get(k, "").strip() for k in ("commission_rate", "hold_days", "window_days",
                                                          "max_extension_days")}
    _ = gettext_for(request)
    errors: dict[str, str] = {}
    try:
        rate = Decimal(values["commission_rate"])
    except InvalidOperation:
        errors["commission_rate"], rate = _(NOT_A_RATE), Decimal(0)
    days: dict[str, int] = {}
    for name in ("hold_days", "window_days", "max_extension_days"):
        text = values[name]
        if text.isascii() and text.isdigit() and len(text) < 6:
            days[name] = int(text)
        else:
            errors[name], days[name] = _(WHOLE_DAYS), 0

    def work() -> Response:
        if errors:
            return _list_page(request, store, viewer, code, status=422, form=FormView(values, errors, [_(NOT_VALID)]))
        try:
            service.set_programme(store, code, viewer.principal, Programme(rate, **days), clock)
        except InvalidInput as exc:
            found, lines = field_errors(say_for(request), exc)
            return _list_page(request, store, viewer, code, status=422, form=FormView(values, found, lines or [_(NOT_VALID)]))
        return RedirectResponse(f"/alliances/{code}/referrals?saved=programme#programme", status_code=303)

    return await run_in_threadpool(work)


# -- referring a lead ------------------------------------------------------------------------------------------

def _new_page(request: Request, store: Store, viewer: Viewer, code: str, clock: Any, *, status: int = 200,
              form: FormView | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    members = registry.list_members(store, code)
    own = viewer.principal.member
    today = local_today(clock, alliance.timezone).isoformat()
    # whom it refers for: its own member, and those whose `operate` power of attorney it holds
    operated = attorneys.operated_members(store, viewer.principal, code, clock)
    allowed = set(viewer.step_members(Action.REFER_LEADS, code, [m.code for m in members], operated=operated))
    return render(request, "referrals/new.html", status=status, alliance=alliance, section="referrals",
                  member_options=[(m.code, f"{m.legal_name} ({m.code})") for m in members if m.code != own],
                  from_options=[(m.code, f"{m.legal_name} ({m.code})") for m in members
                                if m.code in allowed] if own is None or allowed - {own} else [],
                  form=form or FormView({"kind": "customer", "consent_how": "written", "consent_at": today,
                                         "from_member": own or ""}),
                  limits={"name": NAME_LIMIT, "products": PRODUCTS_LIMIT}, **_labels())


@router.get("/alliances/{code}/referrals/new", response_class=HTMLResponse)
def new_page(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> HTMLResponse:
    """The form to refer a lead to another member, with the lead's consent."""
    return _new_page(request, store, viewer, code, clock)


@router.post("/alliances/{code}/referrals", response_class=HTMLResponse)
async def submit_post(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    posted = await PostedForm.read(request)
    values = {k: posted.values.get(k, "") for k in ("from_member", "to_member", "kind", "name", "contact", "products",
                                                    "consent_given", "consent_by", "consent_at", "consent_how", "note")}
    _ = gettext_for(request)
    errors: dict[str, str] = {}
    kind = values["kind"] if values["kind"] in {k.value for k in LeadKind} else "customer"
    consent = None
    if values["consent_given"]:
        try:
            at = date.fromisoformat(values["consent_at"].strip())
        except ValueError:
            errors["consent_at"] = _(N_("Enter a date as YYYY-MM-DD."))
            at = date.min
        how = values["consent_how"] if values["consent_how"] in {h.value for h in ConsentHow} else "written"
        consent = Consent(values["consent_by"], at, ConsentHow(how))
    if not values["to_member"]:
        errors["to_member"] = _(FILL_IN)

    def work() -> Response:
        if errors:
            return _new_page(request, store, viewer, code, clock, status=422, form=FormView(values, errors, [_(NOT_VALID)]))
        draft = LeadDraft(values["to_member"], LeadKind(kind), values["name"], values["contact"], values["products"],
                          consent, values["note"])
        try:
            made = service.submit(store, code, viewer.principal, draft, clock, from_member=values["from_member"] or None)
        except InvalidInput as exc:
            found, lines = field_errors(say_for(request), exc, {"consent": "consent_given"})
            return _new_page(request, store, viewer, code, clock, status=422,
                             form=FormView(values, found, lines or [_(NOT_VALID)]))
        except Conflict as exc:
            return _new_page(request, store, viewer, code, clock, status=409,
                             form=FormView(values, {}, [say_for(request)(exc.message)]))
        return RedirectResponse(f"/alliances/{code}/referrals/{made.number}?saved=submitted", status_code=303)

    return await run_in_threadpool(work)


# -- one referral ----------------------------------------------------------------------------------------------

def _referral_page(request: Request, store: Store, viewer: Viewer, code: str, number: int, clock: Any, *,
                   status: int = 200, refused: str = "", form: FormView | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    seen = service.referral(store, code, viewer.principal, number)
    candidates: list[service_orders.Candidate] = []
    earned = None
    if seen.sees_lead:
        with opened_stores(request) as stores:
            earned = service_orders.commission(stores, code, viewer.principal, number)
            if seen.referral.state in (State.ACCEPTED, State.CONVERTED):
                candidates = service_orders.candidate_orders(stores, code, viewer.principal, number, clock)
    programme = service.programme(store, code, viewer.principal)
    return render(request, "referrals/referral.html", status=status, alliance=alliance, section="referrals",
                  seen=seen, r=seen.referral, earned=earned, candidates=candidates, programme=programme,
                  refused=refused, form=form or FormView(), reason_limit=REASON_LIMIT,
                  saved=SAVED.get(request.query_params.get("saved", "")), **_labels())


@router.get("/alliances/{code}/referrals/leaderboard", response_class=HTMLResponse)
def leaderboard_page(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> HTMLResponse:
    """Per referrer: referrals made in a month or quarter, accepted, converted and commission booked, with a chart."""
    alliance = registry.get_alliance(store, code)
    _ = gettext_for(request)
    period = request.query_params.get("period", "").strip()[:16] or board.period_of(local_today(clock, alliance.timezone))
    error = ""
    rows: list[board.Row] = []
    try:
        _currency, rows = service.leaderboard(store, code, viewer.principal, period)
    except InvalidInput as exc:
        error = say_for(request)(exc.problems[0].reason if exc.problems else exc.message)
    option = charts.bars([r.member for r in rows], {_("Made"): [r.made for r in rows],
                                                     _("Converted"): [r.converted for r in rows]}) if rows else None
    return render(request, "referrals/leaderboard.html", status=422 if error else 200, alliance=alliance,
                  section="referrals", period=period, rows=rows, error=error, option=option)


@router.get("/alliances/{code}/referrals/{number}", response_class=HTMLResponse)
def referral_page(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                  viewer: PageViewer) -> HTMLResponse:
    """A referral: its lead (for the two members and the coordinator), state, window, actions, orders, commission."""
    return _referral_page(request, store, viewer, code, number, clock)


async def _act(request: Request, store: Store, clock: Any, viewer: Viewer, code: str, number: int, saved: str,
               action: Any) -> Response:
    """Run `action(posted values)`; a refusal shows the referral's page again with it, nothing stored."""
    posted = await PostedForm.read(request)

    def work() -> Response:
        try:
            action(posted.values)
        except (InvalidInput, Conflict) as exc:
            say = say_for(request)
            found, lines = field_errors(say, exc) if isinstance(exc, InvalidInput) else ({}, [say(exc.message)])
            refused = " ".join(lines) if lines else say(exc.message)
            return _referral_page(request, store, viewer, code, number, clock,
                                  status=422 if isinstance(exc, InvalidInput) else 409, refused=refused,
                                  form=FormView(posted.values, found))
        return RedirectResponse(f"/alliances/{code}/referrals/{number}?saved={saved}", status_code=303)

    return await run_in_threadpool(work)


@router.post("/alliances/{code}/referrals/{number}/accept", response_class=HTMLResponse)
async def accept_post(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    return await _act(request, store, clock, viewer, code, number, "accepted",
                      lambda v: service.accept(store, code, viewer.principal, number, clock))


@router.post("/alliances/{code}/referrals/{number}/reject", response_class=HTMLResponse)
async def reject_post(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    return await _act(request, store, clock, viewer, code, number, "rejected",
                      lambda v: service.reject(store, code, viewer.principal, number, v.get("reason", ""), clock))


@router.post("/alliances/{code}/referrals/{number}/lost", response_class=HTMLResponse)
async def lost_post(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                    viewer: PageViewer) -> Response:
    return await _act(request, store, clock, viewer, code, number, "lost",
                      lambda v: service.lost(store, code, viewer.principal, number, v.get("lost_reason", ""), clock))


@router.post("/alliances/{code}/referrals/{number}/extension", response_class=HTMLResponse)
async def extension_post(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                         viewer: PageViewer) -> Response:
    def ask(v: dict[str, str]) -> None:
        text = v.get("days", "").strip()
        days = int(text) if text.isascii() and text.isdigit() and len(text) < 6 else 0
        service.request_extension(store, code, viewer.principal, number, days, v.get("extension_reason", ""), clock)

    return await _act(request, store, clock, viewer, code, number, "extension", ask)


@router.post("/alliances/{code}/referrals/{number}/extension/decision", response_class=HTMLResponse)
async def decision_post(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                        viewer: PageViewer) -> Response:
    return await _act(request, store, clock, viewer, code, number, "decided",
                      lambda v: service.decide_extension(store, code, viewer.principal, number,
                                                         v.get("decision") == "grant", clock))


@router.post("/alliances/{code}/referrals/{number}/orders", response_class=HTMLResponse)
async def orders_post(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    form = await request.form()
    chosen = [v for k, v in form.multi_items() if k == "order" and isinstance(v, str) and v.strip()]
    typed = str(form.get("orders", "") or "")
    chosen += [o.strip() for o in typed.replace(",", "\n").replace("，", "\n").splitlines() if o.strip()]

    def work() -> Response:
        try:
            with opened_stores(request) as stores:
                service_orders.link_orders(stores, code, viewer.principal, number, chosen, clock)
        except (InvalidInput, Conflict) as exc:
            say = say_for(request)
            lines = [say(p.text()) for p in getattr(exc, "problems", [])] or [say(exc.message)]
            return _referral_page(request, store, viewer, code, number, clock,
                                  status=422 if isinstance(exc, InvalidInput) else 409, refused=" ".join(lines),
                                  form=FormView({"orders": typed}))
        return RedirectResponse(f"/alliances/{code}/referrals/{number}?saved=orders#orders", status_code=303)

    return await run_in_threadpool(work)

