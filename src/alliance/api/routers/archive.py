"""A member's data archive over HTTP (docs/exit.md, "The member's archive"): the ZIP streamed to the
member's own accounts (a member that has left included: its archive stays downloadable through the
retrieval window), the coordinator and the auditor, as the member's statements are (READ_MEMBER_DATA
in edge.routes). Another member's accounts get 404 as for any of its data (`access.policy`), an
unknown member 404 `member_not_found`."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from alliance.edge.deps import ClockDep, Code, StoresDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.exits.archive_service import build_member_archive

router = APIRouter(tags=["exits"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((404, "no such alliance or member, or another member's"),
                       (503, "the ledger key cannot be opened, or the order-line store is busy"))
}
ZIP = "application/zip"


def archive_file(stores: Any, code: str, member: str, clock: Any) -> tuple[Path, Path]:
    """Build the archive in a folder of its own: (the folder, the file)."""
    folder = Path(tempfile.mkdtemp(prefix="alliance-archive-"))
    try:
        out = folder / f"{code}-{member}-archive.zip"
        build_member_archive(stores, code, member, out, clock=clock)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder, out


@router.get("/alliances/{code}/members/{member}/archive", response_class=FileResponse,
            responses={200: {"content": {ZIP: {}}, "description": "the member's archive (ZIP)"}, **ERRORS})
def member_archive(code: Code, member: Code, stores: StoresDep, clock: ClockDep) -> FileResponse:
    """The member's data archive: its registry record and people, agreements, statements, journal
    postings, order lines (Parquet), shared views and access logs, votes, IP, payouts, disputes, and
    the ledger proofs that verify it offline (`alliance archive verify`)."""
    folder, out = archive_file(stores, code, member, clock)
    return FileResponse(out, media_type=ZIP, filename=out.name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
