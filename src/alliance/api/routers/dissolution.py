"""Dissolution over HTTP (docs/exit.md, "Dissolution"): the coordinator starts the winding-up (naming
the decision; an accepted `dissolve` proposal starts it by itself), shares out the funds, finishes it
and downloads the whole alliance's archive; every role of the alliance reads the status. Refusals are
problem+json with a stable code, nothing changed: `dissolution_blocked`, `dissolution_not_started`,
`fund_not_distributable`, `alliance_not_writable` (409); another alliance's accounts get 404."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import Field
from starlette.background import BackgroundTask

from alliance.api.schemas import Body
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, PrincipalDep, StoreDep, StoresDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.exits import dissolution_service as dissolution

router = APIRouter(tags=["dissolution"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "not yours to do"), (404, "no such alliance, or another alliance's"),
                       (409, "blocked, not dissolving, or the alliance's state refuses it"),
                       (422, "invalid: a decision not named, a date"),
                       (503, "the ledger key cannot be opened"))
}
ZIP = "application/zip"


class StartIn(Body):
    decided_by: str = Field(min_length=1, max_length=200, description="The decision that dissolves the alliance.")
    last_trading_day: str | None = Field(default=None, max_length=40,
                                         description="The last trading day, YYYY-MM-DD (default: today).")


@router.get("/alliances/{code}/dissolution", responses=ERRORS)
def status(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """The winding-up order (sub-alliances first) and, for each alliance, what still stands between it
    and dissolved."""
    return {"alliance": code, "order": [s.as_json() for s in dissolution.status(store, code, principal=principal)]}


@router.post("/alliances/{code}/dissolution", responses=ERRORS)
async def start(code: Code, body: StartIn, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """Start the winding-up (the coordinator, naming the decision): the alliance and its sub-alliances
    become dissolving and every member gets an exit case. Safe to repeat: nothing is opened twice."""
    last = None
    if body.last_trading_day:
        try:
            last = date.fromisoformat(body.last_trading_day)
        except ValueError:
            raise InvalidInput(Message("last_trading_day: {value!r} is not a date (YYYY-MM-DD)",
                                       value=body.last_trading_day[:40])) from None
    done = await run_in_threadpool(lambda: dissolution.wind_up(store, code, clock, principal=principal,
                                                               decided_by=body.decided_by, last_trading_day=last))
    return {"alliance": code, "order": [
        {"alliance": w.alliance, "became_dissolving": w.became_dissolving,
         "opened": [{"member": m, "case": n} for m, n in w.opened],
         "already_open": [{"member": m, "case": n} for m, n in w.skipped]} for w in done]}


@router.post("/alliances/{code}/dissolution/funds", responses=ERRORS)
async def share_out(code: Code, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """Share out every fund by its exit clause's rule; the next settlement run books the releases."""
    done = await run_in_threadpool(lambda: dissolution.share_out_funds(store, code, clock, principal=principal))
    return {"alliance": code, "funds": [{"fund": r.fund, "rule": r.rule, "balance_minor": r.balance_minor,
                                         "parts": r.parts, "release": r.release, "note": r.note} for r in done]}


@router.post("/alliances/{code}/dissolution/finish", responses=ERRORS)
async def finish(code: Code, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """Make the alliance dissolved and sign its final checkpoint; 409 `dissolution_blocked` naming every
    blocker while anything is open."""
    done = await run_in_threadpool(lambda: dissolution.finish(store, code, clock, principal=principal))
    return {"alliance": code, "status": "dissolved", "checkpoint": done.checkpoint, "note": done.note}


def archive_file(stores: Any, code: str, clock: Any, principal: Any) -> tuple[Path, Path]:
    folder = Path(tempfile.mkdtemp(prefix="alliance-dissolution-"))
    try:
        out = folder / f"{code}-alliance-archive.zip"
        dissolution.build_alliance_archive(stores, code, out, clock, principal=principal)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder, out


@router.get("/alliances/{code}/dissolution/archive", response_class=FileResponse,
            responses={200: {"content": {ZIP: {}}, "description": "the alliance's archive (ZIP)"}, **ERRORS})
def archive(code: Code, stores: StoresDep, clock: ClockDep, principal: PrincipalDep) -> FileResponse:
    """The whole alliance's archive: each member's archive and the ledger's export (the coordinator)."""
    folder, out = archive_file(stores, code, clock, principal)
    return FileResponse(out, media_type=ZIP, filename=out.name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
