"""Joint marketing campaigns (联合营销活动) in the browser: the campaigns a viewer may see, the form to
propose one with each member's cost-share ratio, a campaign's page (participants, ratios, consents,
costs with each member's share, attributed revenue and ROI per member as a bar chart) with the forms
to consent and to add a cost.

The rules are `alliance.operations.marketing`'s; these pages read the forms, name every wrong field
beside it (422, nothing stored) and show a refusal in the reader's language.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.access.policy import Action
from alliance.core.errors import Conflict, InvalidInput, Problem
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, Id, StoreDep, opened_stores
from alliance.operations.charges import outside_account
from alliance.operations.marketing import service
from alliance.operations.marketing.model import Attribution, CostInvalid, Draft, Kind, State
from alliance.operations.marketing.roi import ALLIANCE, cost_shares, shown
from alliance.operations.marketing.split import shares
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.web import charts
from alliance.web.forms import FILL_IN, FormView, PostedForm
from alliance.web.i18n import N_
from alliance.web.render import gettext_for, render, say_for
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)

KIND_LABELS = {Kind.EVENT: N_("Event or fair"), Kind.WHITE_PAPER: N_("White paper"), Kind.CO_BRANDING: N_("Co-branding"),
               Kind.PROMOTION: N_("Promotion"), Kind.OTHER: N_("Other")}
RULE_LABELS = {Attribution.CHANNEL: N_("By channel"), Attribution.SKU: N_("By SKU"),
               Attribution.ATTRIBUTED: N_("By attributed member")}
STATE_LABELS = {State.PROPOSED: N_("Waiting for consents"), State.ACTIVE: N_("Active")}
SAVED = {"created": N_("The campaign was proposed; every member now consents."),
         "consented": N_("Your member's consent was recorded."),
         "cost": N_("The cost was recorded and shared; the next settlement run books it.")}
NOT_VALID = N_("Nothing was saved: correct the fields marked below.")
NOT_A_DAY = N_("Enter a date as YYYY-MM-DD.")
NOT_A_RATIO = N_("Enter a decimal such as 0.4, or leave it empty if the member takes no part.")
OUTSIDE = "outside"  # the payer select's value for an outside supplier
NEW_FIELDS = ("title", "kind", "lead", "first_day", "last_day", "budget", "attribution", "values", "baseline")
COST_FIELDS = ("payer", "supplier", "amount", "description", "day", "corrects")


def _labels() -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "rule_labels": RULE_LABELS, "state_labels": STATE_LABELS}


def _by_field(request: Request, exc: InvalidInput, fields: set[str]) -> tuple[dict[str, str], list[str]]:
    """A refusal's problems beside the form's fields ("ratio A" is field ratio_A), the rest as lines."""
    say = say_for(request)
    errors: dict[str, str] = {}
    lines: list[str] = []
    for p in exc.problems:
        name = p.field.replace(" ", "_")
        if name in fields:
            errors.setdefault(name, say(p.reason))
        else:
            lines.append(say(p.text()))
    if not exc.problems or not lines and not errors:
        lines.append(say(exc.message))
    return errors, lines


# -- the list ---------------------------------------------------------------------------------------------------

@router.get("/alliances/{code}/marketing", response_class=HTMLResponse)
def campaigns_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """The joint marketing campaigns the viewer may see (a member's: those it takes part in)."""
    alliance = registry.get_alliance(store, code)
    found = service.campaigns(store, code, viewer.principal)
    return render(request, "marketing/list.html", alliance=alliance, section="marketing", campaigns=found,
                  may_run=viewer.may(Action.RUN_MARKETING, code), saved=SAVED.get(request.query_params.get("saved", "")),
                  **_labels())


# -- proposing ----------------------------------------------------------------------------------------------------

def _new_page(request: Request, store: Store, viewer: Viewer, code: str, *, status: int = 200,
              form: FormView | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    members = registry.list_members(store, code)
    own = viewer.principal.member
    return render(request, "marketing/new.html", status=status, alliance=alliance, section="marketing",
                  members=[(m.code, f"{m.legal_name} ({m.code})") for m in members],
                  lead_options=[(m.code, f"{m.legal_name} ({m.code})") for m in members if own in (None, m.code)],
                  form=form or FormView({"kind": "event", "attribution": "channel", "lead": own or ""}), **_labels())


@router.get("/alliances/{code}/marketing/new", response_class=HTMLResponse)
def new_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """The form to propose a joint marketing campaign."""
    return _new_page(request, store, viewer, code)


@router.post("/alliances/{code}/marketing", response_class=HTMLResponse)
async def create_post(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    posted = await PostedForm.read(request)
    values = {k: v for k, v in posted.values.items() if k in NEW_FIELDS or k.startswith("ratio_")}
    _ = gettext_for(request)
    errors: dict[str, str] = {}
    days: dict[str, date] = {}
    for name in ("first_day", "last_day"):
        try:
            days[name] = date.fromisoformat(values.get(name, "").strip())
        except ValueError:
            errors[name], days[name] = _(NOT_A_DAY), date.min
    ratios: dict[str, Decimal] = {}
    for key, text in values.items():
        if key.startswith("ratio_") and text.strip():
            try:
                ratios[key.removeprefix("ratio_")] = Decimal(text.strip())
            except InvalidOperation:
                errors[key] = _(NOT_A_RATIO)
    if not values.get("lead"):
        errors["lead"] = _(FILL_IN)
    kind = values.get("kind", "") if values.get("kind", "") in {k.value for k in Kind} else "event"
    rule = values.get("attribution", "") if values.get("attribution", "") in {a.value for a in Attribution} else "channel"
    typed = values.get("values", "").replace("，", ",").replace("\n", ",")

    def work() -> Response:
        if errors:
            return _new_page(request, store, viewer, code, status=422, form=FormView(values, errors, [_(NOT_VALID)]))
        draft = Draft(values.get("title", ""), Kind(kind), values["lead"], days["first_day"], days["last_day"],
                      values.get("budget", ""), ratios, Attribution(rule),
                      tuple(v.strip() for v in typed.split(",") if v.strip()), bool(values.get("baseline")))
        fields = set(NEW_FIELDS) | {k for k in values if k.startswith("ratio_")} | {f"ratio_{m}" for m in ratios}
        try:
            made = service.create(store, code, viewer.principal, draft, clock)
        except InvalidInput as exc:
            found, lines = _by_field(request, exc, fields)
            return _new_page(request, store, viewer, code, status=422,
                             form=FormView(values, found, lines or [_(NOT_VALID)]))
        except Conflict as exc:
            return _new_page(request, store, viewer, code, status=409,
                             form=FormView(values, {}, [say_for(request)(exc.message)]))
        return RedirectResponse(f"/alliances/{code}/marketing/{made.number}?saved=created", status_code=303)

    return await run_in_threadpool(work)


# -- one campaign ------------------------------------------------------------------------------------------------

def _campaign_page(request: Request, store: Store, viewer: Viewer, code: str, number: int, *, status: int = 200,
                   refused: str = "", form: FormView | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    seen = service.campaign(store, code, viewer.principal, number)
    c = seen.campaign
    with opened_stores(request) as stores:
        found = service.returns_of(stores, code, viewer.principal, number)
    _ = gettext_for(request)
    members = [r for r in found.rows if r.member != ALLIANCE]
    option = charts.bars([r.member for r in members], {_("ROI"): [r.roi for r in members]}, mark_zero=True) \
        if any(r.roi is not None for r in members) else None
    return render(request, "marketing/campaign.html", status=status, alliance=alliance, section="marketing",
                  seen=seen, c=c, totals=cost_shares(c),
                  cost_shares={k.number: shares(k.amount_minor, c.ratios, c.currency) for k in c.costs},
                  returns=found, members=members, whole=next(r for r in found.rows if r.member == ALLIANCE),
                  shown=shown, option=option, refused=refused,
                  payer_options=[(m, m) for m in c.members],
                  form=form or FormView({"payer": viewer.principal.member or c.lead}),
                  saved=SAVED.get(request.query_params.get("saved", "")), **_labels())


@router.get("/alliances/{code}/marketing/{number}", response_class=HTMLResponse)
def campaign_page(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """A campaign: participants, ratios, consents, costs and each member's share, revenue and ROI."""
    return _campaign_page(request, store, viewer, code, number)


async def _act(request: Request, store: Store, viewer: Viewer, code: str, number: int, saved: str, action: Any) -> Response:
    """Run `action(posted values)`; a refusal shows the campaign's page again with it, nothing stored."""
    posted = await PostedForm.read(request)

    def work() -> Response:
        try:
            action(posted.values)
        except (InvalidInput, Conflict) as exc:
            if isinstance(exc, InvalidInput):
                found, lines = _by_field(request, exc, set(COST_FIELDS))
            else:
                found, lines = {}, [say_for(request)(exc.message)]
            return _campaign_page(request, store, viewer, code, number,
                                  status=422 if isinstance(exc, InvalidInput) else 409, refused=" ".join(lines),
                                  form=FormView(posted.values, found))
        return RedirectResponse(f"/alliances/{code}/marketing/{number}?saved={saved}", status_code=303)

    return await run_in_threadpool(work)


@router.post("/alliances/{code}/marketing/{number}/members/{member}/consent", response_class=HTMLResponse)
async def consent_post(request: Request, code: Code, number: Id, member: str, store: StoreDep, clock: ClockDep,
                       viewer: PageViewer) -> Response:
    return await _act(request, store, viewer, code, number, "consented",
                      lambda v: service.consent(store, code, viewer.principal, number, clock, member=member))


@router.post("/alliances/{code}/marketing/{number}/costs", response_class=HTMLResponse)
async def cost_post(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                    viewer: PageViewer) -> Response:
    def add(v: dict[str, str]) -> None:
        problems = []
        payer = v.get("payer", "").strip()
        if payer == OUTSIDE:
            supplier = v.get("supplier", "").strip()
            if not supplier:
                problems.append(Problem("cost", "supplier", Message("name the outside supplier that was paid")))
            payer = outside_account(supplier) if supplier else ""
        try:
            day = date.fromisoformat(v.get("day", "").strip()) if v.get("day", "").strip() else None
        except ValueError:
            problems.append(Problem("cost", "day", Message("enter a date as YYYY-MM-DD")))
            day = None
        text = v.get("corrects", "").strip()
        corrects = int(text) if text.isascii() and text.isdigit() and 0 < len(text) < 9 else None
        if text and corrects is None:
            problems.append(Problem("cost", "corrects", Message("the number of an earlier cost")))
        if problems:
            raise CostInvalid(Message("the cost has {count} problem(s); nothing was recorded", count=len(problems)),
                              problems)
        service.add_cost(store, code, viewer.principal, number, payer=payer, amount_minor=v.get("amount", ""),
                         description=v.get("description", ""), day=day, clock=clock, corrects=corrects)

    return await _act(request, store, viewer, code, number, "cost", add)
