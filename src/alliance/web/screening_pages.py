"""Partner screening in the browser: the ranking workspace, saved runs and AHP weights (the
pipeline that follows, prospects to partners, is `prospect_pages`).

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from alliance.access.policy import Action
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.core.errors import AllianceError, InvalidInput
from alliance.core.messages import Message
from alliance.registry import service as registry
from alliance.registry.spreadsheets import read_table
from alliance.screening import service
from alliance.screening.ahp import CR_LIMIT, AhpResult, ahp_weights, parse_matrix
from alliance.screening.blanks import BlankChoice, BlankMetrics, BlankOutcome
from alliance.screening.candidates import CandidateTable, MemberScreening, table_from_rows
from alliance.screening.criteria import PRESETS, CriteriaSpec, parse_spec
from alliance.screening.report import SensitivitySettings
from alliance.screening.scoring import Method
from alliance.store.database import Store
from alliance.web import charts
from alliance.web.forms import FormView, PostedForm, page_offset
from alliance.web.i18n import N_
from alliance.web.render import gettext_for, is_htmx, render
from alliance.web.viewer import PageViewer

router = APIRouter(include_in_schema=False)

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
# What to do with members whose profile leaves a criterion blank ("": stop and list them).
BLANK_LABELS: dict[str, str] = {
    "": N_("Stop and list them"),
    BlankChoice.EXCLUDE_MEMBERS.value: N_("Leave those members out"),
    BlankChoice.EXCLUDE_CRITERIA.value: N_("Leave those criteria out"),
}
# Saaty's scale: how much more important the row criterion is than the column criterion.
SAATY = ("9", "8", "7", "6", "5", "4", "3", "2", "1", "1/2", "1/3", "1/4", "1/5", "1/6", "1/7", "1/8", "1/9")
MAX_SHORTLIST = 1000  # as the API's shortlist


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
    blanks: BlankChoice | None = None  # members with a blank metric: list them (None) or leave out members/criteria

    def query_pairs(self) -> list[tuple[str, str]]:
        """The workspace's fields as query parameters (a candidate file does not travel in a link)."""
        pairs = [("preset", self.preset), ("method", self.method.value)]
        if self.blanks is not None:
            pairs.append(("blanks", self.blanks.value))
        return pairs + [(WEIGHT_FIELD + name, f"{value:g}") for name, value in self.weights.items()]

    def query(self) -> str:
        """The workspace as a query string (the members' workspace can be linked to)."""
        return urlencode(self.query_pairs())


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
    blanks = str(fields.get("blanks", ""))
    return Workspace(preset, method, weights, source if source in SOURCES else "members",
                     str(fields.get("filename", ""))[:255] if content else "", content,
                     BlankChoice(blanks) if blanks and blanks in BLANK_LABELS else None)


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
    return [p.text() for p in problems] or [exc.message]


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
    blanks: BlankOutcome | None = None


def _candidates(store: Store, code: str, workspace: Workspace, spec: CriteriaSpec) -> MemberScreening:
    if workspace.source == "members":
        return service.member_screening(store, code, spec, workspace.blanks)
    try:
        data = base64.b64decode(workspace.content, validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data:
        raise InvalidInput(N_("Choose a .csv or .xlsx file of candidates."))
    return MemberScreening(spec, candidate_file(spec, data, workspace.filename))


def _rank(store: Store, code: str, workspace: Workspace) -> Outcome:
    """Rank without saving: the report the fragment shows, or the problems that stopped it."""
    try:
        spec = workspace_spec(workspace)
        screening = _candidates(store, code, workspace, spec)
        report = service.budgeted_report(screening.spec, screening.table, workspace.method, SensitivitySettings(),
                                         limit=TABLE_ROWS)
    except BlankMetrics as exc:
        # Each blank as "member: criterion", under a line saying what the user may choose.
        lines = [N_("Some members have blank metrics (listed below). Under Blank metrics, choose to leave those "
                    "members out or those criteria.")]
        return Outcome(problems=lines + [Message("{where}: {field}", where=p.where, field=p.field) for p in exc.problems])
    except InvalidInput as exc:
        return Outcome(problems=problem_lines(exc))
    if screening.blanks is not None:
        report["blanks"] = screening.blanks.record()
    return Outcome(report, [], screening.spec, screening.table, screening.blanks)


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
    runs = service.page_runs(store, code, limit=RUN_PAGE, offset=page_offset(request.query_params.get("runs", "")),
                             newest_first=True)
    if not runs.items and runs.total:  # past the end (runs were deleted, or a link was edited): the last page
        runs = service.page_runs(store, code, limit=RUN_PAGE, offset=(runs.total - 1) // RUN_PAGE * RUN_PAGE,
                                 newest_first=True)
    # The pager keeps the sliders where they are, after a GET or a POST alike.
    kept = workspace.query_pairs()
    return render(request, "screening/workspace.html", status=status, alliance=alliance, section="screening",
                  ws=workspace, criteria=PRESETS[workspace.preset], presets=PRESET_LABELS, methods=METHOD_LABELS,
                  runs=runs, runs_query=kept, may_manage=viewer.may(Action.MANAGE_ALLIANCE, code), blank_choices=BLANK_LABELS,
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
                                               outcome.table, SensitivitySettings(), viewer.principal.actor, clock,
                                               outcome.blanks)
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
