"""Dissolution in the browser: `/alliances/{code}/dissolution` shows the winding-up order (sub-alliances
first) and, for each alliance, what still stands between it and dissolved, in plain words. The
coordinator starts it when governance is not used (naming the decision), shares out the funds,
finishes it and downloads the whole alliance's archive; every role of the alliance reads the page.
A refused form comes back on the page with the reason and nothing changed."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse
from starlette.background import BackgroundTask

from alliance.access.policy import Action
from alliance.core.errors import AllianceError, InvalidInput
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, StoreDep, opened_stores
from alliance.exits import dissolution_service as dissolution
from alliance.registry import service as registry
from alliance.registry.model import AllianceStatus
from alliance.web.render import render
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)


async def _page(request: Request, store: Any, code: str, viewer: Viewer, *, status: int = 200,
                done: Message | None = None, error: AllianceError | None = None,
                form: dict[str, str] | None = None) -> HTMLResponse:
    def load() -> tuple[Any, list[Any]]:
        return registry.get_alliance(store, code), dissolution.status(store, code, principal=viewer.principal)

    alliance, states = await run_in_threadpool(load)
    return render(request, "dissolution/dissolution.html", status=status, alliance=alliance, section="dissolution",
                  states=states, done=done, error=error, form=form or {},
                  # The states carry the status as stored: the page says it by its label, translated.
                  statuses={s.value: s for s in AllianceStatus},
                  may_manage=viewer.may(Action.CHANGE_ALLIANCE, code),
                  may_archive=viewer.may(Action.MANAGE_ALLIANCE, code),
                  here=f"{request.scope.get('root_path', '')}/alliances/{code}/dissolution")


@router.get("/alliances/{code}/dissolution", response_class=HTMLResponse)
async def dissolution_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return await _page(request, store, code, viewer)


@router.post("/alliances/{code}/dissolution/start", response_class=HTMLResponse)
async def start(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> HTMLResponse:
    form = await request.form()
    values = {k: str(form.get(k) or "")[:200] for k in ("decided_by", "last_trading_day")}
    try:
        last = None
        if values["last_trading_day"].strip():
            try:
                last = date.fromisoformat(values["last_trading_day"].strip()[:40])
            except ValueError:
                raise InvalidInput(Message("last trading day: {value!r} is not a date (YYYY-MM-DD)",
                                           value=values["last_trading_day"][:40])) from None
        done = await run_in_threadpool(lambda: dissolution.wind_up(
            store, code, clock, principal=viewer.principal, decided_by=values["decided_by"], last_trading_day=last))
    except AllianceError as exc:
        return await _page(request, store, code, viewer, status=exc.status, error=exc, form=values)
    opened = sum(len(w.opened) for w in done)
    return await _page(request, store, code, viewer, done=Message(
        "The winding-up has started: {count} exit case(s) opened.", count=opened))


@router.post("/alliances/{code}/dissolution/funds", response_class=HTMLResponse)
async def funds(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> HTMLResponse:
    try:
        done = await run_in_threadpool(lambda: dissolution.share_out_funds(store, code, clock,
                                                                           principal=viewer.principal))
    except AllianceError as exc:
        return await _page(request, store, code, viewer, status=exc.status, error=exc)
    scheduled = [r.fund for r in done if r.release is not None]
    return await _page(request, store, code, viewer, done=Message(
        "Funds scheduled to be shared out: {funds}. The next settlement run books them.",
        funds=", ".join(scheduled) or "—"))


@router.post("/alliances/{code}/dissolution/finish", response_class=HTMLResponse)
async def finish(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> HTMLResponse:
    try:
        done = await run_in_threadpool(lambda: dissolution.finish(store, code, clock, principal=viewer.principal))
    except AllianceError as exc:
        return await _page(request, store, code, viewer, status=exc.status, error=exc)
    return await _page(request, store, code, viewer, done=Message(
        "The alliance is dissolved: it is read-only from now on.") if done.checkpoint else Message(
        "The alliance is dissolved, but the ledger key is locked: no final checkpoint was signed yet."))


@router.get("/alliances/{code}/dissolution/archive")
def download(request: Request, code: Code, clock: ClockDep, viewer: PageViewer) -> FileResponse:
    folder = Path(tempfile.mkdtemp(prefix="alliance-dissolution-"))
    try:
        out = folder / f"{code}-alliance-archive.zip"
        with opened_stores(request) as stores:
            dissolution.build_alliance_archive(stores, code, out, clock, principal=viewer.principal)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(out, media_type="application/zip", filename=out.name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
