"""The resource map in the browser (issue 24): a member's resources and needs with the forms to add,
change and remove them and to import a file of them; the map of the alliance (members, and arrows
where one member's resource meets another's need) with its table; and the alliance's own kinds.
The directory of outside companies is `web.resource_directory_pages`, which reads forms and files
with the helpers here.

The rules are the matching service's (`alliance.matching.service`, `service_imports`): a member's
admin declares its own member's (another member's edit pages and posts are 404 by the route table),
never the coordinator; the directory is the partner pipeline's. A form read wrong shows each problem
beside its field in the page's language (422) and stores nothing. Kinds are always shown by their
name in the page's language (the taxonomy's), never by their key.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from alliance.access.policy import Action
from alliance.core.errors import InvalidInput
from alliance.core.clock import Clock, local_today
from alliance.core.messages import Message
from alliance.core.settings import get_settings
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.matching import importing, service, service_imports
from alliance.matching.entries import StoredDeclaration
from alliance.matching.model import PRIORITIES, DeclarationInvalid, HolderKind, Side
from alliance.matching.resource_map import MapFilter, edges, filtered, group_of
from alliance.matching.taxonomy import SEPARATOR, Taxonomy
from alliance.registry import service as registry
from alliance.sharing import attorneys
from alliance.store.database import Store
from alliance.web.forms import FormView, PostedForm
from alliance.web.i18n import N_, request_locale
from alliance.web.render import gettext_for, render, say_for
from alliance.web.resource_charts import MapLabels, resource_graph
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)

FIELDS = importing.DECLARATION_FIELDS
ENTRY_FIELDS = ("code", "name", "credit_code", "region", "industry", "contact", "note")
KIND_FIELDS = ("parent", "sub", "name_zh", "name_en")
MAX_FILE = 5 * 2**20
SIDE_LABELS = {Side.RESOURCE: N_("Resources"), Side.NEED: N_("Needs")}
HOLDER_LABELS = {HolderKind.MEMBER: N_("Member"), HolderKind.PROSPECT: N_("Prospect"),
                 HolderKind.CANDIDATE: N_("Outside candidate")}
SAVED = {"added": N_("The resource or need is saved."), "changed": N_("The changes are saved."),
         "removed": N_("The resource or need is removed."), "kind": N_("The new kind is added."),
         "entry": N_("The company is added to the directory."),
         "entry_removed": N_("The company is removed from the directory.")}
NOT_VALID = N_("Nothing was saved: correct the fields marked below.")
CHOOSE_FILE = N_("Choose a .csv or .xlsx file.")
FILE_TOO_LARGE = N_("The file is larger than 5 MiB.")
ROW = re.compile(r"^row (\d+)$")


def page_language(request: Request) -> str:
    return request_locale(request, get_settings().default_locale).locale


def kind_names(taxonomy: Taxonomy, lang: str) -> dict[str, str]:
    """Each kind's name in the page's language; a sub-kind's is "group · sub" so it reads on its own."""
    names = {k.key: k.name(lang) for k in taxonomy}
    return {key: (f"{names[group_of(key)]} · {name}" if SEPARATOR in key and group_of(key) in names else name)
            for key, name in names.items()}


def kind_choices(taxonomy: Taxonomy, lang: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The kind select's groups: (group key, group name, [(kind key, name)]), the group itself first
    (a need for anything of the group)."""
    return [(g.key, g.name(lang), [(k.key, k.name(lang)) for k in taxonomy.members_of(g.key)])
            for g in taxonomy.groups()]


def field_errors(say: Callable[[object], str], exc: InvalidInput,
                 rename: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """A refusal's problems by form field (the window's problem is its end's), and the lines that
    belong to no field."""
    rename = {"window": "ends_on", "prospect": "code", **(rename or {})}
    errors: dict[str, str] = {}
    lines: list[str] = []
    for p in exc.problems:
        name = rename.get(p.field, p.field)
        if name:
            errors.setdefault(name, say(p.reason))
        else:
            lines.append(say(p.text()))
    if not exc.problems:
        lines.append(say(exc.message))
    return errors, lines


def import_rows(say: Callable[[object], str], exc: InvalidInput) -> list[tuple[str, str, str]]:
    """A refused file's problems as (row, column, why): the spreadsheet's row number, or the header."""
    rows = []
    for p in exc.problems:
        found = ROW.match(str(p.where))
        rows.append((found.group(1) if found else say(p.where), p.field, say(p.reason)))
    if not exc.problems:
        rows.append(("", "", say(exc.message)))
    return rows


def form_values(form: PostedForm, names: Sequence[str]) -> dict[str, str]:
    return {k: form.values.get(k, "").strip() for k in names}


def saved_redirect(code: str, path: str, saved: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/alliances/{code}{path}?saved={saved}" + (f"#{anchor}" if anchor else ""),
                            status_code=303)


async def read_upload(request: Request) -> tuple[bytes, str] | str:
    """The posted file's bytes and suffix, or why there is none to read (an N_ message)."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return CHOOSE_FILE
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        return CHOOSE_FILE
    data = await upload.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        return FILE_TOO_LARGE
    return data, suffix


def with_file(data: bytes, suffix: str, call: Callable[[Path], Any]) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        return call(path)


# -- a member's resources and needs ------------------------------------------------------------------------

def grouped(stored: Sequence[StoredDeclaration], taxonomy: Taxonomy, lang: str) -> list[Any]:
    """[(side, [(group name, [declarations])])]: resources first, groups in the taxonomy's order."""
    order = {g.key: i for i, g in enumerate(taxonomy.groups())}
    names = {g.key: g.name(lang) for g in taxonomy.groups()}
    sides = []
    for side in (Side.RESOURCE, Side.NEED):
        mine = [s for s in stored if s.declaration.side is side]
        groups = sorted({group_of(s.declaration.kind) for s in mine}, key=lambda g: (order.get(g, 99), g))
        sides.append((side, [(names.get(g, g), [s for s in mine if group_of(s.declaration.kind) == g])
                             for g in groups]))
    return sides


def _member_page(request: Request, store: Store, clock: Clock, viewer: Viewer, code: str, member: str, *,
                 status: int = 200,
                 form: FormView | None = None, imported: Sequence[tuple[str, str, str]] = (),
                 import_error: str = "") -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    found = registry.get_member(store, code, member)
    principal = viewer.principal
    taxonomy = service.taxonomy(store, code, principal)
    stored = service.declarations(store, code, principal, member)
    lang = page_language(request)
    beside = service.beside(store, code, principal, member) if viewer.sees_member(code, member) else None
    saved = SAVED.get(request.query_params.get("saved", ""))
    return render(request, "resources/member.html", status=status, alliance=alliance, section="resources",
                  member=found, sides=grouped(stored, taxonomy, lang), names=kind_names(taxonomy, lang),
                  choices=kind_choices(taxonomy, lang), side_labels=SIDE_LABELS, priorities=list(PRIORITIES),
                  may_declare=viewer.acts_for(Action.DECLARE_RESOURCES, code, member,
                                              operated=attorneys.operated_members(store, principal, code, clock)),
                  beside=beside,
                  form=form or FormView({"side": "resource", "priority": "3"}), saved=saved,
                  import_problems=imported, import_error=import_error, today=local_today(clock, alliance.timezone),
                  imported_count=request.query_params.get("imported", ""))


@router.get("/alliances/{code}/members/{member}/resources", response_class=HTMLResponse)
def member_resources(request: Request, code: Code, member: Code, store: StoreDep, clock: ClockDep,
                     viewer: PageViewer) -> HTMLResponse:
    """The member's resources and needs by side and kind group, its pledges beside them, and (for its
    own admins and the coordinator) the forms to change them."""
    return _member_page(request, store, clock, viewer, code, member)


def parsed_declaration(store: Store, code: str, viewer: Viewer, values: Mapping[str, str]) -> Any:
    declaration, problems = importing.parse_declaration(values, service.taxonomy(store, code, viewer.principal), "")
    if declaration is None:
        raise DeclarationInvalid(Message("The resource or need is not valid"), problems)
    return declaration


async def declare_from_form(request: Request, store: Store, clock: Clock, viewer: Viewer, code: str, holder: str,
                            again: Callable[[FormView], Response], back: str) -> Response:
    """Declare what the posted form says for `holder`, then go `back` (a path under the alliance);
    on bad input, `again(form)`: the holder's page with the errors beside the fields, nothing stored."""
    posted = await PostedForm.read(request)
    values = form_values(posted, FIELDS)

    def work() -> Response:
        try:
            declaration = parsed_declaration(store, code, viewer, values)
            service.declare(store, code, viewer.principal, holder, declaration, clock)
        except DeclarationInvalid as exc:
            errors, lines = field_errors(say_for(request), exc)
            return again(FormView(values, errors, lines or [gettext_for(request)(NOT_VALID)]))
        return saved_redirect(code, back, "added", "declarations")

    return await run_in_threadpool(work)


@router.post("/alliances/{code}/members/{member}/resources", response_class=HTMLResponse)
async def declare(request: Request, code: Code, member: Code, store: StoreDep, clock: ClockDep,
                  viewer: PageViewer) -> Response:
    return await declare_from_form(
        request, store, clock, viewer, code, member,
        lambda form: _member_page(request, store, clock, viewer, code, member, status=422, form=form),
        f"/members/{member}/resources")


def _edit_page(request: Request, store: Store, viewer: Viewer, code: str, member: str, number: int, *,
               status: int = 200, form: FormView | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    found = registry.get_member(store, code, member)
    taxonomy = service.taxonomy(store, code, viewer.principal)
    mine = {s.id: s for s in service.declarations(store, code, viewer.principal, member)}
    if number not in mine:
        raise service.DeclarationNotFound(member, number)
    if form is None:
        d = mine[number].declaration
        form = FormView({"side": d.side.value, "kind": d.kind, "description": d.description,
                         "capacity": "" if d.capacity is None else str(d.capacity), "unit": d.unit,
                         "region": d.region, "priority": str(d.priority),
                         "starts_on": d.window.starts_on.isoformat() if d.window.starts_on else "",
                         "ends_on": d.window.ends_on.isoformat() if d.window.ends_on else ""})
    lang = page_language(request)
    return render(request, "resources/edit.html", status=status, alliance=alliance, section="resources",
                  member=found, number=number, form=form, choices=kind_choices(taxonomy, lang),
                  side_labels=SIDE_LABELS, priorities=list(PRIORITIES))


@router.get("/alliances/{code}/members/{member}/resources/{number}/edit", response_class=HTMLResponse)
def edit_page(request: Request, code: Code, member: Code, number: Id, store: StoreDep,
              viewer: PageViewer) -> HTMLResponse:
    return _edit_page(request, store, viewer, code, member, number)


@router.post("/alliances/{code}/members/{member}/resources/{number}/edit", response_class=HTMLResponse)
async def edit(request: Request, code: Code, member: Code, number: Id, store: StoreDep, clock: ClockDep,
               viewer: PageViewer) -> Response:
    posted = await PostedForm.read(request)
    values = form_values(posted, FIELDS)

    def work() -> Response:
        try:
            d = parsed_declaration(store, code, viewer, values)
            changes = {"side": d.side, "kind": d.kind, "description": d.description, "capacity": d.capacity,
                       "unit": d.unit, "region": d.region, "starts_on": d.window.starts_on,
                       "ends_on": d.window.ends_on, "priority": d.priority}
            service.edit_declaration(store, code, viewer.principal, member, number, changes, clock)
        except DeclarationInvalid as exc:
            errors, lines = field_errors(say_for(request), exc)
            return _edit_page(request, store, viewer, code, member, number, status=422,
                              form=FormView(values, errors, lines or [gettext_for(request)(NOT_VALID)]))
        return saved_redirect(code, f"/members/{member}/resources", "changed", "declarations")

    return await run_in_threadpool(work)


@router.post("/alliances/{code}/members/{member}/resources/{number}/remove", response_class=HTMLResponse)
async def remove(request: Request, code: Code, member: Code, number: Id, store: StoreDep, clock: ClockDep,
                 viewer: PageViewer) -> Response:
    await run_in_threadpool(service.remove_declaration, store, code, viewer.principal, member, number, clock)
    return saved_redirect(code, f"/members/{member}/resources", "removed", "declarations")


@router.post("/alliances/{code}/members/{member}/resources/import", response_class=HTMLResponse)
async def import_declarations(request: Request, code: Code, member: Code, store: StoreDep, clock: ClockDep,
                              viewer: PageViewer) -> Response:
    """A CSV or XLSX file of resources and needs (a `holder` column names each row's member): every
    row is added, or none, and each bad row is listed with its row number and column."""
    upload = await read_upload(request)

    def work() -> Response:
        if isinstance(upload, str):
            return _member_page(request, store, clock, viewer, code, member, status=422,
                                import_error=gettext_for(request)(upload))
        try:
            added = with_file(*upload, lambda path: service_imports.import_declarations(
                store, code, viewer.principal, path, clock))
        except InvalidInput as exc:
            return _member_page(request, store, clock, viewer, code, member, status=422,
                                imported=import_rows(say_for(request), exc), import_error=say_for(request)(exc.message))
        return RedirectResponse(f"/alliances/{code}/members/{member}/resources?imported={added}#declarations",
                                status_code=303)

    return await run_in_threadpool(work)


# -- the map of the alliance --------------------------------------------------------------------------------

def _map_page(request: Request, store: Store, viewer: Viewer, code: str, group: str, region: str, *,
              status: int = 200, kind_form: FormView | None = None) -> HTMLResponse:
    _ = gettext_for(request)
    alliance = registry.get_alliance(store, code)
    principal = viewer.principal
    taxonomy = service.taxonomy(store, code, principal)
    lang = page_language(request)
    holders = service.holders(store, code, principal, outside=False)
    regions = sorted({d.region.strip() for h in holders for d in h.declarations if d.region.strip()}, key=str.casefold)
    group = group if group in {g.key for g in taxonomy.groups()} else ""
    shown = filtered(holders, MapFilter(group, region.strip()))
    found, total = edges(shown)
    group_names = {g.key: g.name(lang) for g in taxonomy.groups()}
    labels = MapLabels(_("Resources"), _("Needs"), _("Offers only"), _("Needs only"), _("Offers and needs"),
                       _("Nothing declared"))
    option = resource_graph(shown, found, group_names, labels)
    own = [k for k in taxonomy if not k.builtin]
    return render(request, "resources/map.html", status=status, alliance=alliance, section="resources",
                  holders=shown, edges=found, total=total, option=option, names=kind_names(taxonomy, lang),
                  groups=[(g.key, g.name(lang)) for g in taxonomy.groups()], regions=regions, group=group,
                  region=region.strip(), group_names=group_names, own_kinds=own,
                  may_manage=viewer.may(Action.MANAGE_ALLIANCE, code),
                  sees_directory=viewer.may_open("/alliances/{code}/resources/directory", code),
                  kind_form=kind_form or FormView(), saved=SAVED.get(request.query_params.get("saved", "")))


@router.get("/alliances/{code}/resources", response_class=HTMLResponse)
def resource_map(request: Request, code: Code, store: StoreDep, viewer: PageViewer,
                 group: Annotated[str, Query(max_length=32)] = "",
                 region: Annotated[str, Query(max_length=64)] = "") -> HTMLResponse:
    """The members as nodes and an arrow where one's resource meets another's need, by kind group
    and region, with the same in a table."""
    return _map_page(request, store, viewer, code, group, region)


@router.post("/alliances/{code}/resources/kinds", response_class=HTMLResponse)
async def add_kind(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    posted = await PostedForm.read(request)
    values = form_values(posted, KIND_FIELDS)

    def work() -> Response:
        try:
            service.add_kind(store, code, viewer.principal, f"{values['parent']}{SEPARATOR}{values['sub']}",
                             values["name_en"], values["name_zh"], clock)
        except InvalidInput as exc:  # KindInvalid: one message about the key or the names
            return _map_page(request, store, viewer, code, "", "", status=422,
                             kind_form=FormView(values, {"sub": say_for(request)(exc.message)}))
        return saved_redirect(code, "/resources", "kind", "own-kinds")

    return await run_in_threadpool(work)
