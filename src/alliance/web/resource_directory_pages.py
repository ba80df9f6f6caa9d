"""The resource map's directory in the browser (issue 24): the alliance's outside candidates and its
prospects' profiles with their resources and needs; adding and removing a company, giving it
resources and needs, importing a directory file. The partner pipeline's (READ_PIPELINE to read,
MANAGE_ALLIANCE to change), as the matching service decides; forms and files are read and refused
as on a member's page (`web.resource_pages`).
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.access.policy import Action
from alliance.core.errors import InvalidInput
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.matching import service, service_imports
from alliance.matching.entries import EntryDraft, StoredDeclaration
from alliance.matching.model import PRIORITIES, DeclarationInvalid, HolderKind
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.web.forms import FormView, PostedForm
from alliance.web.render import gettext_for, render, say_for
from alliance.web.resource_pages import (ENTRY_FIELDS, FIELDS, HOLDER_LABELS, NOT_VALID, SAVED, SIDE_LABELS,
                                         field_errors, form_values, grouped, import_rows, kind_choices, kind_names,
                                         page_language, parsed_declaration, read_upload, saved_redirect, with_file)
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)


# -- the directory of outside companies and prospects ----------------------------------------------------------

def _directory_page(request: Request, store: Store, viewer: Viewer, code: str, *, status: int = 200,
                    form: FormView | None = None, imported: Sequence[tuple[str, str, str]] = (),
                    import_error: str = "") -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    principal = viewer.principal
    taxonomy = service.taxonomy(store, code, principal)
    entries = service.directory(store, code, principal)
    held: dict[str, list[StoredDeclaration]] = {}
    for d in service.declarations(store, code, principal):
        if d.holder_kind is not HolderKind.MEMBER:
            held.setdefault(d.holder, []).append(d)
    saved = SAVED.get(request.query_params.get("saved", ""))
    return render(request, "resources/directory.html", status=status, alliance=alliance, section="resources",
                  entries=entries, held=held, names=kind_names(taxonomy, page_language(request)),
                  side_labels=SIDE_LABELS, holder_labels=HOLDER_LABELS,
                  may_manage=viewer.may(Action.MANAGE_ALLIANCE, code),
                  form=form or FormView(), import_problems=imported, import_error=import_error, saved=saved,
                  imported_count=request.query_params.get("imported", ""))


@router.get("/alliances/{code}/resources/directory", response_class=HTMLResponse)
def directory(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """The alliance's outside candidates and prospects' profiles with their resources and needs."""
    return _directory_page(request, store, viewer, code)


@router.post("/alliances/{code}/resources/directory", response_class=HTMLResponse)
async def add_entry(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    posted = await PostedForm.read(request)
    values = form_values(posted, ENTRY_FIELDS)

    def work() -> Response:
        draft = EntryDraft(values["code"], values["name"], values["credit_code"] or None, values["region"],
                           values["industry"], values["contact"], values["note"], "web")
        try:
            service.add_entry(store, code, viewer.principal, draft, clock)
        except InvalidInput as exc:
            errors, lines = field_errors(say_for(request), exc)
            return _directory_page(request, store, viewer, code, status=422,
                                   form=FormView(values, errors, lines or [gettext_for(request)(NOT_VALID)]))
        except service.EntryExists as exc:
            return _directory_page(request, store, viewer, code, status=409,
                                   form=FormView(values, {"code": say_for(request)(exc.message)},
                                                 [gettext_for(request)(NOT_VALID)]))
        return saved_redirect(code, "/resources/directory", "entry", "entries")

    return await run_in_threadpool(work)


@router.post("/alliances/{code}/resources/directory/{entry}/remove", response_class=HTMLResponse)
async def remove_entry(request: Request, code: Code, entry: Code, store: StoreDep, viewer: PageViewer) -> Response:
    await run_in_threadpool(service.remove_entry, store, code, viewer.principal, entry)
    return saved_redirect(code, "/resources/directory", "entry_removed", "entries")


@router.post("/alliances/{code}/resources/directory/import", response_class=HTMLResponse)
async def import_directory(request: Request, code: Code, store: StoreDep, clock: ClockDep,
                           viewer: PageViewer) -> Response:
    """A CSV or XLSX file of outside companies with their resources and needs: all rows or none."""
    upload = await read_upload(request)

    def work() -> Response:
        if isinstance(upload, str):
            return _directory_page(request, store, viewer, code, status=422, import_error=gettext_for(request)(upload))
        try:
            added, _declared = with_file(*upload, lambda path: service_imports.import_directory(
                store, code, viewer.principal, path, clock))
        except InvalidInput as exc:
            return _directory_page(request, store, viewer, code, status=422,
                                   imported=import_rows(say_for(request), exc),
                                   import_error=say_for(request)(exc.message))
        return RedirectResponse(f"/alliances/{code}/resources/directory?imported={added}#entries", status_code=303)

    return await run_in_threadpool(work)


# -- one outside company's resources and needs ---------------------------------------------------------------

def _entry_page(request: Request, store: Store, viewer: Viewer, code: str, entry: str, *, status: int = 200,
                form: FormView | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    principal = viewer.principal
    found = next((e for e in service.directory(store, code, principal) if e.code == entry), None)
    if found is None:
        raise service.HolderNotFound(entry)
    taxonomy = service.taxonomy(store, code, principal)
    lang = page_language(request)
    stored = service.declarations(store, code, principal, entry)
    return render(request, "resources/entry.html", status=status, alliance=alliance, section="resources",
                  entry=found, sides=grouped(stored, taxonomy, lang), names=kind_names(taxonomy, lang),
                  choices=kind_choices(taxonomy, lang), side_labels=SIDE_LABELS, holder_labels=HOLDER_LABELS,
                  priorities=list(PRIORITIES), may_manage=viewer.may(Action.MANAGE_ALLIANCE, code),
                  form=form or FormView({"side": "resource", "priority": "3"}),
                  saved=SAVED.get(request.query_params.get("saved", "")))


@router.get("/alliances/{code}/resources/directory/{entry}", response_class=HTMLResponse)
def entry_page(request: Request, code: Code, entry: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """An outside company's (or a prospect's) resources and needs, and the form to add one."""
    return _entry_page(request, store, viewer, code, entry)


@router.post("/alliances/{code}/resources/directory/{entry}/declarations", response_class=HTMLResponse)
async def declare_for_entry(request: Request, code: Code, entry: Code, store: StoreDep, clock: ClockDep,
                            viewer: PageViewer) -> Response:
    posted = await PostedForm.read(request)
    values = form_values(posted, FIELDS)

    def work() -> Response:
        try:
            declaration = parsed_declaration(store, code, viewer, values)
            service.declare(store, code, viewer.principal, entry, declaration, clock)
        except DeclarationInvalid as exc:
            errors, lines = field_errors(say_for(request), exc)
            return _entry_page(request, store, viewer, code, entry, status=422,
                               form=FormView(values, errors, lines or [gettext_for(request)(NOT_VALID)]))
        return saved_redirect(code, f"/resources/directory/{entry}", "added", "declarations")

    return await run_in_threadpool(work)


@router.post("/alliances/{code}/resources/directory/{entry}/declarations/{number}/remove",
             response_class=HTMLResponse)
async def remove_for_entry(request: Request, code: Code, entry: Code, number: Id, store: StoreDep,
                           viewer: PageViewer) -> Response:
    await run_in_threadpool(service.remove_declaration, store, code, viewer.principal, entry, number)
    return saved_redirect(code, f"/resources/directory/{entry}", "removed", "declarations")
