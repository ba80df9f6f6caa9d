"""Data sharing (数据共享) in the browser: the alliance's shared views, each view's access log,
publishing a view of one's own member's data, and revoking it.

Who may do what is the API's rule, decided centrally: the list is `READ_RECORDS` (what is shared,
never the data); the member-scoped pages carry the publishing member in the path
(`/sharing/members/{member}/views/{view_id}/...`), so `PAGES` and `access.policy.authorize` check
`READ_MEMBER_DATA` (the access log) or `ACT_FOR_MEMBER` (publish, revoke) for that member, and each
handler then refuses a view that is not that member's, as if it did not exist. On the list, a view's
hidden fields are named only to those who may read the publishing member's data: the others see
how many fields are withheld, not which.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from alliance.access.policy import Action
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.datashare import service
from alliance.datashare.budget import DEFAULT_QUERY_EPSILON, Period
from alliance.datashare.views import DATASETS, DEFAULT_FUNCTIONS, DEFAULT_K, FUNCTIONS, HIDDEN_ONLY, MIN_K, NUMERIC, Policy
from alliance.registry import service as registry
from alliance.registry.model import Alliance
from alliance.store.datashare_repository import Access, StoredView
from alliance.web.i18n import N_
from alliance.web.render import gettext_for, render
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)
LOG_PAGE = 50
LOG_ON_LIST = 5  # the latest queries shown under each view on the list
MAX_K = 1_000_000  # as the API's publish accepts

FIELD_LABELS = {
    "business_day": N_("Business day"), "channel": N_("Sales channel"), "sku": N_("SKU"),
    "product_owner": N_("Product owner"), "attributed_to": N_("Attributed to"), "quantity": N_("Quantity"),
    "amount": N_("Amount"), "cost": N_("Cost"),
}
DATASET_LABELS = {"sales": N_("Sales: the member's order lines as seller")}
# The datasets beyond sales (alliance.datashare.datasets) and their fields.
DATASET_LABELS |= {"inventory": N_("Inventory snapshots"), "customer_events": N_("Customer events"),
                   "catalogue": N_("Product catalogue")}
FIELD_LABELS |= {
    "snapshot_day": N_("Snapshot day"), "location": N_("Location"), "region": N_("Region"),
    "age_days": N_("Age in days"), "unit_cost": N_("Unit cost"), "customer_key": N_("Customer key (pseudonymous)"),
    "member": N_("Member"), "event_type": N_("Event type"), "event_day": N_("Event day"), "value": N_("Value"),
    "name": N_("Name"), "category": N_("Category"), "owner": N_("Brand owner"), "list_price": N_("List price"),
    "unit": N_("Unit"),
}
POLICY_LABELS = {Policy.VISIBLE: N_("Visible"), Policy.AGGREGATE: N_("Aggregate only"),
                 Policy.DIMENSION: N_("Dimension (group by only)"), Policy.JOIN: N_("Join column (never shown)"),
                 Policy.HIDDEN: N_("Hidden")}
# What each policy lets out, shown on the publish form (clean-room rules, docs/data-sharing.md).
POLICY_HELP = {
    Policy.VISIBLE: N_("appears in rows, and may be filtered, sorted and grouped on."),
    Policy.AGGREGATE: N_("appears only in group results: numbers as allowed aggregates, text as a group key, in groups of at least k records."),
    Policy.DIMENSION: N_("text or dates that groups may be formed and filtered on; a group key only, never in rows."),
    Policy.JOIN: N_("text or dates that joint queries with other members' views join on; never shown, grouped or filtered."),
    Policy.HIDDEN: N_("never appears and cannot be used."),
}
FUNCTION_LABELS = {"sum": N_("Sum"), "avg": N_("Average")}
KIND_LABELS = {"rows": N_("Rows"), "groups": N_("Groups"), "joint": N_("Joint query")}
PRIVACY_LABELS = {"off": N_("No: exact group totals (and rows of visible fields)"),
                  "on": N_("Yes: noised group totals only, within a budget of ε per partner")}
PERIOD_LABELS = {Period.DAY: N_("Per day"), Period.WEEK: N_("Per week (from Monday)"),
                 Period.MONTH: N_("Per calendar month")}
PERIOD_NAMES = {"day": N_("day"), "week": N_("week (from Monday)"), "month": N_("month")}  # "this day", "this week", ...
HIDDEN_FIELDS = frozenset().union(*HIDDEN_ONLY.values())  # fields no view may show (customer keys)


@dataclass(frozen=True)
class ViewCard:
    view: StoredView
    company: str
    visible: list[str]
    aggregate: list[str]
    hidden: list[str]
    names_hidden: bool  # whether this viewer may see which fields are hidden
    may_log: bool
    may_revoke: bool
    may_query: bool
    latest: list[dict[str, Any]]  # the latest access-log entries, for those who may read the log
    dimension: list[str] = dataclass_field(default_factory=list)
    join: list[str] = dataclass_field(default_factory=list)


def _policies(found: StoredView) -> dict[Policy, list[str]]:
    """The dataset's fields by policy (a field the view does not name is hidden)."""
    out: dict[Policy, list[str]] = {p: [] for p in Policy}
    for field in DATASETS.get(found.dataset, {}):
        out[Policy(found.policies.get(field, Policy.HIDDEN.value))].append(field)
    return out


def _log_rows(entries: list[Access], timezone: str) -> list[dict[str, Any]]:
    zone = ZoneInfo(timezone)
    return [{"day": a.accessed_at, "time": a.accessed_at.astimezone(zone).strftime("%H:%M:%S"), "who": a.accessed_by,
             "kind": KIND_LABELS.get(a.kind, a.kind), "query": json.dumps(a.query, ensure_ascii=False, sort_keys=True),
             "returned": a.returned} for a in entries]


def _card(store: StoreDep, viewer: Viewer, alliance: Alliance, found: StoredView, companies: dict[str, str]) -> ViewCard:
    split = _policies(found)
    reads = viewer.may(Action.READ_MEMBER_DATA, alliance.code, found.member)
    latest = _log_rows(service.access_log(store, alliance.code, found.id, LOG_ON_LIST, 0), alliance.timezone) if reads else []
    return ViewCard(found, companies.get(found.member, found.member), split[Policy.VISIBLE], split[Policy.AGGREGATE],
                    split[Policy.HIDDEN] if reads else [], reads, reads,
                    viewer.may(Action.ACT_FOR_MEMBER, alliance.code, found.member),
                    viewer.may(Action.READ_SHARED, alliance.code), latest, split[Policy.DIMENSION], split[Policy.JOIN])


def _members_view(store: StoreDep, code: str, member: str, view_id: int) -> StoredView:
    """The view `view_id` if `member` published it (revoked ones included); ViewNotFound otherwise,
    so a path naming one's own member cannot reach another member's view."""
    found = service.view(store, code, view_id, revoked_ok=True)
    if found.member != member:
        raise service.ViewNotFound(Message("alliance {code!r} shares no view {view_id} of member {member!r}",
                                           code=code, view_id=view_id, member=member))
    return found


def _company(store: StoreDep, code: str, member: str) -> str:
    return registry.get_member(store, code, member).legal_name


VIEWS_PAGE = 20


@router.get("/alliances/{code}/sharing", response_class=HTMLResponse)
def sharing_list(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep,
                 published: Annotated[int | None, Query(ge=1)] = None,
                 revoked: Annotated[int | None, Query(ge=1)] = None,
                 offset: Annotated[int, Query(ge=0, le=10**7)] = 0) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    companies = {m.code: m.legal_name for m in registry.list_members(store, code, include_left=True)}
    views = service.views(store, code, clock)
    cards = [_card(store, viewer, alliance, v, companies) for v in views[offset:offset + VIEWS_PAGE]]
    own = viewer.principal.member
    may_publish = own is not None and viewer.may(Action.ACT_FOR_MEMBER, code, own)
    # Views of members who left: no longer shared, their logs still readable to whom they concern.
    withdrawn = [(v, companies.get(v.member, v.member)) for v in service.withdrawn_views(store, code, clock)
                 if viewer.may(Action.READ_MEMBER_DATA, code, v.member)]
    return render(request, "sharing/list.html", alliance=alliance, section="sharing", cards=cards, withdrawn=withdrawn,
                  field_labels=FIELD_LABELS, dataset_labels=DATASET_LABELS, own_member=own if may_publish else None,
                  published=published, revoked=revoked, total=len(views), limit=VIEWS_PAGE, offset=offset,
                  may_joint=viewer.may(Action.READ_SHARED, code))


def _form_page(request: Request, alliance: Alliance, member: str, company: str, *, status: int = 200,
               values: dict[str, Any] | None = None, errors: dict[str, str] | None = None) -> HTMLResponse:
    dataset = (values or {}).get("dataset") or "sales"
    fields = list(DATASETS.get(dataset, DATASETS["sales"]))
    values = {"name": "", "dataset": dataset, "k": str(DEFAULT_K), "policies": {}, "functions": list(DEFAULT_FUNCTIONS),
              "privacy": "off", "budget": "1",
              "period": Period.MONTH.value, "query_epsilon": str(DEFAULT_QUERY_EPSILON), "bounds": {},
              **(values or {})}
    gettext = gettext_for(request)
    return render(request, "sharing/publish.html", status=status, alliance=alliance, section="sharing", member=member,
                  company=company, values=values, errors=errors or {}, fields=fields,
                  field_names={f: gettext(FIELD_LABELS[f]) if f in FIELD_LABELS else f for f in fields},
                  dataset_options=[(d, gettext(DATASET_LABELS[d]) if d in DATASET_LABELS else d) for d in DATASETS],
                  policy_options=[(p.value, gettext(label)) for p, label in POLICY_LABELS.items()],
                  policy_help=[(gettext(POLICY_LABELS[p]), gettext(text)) for p, text in POLICY_HELP.items()],
                  function_options=[(f, gettext(FUNCTION_LABELS[f])) for f in FUNCTIONS],
                  hidden=Policy.HIDDEN.value, min_k=MIN_K,
                  numeric=[f for f in fields if DATASETS.get(dataset, DATASETS["sales"])[f] in NUMERIC],
                  privacy_options=[(v, gettext(label)) for v, label in PRIVACY_LABELS.items()],
                  period_options=[(p.value, gettext(label)) for p, label in PERIOD_LABELS.items()])


@router.get("/alliances/{code}/sharing/members/{member}/views/new", response_class=HTMLResponse)
def publish_form(request: Request, code: Code, member: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return _form_page(request, registry.get_alliance(store, code), member, _company(store, code, member))


# Where check_spec reports a problem -> the form control it belongs to, and what to tell the user.
FORM_ERRORS = {
    "name": ("name", N_("Give the view a name of 1 to 100 characters.")),
    "dataset": ("dataset", N_("Choose one of the datasets.")),
    "k": ("k", N_("Groups must hold at least 2 records.")),
    "fields": ("fields", N_("The view shares no field: make at least one field visible or aggregate only.")),
    "budget": ("budget", N_("Enter the budget ε as a number greater than 0 (at most 100, six decimal places).")),
    "query_epsilon": ("query_epsilon", N_("Enter the ε of one query: greater than 0 and no more than the budget.")),
    "period": ("period", N_("Choose a day, a week or a month.")),
}


def _form_errors(exc: InvalidInput, gettext: Any) -> dict[str, str]:
    errors: dict[str, str] = {}
    for p in exc.problems:
        if p.field.startswith("fields.") and p.field.removeprefix("fields.") in HIDDEN_FIELDS:
            # a pseudonymous customer key: say why it must stay hidden (datashare.views.HIDDEN_ONLY)
            reason = p.reason
            errors[f"policy-{p.field.removeprefix('fields.')}"] = \
                reason.in_language(gettext) if isinstance(reason, Message) else reason
        elif p.field.startswith("fields."):
            errors[f"policy-{p.field.removeprefix('fields.')}"] = gettext(N_(
                "Choose visible, aggregate only, dimension, join column or hidden (numbers: visible, aggregate only or "
                "hidden)."))
        elif p.field.startswith("bounds."):
            errors[f"upper-{p.field.removeprefix('bounds.')}"] = gettext(N_(
                "Each shared number needs the most one record may add (upper bound), above the lower bound, in the "
                "field's unit (amounts to the cent)."))
        elif p.field in FORM_ERRORS:
            name, message = FORM_ERRORS[p.field]
            errors[name] = gettext(message)
        else:
            errors["fields"] = p.reason
    return errors or {"fields": exc.message}


@router.post("/alliances/{code}/sharing/members/{member}/views", response_class=HTMLResponse)
async def publish(request: Request, code: Code, member: Code, store: StoreDep, clock: ClockDep,
                  viewer: PageViewer) -> Response:
    """Publish a view of `member`'s data, as the API's publish does: name, dataset, a policy per field, k."""
    alliance = registry.get_alliance(store, code)
    company = _company(store, code, member)
    gettext = gettext_for(request)
    form = await request.form()
    dataset = str(form.get("dataset", "sales"))
    policies = {f: str(form.get(f"policy-{f}", Policy.HIDDEN.value)) for f in DATASETS.get(dataset, {})}
    name, k_text = str(form.get("name", ""))[:200], str(form.get("k", "")).strip()[:20]
    # The form says it offered the choice (unticked boxes post nothing); a post without it keeps the default.
    functions = [str(f) for f in form.getlist("functions") if str(f) in FUNCTIONS] if form.get("functions-offered") \
        else list(DEFAULT_FUNCTIONS)
    values: dict[str, Any] = {"name": name, "dataset": dataset, "k": k_text, "policies": policies, "functions": functions}
    try:
        k = int(k_text)
    except ValueError:
        k = 0
    if not MIN_K <= k <= MAX_K:
        return _form_page(request, alliance, member, company, status=422, values=values,
                          errors={"k": gettext(N_("Enter a whole number from 2 to 1,000,000."))})
    private = form.get("privacy") == "on"
    numeric = [f for f in DATASETS.get(dataset, {}) if DATASETS[dataset][f] in NUMERIC]
    bounds = {f: {"lower": str(form.get(f"lower-{f}", ""))[:32].strip(), "upper": str(form.get(f"upper-{f}", ""))[:32].strip()}
              for f in numeric}
    values.update(privacy="on" if private else "off", budget=str(form.get("budget", ""))[:32],
                  period=str(form.get("period", ""))[:8], query_epsilon=str(form.get("query_epsilon", ""))[:32],
                  bounds=bounds)
    privacy = None if not private else {
        "budget": values["budget"], "period": values["period"], "query_epsilon": values["query_epsilon"],
        "bounds": {f: b for f, b in bounds.items() if policies.get(f) in (Policy.VISIBLE.value, Policy.AGGREGATE.value)}}
    try:
        found = service.publish(store, code, member, name, dataset, policies, k, viewer.principal.actor, clock,
                                functions=functions, privacy=privacy)
    except InvalidInput as exc:
        return _form_page(request, alliance, member, company, status=422, values=values,
                          errors=_form_errors(exc, gettext))
    return RedirectResponse(f"{request.scope.get('root_path', '')}/alliances/{code}/sharing?published={found.id}",
                            status_code=303)


@router.get("/alliances/{code}/sharing/members/{member}/views/{view_id}/log", response_class=HTMLResponse)
def access_log(request: Request, code: Code, member: Code, view_id: Id, store: StoreDep, viewer: PageViewer,
               clock: ClockDep, offset: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0) -> HTMLResponse:
    """Who queried the view, when, how, and how much came back (the publishing member and alliance
    roles); for a differentially private view still shared, what each party spent this period."""
    alliance = registry.get_alliance(store, code)
    found = _members_view(store, code, member, view_id)
    entries = service.access_log(store, code, view_id, LOG_PAGE + 1, offset)
    rows = _log_rows(entries[:LOG_PAGE], alliance.timezone)
    budget = None
    if found.privacy is not None and found.revoked_at is None:
        budget = service.budget(store, code, view_id, member, clock, publisher=True)
    return render(request, "sharing/log.html", alliance=alliance, section="sharing", view=found,
                  company=_company(store, code, member), rows=rows, offset=offset, limit=LOG_PAGE,
                  more=len(entries) > LOG_PAGE, budget=budget,
                  period_name=None if budget is None else gettext_for(request)(PERIOD_NAMES[budget["period"]]))


@router.get("/alliances/{code}/sharing/members/{member}/views/{view_id}/revoke", response_class=HTMLResponse)
def confirm_revoke(request: Request, code: Code, member: Code, view_id: Id, store: StoreDep,
                   viewer: PageViewer) -> HTMLResponse:
    """The confirm step: what revoking does, and the button that does it."""
    alliance = registry.get_alliance(store, code)
    found = _members_view(store, code, member, view_id)
    return render(request, "sharing/revoke.html", alliance=alliance, section="sharing", view=found,
                  company=_company(store, code, member))


@router.post("/alliances/{code}/sharing/members/{member}/views/{view_id}/revoke")
def revoke(request: Request, code: Code, member: Code, view_id: Id, store: StoreDep, clock: ClockDep,
           viewer: PageViewer) -> Response:
    """Stop sharing the view at once (409 if it already was); back to the list."""
    _members_view(store, code, member, view_id)
    service.revoke(store, code, view_id, clock)
    return RedirectResponse(f"{request.scope.get('root_path', '')}/alliances/{code}/sharing?revoked={view_id}",
                            status_code=303)
