"""Contribution in the browser: the generic game solver (an uploaded file or a built-in example).

The section opens on the alliance's own contribution report (`contribution_report_page`); the
solver is the tool beside it, at `/contribution/solver`.

Shapley, Banzhaf and the nucleolus side by side (a grouped bar chart and a table), the core check
in words, and for a weighted vote each member's voting power beside its weight. The computation is
`alliance.games` on the uploaded text only: nothing is stored or read, so `Action.COMPUTE` is
enough, but the page lives under an alliance like every other page of the workspace.

A bad file answers 422 with every problem the reader found (`GameInvalid.problems`).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import PurePath
from typing import Any

from babel.numbers import format_decimal, format_percent
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from alliance.edge.deps import Code, StoreDep
from alliance.core import budget
from alliance.core.errors import InvalidInput
from alliance.core.settings import get_settings
from alliance.games.files import parse_game, parse_worth_csv
from alliance.games.game import AttributionGame, Game, WeightedVotingGame
from alliance.games.solve import GameSolution, solve
from alliance.games.voting import VotingPower, voting_power
from alliance.registry import service as registry
from alliance.web import charts
from alliance.web.contribution_report_page import router as report_router
from alliance.web.i18n import N_, get_translations, request_locale
from alliance.web.render import is_htmx, render
from alliance.web.viewer import PageViewer

router = APIRouter(include_in_schema=False)
MAX_GAME_FILE = 1 << 20  # 1 MiB: a full worth table of 16 players is ~1.5 MB, larger ones belong to the CLI
MAX_SAMPLES = 20_000     # sampled values on a page: a few seconds at most; the CLI and API go further
PAGE_PLAYERS = 20       # beyond this only the closed forms (weighted votes, attribution) are solved on a page
TOO_LARGE = N_("On this page a worth table, or a shared cost, takes at most 20 players: solve larger games with the "
               "command line.")
SHOWN = (("shapley", N_("Shapley value")), ("banzhaf", N_("Banzhaf value")), ("nucleolus", N_("Nucleolus")))


@dataclass(frozen=True, slots=True)
class Example:
    label: str     # msgid
    filename: str  # as in docs/examples/games/
    text: str


# The examples of docs/examples/games/, built in: docs are not installed with the package (a test
# keeps the two in step).
EXAMPLES: dict[str, Example] = {
    "glove": Example(N_("Glove market: one left glove, two right gloves"), "glove.json", """{
  "type": "table",
  "players": ["L", "R1", "R2"],
  "values": {"L": 0, "R1": 0, "R2": 0, "L;R1": 1, "L;R2": 1, "R1;R2": 0, "L;R1;R2": 1}
}
"""),
    "synergy": Example(N_("Three companies' synergies (CSV worth table)"), "synergy.csv",
                       "coalition,value\nA,10\nB,20\nC,30\nA;B,50\nA;C,60\nB;C,70\nA;B;C,120\n"),
    "council": Example(N_("Alliance council: weighted vote with a veto"), "council.json", """{
  "type": "weighted_voting",
  "quota": "51",
  "weights": {"华东零售": "40", "华南品牌": "30", "西南物流": "20", "小店联合": "10"},
  "veto": ["华东零售"]
}
"""),
    "warehouse": Example(N_("Shared warehouse: who pays for the building (cost game)"), "warehouse.json", """{
  "type": "airport",
  "requirements": {"小仓": "120000.00", "中仓": "200000.00", "大仓": "450000.00"}
}
"""),
    "referrals": Example(N_("Referral credit for orders sold together"), "referrals.json", """{
  "type": "attribution",
  "orders": [
    {"members": ["华东零售", "华南品牌"], "value": "1200.00"},
    {"members": ["华南品牌"], "value": "300.00"},
    {"members": ["华东零售", "西南物流", "华南品牌"], "value": "900.00"}
  ]
}
"""),
}


class FileRefused(InvalidInput):
    """The upload is not a game file this page reads (its message is a msgid)."""


def _table_players(text: str, suffix: str) -> int:
    """How many players a worth table names, counted before the table (2^n worths) is built."""
    if suffix == ".csv":
        names = {name.strip() for row in csv.reader(io.StringIO(text)) for name in (row[:1] or [""])[0].split(";")}
        return len(names - {"", "coalition"})
    try:
        document = json.loads(text)
    except ValueError:
        return 0  # the reader reports it
    players = document.get("players") if isinstance(document, dict) and document.get("type") == "table" else None
    return len(players) if isinstance(players, list) else 0


def read_game(text: str, filename: str, monotone: bool) -> Game:
    """The game in a file's text: a worth table for .csv, a game document for .json.

    Raises `GameInvalid` listing every problem, or `FileRefused` for any other kind of file and for
    games too large to enumerate on a page (`PAGE_PLAYERS`: a request holds no gigabyte here)."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in (".csv", ".json"):
        raise FileRefused(N_("A game file is a .json game document or a .csv worth table."))
    if _table_players(text, suffix) > PAGE_PLAYERS:
        raise FileRefused(TOO_LARGE)
    game = parse_worth_csv(text, monotone=monotone) if suffix == ".csv" else parse_game(text)
    if game.n > PAGE_PLAYERS and not isinstance(game, (WeightedVotingGame, AttributionGame)):
        raise FileRefused(TOO_LARGE)
    return game


@dataclass(frozen=True)
class Outcome:
    """What the result fragment shows, every figure already formatted in the page's language."""

    source: str
    cost: bool
    grand_worth: str
    columns: list[tuple[str, str]]              # (solution, its translated name)
    rows: list[tuple[str, list[str]]]           # player, one figure per column ("" when not computed)
    chart: dict[str, Any]
    core: dict[str, Any] | None
    skipped: list[tuple[str, str]]              # (translated solution name, why, as the solver says)
    voting: dict[str, Any] | None
    large: bool                                 # more than PAGE_PLAYERS: no core check, no nucleolus


def _plotted(x: float | Fraction) -> Decimal:
    """A value for a chart: rounded to nine decimals, so a tooltip shows 0.6, not 0.6000000000000001."""
    return Decimal(repr(round(float(x), 9))) + 0


class Figures:
    """Numbers as the page's language writes them: up to six decimals, exact enough to compare."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def __call__(self, x: float | Fraction) -> str:
        value = Decimal(str(float(x))) if abs(float(x)) >= 5e-7 else Decimal(0)
        return format_decimal(value, format="#,##0.######", locale=self.locale)

    def percent(self, x: float | Fraction) -> str:
        return format_percent(Decimal(str(float(x))), format="#,##0.0#%", locale=self.locale)


def _core(result: GameSolution, figure: Figures) -> dict[str, Any] | None:
    core = result.core
    if core is None:
        return None
    return {"in_core": core["in_core"], "efficient": core["efficient"],
            "blocking": " + ".join(core["blocking"] or ()), "excess": figure(core["excess"]),
            "core_empty": core.get("core_empty"), "epsilon": figure(core.get("least_core_epsilon", 0.0))}


def _voting(game: WeightedVotingGame, power: VotingPower, figure: Figures, gettext: Any) -> dict[str, Any]:
    total = sum(game.weights, Fraction(0))
    shares = [w / total if total else Fraction(0) for w in game.weights]
    rows = [{"member": p, "weight": figure(game.weights[i]), "share": figure.percent(shares[i]),
             "shapley_shubik": figure.percent(power.shapley_shubik[i]), "banzhaf": figure.percent(power.banzhaf_index[i]),
             "veto": i in game.veto} for i, p in enumerate(game.players)]
    chart = charts.bars(list(game.players), {
        gettext("Share of the weight"): [_plotted(s * 100) for s in shares],
        gettext("Shapley-Shubik power"): [_plotted(x * 100) for x in power.shapley_shubik],
        gettext("Banzhaf power"): [_plotted(x * 100) for x in power.banzhaf_index],
    }, unit="%")
    return {"quota": figure(game.quota), "rows": rows, "chart": chart}


def outcome(game: Game, source: str, locale: str) -> Outcome:
    """Solve `game` and format what the page shows (runs in a child process within the computing
    budget, core.budget: it may take seconds)."""
    gettext = get_translations(locale).gettext
    figure = Figures(locale)
    large = game.n > PAGE_PLAYERS  # a weighted vote or attribution: closed forms only, no coalition enumerated
    result = solve(game, ["shapley", "banzhaf"] if large else ["all"], max_samples=MAX_SAMPLES)
    columns = [(key, gettext(name)) for key, name in SHOWN if key in result.values]
    rows = []
    for player in result.players:
        cells = []
        for key, _name in columns:
            cell = figure(result.values[key][player])
            half = result.half_widths.get(key, {}).get(player)
            cells.append(f"{cell} ± {figure(half)}" if half is not None else cell)
        rows.append((player, cells))
    chart = charts.bars(list(result.players), {name: [_plotted(result.values[key][p]) for p in result.players]
                                               for key, name in columns})
    names = dict(SHOWN)
    skipped = [(gettext(names[key]), why) for key, why in result.skipped.items() if key in names]
    voting = _voting(game, voting_power(game), figure, gettext) if isinstance(game, WeightedVotingGame) else None
    return Outcome(source, result.cost, figure(result.grand_worth), columns, rows, chart, _core(result, figure),
                   skipped, voting, large)


def _page(request: Request, store: StoreDep, code: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    template = "fragments/contribution_result.html" if is_htmx(request) else "contribution/solve.html"
    context = {"result": None, "error": None, "detail": None, "problems": [], "chosen": "", **context}
    return render(request, template, status=status, alliance=registry.get_alliance(store, code),
                  section="contribution", examples=[(k, e.label) for k, e in EXAMPLES.items()], **context)


@router.get("/alliances/{code}/contribution/solver", response_class=HTMLResponse)
def contribution_solver(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """The generic game solver, a tool beside the alliance's own report."""
    return render(request, "contribution/solve.html", alliance=registry.get_alliance(store, code),
                  section="contribution", examples=[(k, e.label) for k, e in EXAMPLES.items()], result=None,
                  error=None, detail=None, problems=[], chosen="")


async def _uploaded(upload: UploadFile) -> tuple[str, str]:
    """(file name, text) of an upload; FileRefused if it is too large or not UTF-8 text."""
    data = await upload.read(MAX_GAME_FILE + 1)
    if len(data) > MAX_GAME_FILE:
        raise FileRefused(N_("The game file is larger than 1 MiB: solve games this large with the command line."))
    try:
        return upload.filename or "", data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(N_("The game file is not UTF-8 text.")) from None


@router.post("/alliances/{code}/contribution", response_class=HTMLResponse)
async def solve_game(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """Solve the uploaded game file, or the chosen example (an htmx fragment, or the whole page)."""
    form = await request.form()
    upload, chosen = form.get("file"), str(form.get("example", ""))
    monotone = form.get("monotone") == "on"
    locale = request_locale(request, get_settings().default_locale).locale
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            filename, text = await _uploaded(upload)
            source = filename
        elif chosen in EXAMPLES:
            example = EXAMPLES[chosen]
            filename, text, source = example.filename, example.text, get_translations(locale).gettext(example.label)
        else:
            raise FileRefused(N_("Choose a game file (.json or .csv), or one of the examples."))
        game = await run_in_threadpool(read_game, text, filename, monotone)
        result = await run_in_threadpool(budget.run, outcome, game, source, locale)
    except FileRefused as exc:
        return _page(request, store, code, status=422, error=exc.message, chosen=chosen)
    except InvalidInput as exc:  # GameInvalid and GameTooLarge: the reader's and solver's own words
        return _page(request, store, code, status=422, error=N_("The game could not be solved. Nothing was computed."),
                     detail=exc.message, problems=[p.text() for p in exc.problems], chosen=chosen)
    return _page(request, store, code, result=result, chosen=chosen)


router.include_router(report_router)  # the section opens on the alliance's own report
