"""The alliance's voting weights (表决权重) in the browser: what each source of weights gives today
(the explicit table, settled contribution, one vote each) as a table and a bar chart of shares, the
table's history from the ledger, and for the coordinator a form that sets the table as a whole.

Reading is every role of the alliance (`READ_DIRECTORY`); the form is `MANAGE_BODIES`, decided by
`access.policy` (the page's action in `PAGES`, then the service). With htmx the answer's
`#weights-main` is swapped in place; a refused table is shown again as typed, each problem beside
its member's field (422), and nothing is stored.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from alliance.access.policy import Action
from alliance.core.errors import InvalidInput
from alliance.edge.deps import ClockDep, Code, StoreDep
from alliance.governance import service_weights as service
from alliance.governance.numbers import as_percent
from alliance.governance.weight_table import exact_text
from alliance.registry import service as registry
from alliance.web import charts
from alliance.web.render import gettext_for, render
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)
FIELD = "weight-"  # a member's weight field: weight-M1


def _page(request: Request, store: StoreDep, code: str, viewer: Viewer, clock: ClockDep, *, status: int = 200,
          errors: dict[str, Any] | None = None, values: dict[str, str] | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    view = service.weights_view(store, code, viewer.principal, clock)
    companies = {m.code: m.legal_name for m in registry.list_members(store, code, include_left=True)}
    members = sorted(set(view.members) | {w.member for w in view.table})
    gettext = gettext_for(request)
    shown = [s for s in view.sources if s.weights is not None]
    chart = charts.bars([companies.get(m, m) for m in members],
                        {gettext(s.source.title): [_percent(s.shares.get(m)) for m in members] for s in shown},
                        unit="%") if shown and members else None
    stored = {w.member: w.weight for w in view.table}
    return render(request, "governance/weights.html", status=status, alliance=alliance, section="governance",
                  view=view, members=members, companies=companies, chart=chart, exact=exact_text, percent=_percent, local=local,
                  may_set=viewer.may(Action.MANAGE_BODIES, code), errors=errors or {},
                  values=values if values is not None else {f"{FIELD}{m}": stored.get(m, "") for m in view.members},
                  field=FIELD)


def local(moment: datetime, zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M}"


def _percent(share: Any) -> Decimal | None:
    return as_percent(share) if share is not None else None


@router.get("/alliances/{code}/governance/weights", response_class=HTMLResponse)
def weights_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> HTMLResponse:
    return _page(request, store, code, viewer, clock)


@router.post("/alliances/{code}/governance/weights", response_class=HTMLResponse)
async def set_weights(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> Response:
    """The whole table from the form: one field per active member; a blank field leaves the member out."""
    form = await request.form()
    values = {name: str(value)[:64] for name, value in form.multi_items() if name.startswith(FIELD)}
    entries = [(name.removeprefix(FIELD), text.strip()) for name, text in values.items() if text.strip()]
    try:
        service.set_weight_table(store, code, viewer.principal, entries, clock)
    except InvalidInput as exc:
        errors: dict[str, Any] = {}
        for p in exc.problems:
            errors.setdefault(f"{FIELD}{p.field}" if p.field else "weights", p.reason)
        return _page(request, store, code, viewer, clock, status=422, errors=errors or {"weights": exc.message},
                     values=values)
    return RedirectResponse(f"{request.scope.get('root_path', '')}/alliances/{code}/governance/weights",
                            status_code=303)
