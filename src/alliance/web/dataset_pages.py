"""Importing a dataset (inventory, customer events, catalogue) in the browser: a form on the
member's sharing pages that uploads a file, all or nothing, and lists every bad row it found.

Only the member's own accounts reach it (`ACT_FOR_MEMBER` on the path's member, as publishing a
view); what another member sees of the rows is only what a view of them shares."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from alliance.core.errors import AllianceError, InvalidInput
from alliance.datashare.datasets import KINDS, service
from alliance.edge.deps import ClockDep, Code, StoreDep, StoresDep
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.web.i18n import N_
from alliance.web.render import gettext_for, render
from alliance.web.viewer import PageViewer

router = APIRouter(include_in_schema=False)
MAX_DATASET_FILE = 64 * 2**20  # as the API's body limit by default; larger files go through the CLI
SUFFIXES = (".csv", ".xlsx", ".xlsm", ".parquet")


def _page(request: Request, store: Store, code: str, member: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    gettext = gettext_for(request)
    kinds = [(k.name, gettext(k.title)) for k in KINDS.values() if k.importable]
    return render(request, "sharing/dataset_import.html", status=status, alliance=registry.get_alliance(store, code),
                  section="sharing", member=member, company=registry.get_member(store, code, member).legal_name,
                  kinds=kinds, **{"report": None, "error": None, "problems": [], "filename": "", **values,
                                  "chosen": values.get("kind") or kinds[0][0]})


@router.get("/alliances/{code}/sharing/members/{member}/datasets/import", response_class=HTMLResponse)
def import_form(request: Request, code: Code, member: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return _page(request, store, code, member)


@router.post("/alliances/{code}/sharing/members/{member}/datasets/import", response_class=HTMLResponse)
async def import_file(request: Request, code: Code, member: Code, stores: StoresDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    """Check the uploaded file and store all its rows, or none (the page then lists every bad row)."""
    form = await request.form()
    kind = str(form.get("kind", ""))[:40]
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, stores.records, code, member, status=422, kind=kind, error=N_("Choose a .csv, .xlsx or .parquet file."))
    data = await upload.read(MAX_DATASET_FILE + 1)
    if len(data) > MAX_DATASET_FILE:
        return _page(request, stores.records, code, member, status=413, kind=kind,
                     error=N_("The file is larger than 64 MiB: import it with the command line."))
    filename = Path(upload.filename).name
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        return _page(request, stores.records, code, member, status=422, kind=kind, error=N_("Choose a .csv, .xlsx or .parquet file."))

    def run() -> Any:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(data)
            return service.import_file(stores, code, member, kind, path, None, clock, shown_as=filename)

    try:
        report = await run_in_threadpool(run)
    except InvalidInput as exc:
        return _page(request, stores.records, code, member, status=422, kind=kind, error=exc.message,
                     problems=[p.text() for p in exc.problems])
    except AllianceError as exc:
        return _page(request, stores.records, code, member, status=exc.status, kind=kind, error=exc.message)
    return _page(request, stores.records, code, member, kind=kind, report=report, filename=filename)
