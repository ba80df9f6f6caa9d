"""Partner star ratings (星级评定) in the browser.

- `/alliances/{code}/ratings`: the table of stars, tiers and trends (every role of the alliance:
  stars only, never another member's inputs; the coordinator also sees pending approvals and
  procedures, and the link to the management page).
- `/alliances/{code}/ratings/members/{member}`: a member's own rating: the explanation (each input's
  raw figures, score, weight and contribution), what it needs for the next tier, its tier's benefits,
  its elimination procedure and the appeal button (the member itself, the coordinator, the auditor;
  another member gets 404, decided by `access.policy` for the path's member).
- `/alliances/{code}/ratings/manage`: the coordinator's page: weights, thresholds, policy, benefits,
  review import, innovation scores, runs, approvals, procedures, entitlements.

Every form answers a refusal on the same page (422) with the problems; nothing is stored then.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from alliance.access.policy import Action
from alliance.core.clock import local_today
from alliance.core.errors import AllianceError, InvalidInput
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, StoreDep
from alliance.health.ratings import benefits as tier_benefits, engine, service
from alliance.health.ratings.inputs import INPUTS
from alliance.web.i18n import N_
from alliance.registry import service as registry
from alliance.web.render import render
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)
MAX_REVIEW_FILE = 5 * 1024 * 1024
GROUP_LABELS = {"reviews": N_("User reviews"), "fulfilment": N_("Fulfilment"), "innovation": N_("Innovation")}
INPUT_LABELS = {"reviews": N_("User reviews"), "delivery": N_("On-time delivery (pledges kept)"),
                "disputes": N_("Disputes lost"), "innovation": N_("Innovation contribution")}
assert set(INPUT_LABELS) == set(INPUTS), "every input has its label"
STAGE_LABELS = {"improvement": N_("Improvement period"), "appealed": N_("Appealed: paused"),
                "proposed": N_("Exclusion proposed"), "closed": N_("Closed")}
OUTCOME_LABELS = {"improved": N_("Improved"), "appeal_granted": N_("Appeal granted"),
                  "exclusion_proposed": N_("Exclusion proposed")}
STATUS_LABELS = {"pending": N_("Pending approval"), "effective": N_("In effect"), "rejected": N_("Rejected"),
                 "superseded": N_("Superseded")}
BENEFIT_LABELS = {"premium_placement": N_("Premium placement"), "marketing_subsidy": N_("Marketing subsidy"),
                  "agreement_share": N_("Higher share in an agreement rule"),
                  "lead_priority": N_("Priority in lead referral")}
assert set(BENEFIT_LABELS) == set(tier_benefits.BENEFITS), "every benefit kind has its label"


def _base(request: Request, code: str) -> str:
    return f"{request.scope.get('root_path', '')}/alliances/{code}/ratings"


def _labels() -> dict[str, Any]:
    return {"group_labels": GROUP_LABELS, "input_labels": INPUT_LABELS, "stage_labels": STAGE_LABELS,
            "outcome_labels": OUTCOME_LABELS, "status_labels": STATUS_LABELS, "benefit_labels": BENEFIT_LABELS,
            "shown": engine.shown}


@router.get("/alliances/{code}/ratings", response_class=HTMLResponse)
def table_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    rows = service.table(store, code, viewer.principal, clock)
    return render(request, "health/ratings.html", alliance=alliance, section="health", rows=rows,
                  may_manage=viewer.may(Action.MANAGE_ALLIANCE, code),
                  sees=lambda member: viewer.may(Action.READ_MEMBER_DATA, code, member), **_labels())


def _member_page(request: Request, store: StoreDep, code: str, member: str, viewer: Viewer, clock: ClockDep, *,
                 status: int = 200, error: str | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    view = service.member_rating(store, code, member, viewer.principal, clock)
    return render(request, "health/rating_member.html", status=status, alliance=alliance, section="health",
                  view=view, error=error, may_act=viewer.may(Action.ACT_FOR_MEMBER, code, member), **_labels())


@router.get("/alliances/{code}/ratings/members/{member}", response_class=HTMLResponse)
def member_page(request: Request, code: Code, member: str, store: StoreDep, viewer: PageViewer,
                clock: ClockDep) -> HTMLResponse:
    return _member_page(request, store, code, member, viewer, clock)


@router.post("/alliances/{code}/ratings/members/{member}/appeal", response_class=HTMLResponse)
async def appeal(request: Request, code: Code, member: str, store: StoreDep, viewer: PageViewer,
                 clock: ClockDep) -> Response:
    form = await request.form()
    try:
        await run_in_threadpool(service.appeal, store, code, member, str(form.get("reason", ""))[:4000],
                                viewer.principal, clock)
    except (InvalidInput, service.AppealRefused) as exc:
        return _member_page(request, store, code, member, viewer, clock, status=422 if isinstance(exc, InvalidInput)
                            else 409, error=exc.message)
    return RedirectResponse(f"{_base(request, code)}/members/{member}", status_code=303)


# -- the coordinator's page ------------------------------------------------------------------------------

def _manage_page(request: Request, store: StoreDep, code: str, viewer: Viewer, clock: ClockDep, *, status: int = 200,
                 errors: dict[str, list[Any]] | None = None, values: dict[str, str] | None = None,
                 notice: str | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    settings = service.settings_of(store, code, viewer.principal)
    current = {**{f"group-{k}": str(v) for k, v in settings.weights.groups.items()},
               **{f"part-{k}": str(v) for k, v in settings.weights.parts.items()},
               **{f"threshold-{stars}": str(v) for stars, v in zip((2, 3, 4, 5), settings.thresholds)},
               **{k: str(v) for k, v in settings.policy.as_json().items()},
               "move": str(settings.risk.move), "floor": str(settings.risk.floor),
               "benefits": _benefits_text(settings.benefits)}
    return render(request, "health/ratings_manage.html", status=status, alliance=alliance, section="health",
                  settings=settings, values={**current, **(values or {})}, errors=errors or {}, notice=notice,
                  pending=service.pending(store, code, viewer.principal),
                  procedures=service.procedures(store, code, viewer.principal),
                  entitlements=service.entitlements(store, code, viewer.principal),
                  period=engine.quarter_of(local_today(clock, alliance.timezone)),
                  account=viewer.principal.account, describe=tier_benefits.describe, **_labels())


def _benefits_text(items: Any) -> str:
    """One benefit a line: STARS KIND [name=value ...] (the form's format)."""
    lines = []
    for b in items:
        params = " ".join(f"{k}={v}" for k, v in b.items() if k not in ("stars", "kind", "currency"))
        lines.append(f"{b['stars']} {b['kind']}{(' ' + params) if params else ''}")
    return "\n".join(lines)


def _parse_benefits(text: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        item: dict[str, Any] = {"stars": words[0], "kind": words[1] if len(words) > 1 else ""}
        for word in words[2:]:
            name, _, value = word.partition("=")
            item[name] = value
        items.append(item)
    return items


@router.get("/alliances/{code}/ratings/manage", response_class=HTMLResponse)
def manage_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> HTMLResponse:
    notice = request.query_params.get("done")
    return _manage_page(request, store, code, viewer, clock, notice=notice[:200] if notice else None)


async def _act(request: Request, store: StoreDep, code: str, viewer: Viewer, clock: ClockDep, form_name: str,
               act: Callable[[dict[str, str]], Any], done: str) -> Response:
    form = await request.form()
    values = {k: str(v)[:20_000] for k, v in form.items() if not isinstance(v, UploadFile)}
    try:
        await run_in_threadpool(act, values)
    except AllianceError as exc:
        problems = [p.text() for p in getattr(exc, "problems", [])] or [exc.message]
        return _manage_page(request, store, code, viewer, clock, status=exc.status, errors={form_name: problems},
                            values=values)
    return RedirectResponse(f"{_base(request, code)}/manage?done={done}", status_code=303)


@router.post("/alliances/{code}/ratings/weights", response_class=HTMLResponse)
async def set_weights(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> Response:
    def act(v: dict[str, str]) -> None:
        service.set_weights(store, code, viewer.principal,
                            {g: v.get(f"group-{g}", "") for g in engine.GROUPS},
                            {p: v.get(f"part-{p}", "") for p in engine.DEFAULT_PART_WEIGHTS}, clock)
    return await _act(request, store, code, viewer, clock, "weights", act, "weights")


@router.post("/alliances/{code}/ratings/thresholds", response_class=HTMLResponse)
async def set_thresholds(request: Request, code: Code, store: StoreDep, viewer: PageViewer,
                         clock: ClockDep) -> Response:
    def act(v: dict[str, str]) -> None:
        service.set_thresholds(store, code, viewer.principal, [v.get(f"threshold-{s}", "") for s in (2, 3, 4, 5)],
                               clock)
    return await _act(request, store, code, viewer, clock, "thresholds", act, "thresholds")


@router.post("/alliances/{code}/ratings/policy", response_class=HTMLResponse)
async def set_policy(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> Response:
    def act(v: dict[str, str]) -> None:
        service.set_policy(store, code, viewer.principal, clock, improvement_days=v.get("improvement_days", ""),
                           grace_days=v.get("grace_days", ""), appeal_days=v.get("appeal_days", ""),
                           move=v.get("move", ""), floor=v.get("floor", ""))
    return await _act(request, store, code, viewer, clock, "policy", act, "policy")


@router.post("/alliances/{code}/ratings/benefits", response_class=HTMLResponse)
async def set_benefits(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> Response:
    def act(v: dict[str, str]) -> None:
        service.set_benefits(store, code, viewer.principal, _parse_benefits(v.get("benefits", "")), clock)
    return await _act(request, store, code, viewer, clock, "benefits", act, "benefits")


@router.post("/alliances/{code}/ratings/innovation", response_class=HTMLResponse)
async def enter_innovation(request: Request, code: Code, store: StoreDep, viewer: PageViewer,
                           clock: ClockDep) -> Response:
    def act(v: dict[str, str]) -> None:
        service.enter_innovation(store, code, viewer.principal, v.get("member", "").strip(),
                                 v.get("period", "").strip(), v.get("score", "").strip(), clock)
    return await _act(request, store, code, viewer, clock, "innovation", act, "innovation")


@router.post("/alliances/{code}/ratings/run", response_class=HTMLResponse)
async def run(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> Response:
    def act(v: dict[str, str]) -> None:
        service.run(store, code, viewer.principal, v.get("period", "").strip(), clock)
    return await _act(request, store, code, viewer, clock, "run", act, "run")


@router.post("/alliances/{code}/ratings/approvals/{number}", response_class=HTMLResponse)
async def decide(request: Request, code: Code, number: int, store: StoreDep, viewer: PageViewer,
                 clock: ClockDep) -> Response:
    def act(v: dict[str, str]) -> None:
        service.decide(store, code, viewer.principal, number, v.get("decision") == "approve", clock)
    return await _act(request, store, code, viewer, clock, "approvals", act, "approvals")


@router.post("/alliances/{code}/ratings/procedures/{number}/appeal-decision", response_class=HTMLResponse)
async def decide_appeal(request: Request, code: Code, number: int, store: StoreDep, viewer: PageViewer,
                        clock: ClockDep) -> Response:
    def act(v: dict[str, str]) -> None:
        service.decide_appeal(store, code, number, v.get("decision") == "grant", viewer.principal, clock)
    return await _act(request, store, code, viewer, clock, "procedures", act, "procedures")


@router.post("/alliances/{code}/ratings/procedures/review", response_class=HTMLResponse)
async def review(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> Response:
    def act(v: dict[str, str]) -> None:
        service.review_due(store, code, viewer.principal, clock)
    return await _act(request, store, code, viewer, clock, "procedures", act, "review")


def _read_upload(data: bytes, filename: str) -> tuple[list[str], list[list[str]], int]:
    from alliance.registry.spreadsheets import read_table

    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise InvalidInput(Message("{file}: use a .csv or .xlsx file", file=filename or Message("the file")))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"reviews{suffix}"
        path.write_bytes(data)
        table = read_table(path)
    return table.header, table.rows, table.header_row


@router.post("/alliances/{code}/ratings/reviews", response_class=HTMLResponse)
async def import_reviews(request: Request, code: Code, store: StoreDep, viewer: PageViewer,
                         clock: ClockDep) -> Response:
    form = await request.form()
    upload = form.get("file")
    data = await upload.read(MAX_REVIEW_FILE + 1) if isinstance(upload, UploadFile) and upload.filename else b""
    try:
        if not data or len(data) > MAX_REVIEW_FILE:
            raise InvalidInput(Message("choose a .csv or .xlsx file of reviews of at most 5 MiB"))
        header, rows, header_row = await run_in_threadpool(_read_upload, data, str(upload.filename))  # type: ignore[union-attr]
        await run_in_threadpool(lambda: service.import_reviews(store, code, viewer.principal, header, rows, clock,
                                                               header_row=header_row))
    except AllianceError as exc:
        problems = [p.text() for p in getattr(exc, "problems", [])] or [exc.message]
        return _manage_page(request, store, code, viewer, clock, status=exc.status, errors={"reviews": problems})
    return RedirectResponse(f"{_base(request, code)}/manage?done=reviews", status_code=303)


# -- the health dashboard's panel --------------------------------------------------------------------------

def panel_context(store: StoreDep, code: str, viewer: Viewer, clock: ClockDep) -> dict[str, Any]:
    """What `health/_ratings_panel.html` needs (the lead includes it in the health dashboard with
    `{% include "health/_ratings_panel.html" %}` and these names in the page's context)."""
    return {"ratings_panel": service.panel(store, code, viewer.principal, clock),
            "ratings_manage": viewer.may(Action.MANAGE_ALLIANCE, code)}
