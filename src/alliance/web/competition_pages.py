"""Competition-law screening in the browser: the alliance's screenings and the sets that apply (with
their sources), the form where the coordinator names markets and enters shares in a table (rows and
markets added by a button, no script needed), each result with its charts (shares against the share
thresholds, HHI against the HHI thresholds), the verdicts in plain words, the notice that it is a
screening aid and no legal advice, and the justification form.

Who may act is decided by `alliance.competition.service`; the forms are shown only to the coordinator.
Refused input is shown above the form, as typed, each problem naming its market and row; nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.access.policy import Action, Forbidden
from alliance.competition import service as competition
from alliance.competition.checks import (MAX_MARKETS, MAX_PARTICIPANTS, NAME_LIMIT, NUMBER_LIMIT, MarketEntry,
                                         ParticipantEntry)
from alliance.competition.model import (ALLIANCE_ROLES, OCCASION_NAMES, RELATION_NAMES, ROLE_NAMES, Occasion, Relation,
                                        Role)
from alliance.competition.screen import NOT_LEGAL_ADVICE, VERDICT_NAMES, MarketResult
from alliance.competition.thresholds import MEASURES, registry
from alliance.core.errors import Conflict, InvalidInput
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.registry import service as registry_service
from alliance.web import charts
from alliance.web.render import gettext_for, render
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)
FIRST_ROWS = 4     # participant rows a new market offers
SHARE_MEASURES = ("combined_share", "largest_share")
HHI_MEASURES = ("post_hhi",)  # ΔHHI limits (100, 150, 250) would crowd the HHI axis: the words name them


def _helpers() -> dict[str, Any]:
    return {"occasions": list(Occasion), "occasion_names": OCCASION_NAMES, "relations": list(Relation),
            "relation_names": RELATION_NAMES, "roles": list(Role), "role_names": ROLE_NAMES,
            "verdict_names": VERDICT_NAMES, "notice": NOT_LEGAL_ADVICE, "all_sets": list(registry().values())}


def _refused(exc: InvalidInput | Conflict | Forbidden) -> dict[str, Any]:
    return {"error": exc.message, "problems": [p.text() for p in getattr(exc, "problems", [])][:60]}


# -- the alliance's screenings ---------------------------------------------------------------------------------
@router.get("/alliances/{code}/competition", response_class=HTMLResponse)
async def screenings_page(request: Request, code: Code, store: StoreDep, clock: ClockDep,
                          viewer: PageViewer) -> HTMLResponse:
    alliance, found = await run_in_threadpool(lambda: (registry_service.get_alliance(store, code),
                                                       competition.overview(store, code, viewer.principal, clock)))
    return render(request, "competition/index.html", alliance=alliance, section="competition", found=found,
                  may_screen=viewer.may(Action.MANAGE_ALLIANCE, code), **_helpers())


@router.post("/alliances/{code}/competition/sets", response_class=HTMLResponse)
async def choose_sets(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    form = await request.form()
    chosen = [str(v)[:40] for v in form.getlist("sets")][:20]
    await run_in_threadpool(competition.choose_sets, store, code, viewer.principal, clock, chosen)
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/competition#sets", status_code=303)


# -- the screening form -------------------------------------------------------------------------------------------
def _count(form: Any, name: str, default: int, limit: int) -> int:
    try:
        return max(1, min(int(str(form.get(name, default))), limit))
    except ValueError:
        return default


def _read_form(form: Any) -> tuple[list[MarketEntry], list[int]]:
    """The markets as typed, and how many rows each shows (blank rows are kept for the table, and left
    out of the screening by the check)."""
    markets, rows = [], []
    for i in range(_count(form, "markets", 1, MAX_MARKETS)):
        count = _count(form, f"m{i}-rows", FIRST_ROWS, MAX_PARTICIPANTS)
        participants = tuple(ParticipantEntry(str(form.get(f"m{i}-p{j}-name", ""))[:NAME_LIMIT],
                                              str(form.get(f"m{i}-p{j}-role", Role.MEMBER.value))[:16],
                                              str(form.get(f"m{i}-p{j}-share", ""))[:NUMBER_LIMIT],
                                              str(form.get(f"m{i}-p{j}-sales", ""))[:NUMBER_LIMIT])
                             for j in range(count))
        markets.append(MarketEntry(str(form.get(f"m{i}-product", ""))[:NAME_LIMIT],
                                   str(form.get(f"m{i}-region", ""))[:NAME_LIMIT],
                                   str(form.get(f"m{i}-relation", Relation.HORIZONTAL.value))[:16],
                                   str(form.get(f"m{i}-size", ""))[:NUMBER_LIMIT], participants))
        rows.append(count)
    return markets, rows


async def _form_page(request: Request, store: Any, clock: Any, code: str, viewer: Viewer, *, status: int = 200,
                     form: Any = None, markets: list[MarketEntry] | None = None, rows: list[int] | None = None,
                     refused: dict[str, Any] | None = None) -> HTMLResponse:
    alliance, found = await run_in_threadpool(lambda: (registry_service.get_alliance(store, code),
                                                       competition.overview(store, code, viewer.principal, clock)))
    if markets is None:
        markets = [MarketEntry("", "", Relation.HORIZONTAL.value, "",
                               tuple(ParticipantEntry(m) for m in found.members[:FIRST_ROWS]))]
        rows = [max(FIRST_ROWS, len(markets[0].participants))]
    values = {key: str(value)[:NAME_LIMIT] for key, value in form.multi_items()} if form is not None else {}
    chosen = set(form.getlist("sets")) if form is not None else {s.id for s in found.sets}
    return render(request, "competition/form.html", status=status, alliance=alliance, section="competition",
                  members=found.members, markets=markets, rows=rows, values=values, chosen=chosen,
                  **(refused or {"error": None, "problems": []}), **_helpers())


@router.get("/alliances/{code}/competition/new", response_class=HTMLResponse)
async def new_form(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> HTMLResponse:
    return await _form_page(request, store, clock, code, viewer)


@router.post("/alliances/{code}/competition/new", response_class=HTMLResponse)
async def run(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    form = await request.form()
    markets, rows = _read_form(form)
    action = str(form.get("action", "screen"))
    if action.startswith("add_row-"):  # one more row in that market: the table grows, nothing is screened
        wanted = action.removeprefix("add_row-")
        if wanted.isdigit() and int(wanted) < len(rows):
            rows[int(wanted)] = min(rows[int(wanted)] + 1, MAX_PARTICIPANTS)
        return await _form_page(request, store, clock, code, viewer, form=form, markets=markets, rows=rows)
    if action == "add_market" and len(markets) < MAX_MARKETS:
        markets.append(MarketEntry("", "", Relation.HORIZONTAL.value, "", ()))
        rows.append(FIRST_ROWS)
        return await _form_page(request, store, clock, code, viewer, form=form, markets=markets, rows=rows)
    try:
        found = await run_in_threadpool(lambda: competition.run(
            store, code, viewer.principal, clock, occasion=str(form.get("occasion", ""))[:16], markets=markets,
            sets=[str(s)[:40] for s in form.getlist("sets")][:20] or None,
            subject_name=str(form.get("subject_name", ""))[:NAME_LIMIT] or None,
            subject_credit_code=str(form.get("subject_credit_code", ""))[:18] or None,
            prospect=str(form.get("prospect", ""))[:NAME_LIMIT] or None))
    except (InvalidInput, Conflict) as exc:
        return await _form_page(request, store, clock, code, viewer, status=exc.status, form=form, markets=markets,
                                rows=rows, refused=_refused(exc))
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/competition/{found.number}", status_code=303)


# -- one screening: its result, charts and justification -------------------------------------------------------------
def share_chart(m: MarketResult, _: Callable[[str], str]) -> dict[str, Any]:
    """Each participant's share and the alliance's combined share (bars), with a marker line at each
    share threshold of the sets applied (15% SAMR, 25% EU, 30% US, ...)."""
    names = [p.name for p in m.market.participants] + [_("Alliance combined")]
    values = [p.share for p in m.market.participants] + [m.figures.combined_share]
    option = charts.bars(names, {_("Share of the market, percent"): [_decimal(v) for v in values]}, horizontal=True,
                         unit="%")
    option["series"][0]["markLine"] = _marks(m, SHARE_MEASURES, "xAxis")
    option["yAxis"]["inverse"] = True  # the rows in the table's order, top down
    # The alliance's side in the first colour, other firms grey, the combined share in the third.
    colours = [charts.PALETTE[0] if p.role in ALLIANCE_ROLES else "#6b7280" for p in m.market.participants]
    option["series"][0]["data"] = [{"value": v, "itemStyle": {"color": c}}
                                   for v, c in zip(option["series"][0]["data"], [*colours, charts.PALETTE[2]])]
    return option


def hhi_chart(m: MarketResult, _: Callable[[str], str]) -> dict[str, Any]:
    """The HHI before and after and ΔHHI (bars; the lower bound where part of the market is unknown),
    with a marker line at each HHI threshold of the sets applied."""
    f = m.figures
    option = charts.bars([_("Pre-alliance HHI"), _("Post-alliance HHI"), _("ΔHHI")],
                         {_("HHI points"): [_decimal(f.pre_hhi.low), _decimal(f.post_hhi.low), _decimal(f.delta_hhi)]},
                         horizontal=True)
    option["series"][0]["markLine"] = _marks(m, HHI_MEASURES, "xAxis")
    option["yAxis"]["inverse"] = True
    return option


def _marks(m: MarketResult, measures: tuple[str, ...], axis: str) -> dict[str, Any]:
    limits = sorted({(c.limit, c.measure) for s in m.sets for r in s.rules for c in r.conditions
                     if c.measure in measures and c.limit > 0})
    return {"silent": True, "symbol": "none", "lineStyle": {"type": "dashed"},
            "label": {"formatter": "{c}", "position": "start"},  # the top: the axes run top down
            # Labels alternate above and below, so that close limits (1,800 and 2,000) stay readable.
            "data": [{axis: float(_decimal(limit)), "label": {"position": "start" if n % 2 == 0 else "end"}}
                     for n, (limit, _measure) in enumerate(limits)]}


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


async def _result_page(request: Request, store: Any, code: str, number: int, viewer: Viewer, *, status: int = 200,
                       values: dict[str, Any] | None = None, refused: dict[str, Any] | None = None) -> HTMLResponse:
    alliance, found = await run_in_threadpool(lambda: (registry_service.get_alliance(store, code),
                                                       competition.show(store, code, number, viewer.principal)))
    _ = gettext_for(request)
    charts_of = [(share_chart(m, _), hhi_chart(m, _)) for m in found.result.markets]
    return render(request, "competition/show.html", status=status, alliance=alliance, section="competition",
                  s=found, charts_of=charts_of, measures=MEASURES, values=values or {},
                  may_justify=viewer.may(Action.MANAGE_ALLIANCE, code) and found.needs_justification,
                  **(refused or {"error": None, "problems": []}), **_helpers())


@router.get("/alliances/{code}/competition/{number}", response_class=HTMLResponse)
async def show(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return await _result_page(request, store, code, number, viewer)


@router.post("/alliances/{code}/competition/{number}/justification", response_class=HTMLResponse)
async def justify(request: Request, code: Code, number: Id, store: StoreDep, clock: ClockDep,
                  viewer: PageViewer) -> Response:
    form = await request.form()
    text = str(form.get("text", ""))[:competition.JUSTIFICATION_LIMIT * 2]
    try:
        await run_in_threadpool(competition.justify, store, code, number, viewer.principal, clock, text)
    except (InvalidInput, Conflict) as exc:
        return await _result_page(request, store, code, number, viewer, status=exc.status, values={"text": text},
                                  refused=_refused(exc))
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/alliances/{code}/competition/{number}#justification", status_code=303)
