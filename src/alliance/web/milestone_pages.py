"""Project milestones in the browser: each milestone rule of the signed agreements with its tranche
and state; recording one with its evidence (the files are hashed here: their SHA-256 is what is
recorded), confirming or rejecting it (with a reason), and every record so far.

Reading is every role of the alliance (`READ_RECORDS`); recording is the coordinator's or a
party's (`ACT_FOR_MEMBER`, then the service), deciding is whom the rule names (the service decides,
`sharing.milestones`). A refused post is a page saying why, and nothing is stored.
"""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from alliance.access.policy import Action
from alliance.core.errors import AllianceError
from alliance.edge.deps import ClockDep, Code, StoreDep
from alliance.registry import service as registry
from alliance.sharing import milestone_service
from alliance.sharing.milestones import Status
from alliance.web.i18n import N_
from alliance.web.render import refused_page, render
from alliance.web.viewer import PageViewer

router = APIRouter(include_in_schema=False)


@router.get("/alliances/{code}/milestones", response_class=HTMLResponse)
def milestones_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    rules = milestone_service.milestone_rules(store, code)
    companies = {m.code: m.legal_name for m in registry.list_members(store, code, include_left=True)}
    member = viewer.principal.member
    return render(request, "milestones/list.html", alliance=alliance, section="agreements", rules=rules,
                  records=list(reversed(milestone_service.history(store, code))), companies=companies,
                  may_record=viewer.may(Action.MANAGE_ALLIANCE, code) or (member is not None and viewer.may(
                      Action.ACT_FOR_MEMBER, code, member)),
                  open_status=(None, Status.REJECTED), recorded=Status.RECORDED, done=request.query_params.get("done"))


async def _evidence(request: Request) -> list[tuple[str, str]]:
    """Each uploaded file's name and SHA-256, read in blocks (the body limit bounds the whole post)."""
    form = await request.form()
    found: list[tuple[str, str]] = []
    for upload in form.getlist("evidence"):
        if isinstance(upload, UploadFile) and upload.filename:
            digest = hashlib.sha256()
            while block := await upload.read(1 << 20):
                digest.update(block)
            found.append((upload.filename, digest.hexdigest()))
    return found


@router.post("/alliances/{code}/milestones/{agreement}/{rule}", response_class=HTMLResponse)
async def record(request: Request, code: Code, agreement: Code, rule: Code, store: StoreDep, clock: ClockDep,
                 viewer: PageViewer) -> Response:
    evidence = await _evidence(request)
    try:
        await run_in_threadpool(lambda: milestone_service.record(store, code, agreement, rule, evidence, clock,
                                                                 principal=viewer.principal))
    except AllianceError as exc:
        return refused_page(request, exc, N_("The milestone was not recorded"))
    return RedirectResponse(f"/alliances/{code}/milestones?done=recorded#m-{agreement}-{rule}", status_code=303)


@router.post("/alliances/{code}/milestones/{agreement}/{rule}/decision", response_class=HTMLResponse)
async def decide(request: Request, code: Code, agreement: Code, rule: Code, store: StoreDep, clock: ClockDep,
                 viewer: PageViewer) -> Response:
    form = await request.form()
    confirm = str(form.get("decision", "")) == "confirm"
    note = str(form.get("note", ""))
    try:
        await run_in_threadpool(lambda: milestone_service.decide(store, code, agreement, rule, confirm, note, clock,
                                                                 principal=viewer.principal))
    except AllianceError as exc:
        return refused_page(request, exc, N_("The milestone was not decided"))
    return RedirectResponse(f"/alliances/{code}/milestones?done={'confirmed' if confirm else 'rejected'}"
                            f"#m-{agreement}-{rule}", status_code=303)
