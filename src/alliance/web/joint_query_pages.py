"""A joint query across shared views in the browser (clean-room rules, 联合查询): pick two or more
views of different members, the column they join on, one group field and the aggregates; the
groups come back as a table and a bar chart.

The form posts (with the CSRF token) to the same service as the API (`datashare.joint_service`):
the query is checked against the strictest rules of the views, small groups are withheld, and it
is written to the access log of every view involved.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from alliance.core.errors import InvalidInput
from alliance.datashare import joint_service, service
from alliance.datashare.cleanroom import AGGREGABLE, GROUPABLE, MAX_VIEWS
from alliance.datashare.views import DATASETS, FUNCTIONS, NUMERIC, Policy
from alliance.edge.deps import ClockDep, Code, StoreDep, StoresDep
from alliance.registry import service as registry
from alliance.store.datashare_repository import StoredView
from alliance.web import charts
from alliance.web.i18n import N_
from alliance.web.render import gettext_for, render
from alliance.web.sharing_pages import FIELD_LABELS
from alliance.web.viewer import PageViewer

router = APIRouter(include_in_schema=False)
FUNCTION_LABELS = {"sum": N_("Sum of %(field)s"), "avg": N_("Average of %(field)s")}


def _page(request: Request, store: StoreDep, code: str, clock: ClockDep, *, status: int = 200,
          values: dict[str, Any] | None = None, answer: dict[str, Any] | None = None,
          refused: Any = None) -> HTMLResponse:
    _ = gettext_for(request)
    views = service.views(store, code, clock)
    companies = {m.code: m.legal_name for m in registry.list_members(store, code)}
    label = {f: _(FIELD_LABELS[f]) if f in FIELD_LABELS else f for f in DATASETS["sales"]}

    def ref_label(view: StoredView, field: str) -> str:
        return f"{label.get(field, field)} · {view.name} ({view.id})"

    joinable = sorted({f for v in views for f, p in v.policies.items() if p == Policy.JOIN.value})
    group_options = [("", _("No grouping: one total"))]
    aggregate_options = []
    for v in views:
        kinds = DATASETS[v.dataset]
        functions = v.functions or ("sum",)
        for field in kinds:
            policy = Policy(v.policies.get(field, Policy.HIDDEN.value))
            if policy in GROUPABLE and kinds[field] not in NUMERIC:
                group_options.append((f"{v.id}.{field}", ref_label(v, field)))
            if policy in AGGREGABLE and kinds[field] in NUMERIC:
                aggregate_options += [(f"{fn}:{v.id}.{field}", _(FUNCTION_LABELS[fn]) % {"field": ref_label(v, field)})
                                      for fn in FUNCTIONS if fn in functions]
    return render(request, "sharing/joint.html", status=status, alliance=registry.get_alliance(store, code),
                  section="sharing", views=views, companies=companies, values=values or {"views": [], "aggregates": []},
                  join_options=[(f, f"{label.get(f, f)} ({f})") for f in joinable] or [("", _("No view has a join column"))],
                  group_options=group_options, aggregate_options=aggregate_options,
                  answer=answer, refused=refused, max_views=MAX_VIEWS,
                  chart=_chart(answer, _) if answer and answer["groups"] else None)


def _chart(answer: dict[str, Any], _: Any) -> dict[str, Any]:
    """Each aggregate asked per group as bars, or the distinct join keys when none was asked (one
    scale: keys and money side by side would flatten the keys)."""
    key = answer["group_by"][0] if answer["group_by"] else None
    categories = [str(g[key]) if key else _("All") for g in answer["groups"]]
    series: dict[str, list[Decimal | float | None]] = {
        name: [None if g[name] is None else Decimal(str(g[name])) for g in answer["groups"]]
        for name in answer["aggregates"]}
    return charts.bars(categories, series or {_("Shared join keys"): [Decimal(g["join_keys"]) for g in answer["groups"]]})


@router.get("/alliances/{code}/sharing/joint", response_class=HTMLResponse)
def joint_form(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> HTMLResponse:
    """The joint query form; nothing is read or logged until it is run."""
    return _page(request, store, code, clock)


@router.post("/alliances/{code}/sharing/joint", response_class=HTMLResponse)
async def run_joint(request: Request, code: Code, stores: StoresDep, clock: ClockDep,
                    viewer: PageViewer) -> HTMLResponse:
    """Run the joint query; a refused one says which rule refused it, and nothing is logged."""
    form = await request.form()
    chosen = [str(v) for v in form.getlist("views")][:MAX_VIEWS + 1]
    values: dict[str, Any] = {"views": chosen, "join": str(form.get("join", ""))[:64],
                              "group_by": str(form.get("group_by", ""))[:80],
                              "aggregates": [str(a)[:90] for a in form.getlist("aggregates")][:16]}
    _ = gettext_for(request)
    view_ids = [int(v) for v in chosen if v.isdigit() and len(v) < 10]
    try:
        answer = await run_in_threadpool(
            joint_service.joint_query, stores, code, view_ids, join=values["join"],
            group_by=[values["group_by"]] if values["group_by"] else [], aggregates=values["aggregates"],
            filters=[], actor=viewer.principal.actor, clock=clock)
    except InvalidInput as exc:
        return _page(request, stores.records, code, clock, status=422, values=values, refused=exc.message)
    return _page(request, stores.records, code, clock, values=values, answer=answer)
