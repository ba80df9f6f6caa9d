"""The member's data archive on the web: the download its page offers (docs/exit.md, "The member's
archive"), to whom may read the member's statements (its own accounts, a departed member's included,
the coordinator, the auditor); another member's accounts get 404, as over the API."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from alliance.edge.deps import ClockDep, Code, opened_stores
from alliance.exits.archive_service import build_member_archive
from alliance.web.viewer import PageViewer

router = APIRouter(include_in_schema=False)


@router.get("/alliances/{code}/members/{member}/archive")
def download_archive(request: Request, code: Code, member: Code, clock: ClockDep, viewer: PageViewer) -> FileResponse:
    folder = Path(tempfile.mkdtemp(prefix="alliance-archive-"))
    try:
        out = folder / f"{code}-{member}-archive.zip"
        with opened_stores(request) as stores:
            build_member_archive(stores, code, member, out, clock=clock)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(out, media_type="application/zip", filename=out.name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
