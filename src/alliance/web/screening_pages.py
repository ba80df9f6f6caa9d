"""Partner screening in the browser: the ranking workspace, AHP weights, prospects and their
due diligence and pilots.

The workspace never saves while the user moves a slider or switches the method: each change posts
the whole form and gets the ranking fragment back. Only "Save this run" (MANAGE_ALLIANCE) stores a
run, through `screening.service.run_screening`, with the same inputs the user saw ranked.
An uploaded candidate file travels with the form (base64 in a hidden field), so the server keeps
no state between two re-rankings.
"""

from __future__ import annotations

import base64
import binascii
import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from alliance.access.policy import Action
from alliance.api.deps import ClockDep, Code, Id, StoreDep
from alliance.core.decimals import parse_decimal
from alliance.core.errors import AllianceError, Conflict, InvalidInput, NotFound
from alliance.core.text import check_text
from alliance.registry import service as registry
from alliance.registry.credit_code import InvalidCreditCode, normalise_credit_code
from alliance.registry.spreadsheets import read_table
from alliance.screening import service
from alliance.screening.ahp import CR_LIMIT, AhpResult, ahp_weights, parse_matrix
from alliance.screening.candidates import CandidateTable, table_from_rows
from alliance.screening.criteria import PRESETS, CriteriaSpec, parse_spec
from alliance.screening.entities import Cadence, Decision
from alliance.screening.pipeline import NEXT, Area, ItemStatus, KpiDirection, KpiResult, Source, Stage, StageRefused
from alliance.screening.report import SensitivitySettings, screening_report
from alliance.screening.scoring import Method, rank
from alliance.store.database import Store
from alliance.web import charts
from alliance.web.i18n import N_
from alliance.web.render import gettext_for, is_htmx, render
from alliance.web.viewer import PageViewer

router = APIRouter(include_in_schema=False)
T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

MAX_CANDIDATE_FILE = 512 * 1024  # travels with every re-ranking; base64 stays under a form part's 1 MiB
TABLE_ROWS = 50  # candidates listed in the ranking table
CHART_ROWS = 15  # candidates drawn in the contribution chart
WEIGHT_FIELD = "w:"  # a slider's form field is "w:" + the criterion's name; its value 0..100
SOURCES = ("members", "file")

PRESET_LABELS: dict[str, str] = {
    "financial": N_("Financial metrics of members"),
    "article": N_("Five-criterion model"),
    "profile": N_("Partner profile (six dimensions)"),
    "long-term": N_("Long-term value"),
}
# Criteria of the ready-made sets, labelled in the page's language (a name not here is shown as is).
CRITERION_LABELS: dict[str, str] = {
    "revenue": N_("Revenue"),
    "profit": N_("Profit"),
    "cash_flow": N_("Cash flow"),
    "debt_ratio": N_("Debt ratio"),
    "compliance_records": N_("Compliance records"),
    "战略匹配度": N_("Strategic fit"),
    "资源互补性": N_("Resource complementarity"),
    "财务健康度": N_("Financial health"),
    "市场声誉": N_("Market reputation"),
    "文化兼容性": N_("Cultural compatibility"),
    "合作意愿": N_("Willingness to cooperate"),
    "专利数": N_("Patents"),
    "接口数": N_("APIs"),
    "分利记录": N_("Benefit-sharing record"),
}
METHOD_LABELS = {Method.WEIGHTED: N_("Weighted sum"), Method.TOPSIS: N_("TOPSIS")}
STAGE_LABELS = {
    Stage.SCREENED: N_("Screened"),
    Stage.DUE_DILIGENCE: N_("Due diligence"),
    Stage.PILOT: N_("Pilot"),
    Stage.PARTNER: N_("Partner"),
    Stage.REJECTED: N_("Rejected"),
}
SOURCE_LABELS = {
    Source.TRADE_SHOW: N_("Trade show"),
    Source.ASSOCIATION: N_("Industry association"),
    Source.REFERRAL: N_("Referral"),
    Source.SERVICE_FIRM: N_("Service firm"),
    Source.B2B_PLATFORM: N_("B2B platform"),
    Source.COMPETITOR_PARTNER: N_("Partner of a competitor"),
    Source.SCREENING: N_("Screening run"),
    Source.OTHER: N_("Other"),
}
AREA_LABELS = {
    Area.FINANCIAL: N_("Financial audit"),
    Area.LEGAL: N_("Legal review"),
    Area.MARKET: N_("Market research"),
    Area.TECHNICAL: N_("Technical assessment"),
}
ITEM_STATUS_LABELS = {
    ItemStatus.OPEN: N_("Not started"),
    ItemStatus.IN_PROGRESS: N_("In progress"),
    ItemStatus.DONE: N_("Done"),
    ItemStatus.FAILED: N_("Failed"),
    ItemStatus.WAIVED: N_("Waived"),
}
DECISION_LABELS = {Decision.GO: N_("Go: make a partner"), Decision.NO_GO: N_("No-go: reject")}
DIRECTION_LABELS = {KpiDirection.HIGHER: N_("Higher is better"), KpiDirection.LOWER: N_("Lower is better")}
# Saaty's scale: how much more important the row criterion is than the column criterion.
SAATY = ("9", "8", "7", "6", "5", "4", "3", "2", "1", "1/2", "1/3", "1/4", "1/5", "1/6", "1/7", "1/8", "1/9")
CADENCE_LABELS = {Cadence.WEEKLY: N_("Weekly"), Cadence.BIWEEKLY: N_("Every two weeks"), Cadence.MONTHLY: N_("Monthly")}
WAIVER_NEEDS_REASON = N_("A waiver needs a reason.")
NO_GO_NEEDS_NOTE = N_("A no-go decision needs a note saying why.")
MAX_SHORTLIST = 1000  # as the API's shortlist
FIELD_TEXT_LIMIT = 4000  # a posted value is kept (and shown again) up to this many characters


# -- the workspace's inputs ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Workspace:
    """What the workspace form says: the criteria set, each slider (0..100), method and candidates."""

    preset: str
    method: Method
    weights: dict[str, float]
    source: str = "members"
    filename: str = ""
    content: str = ""  # the uploaded candidate file, base64; "" for the alliance's members

    def query(self) -> str:
        """The workspace as a query string (the members' workspace can be linked to)."""
        pairs = [("preset", self.preset), ("method", self.method.value)]
        pairs += [(WEIGHT_FIELD + name, f"{value:g}") for name, value in self.weights.items()]
        return urlencode(pairs)


def _slider(text: object, default: float) -> float:
    try:
        value = float(str(text))
    except ValueError:
        return default
    return min(100.0, max(0.0, value)) if math.isfinite(value) else default


def read_workspace(fields: Mapping[str, object]) -> Workspace:
    """The workspace from form or query fields; anything missing or malformed takes the preset's
    default (an unknown preset: the financial metrics, an unknown method: weighted sum)."""
    preset = str(fields.get("preset", ""))
    if preset not in PRESETS:
        preset = "financial"
    try:
        method = Method(str(fields.get("method", Method.WEIGHTED.value)))
    except ValueError:
        method = Method.WEIGHTED
    weights = {
        name: round(_slider(fields.get(WEIGHT_FIELD + name, ""), 100 * float(raw["weight"])), 1)
        for name, raw in PRESETS[preset].items()
    }
    source = str(fields.get("source", "members"))
    content = str(fields.get("content", "")) if source == "file" else ""
    return Workspace(preset, method, weights, source if source in SOURCES else "members",
                     str(fields.get("filename", ""))[:255] if content else "", content)


def workspace_spec(workspace: Workspace) -> CriteriaSpec:
    """The preset with the sliders' weights, divided by their sum; InvalidInput if they are all 0."""
    if not any(workspace.weights.values()):
        raise InvalidInput(N_("Give at least one criterion a weight above zero."))
    raw = {name: {**entry, "weight": workspace.weights[name]} for name, entry in PRESETS[workspace.preset].items()}
    return parse_spec(raw, normalize=True)


def candidate_file(spec: CriteriaSpec, data: bytes, filename: str) -> CandidateTable:
    """Candidates from an uploaded .csv or .xlsx (first column the name, one column per criterion)."""
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise InvalidInput(N_("Candidates come as a .csv or .xlsx file."))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"candidates{suffix}"
        path.write_bytes(data)
        table = read_table(path)
    return table_from_rows(spec, table.header, table.rows, header_row=table.header_row)


def problem_lines(exc: AllianceError) -> list[str]:
    """An error's problems as lines for the page (its message when it lists none)."""
    problems = getattr(exc, "problems", [])
    return [str(p) for p in problems] or [exc.message]


# -- what the ranking fragment shows ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SwapMargin:
    """The smallest move of one criterion's weight (percentage points) that swaps the first two."""

    criterion: str
    raise_weight: bool
    change: float
    weight_from: float
    weight_to: float


def swap_margins(report: Mapping[str, Any]) -> list[SwapMargin]:
    """The sensitivity module's margins in words-ready form, smallest change first.

    For each criterion the smaller of its increase and decrease is kept; criteria whose weight can
    move anywhere without swapping the first two are left out.
    """
    found: list[SwapMargin] = []
    for m in report["sensitivity"]["weight_margins"]:
        up, down = m["increase"], m["decrease"]
        if up is None and down is None:
            continue
        raising = down is None or (up is not None and up <= down)
        change = up if raising else down
        weight = m["weight"]
        found.append(SwapMargin(m["criterion"], raising, 100 * change, 100 * weight,
                                100 * (weight + change if raising else weight - change)))
    return sorted(found, key=lambda s: s.change)


def contribution_chart(report: Mapping[str, Any], labels: Mapping[str, str], limit: int = CHART_ROWS) -> dict[str, Any]:
    """Stacked horizontal bars: each of the best `limit` candidates' score split by criterion
    (the best at the top). `labels` names each criterion in the page's language."""
    rows = report["ranking"][:limit]
    series = {labels.get(name, name): [round(r["contributions"][name], 4) for r in rows] for name in report["criteria"]}
    option = charts.bars([r["name"] for r in rows], series, horizontal=True, stack=True)
    option["yAxis"]["inverse"] = True
    option["legend"] = {"top": 0, "type": "scroll"}
    return option


def attainment_chart(kpis: Sequence[KpiResult], series_name: str) -> dict[str, Any]:
    """One bar per KPI: its attainment in percent of target (100 = on target, marked by a line).
    A KPI without a measurement, or whose attainment is no ratio, has no bar."""
    values = [None if k.attainment is None else k.attainment * 100 for k in kpis]
    option = charts.bars([k.name for k in kpis], {series_name: values}, horizontal=True, unit="%")
    option["yAxis"]["inverse"] = True
    option["series"][0]["markLine"] = {"silent": True, "symbol": "none", "data": [{"xAxis": 100}]}
    return option


def judgement_matrix(names: Sequence[str], cells: Mapping[tuple[int, int], str]) -> tuple[list[str], list[list[str]]]:
    """A comparison table for `ahp.parse_matrix`: the upper triangle from `cells` (i < j), 1 on the
    diagonal, the lower triangle left blank (parse_matrix fills in the reciprocals)."""
    rows = [[name, *("1" if i == j else cells.get((i, j), "1") if i < j else "" for j in range(len(names)))]
            for i, name in enumerate(names)]
    return ["", *names], rows


def saaty_text(value: float) -> str:
    """A judgement as written on Saaty's scale ("3", "1/5"): the nearest value of the scale."""
    return min(SAATY, key=lambda t: abs(math.log(value) - math.log(_fraction(t))))


def _fraction(text: str) -> float:
    top, _, bottom = text.partition("/")
    return float(top) / float(bottom or 1)


def read_judgements(fields: Mapping[str, object], count: int) -> dict[tuple[int, int], str]:
    """The pairwise selects ("a{i}-{j}", i < j) that hold a value of Saaty's scale."""
    return {(i, j): str(fields[f"a{i}-{j}"]) for i in range(count) for j in range(i + 1, count)
            if str(fields.get(f"a{i}-{j}", "")) in SAATY}


# -- the workspace ---------------------------------------------------------------------------------

@dataclass(slots=True)
class Outcome:
    report: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)
    spec: CriteriaSpec | None = None
    table: CandidateTable | None = None


def _candidates(store: Store, code: str, workspace: Workspace, spec: CriteriaSpec) -> CandidateTable:
    if workspace.source == "members":
        return service.member_candidates(store, code, spec)
    try:
        data = base64.b64decode(workspace.content, validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data:
        raise InvalidInput(N_("Choose a .csv or .xlsx file of candidates."))
    return candidate_file(spec, data, workspace.filename)


def _rank(store: Store, code: str, workspace: Workspace) -> Outcome:
    """Rank without saving: the report the fragment shows, or the problems that stopped it."""
    try:
        spec = workspace_spec(workspace)
        table = _candidates(store, code, workspace, spec)
        report = screening_report(rank(spec, table, workspace.method), SensitivitySettings(), limit=TABLE_ROWS)
    except InvalidInput as exc:
        return Outcome(problems=problem_lines(exc))
    return Outcome(report, [], spec, table)


def _result_context(request: Request, report: dict[str, Any] | None, problems: Sequence[str] = ()) -> dict[str, Any]:
    """What the ranking fragment needs; problems are translated here (a message is data, not a
    format string: it may hold a "%")."""
    _ = gettext_for(request)
    labels = {name: _(msgid) for name, msgid in CRITERION_LABELS.items()}
    shown = [_(line) for line in problems]
    if report is None:
        return {"report": None, "chart": None, "margins": [], "labels": labels, "problems": shown}
    return {"report": report, "chart": contribution_chart(report, labels), "margins": swap_margins(report),
            "labels": labels, "problems": shown}


RUN_PAGE = 10  # saved runs listed under the workspace, newest first


async def _workspace_page(request: Request, code: str, store: StoreDep, viewer: PageViewer, workspace: Workspace,
                          outcome: Outcome, status: int = 200) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    runs = service.page_runs(store, code, limit=RUN_PAGE, offset=_offset(request.query_params.get("runs", "")),
                             newest_first=True)
    # The pager keeps the sliders where they are: every other parameter of this page goes along.
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "runs"]
    return render(request, "screening/workspace.html", status=status, alliance=alliance, section="screening",
                  ws=workspace, criteria=PRESETS[workspace.preset], presets=PRESET_LABELS, methods=METHOD_LABELS,
                  runs=runs, runs_query=kept, may_manage=viewer.may(Action.MANAGE_ALLIANCE, code),
                  weight_field=WEIGHT_FIELD, **_result_context(request, outcome.report, outcome.problems))


@router.get("/alliances/{code}/screening", response_class=HTMLResponse)
async def workspace_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """The workspace over the alliance's members (query: preset, method, w:<criterion>)."""
    workspace = read_workspace(request.query_params)
    outcome = await run_in_threadpool(_rank, store, code, workspace)
    return await _workspace_page(request, code, store, viewer, workspace, outcome)


async def _posted_workspace(request: Request) -> tuple[Workspace, list[str]]:
    """The posted workspace; a newly chosen file replaces the one the form carried."""
    form = await request.form()
    fields: dict[str, object] = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_CANDIDATE_FILE + 1)
        if len(data) > MAX_CANDIDATE_FILE:
            return read_workspace({**fields, "content": ""}), [N_("The candidate file is larger than 512 KiB.")]
        fields.update(source="file", filename=upload.filename, content=base64.b64encode(data).decode())
    return read_workspace(fields), []


@router.post("/alliances/{code}/screening", response_class=HTMLResponse)
async def rerank(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """Rank again with the posted sliders, method and candidates; nothing is saved. htmx gets the
    ranking fragment, a plain form post (an upload, or no script) the whole page."""
    workspace, problems = await _posted_workspace(request)
    outcome = Outcome(problems=problems) if problems else await run_in_threadpool(_rank, store, code, workspace)
    status = 422 if outcome.problems else 200
    if is_htmx(request):
        return render(request, "fragments/screening_result.html", status=status,
                      **_result_context(request, outcome.report, outcome.problems))
    return await _workspace_page(request, code, store, viewer, workspace, outcome, status)


@router.post("/alliances/{code}/screening/runs", response_class=HTMLResponse)
async def save_run(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    """Save the ranking the user sees (the same sliders, method and candidates) as a screening run."""
    workspace, problems = await _posted_workspace(request)
    outcome = Outcome(problems=problems) if problems else await run_in_threadpool(_rank, store, code, workspace)
    if outcome.problems or outcome.spec is None or outcome.table is None:
        return await _workspace_page(request, code, store, viewer, workspace, outcome, 422)
    try:
        run, _report = await run_in_threadpool(service.run_screening, store, code, outcome.spec, workspace.method,
                                               outcome.table, SensitivitySettings(), viewer.principal.actor, clock)
    except InvalidInput as exc:
        return await _workspace_page(request, code, store, viewer, workspace, Outcome(problems=problem_lines(exc)), 422)
    return RedirectResponse(f"/alliances/{code}/screening/runs/{run.id}", status_code=303)


def _run_page(request: Request, code: str, run_id: int, store: Store, viewer: PageViewer, status: int = 200,
              shortlisting: FormView | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    run = service.get_run(store, code, run_id)
    return render(request, "screening/run.html", status=status, alliance=alliance, section="screening", run=run,
                  method_label=METHOD_LABELS.get(Method(run.method), run.method),
                  may_manage=viewer.may(Action.MANAGE_ALLIANCE, code), shortlisting=shortlisting or FormView(),
                  **_result_context(request, run.report))


@router.get("/alliances/{code}/screening/runs/{run_id}", response_class=HTMLResponse)
def saved_run(request: Request, code: Code, run_id: Id, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return _run_page(request, code, run_id, store, viewer)


@router.post("/alliances/{code}/screening/runs/{run_id}/shortlist", response_class=HTMLResponse)
async def shortlist(request: Request, code: Code, run_id: Id, store: StoreDep, clock: ClockDep,
                    viewer: PageViewer) -> Response:
    """Add the run's best N candidates as prospects (those already prospects are skipped)."""
    form = await PostedForm.read(request)
    top = form.whole("top", 1, MAX_SHORTLIST)
    if top is None:
        return _run_page(request, code, run_id, store, viewer, 422, form.view(request))
    added = await run_in_threadpool(service.shortlist, store, code, run_id, top, viewer.principal.actor, clock)
    return RedirectResponse(f"/alliances/{code}/screening/prospects?shortlisted={len(added)}", status_code=303)


# -- AHP -------------------------------------------------------------------------------------------

@router.get("/alliances/{code}/screening/ahp", response_class=HTMLResponse)
def ahp_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """Pairwise judgements of the chosen set's criteria; with judgements given, the weights and the
    consistency ratio (above 0.10 the weights are refused, naming the judgement that disagrees most)."""
    alliance = registry.get_alliance(store, code)
    workspace = read_workspace(request.query_params)
    names = list(PRESETS[workspace.preset])
    cells = read_judgements(request.query_params, len(names))
    result: AhpResult | None = None
    apply_url = None
    if cells:
        header, rows = judgement_matrix(names, cells)
        checked, matrix = parse_matrix(header, rows)
        result = ahp_weights(checked, matrix, force=True)  # refused below, with the worst judgement shown
        if result.consistent:
            applied = Workspace(workspace.preset, workspace.method,
                                {n: round(100 * w, 1) for n, w in result.weights.items()})
            apply_url = f"/alliances/{code}/screening?{applied.query()}"
    worst = result.most_inconsistent if result is not None else None
    return render(request, "screening/ahp.html", alliance=alliance, section="screening", ws=workspace, names=names,
                  cells=cells, worst=worst, worst_stated=saaty_text(worst.stated) if worst else "", saaty=SAATY,
                  result=result, cr_limit=CR_LIMIT, apply_url=apply_url,
                  presets=PRESET_LABELS, labels={n: CRITERION_LABELS.get(n) for n in names})


# -- the pipeline's forms --------------------------------------------------------------------------

CHOOSE = N_("Choose…")  # a select's first, empty option
FILL_IN = N_("Fill this in.")
TOO_LONG = N_("At most %(limit)d characters.")
CONTROL_CHARACTERS = N_("Remove the control characters from this text.")
NOT_A_DATE = N_("Enter a date as YYYY-MM-DD.")
NOT_A_NUMBER = N_("Enter a number such as 95 or 3.5, with at most 16 digits before the decimal point and 8 after it.")
WHOLE_NUMBER = N_("Enter a whole number from %(low)d to %(high)d.")
CHOOSE_SOURCE = N_("Choose where the prospect came from.")
CHOOSE_STAGE = N_("Choose a stage.")
CHOOSE_CADENCE = N_("Choose how often the pilot is reviewed.")
CHOOSE_DIRECTION = N_("Choose whether higher or lower is better.")
CHOOSE_KPI = N_("Choose one of this pilot's KPIs.")
BAD_CREDIT_CODE = N_("This is not a valid unified social credit code: 18 characters, the last one a check character.")
ALREADY_A_PROSPECT = N_("%(name)s is already a prospect of this alliance.")
NO_SUCH_STEP = N_("A prospect at the stage %(current)s cannot move to %(target)s.")
FINAL_STAGE = N_("%(stage)s is a final stage: the prospect moves no further.")
PILOT_BY_STARTING = N_("A prospect enters the pilot stage by starting its pilot: a name, dates and a cadence.")
PARTNER_BY_PILOT = N_("A prospect becomes a partner only through its pilot, decided as go.")
END_BEFORE_START = N_("The end comes before the start.")
PILOT_TOO_LONG = N_("A pilot runs at most %(years)d years.")
KPI_EXISTS = N_("This pilot already has a KPI named %(name)s.")
PILOT_DECIDED = N_("The pilot was already decided: no KPI can be added.")
MEASURED_ALREADY = N_("%(kpi)s already has a value for %(date)s.")


@dataclass(frozen=True, slots=True)
class FormView:
    """What a form shows again: the values as typed, each field's error and the refusal's lines (in
    the page's language), and the due-diligence items that kept a pilot from starting."""

    values: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    problems: Sequence[str] = ()
    blocking: Sequence[tuple[Area, str, ItemStatus]] = ()


@dataclass(slots=True)
class PostedForm:
    """A posted form's values and what is wrong with them, field by field: (msgid, parameters)
    until `view` translates them. Each reader notes its field's error and returns None (or the
    text as typed) when the field is wrong, so one post reports every wrong field at once."""

    values: dict[str, str]
    errors: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    async def read(cls, request: Request) -> PostedForm:
        form = await request.form()
        return cls({k: v[:FIELD_TEXT_LIMIT] for k, v in form.multi_items() if isinstance(v, str)})

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, name: str, msgid: str, /, **params: Any) -> None:
        self.errors.setdefault(name, (msgid, params))

    def text(self, name: str, limit: int, *, required: bool = True, multiline: bool = False) -> str:
        """The field stripped (`core.text.check_text`'s rules: required, length, no control characters)."""
        value = self.values.get(name, "")
        try:
            return check_text(value, name, limit, required=required, multiline=multiline)
        except InvalidInput:
            cleaned = value.strip()
            if not cleaned:
                self.fail(name, FILL_IN)
            elif len(cleaned) > limit:
                self.fail(name, TOO_LONG, limit=limit)
            else:
                self.fail(name, CONTROL_CHARACTERS)
            return cleaned

    def pick(self, name: str, choices: Mapping[str, T], msgid: str) -> T | None:
        found = choices.get(self.values.get(name, ""))
        if found is None:
            self.fail(name, msgid)
        return found

    def choice(self, name: str, kind: type[E], msgid: str) -> E | None:
        return self.pick(name, {e.value: e for e in kind}, msgid)

    def day(self, name: str) -> date | None:
        try:
            return date.fromisoformat(self.values.get(name, "").strip())
        except ValueError:
            self.fail(name, NOT_A_DATE)
            return None

    def number(self, name: str) -> Decimal | None:
        """An exact decimal (`core.decimals.parse_decimal`: what the store keeps without rounding)."""
        try:
            return parse_decimal(self.values.get(name, ""), name)
        except InvalidInput:
            self.fail(name, NOT_A_NUMBER)
            return None

    def whole(self, name: str, low: int, high: int) -> int | None:
        text = self.values.get(name, "").strip()
        if text.isascii() and text.isdigit() and len(text) <= 9 and low <= int(text) <= high:
            return int(text)
        self.fail(name, WHOLE_NUMBER, low=low, high=high)
        return None

    def view(self, request: Request, problems: Sequence[str] = (),
             blocking: Sequence[tuple[Area, str, ItemStatus]] = ()) -> FormView:
        _ = gettext_for(request)
        errors = {name: _(msgid) % params if params else _(msgid) for name, (msgid, params) in self.errors.items()}
        return FormView(self.values, errors, problems, blocking)


def options(_: Callable[[str], str], labels: Mapping[E, str], values: Sequence[E] | None = None,
            *, placeholder: bool = True) -> list[tuple[str, str]]:
    """A select's (value, text) pairs in the page's language, led by an empty "Choose…"."""
    pairs = [(v.value, _(labels[v])) for v in (labels if values is None else values)]
    return [("", _(CHOOSE)), *pairs] if placeholder else pairs


def stage_choices(current: Stage) -> list[Stage]:
    """The stages the move form offers: the pilot starts by its own form and ends by its decision
    (go makes a partner, no-go rejects), so a prospect in a pilot is moved by neither."""
    if current is Stage.PILOT:
        return []
    return [s for s in Stage if s in NEXT[current] and s not in (Stage.PILOT, Stage.PARTNER)]


def refusal_lines(_: Callable[[str], str], current: Stage, target: Stage, exc: StageRefused) -> list[str]:
    """Why the pipeline refused to move a prospect from `current` to `target`, in words (the
    due-diligence gate's items are listed apart, by `blocking_items`)."""
    stage = {s: _(label) for s, label in STAGE_LABELS.items()}
    if not NEXT[current]:
        return [_(FINAL_STAGE) % {"stage": stage[current]}]
    if target not in NEXT[current]:
        return [_(NO_SUCH_STEP) % {"current": stage[current], "target": stage[target]}]
    if target is Stage.PILOT and not exc.problems:
        return [_(PILOT_BY_STARTING)]
    if target is Stage.PARTNER:
        return [_(PARTNER_BY_PILOT)]
    return [] if exc.problems else [exc.message]


def blocking_items(exc: StageRefused) -> list[tuple[Area, str, ItemStatus]]:
    """The due-diligence gate's refusal: (area, item, status) of each required item not yet done or waived."""
    return [(Area(p.where), p.field, ItemStatus(p.reason)) for p in exc.problems]


def _to_prospect(code: str, prospect_id: int, saved: str, anchor: str = "") -> RedirectResponse:
    """303 to the prospect's page, which notes what was saved (and scrolls to where it shows)."""
    return RedirectResponse(f"/alliances/{code}/screening/prospects/{prospect_id}?saved={saved}"
                            + (f"#{anchor}" if anchor else ""), status_code=303)


# -- prospects, due diligence and pilots -----------------------------------------------------------

PROSPECT_PAGE = 25


def _offset(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 8 else 0


def _prospects_page(request: Request, code: str, store: Store, viewer: PageViewer, status: int = 200,
                    adding: FormView | None = None) -> HTMLResponse:
    _ = gettext_for(request)
    alliance = registry.get_alliance(store, code)
    everyone = service.list_prospects(store, code)
    by_stage = [(stage, [p for p in everyone if p.stage is stage]) for stage in Stage]
    # Each stage's list pages on its own (`offset_<stage>`), PROSPECT_PAGE at a time.
    offsets = {stage: _offset(request.query_params.get(f"offset_{stage.value}", "")) for stage in Stage}
    shortlisted = request.query_params.get("shortlisted", "")
    return render(request, "screening/prospects.html", status=status, alliance=alliance, section="screening",
                  by_stage=by_stage, offsets=offsets, page_size=PROSPECT_PAGE, total=len(everyone),
                  stage_labels=STAGE_LABELS, source_labels=SOURCE_LABELS,
                  may_manage=viewer.may(Action.MANAGE_ALLIANCE, code), adding=adding or FormView(),
                  source_options=options(_, SOURCE_LABELS),
                  shortlisted=int(shortlisted) if shortlisted.isdigit() and len(shortlisted) < 6 else None)


@router.get("/alliances/{code}/screening/prospects", response_class=HTMLResponse)
def prospects_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return _prospects_page(request, code, store, viewer)


@router.post("/alliances/{code}/screening/prospects", response_class=HTMLResponse)
async def add_prospect(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    """Add a prospect by hand at the screened stage, with the default due-diligence checklist."""
    form = await PostedForm.read(request)
    name = form.text("name", 200)
    source = form.choice("source", Source, CHOOSE_SOURCE)
    credit_code = form.text("credit_code", 40, required=False)
    if credit_code:
        try:
            normalise_credit_code(credit_code)  # the service's check, here so every wrong field shows at once
        except InvalidCreditCode:
            form.fail("credit_code", BAD_CREDIT_CODE)
    status = 422
    if form.ok and source is not None:
        try:
            prospect = await run_in_threadpool(service.add_prospect, store, code, name, source,
                                               viewer.principal.actor, clock, credit_code or None)
        except Conflict:
            form.fail("name", ALREADY_A_PROSPECT, name=name)
            status = 409
        else:
            return _to_prospect(code, prospect.id, "added")
    return _prospects_page(request, code, store, viewer, status, form.view(request))


async def _prospect_page(request: Request, code: str, prospect_id: int, store: StoreDep, viewer: PageViewer,
                         status: int = 200, **context: Any) -> HTMLResponse:
    _ = gettext_for(request)
    alliance = registry.get_alliance(store, code)
    found = service.prospect_file(store, code, prospect_id)
    review = service.review_pilot(store, code, found.pilot.id) if found.pilot is not None else None
    chart = attainment_chart(review.kpis, _("Attainment")) if review is not None and review.kpis else None
    kpis = service.pilot_kpis(store, code, found.pilot.id) if found.pilot is not None else []
    defaults: dict[str, Any] = {"item_errors": {}, "item_values": {}, "decision_errors": {}, "decision_values": {},
                                "saved": request.query_params.get("saved")}
    forms = {name: FormView() for name in ("stage", "pilot", "kpi", "measurement")}
    forms.update(context.pop("forms", {}))
    return render(request, "screening/prospect.html", status=status, alliance=alliance, section="screening",
                  file=found, review=review, chart=chart, may_manage=viewer.may(Action.MANAGE_ALLIANCE, code),
                  stage_labels=STAGE_LABELS, source_labels=SOURCE_LABELS, area_labels=AREA_LABELS,
                  status_labels=ITEM_STATUS_LABELS, decision_labels=DECISION_LABELS,
                  direction_labels=DIRECTION_LABELS, forms=forms,
                  stage_options=options(_, STAGE_LABELS, stage_choices(found.prospect.stage)),
                  cadence_options=options(_, CADENCE_LABELS, placeholder=False),
                  direction_options=options(_, DIRECTION_LABELS, placeholder=False),
                  kpi_options=[("", _(CHOOSE)), *((str(k.id), f"{k.name} ({k.unit})" if k.unit else k.name)
                                                   for k in kpis)],
                  **{**defaults, **context})


@router.get("/alliances/{code}/screening/prospects/{prospect_id}", response_class=HTMLResponse)
async def prospect_page(request: Request, code: Code, prospect_id: Id, store: StoreDep,
                        viewer: PageViewer) -> HTMLResponse:
    return await _prospect_page(request, code, prospect_id, store, viewer)


@router.post("/alliances/{code}/screening/prospects/{prospect_id}/items/{item_id}", response_class=HTMLResponse)
async def update_item(request: Request, code: Code, prospect_id: Id, item_id: Id, store: StoreDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    """Save one checklist item's status (a waiver needs a reason: else nothing is saved and the
    error is shown beside the reason field)."""
    form = await request.form()
    values = {"status": str(form.get("status", "")), "waiver_reason": str(form.get("waiver_reason", ""))[:2000]}
    found = service.prospect_file(store, code, prospect_id)
    if not any(i.id == item_id for i in found.checklist):
        raise NotFound(f"prospect {prospect_id} has no due-diligence item {item_id}")
    errors: dict[str, str] = {}
    try:
        status = ItemStatus(values["status"])
    except ValueError:
        status = None
        errors["status"] = N_("Choose a status.")
    if status is not None:
        reason = values["waiver_reason"] if status is ItemStatus.WAIVED else ""
        try:
            service.update_item(store, code, item_id, viewer.principal.actor, clock, status=status,
                                waiver_reason=reason)
        except InvalidInput as exc:
            waiver = any(p.field == "waiver_reason" for p in exc.problems)
            errors["waiver_reason"] = WAIVER_NEEDS_REASON if waiver else exc.message
    if errors:
        _ = gettext_for(request)
        return await _prospect_page(request, code, prospect_id, store, viewer, status=422,
                                    item_errors={item_id: {k: _(v) for k, v in errors.items()}},
                                    item_values={item_id: values})
    return RedirectResponse(f"/alliances/{code}/screening/prospects/{prospect_id}?saved=item-{item_id}#item-{item_id}",
                            status_code=303)


@router.post("/alliances/{code}/screening/prospects/{prospect_id}/decision", response_class=HTMLResponse)
async def decide(request: Request, code: Code, prospect_id: Id, store: StoreDep, clock: ClockDep,
                 viewer: PageViewer) -> Response:
    """Record the pilot's go / no-go (a no-go needs a note: the error is shown beside it)."""
    form = await request.form()
    values = {"decision": str(form.get("decision", "")), "note": str(form.get("note", ""))[:2000]}
    found = service.prospect_file(store, code, prospect_id)
    if found.pilot is None:
        raise NotFound(f"prospect {prospect_id} has no pilot")
    errors: dict[str, str] = {}
    try:
        decision = Decision(values["decision"])
    except ValueError:
        decision = None
        errors["decision"] = N_("Choose go or no-go.")
    if decision is not None:
        try:
            service.decide_pilot(store, code, found.pilot.id, decision, values["note"], viewer.principal.actor, clock)
        except InvalidInput as exc:
            missing_note = decision is Decision.NO_GO and not values["note"].strip()
            errors["note"] = NO_GO_NEEDS_NOTE if missing_note else exc.message
        except Conflict as exc:
            errors["decision"] = exc.message
    if errors:
        _ = gettext_for(request)
        return await _prospect_page(request, code, prospect_id, store, viewer, status=422,
                                    decision_errors={k: _(v) for k, v in errors.items()}, decision_values=values)
    return RedirectResponse(f"/alliances/{code}/screening/prospects/{prospect_id}?saved=decision#pilot",
                            status_code=303)


@router.post("/alliances/{code}/screening/prospects/{prospect_id}/stage", response_class=HTMLResponse)
async def move(request: Request, code: Code, prospect_id: Id, store: StoreDep, clock: ClockDep,
               viewer: PageViewer) -> Response:
    """Move a prospect to another stage with a note; a refused move changes nothing and its reasons
    are shown beside the form."""
    current = service.prospect_file(store, code, prospect_id).prospect.stage
    form = await PostedForm.read(request)
    target = form.choice("stage", Stage, CHOOSE_STAGE)
    note = form.text("stage_note", 2000, required=False, multiline=True)
    if target is None or not form.ok:
        return await _prospect_page(request, code, prospect_id, store, viewer, 422, forms={"stage": form.view(request)})
    try:
        await run_in_threadpool(service.move_prospect, store, code, prospect_id, target, viewer.principal.actor,
                                clock, note)
    except StageRefused as exc:
        lines = refusal_lines(gettext_for(request), current, target, exc)
        return await _prospect_page(request, code, prospect_id, store, viewer, 409,
                                    forms={"stage": form.view(request, lines, blocking_items(exc))})
    return _to_prospect(code, prospect_id, "stage", "history")


@router.post("/alliances/{code}/screening/prospects/{prospect_id}/pilot", response_class=HTMLResponse)
async def start_pilot(request: Request, code: Code, prospect_id: Id, store: StoreDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    """Start the prospect's pilot; the due-diligence gate's refusal lists the items still blocking it."""
    current = service.prospect_file(store, code, prospect_id).prospect.stage
    form = await PostedForm.read(request)
    name = form.text("pilot_name", 200)
    starts_on, ends_on = form.day("starts_on"), form.day("ends_on")
    cadence = form.choice("cadence", Cadence, CHOOSE_CADENCE)
    status = 422
    if form.ok and starts_on is not None and ends_on is not None and cadence is not None:
        try:
            await run_in_threadpool(service.start_pilot, store, code, prospect_id, name, starts_on, ends_on, cadence,
                                    viewer.principal.actor, clock)
        except InvalidInput as exc:  # the dates: the name passed the same check above
            if not any(p.field == "ends_on" for p in exc.problems):
                raise
            if ends_on < starts_on:
                form.fail("ends_on", END_BEFORE_START)
            else:
                form.fail("ends_on", PILOT_TOO_LONG, years=service.MAX_PILOT_DAYS // 365)
        except StageRefused as exc:
            lines = refusal_lines(gettext_for(request), current, Stage.PILOT, exc)
            return await _prospect_page(request, code, prospect_id, store, viewer, 409,
                                        forms={"pilot": form.view(request, lines, blocking_items(exc))})
        else:
            return _to_prospect(code, prospect_id, "pilot", "pilot")
    return await _prospect_page(request, code, prospect_id, store, viewer, status, forms={"pilot": form.view(request)})


def _pilot_id(store: Store, code: str, prospect_id: int) -> int:
    pilot = service.prospect_file(store, code, prospect_id).pilot
    if pilot is None:
        raise NotFound(f"prospect {prospect_id} has no pilot")
    return pilot.id


@router.post("/alliances/{code}/screening/prospects/{prospect_id}/kpis", response_class=HTMLResponse)
async def add_kpi(request: Request, code: Code, prospect_id: Id, store: StoreDep, viewer: PageViewer) -> Response:
    """Add a KPI (name, unit, direction, target) to the prospect's undecided pilot."""
    pilot_id = _pilot_id(store, code, prospect_id)
    form = await PostedForm.read(request)
    name = form.text("kpi_name", 100)
    unit = form.text("unit", 32, required=False)
    direction = form.choice("direction", KpiDirection, CHOOSE_DIRECTION)
    target = form.number("target")
    problems: list[str] = []
    status = 422
    if form.ok and direction is not None and target is not None:
        try:
            await run_in_threadpool(service.add_kpi, store, code, pilot_id, name, unit, direction, target)
        except Conflict:
            status = 409
            if any(k.name == name for k in service.pilot_kpis(store, code, pilot_id)):
                form.fail("kpi_name", KPI_EXISTS, name=name)
            else:
                problems.append(gettext_for(request)(PILOT_DECIDED))
        else:
            return _to_prospect(code, prospect_id, "kpi", "pilot")
    return await _prospect_page(request, code, prospect_id, store, viewer, status,
                                forms={"kpi": form.view(request, problems)})


@router.post("/alliances/{code}/screening/prospects/{prospect_id}/measurements", response_class=HTMLResponse)
async def record_measurement(request: Request, code: Code, prospect_id: Id, store: StoreDep, clock: ClockDep,
                             viewer: PageViewer) -> Response:
    """Record a KPI's value on a date; a KPI has one value per date (a second one answers 409)."""
    pilot_id = _pilot_id(store, code, prospect_id)
    form = await PostedForm.read(request)
    kpi = form.pick("kpi", {str(k.id): k for k in service.pilot_kpis(store, code, pilot_id)}, CHOOSE_KPI)
    measured_on = form.day("measured_on")
    value = form.number("value")
    note = form.text("measurement_note", 2000, required=False, multiline=True)
    status = 422
    if form.ok and kpi is not None and measured_on is not None and value is not None:
        try:
            await run_in_threadpool(service.record_measurement, store, code, kpi.id, measured_on, value, clock, note)
        except Conflict:
            form.fail("measured_on", MEASURED_ALREADY, kpi=kpi.name, date=measured_on.isoformat())
            status = 409
        else:
            return _to_prospect(code, prospect_id, "measurement", "pilot")
    return await _prospect_page(request, code, prospect_id, store, viewer, status,
                                forms={"measurement": form.view(request)})
