"""The inventory board (库存看板) in the browser: the alliance's stock by SKU and region per member as of
a day, slow-moving stock flagged, the transfer suggestions for it, and turnover days per member and
for the alliance over the last twelve months (a chart, and the same figures as a table).

What a viewer sees is `alliance.operations.inventory.service`'s rule: coordinators, auditors and the
members on the board (those publishing a live view of their inventory) see the board; a member not
on it sees its own stock only, with the invitation to publish an inventory view. Of each other
member the page shows only what its inventory view shares ("—" for a withheld cost or age, and a
note naming the members that withhold cost, age or region). The as-of day and
the threshold come from a plain GET form: a value the service refuses is named beside its field
(422) and the board is shown with the default in its place, so the page never breaks on a typo.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from alliance.edge.deps import ClockDep, Code, StoresDep
from alliance.operations.inventory import service as inventory
from alliance.operations.inventory.model import (Board, InventoryQueryInvalid, Scope, Turnover, TurnoverSeries,
                                                 check_day, check_paging, check_slow_after)
from alliance.registry import service as registry
from alliance.web import charts
from alliance.web.render import gettext_for, render, say_for
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)
ROWS_PER_PAGE = 50  # stock rows (and SKU / region totals) on one page of the board
FORM_FIELDS = ("as_of", "slow_after", "offset")  # the query string's fields, as the service names them
QUERY_LIMIT = 24  # characters of a query value read: a date or a number is shorter


@dataclass(frozen=True, slots=True)
class TurnoverLine:
    """One series of the turnover table: whose it is, and its turnover days per month (None: "—")."""

    key: str            # "alliance" or the member's code (the table row's data attribute)
    name: str
    days: tuple[Decimal | None, ...]


def _query(request: Request) -> dict[str, str]:
    return {name: (request.query_params.get(name) or "").strip()[:QUERY_LIMIT] for name in FORM_FIELDS}


def _checked(typed: Mapping[str, str], say: Callable[[object], str]) -> tuple[dict[str, str], dict[str, str]]:
    """The typed values the service would accept (a refused one replaced by '', its default) and the
    message of each refused field, checked one by one so that each error is named beside its field."""
    checks: dict[str, Callable[[str], object]] = {
        "as_of": lambda text: check_day(text, date(2000, 1, 1)),  # the default is not used: text is not empty
        "slow_after": check_slow_after,
        "offset": lambda text: check_paging(text, ROWS_PER_PAGE),
    }
    kept: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, check in checks.items():
        text = typed.get(name, "")
        try:
            if text:
                check(text)
        except InventoryQueryInvalid as exc:
            errors[name] = say(exc.message)
            text = ""
        kept[name] = text
    return kept, errors


def _turnover_lines(found: Turnover, names: Mapping[str, str], alliance_name: str) -> list[TurnoverLine]:
    series: list[tuple[str, str, TurnoverSeries]] = []
    if found.alliance_series is not None:
        series.append(("alliance", alliance_name, found.alliance_series))
    series.extend((s.member or "", names.get(s.member or "", s.member or ""), s) for s in found.members)
    return [TurnoverLine(key, name, tuple(m.turnover_days for m in s.months)) for key, name, s in series]


def _turnover_chart(found: Turnover, lines: Sequence[TurnoverLine], gettext: Callable[[str], str]) -> dict[str, Any] | None:
    """A line per series over the months (a gap where nothing was sold); None when no month has a figure."""
    if not any(d is not None for line in lines for d in line.days):
        return None
    return charts.lines([f"{m:%Y-%m}" for m in found.months], {line.name: list(line.days) for line in lines},
                        unit=gettext("days"))


def _links(code: str, board: Board, viewer: Viewer, root: str) -> dict[str, str | None]:
    """Where the page's invitations lead: importing a dataset and publishing a view are the member's own
    accounts' (ACT_FOR_MEMBER); anyone else is sent to the data-sharing page, which explains both."""
    sharing = f"{root}/alliances/{code}/sharing"
    member = viewer.own_member(code)
    return {"sharing_url": sharing,
            "import_url": f"{sharing}/members/{member}/datasets/import" if member else None,
            "publish_url": f"{sharing}/members/{member}/views/new" if member else None}


@router.get("/alliances/{code}/inventory", response_class=HTMLResponse)
def board_page(request: Request, code: Code, stores: StoresDep, clock: ClockDep, viewer: PageViewer) -> HTMLResponse:
    """The board as of the form's day with its threshold, one page of rows, and twelve months of turnover."""
    say = say_for(request)
    gettext = gettext_for(request)
    alliance = registry.get_alliance(stores.records, code)
    typed = _query(request)
    kept, errors = _checked(typed, say)
    try:
        board = inventory.board(stores, code, viewer.principal, clock, as_of=kept["as_of"] or None,
                                slow_after_days=kept["slow_after"] or None, offset=kept["offset"] or 0,
                                limit=ROWS_PER_PAGE)
    except InventoryQueryInvalid as exc:  # a check the page does not know of: the defaults, and the message
        errors.update({p.field: say(p.reason) for p in exc.problems} or {"as_of": say(exc.message)})
        board = inventory.board(stores, code, viewer.principal, clock, limit=ROWS_PER_PAGE)
    found = inventory.turnover(stores, code, viewer.principal, clock, as_of=board.as_of)
    names = {m.code: m.legal_name for m in registry.list_members(stores.records, code, include_left=True)}
    lines = _turnover_lines(found, names, gettext("Alliance"))
    shown = {"as_of": typed["as_of"] if "as_of" in errors else board.as_of.isoformat(),
             "slow_after": typed["slow_after"] if "slow_after" in errors else str(board.slow_after_days)}
    return render(request, "inventory/board.html", status=422 if errors else 200, alliance=alliance,
                  section="sharing", board=board, turnover=found, turnover_lines=lines,
                  turnover_chart=_turnover_chart(found, lines, gettext), names=names, values=shown, errors=errors,
                  own_scope=board.scope is Scope.OWN, month_labels=[f"{m:%Y-%m}" for m in found.months],
                  paging={"as_of": board.as_of.isoformat(), "slow_after": board.slow_after_days},
                  withheld_names={field: ", ".join(names.get(m, m) for m in members) for field, members in
                                  (("cost", board.cost_withheld), ("age", board.age_withheld),
                                   ("region", board.region_withheld))},
                  **_links(code, board, viewer, request.scope.get("root_path", "")))
