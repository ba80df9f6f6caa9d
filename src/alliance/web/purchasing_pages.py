"""Joint purchasing (集采) in the browser: the campaigns, a new campaign with its tier-table editor, and a
campaign's page (state, tiers with the one reached, the price chart, the member's commitment form,
the coordinator's view of every commitment, the split, the competition flag, the organiser's
actions, the deliveries and the charges booked through settlement).

The rules and the money are `alliance.operations.purchasing.service`'s; these pages read the forms,
show every wrong field and tier row beside itself (422, nothing stored), and put the service's
views into words. Isolation is the service's: a member's accounts get only their own member's
position, commitment history and charge lines, so the pages cannot show another member's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.core.errors import AllianceError, InvalidInput
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.operations.purchasing import service
from alliance.operations.purchasing.model import (STATE_NAMES, CampaignState)
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.core.clock import Clock
from alliance.web.forms import FormView, PostedForm
from alliance.web.i18n import N_, request_locale
from alliance.core.settings import get_settings
from alliance.web.purchasing_form import (SPLIT_LABELS, CampaignForm, blank_quote, first_quote, place_problem,
                                          read_campaign)
from alliance.web import purchasing_views as views
from alliance.web.render import gettext_for, render, say_for
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)

SAVED = {"opened": N_("The campaign is open: members can commit until the deadline."),
         "committed": N_("The commitment is saved."),
         "closed": N_("The campaign is closed."),
         "ordered": N_("The order is confirmed."),
         "delivered": N_("The delivery is recorded and its charge scheduled for settlement."),
         "closed_short": N_("The campaign is closed short."),
         "cancelled": N_("The campaign is cancelled; deposits are returned.")}
NOT_VALID = N_("Nothing was saved: correct the fields and rows marked below.")
LIMIT = 10**9


def _language(request: Request) -> str:
    return request_locale(request, get_settings().default_locale).locale


def _names(store: Store, code: str) -> dict[str, str]:
    return {m.code: m.legal_name for m in registry.list_members(store, code, include_left=True)}


def _say_state(say: Callable[[object], str]) -> Callable[[str], str]:
    return lambda state: say(STATE_NAMES[CampaignState(state)])


# -- the list ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Row:
    number: int
    title: str
    item: str
    spec: str
    unit: str
    state: str
    deadline_text: str
    quantity: int
    min_quantity: int
    unit_price: Decimal | None
    own: int | None
    flagged: bool


@router.get("/alliances/{code}/purchasing", response_class=HTMLResponse)
def campaigns_page(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> HTMLResponse:
    """Every campaign of the alliance, newest first, with its state and how far it has come."""
    say = say_for(request)
    language = _language(request)
    alliance = registry.get_alliance(store, code)
    found = service.campaigns(store, code, viewer.principal, clock=clock)
    own_member = viewer.principal.member
    rows = []
    for c in found:
        own = None
        if own_member:
            try:
                own = service.position(store, code, viewer.principal, c.number, own_member).quantity
            except AllianceError:
                own = None
        rows.append(Row(c.number, c.title, c.item, c.spec, c.unit, c.state.value, views.moment_text(c.deadline, alliance, language),
                        c.quantity, c.minimum, c.unit_price if c.quantity else None, own, c.flagged))
    saved = SAVED.get(request.query_params.get("saved", ""))
    return render(request, "purchasing/list.html", alliance=alliance, section="purchasing", campaigns=rows,
                  state_classes=views.STATE_CLASSES, state_label=_say_state(say), saved=gettext_for(request)(saved) if saved else "",
                  unit_price=views.price_formatter(language, alliance.currency),
                  may_create=viewer.may_open("/alliances/{code}/purchasing/new", code))


# -- a new campaign ----------------------------------------------------------------------------------------------------

def _new_page(request: Request, store: Store, code: str, *, status: int = 200, form: FormView | None = None,
              read: CampaignForm | None = None) -> HTMLResponse:
    _ = gettext_for(request)
    alliance = registry.get_alliance(store, code)
    members = registry.list_members(store, code)
    quotes = read.quotes if read is not None and read.quotes else [first_quote()]
    for quote in quotes:
        if not quote.rows:
            quote.rows = blank_quote().rows
    return render(request, "purchasing/new.html", status=status, alliance=alliance, section="purchasing",
                  form=form or FormView({"split_rule": "pro_rata", "fee_percent": "0", "deposit": "0", "threshold": "15"}),
                  organiser_options=[("", _("Choose…"))] + [(m.code, f"{m.legal_name} ({m.code})") for m in members],
                  split_options=[(rule.value, _(text)) for rule, text in SPLIT_LABELS.items()],
                  quotes=quotes, row_errors=read.row_errors if read is not None else {}, blank_quote=blank_quote())


@router.get("/alliances/{code}/purchasing/new", response_class=HTMLResponse)
def new_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return _new_page(request, store, code)


@router.post("/alliances/{code}/purchasing", response_class=HTMLResponse)
async def open_campaign(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    """Open the campaign the form describes; every wrong field and tier row is named beside itself."""
    posted = await request.form()
    values = {k: v.strip() for k, v in (await PostedForm.read(request)).values.items()
              if not k.startswith("q") or "_" not in k}

    def work() -> Response:
        _ = gettext_for(request)
        say = say_for(request)
        alliance = registry.get_alliance(store, code)
        members = [m.code for m in registry.list_members(store, code)]
        read, draft = read_campaign(posted, values, members, alliance.timezone, alliance.currency, _, say)
        lines: list[str] = []
        if draft is not None:
            try:
                opened = service.open_campaign(store, code, viewer.principal, draft, clock)
            except InvalidInput as exc:
                lines = [say(p.text()) for p in exc.problems if not place_problem(read, p, say)]
                if not exc.problems:
                    lines.append(say(exc.message))
            else:
                return RedirectResponse(f"{request.scope.get('root_path', '')}/alliances/{code}/purchasing/"
                                        f"{opened.number}?saved=opened", status_code=303)
        return _new_page(request, store, code, status=422, read=read,
                         form=read.form.view(request, [_(NOT_VALID), *lines]))

    return await run_in_threadpool(work)


# -- a campaign --------------------------------------------------------------------------------------------------------

def _campaign_page(request: Request, store: Store, clock: Clock, viewer: Viewer, code: str, number: int, *,
                   status: int = 200, own_form: FormView | None = None, delivery_form: FormView | None = None,
                   cancel_form: FormView | None = None, refused: str = "", refused_lines: Sequence[str] = ()) -> HTMLResponse:
    _ = gettext_for(request)
    say = say_for(request)
    language = _language(request)
    alliance = registry.get_alliance(store, code)
    detail = service.campaign(store, code, viewer.principal, number, clock)
    names = _names(store, code)
    c = detail.campaign
    mine = viewer.principal.member
    own = next((p for p in detail.positions if p.member == mine), None) if mine else None
    commit_members = []
    if detail.may_commit and (len(detail.commit_for) > 1 or mine is None):
        commit_members = [("", _("Choose…"))] + [(m, f"{names.get(m, m)} ({m})") for m in detail.commit_for]
    if detail.may_commit and own_form is None:
        own_form = FormView({"quantity": str(own.quantity) if own else "", "member": mine or ""})
    history: dict[str, list[dict[str, Any]]] = {}
    for change in detail.history:
        history.setdefault(change.member, []).append({"when": views.moment_text(change.at, alliance, language), "actor": change.by,
                                                      "old": change.old, "new": change.new})
    commitments = None
    if detail.sees_all:
        commitments = [{"member": p.member, "name": names.get(p.member, p.member), "quantity": p.quantity,
                        "deposit_minor": p.deposit_minor, "changes": history.get(p.member, [])} for p in detail.positions]
    saved = SAVED.get(request.query_params.get("saved", ""))
    chosen = next((q.supplier for q in c.quotes if q.chosen), "") if c.outcome else ""
    view = {"number": c.number, "title": c.title, "item": c.item, "spec": c.spec, "unit": c.unit, "state": c.state.value,
            "organiser": c.organiser, "organiser_name": names.get(c.organiser, c.organiser),
            "deadline_text": views.moment_text(c.deadline, alliance, language), "min_quantity": c.minimum, "quantity": c.quantity,
            "price": c.unit_price if c.quantity else None, "next_tier": views.next_tier(c),
            "split_text": _(SPLIT_LABELS[c.split_rule]), "fee_percent": (c.fee_rate * 100).normalize(),
            "deposit_minor": c.deposit_per_unit, "flagged": c.flagged, "flag_reason": c.flag_reason,
            "state_note": c.state_note,
            "supplier": c.outcome.supplier if c.outcome else chosen, "open_quantity": max(c.quantity - c.delivered, 0),
            "quotes": [{"supplier": q.supplier, "tiers": [{"min_quantity": t.min_quantity, "unit_price": t.unit_price,
                                                           "reached": q.chosen and views.reached(q.tiers, t, c.quantity)}
                                                          for t in q.tiers]} for q in c.quotes]}
    option = views.price_chart(c, (_("Aggregate quantity"), _("Unit price"), _("Committed")))
    deliveries = [{"number": d.number, "when": views.moment_text(d.at, alliance, language), "note": d.note,
                   "quantity": d.total if d.per_member is not None or detail.sees_all else (d.mine or 0)}
                  for d in detail.deliveries]
    return render(request, "purchasing/campaign.html", status=status, alliance=alliance, section="purchasing",
                  c=view, option=option, state_classes=views.STATE_CLASSES, state_label=_say_state(say),
                  unit_price=views.price_formatter(language, alliance.currency),
                  saved=_(saved) if saved else "", refused=refused, refused_lines=refused_lines,
                  own=views.own(own, names) if own else None, own_form=own_form if detail.may_commit else None,
                  commit_members=commit_members, commitments=commitments, split=views.split(detail, names),
                  actions=views.actions(detail), delivery_form=delivery_form or FormView(),
                  cancel_form=cancel_form or FormView(), deliveries=deliveries, charges=views.charges(detail, names, alliance, language, _))


@router.get("/alliances/{code}/purchasing/{number}", response_class=HTMLResponse)
def campaign_page(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                  viewer: PageViewer) -> HTMLResponse:
    return _campaign_page(request, store, clock, viewer, code, number)


def _done(request: Request, code: str, number: int, saved: str, anchor: str = "") -> RedirectResponse:
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/purchasing/{number}?saved={saved}" + (f"#{anchor}" if anchor else ""),
                            status_code=303)


def _refusal(request: Request, exc: AllianceError) -> tuple[str, list[str]]:
    say = say_for(request)
    return say(exc.message), [say(p.text()) for p in getattr(exc, "problems", [])]


@router.post("/alliances/{code}/purchasing/{number}/commitment", response_class=HTMLResponse)
async def commit(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                 viewer: PageViewer) -> Response:
    """Save a member's committed quantity (its own; the coordinator's for any member)."""
    form = await PostedForm.read(request)
    member = form.values.get("member", "").strip()[:32] or (viewer.principal.member or "")

    def work() -> Response:
        quantity = form.whole("quantity", 0, LIMIT)
        if not member:
            form.fail("member", N_("Choose a member of the alliance."))
        if form.ok and quantity is not None:
            try:
                service.commit(store, code, viewer.principal, number, member, quantity, clock)
            except (InvalidInput, service.CommitmentClosed, service.CampaignStateConflict) as exc:
                message, lines = _refusal(request, exc)
                form.errors.setdefault("quantity", ("%(text)s", {"text": message}))
                return _campaign_page(request, store, clock, viewer, code, number, status=exc.status,
                                      own_form=form.view(request), refused=message, refused_lines=lines)
            return _done(request, code, number, "committed", "commit")
        return _campaign_page(request, store, clock, viewer, code, number, status=422, own_form=form.view(request))

    return await run_in_threadpool(work)


def _act(request: Request, store: Store, clock: Clock, viewer: Viewer, code: str, number: int,
         call: Callable[[], object], saved: str) -> Response:
    try:
        call()
    except (InvalidInput, service.CampaignStateConflict, service.CommitmentClosed) as exc:
        message, lines = _refusal(request, exc)
        return _campaign_page(request, store, clock, viewer, code, number, status=exc.status, refused=message,
                              refused_lines=lines)
    return _done(request, code, number, saved)


@router.post("/alliances/{code}/purchasing/{number}/close", response_class=HTMLResponse)
async def close(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    return await run_in_threadpool(_act, request, store, clock, viewer, code, number,
                                   lambda: service.close_campaign(store, code, viewer.principal, number, clock), "closed")


@router.post("/alliances/{code}/purchasing/{number}/order", response_class=HTMLResponse)
async def order(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    return await run_in_threadpool(_act, request, store, clock, viewer, code, number,
                                   lambda: service.mark_ordered(store, code, viewer.principal, number, clock), "ordered")


@router.post("/alliances/{code}/purchasing/{number}/deliveries", response_class=HTMLResponse)
async def deliver(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                  viewer: PageViewer) -> Response:
    """Record a delivered total (spread over the members in proportion to what each still awaits)."""
    form = await PostedForm.read(request)

    def work() -> Response:
        total = form.whole("delivered", 1, LIMIT)
        note = form.text("note", 500, required=False)
        if total is None or not form.ok:
            return _campaign_page(request, store, clock, viewer, code, number, status=422, delivery_form=form.view(request))
        try:
            service.record_delivery(store, code, viewer.principal, number, clock, total=total, note=note)
        except (InvalidInput, service.CampaignStateConflict) as exc:
            message, lines = _refusal(request, exc)
            form.errors.setdefault("delivered", ("%(text)s", {"text": message}))
            return _campaign_page(request, store, clock, viewer, code, number, status=exc.status,
                                  delivery_form=form.view(request, lines))
        return _done(request, code, number, "delivered", "deliveries")

    return await run_in_threadpool(work)


@router.post("/alliances/{code}/purchasing/{number}/close-short", response_class=HTMLResponse)
async def close_short(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    form = await PostedForm.read(request)
    reason = form.values.get("short_reason", "").strip()[:500]
    return await run_in_threadpool(_act, request, store, clock, viewer, code, number,
                                   lambda: service.close_short(store, code, viewer.principal, number, clock, reason),
                                   "closed_short")


@router.post("/alliances/{code}/purchasing/{number}/cancel", response_class=HTMLResponse)
async def cancel(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    form = await PostedForm.read(request)

    def work() -> Response:
        reason = form.text("reason", 500)
        if not form.ok:
            return _campaign_page(request, store, clock, viewer, code, number, status=422, cancel_form=form.view(request))
        return _act(request, store, clock, viewer, code, number,
                    lambda: service.cancel(store, code, viewer.principal, number, clock, reason), "cancelled")

    return await run_in_threadpool(work)


__all__ = ["router"]
