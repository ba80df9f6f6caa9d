"""Querying a shared view in the browser: the partner's side of data sharing (数据共享查询).

The API's `GET …/views/{id}/rows` and `…/groups`, as a form: up to three filters and a sort on the
view's visible fields, or group totals by one field, with the answer as a table under the form.
Every query goes through the same service as the API (`datashare.service`), so it is checked
against the view's policy, counted in its access log, and groups smaller than k are withheld. On a
differentially private view the form asks for the ε to spend, shows the viewer's budget left this
period, and the answer shows each figure's 95% error bound (± beside it).
The query is a POST carrying the CSRF token: it writes an access-log entry under the viewer's name,
which a link from another site must not be able to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from alliance.core.clock import Clock
from alliance.edge.deps import ClockDep, Code, Id, StoreDep, StoresDep
from alliance.core.errors import InvalidInput
from alliance.datashare import service
from alliance.datashare.budget import party_of
from alliance.datashare.views import DATASETS, NUMERIC, Kind, Policy, ViewSpec, parse_filters
from alliance.registry import service as registry
from alliance.store.datashare_repository import StoredView
from alliance.store.stores import Stores
from alliance.web.forms import CHOOSE, PostedForm
from alliance.web.i18n import N_
from alliance.web.render import gettext_for, render
from alliance.web.sharing_pages import FIELD_LABELS, PERIOD_NAMES
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)
FILTERS = 3  # filter rows on the form
ROWS_PAGE = 50
OPERATORS = {"=": N_("equals"), ">=": N_("at least"), "<=": N_("at most")}
VALUE_HINTS = {
    Kind.DAY: N_("Enter a date as YYYY-MM-DD."),
    Kind.COUNT: N_("Enter a whole number."),
    Kind.MONEY: N_("Enter an amount such as 120 or 99.50."),
    Kind.TEXT: N_("Enter the text to match exactly."),
}
CHOOSE_FIELD = N_("Choose one of the view's visible fields.")
CHOOSE_OPERATOR = N_("Choose equals, at least or at most.")
GIVE_VALUE = N_("Enter the value to compare with.")
AGGREGATES_ONLY = N_("This view shares only aggregates: ask for group totals.")
NOT_OURS = N_("This page of results is not one this form gave: run the query again.")
BAD_EPSILON = N_("Enter ε as a number greater than 0 with at most six decimal places, no more than the budget.")
OVER_BUDGET = N_("This query would spend ε %(epsilon)s but only %(remaining)s of your budget is left this period: "
                 "nothing was spent.")


@dataclass(frozen=True)
class QueryForm:
    """What the form shows: the view's usable fields and the values as typed."""

    visible: list[str]
    groupable: list[str]
    sums: list[str]
    functions: tuple[str, ...] = ("sum",)  # which aggregates of `sums` the view gives


def _shape(spec: ViewSpec, private: bool = False) -> QueryForm:
    """The form's fields; a differentially private view shares no rows (its visible fields behave as aggregate)."""
    kinds = DATASETS[spec.dataset]
    usable = spec.fields(Policy.VISIBLE, Policy.AGGREGATE)
    groupable = spec.fields(Policy.VISIBLE, Policy.AGGREGATE, Policy.DIMENSION)
    return QueryForm([] if private else spec.fields(Policy.VISIBLE), [f for f in groupable if kinds[f] not in NUMERIC],
                     [f for f in usable if kinds[f] in NUMERIC], ("sum",) if private else spec.functions)


def _party(viewer: Viewer) -> str:
    return party_of(viewer.principal.member, viewer.principal.role.value)


def _page(request: Request, store: StoreDep, code: str, found: StoredView, viewer: Viewer, clock: Clock, *,
          status: int = 200, form: PostedForm | None = None, answer: dict[str, Any] | None = None) -> HTMLResponse:
    _ = gettext_for(request)
    spec = service.spec_of(found)
    shape = _shape(spec, found.privacy is not None)
    budget = None if found.privacy is None else service.budget(store, code, found.id, _party(viewer), clock)
    label = {f: _(FIELD_LABELS[f]) if f in FIELD_LABELS else f for f in DATASETS[spec.dataset]}
    posted = form or PostedForm({"mode": "rows" if shape.visible else "groups"})
    view = posted.view(request)
    return render(
        request, "sharing/query.html", status=status, viewer=viewer, alliance=registry.get_alliance(store, code),
        section="sharing", view=found, company=registry.get_member(store, code, found.member).legal_name,
        shape=shape, labels=label, values=view.values, errors=view.errors, answer=answer, filters=range(FILTERS),
        field_options=[("", _(CHOOSE)), *((f, label[f]) for f in shape.visible)],
        group_options=[("", _("The whole view")), *((f, label[f]) for f in shape.groupable)],
        operator_options=[(op, _(text)) for op, text in OPERATORS.items()],
        hints={f: _(VALUE_HINTS[DATASETS[spec.dataset][f]]) for f in shape.visible},
        money_fields=[f for f in DATASETS[spec.dataset] if DATASETS[spec.dataset][f] is Kind.MONEY],
        budget=budget, period_name=None if budget is None else _(PERIOD_NAMES[budget["period"]]),
    )


@router.get("/alliances/{code}/sharing/views/{view_id}", response_class=HTMLResponse)
def query_form(request: Request, code: Code, view_id: Id, store: StoreDep, clock: ClockDep,
               viewer: PageViewer) -> HTMLResponse:
    """The query form for a view shared now; nothing is read or logged until it is run."""
    return _page(request, store, code, service.shared_view(store, code, view_id, clock), viewer, clock)


def _filters(form: PostedForm, spec: ViewSpec, visible: list[str]) -> list[str]:
    """The filled filter rows as the API's `field<op>value` strings; a wrong row is noted on its field."""
    out: list[str] = []
    for i in range(FILTERS):
        field, op = form.values.get(f"filter_field_{i}", ""), form.values.get(f"filter_op_{i}", "=")
        value = form.values.get(f"filter_value_{i}", "").strip()
        if not field and not value:
            continue
        if field not in visible:
            form.fail(f"filter_field_{i}", CHOOSE_FIELD)
            continue
        if op not in OPERATORS:
            form.fail(f"filter_op_{i}", CHOOSE_OPERATOR)
            continue
        if not value:
            form.fail(f"filter_value_{i}", GIVE_VALUE)
            continue
        try:
            parse_filters(spec, [f"{field}{op}{value}"])
        except InvalidInput:
            form.fail(f"filter_value_{i}", VALUE_HINTS[DATASETS[spec.dataset][field]])
            continue
        out.append(f"{field}{op}{value}")
    return out


@router.post("/alliances/{code}/sharing/views/{view_id}", response_class=HTMLResponse)
async def run_query(request: Request, code: Code, view_id: Id, stores: StoresDep, clock: ClockDep,
                    viewer: PageViewer) -> HTMLResponse:
    """Run the query: rows a page at a time, or group totals; the answer is logged for the publisher."""
    store = stores.records
    found = service.shared_view(store, code, view_id, clock)
    spec = service.spec_of(found)
    shape = _shape(spec, found.privacy is not None)
    form = await PostedForm.read(request)
    mode = form.values.get("mode") if form.values.get("mode") in ("rows", "groups") else "rows"
    form.values["mode"] = mode
    if mode == "rows":
        return await _rows(request, stores, code, found, spec, shape, form, viewer, clock)
    group_by = form.values.get("group_by", "")
    if group_by and group_by not in shape.groupable:
        form.fail("group_by", CHOOSE_FIELD)
        return _page(request, store, code, found, viewer, clock, status=422, form=form)
    epsilon = (form.values.get("epsilon", "").strip() or None) if found.privacy is not None else None
    try:
        answer = await run_in_threadpool(service.groups, stores, code, view_id,
                                         group_by=[group_by] if group_by else [], actor=viewer.principal.actor,
                                         clock=clock, party=_party(viewer), epsilon=epsilon)
    except service.ViewBudgetExceeded:
        left = service.budget(store, code, view_id, _party(viewer), clock)["remaining"]
        form.fail("epsilon", OVER_BUDGET, epsilon=epsilon or (found.privacy or {}).get("query_epsilon"), remaining=left)
        return _page(request, store, code, found, viewer, clock, status=409, form=form)
    except InvalidInput:  # only ε is left unchecked here
        form.fail("epsilon", BAD_EPSILON)
        return _page(request, store, code, found, viewer, clock, status=422, form=form)
    return _page(request, store, code, found, viewer, clock, form=form, answer={"mode": "groups", **answer})


async def _rows(request: Request, stores: Stores, code: str, found: StoredView, spec: ViewSpec,
                shape: QueryForm, form: PostedForm, viewer: Viewer, clock: ClockDep) -> HTMLResponse:
    store = stores.records
    if not shape.visible:
        form.fail("mode", AGGREGATES_ONLY)
    filters = _filters(form, spec, shape.visible)
    sort_field = form.values.get("sort_field", "")
    if sort_field and sort_field not in shape.visible:
        form.fail("sort_field", CHOOSE_FIELD)
    if not form.ok:
        return _page(request, store, code, found, viewer, clock, status=422, form=form)
    sort = None if not sort_field else ("-" if form.values.get("sort_dir") == "desc" else "") + sort_field
    try:
        page = await run_in_threadpool(service.rows, stores, code, found.id, filters=filters, sort=sort,
                                       limit=ROWS_PAGE, cursor=form.values.get("cursor") or None,
                                       actor=viewer.principal.actor, clock=clock)
    except InvalidInput:  # only the cursor is left unchecked here: a tampered one
        form.values.pop("cursor", None)
        form.fail("mode", NOT_OURS)
        return _page(request, store, code, found, viewer, clock, status=422, form=form)
    return _page(request, store, code, found, viewer, clock, form=form,
                 answer={"mode": "rows", "fields": shape.visible, "items": page.items, "next_cursor": page.next_cursor})
