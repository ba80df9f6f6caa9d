"""Resources and needs over HTTP (matching.service): members' declarations, the alliance's resource
kinds, its directory of outside holders with theirs, and imports of both.

Routes are authorised by edge.routes (the action) and again by the service: a member admin declares
its own member's (another member's are 404; the coordinator none: 403); the directory is the partner
pipeline's. Bodies are read as the command line and files are (matching.importing), so a bad value
gets the same problem, in the same words, wherever it is entered.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from alliance.api.schemas import Body, Day
from alliance.api.uploads import read_capped
from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.matching import importing, service, service_imports
from alliance.matching.entries import EntryDraft, declaration_json, entry_json
from alliance.matching.model import DeclarationInvalid, Side

router = APIRouter(tags=["matching"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "forbidden"), (404, "not found"), (409, "conflict"), (413, "too large"),
                       (422, "invalid input"))
}
HolderCode = Annotated[str, Path(min_length=1, max_length=32)]
Number = Annotated[int, Path(ge=1, le=2_147_483_647)]
MAX_FILE_BYTES = 20 * 1024 * 1024
# Capacities travel as text ("1200.5") or whole numbers; a JSON float is refused by name (its value is lost).
Capacity = Annotated[str, Field(max_length=64)] | int | float | None
Text = Annotated[str, Field(max_length=2000)]


class DeclarationIn(Body):
    side: Literal["resource", "need"]
    kind: Annotated[str, Field(min_length=1, max_length=64)]
    description: Text = ""
    capacity: Capacity = None
    unit: Annotated[str, Field(max_length=64)] = ""
    region: Annotated[str, Field(max_length=100)] = ""
    starts_on: Day | None = None
    ends_on: Day | None = None
    priority: int = 3


class DeclarationEdit(Body):
    side: Literal["resource", "need"] | None = None
    kind: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    description: Text | None = None
    capacity: Capacity = None
    unit: Annotated[str, Field(max_length=64)] | None = None
    region: Annotated[str, Field(max_length=100)] | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    priority: int | None = None


class KindIn(Body):
    key: Annotated[str, Field(min_length=3, max_length=64)]
    name_en: Annotated[str, Field(min_length=1, max_length=100)]
    name_zh: Annotated[str, Field(min_length=1, max_length=100)]


class EntryIn(Body):
    code: Annotated[str, Field(min_length=1, max_length=32)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    credit_code: Annotated[str, Field(max_length=18)] | None = None
    region: Annotated[str, Field(max_length=64)] = ""
    industry: Annotated[str, Field(max_length=100)] = ""
    contact: Annotated[str, Field(max_length=200)] = ""
    note: Text = ""
    source: Annotated[str, Field(max_length=24)] = "api"
    prospect: Annotated[int, Field(ge=1)] | None = None


class EntryEdit(Body):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    credit_code: Annotated[str, Field(max_length=18)] | None = None
    region: Annotated[str, Field(max_length=64)] | None = None
    industry: Annotated[str, Field(max_length=100)] | None = None
    contact: Annotated[str, Field(max_length=200)] | None = None
    note: Text | None = None
    prospect: Annotated[int, Field(ge=1)] | None = None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        raise InvalidInput(Message("the capacity is not valid"), [Problem(
            "body", "capacity", Message("send a capacity as text (\"1200.5\") or a whole number, not a JSON float"))])
    return value.isoformat() if isinstance(value, date) else str(value)


def _declaration(store: Any, code: str, principal: Any, body: DeclarationIn) -> Any:
    values = {k: _text(v) for k, v in body.model_dump().items()}
    declaration, problems = importing.parse_declaration(values, service.taxonomy(store, code, principal), "body")
    if declaration is None:
        raise DeclarationInvalid(Message("The resource or need is not valid"), problems)
    return declaration


def _changes(body: DeclarationEdit) -> dict[str, object]:
    given = {k: _text(getattr(body, k)) for k in body.model_fields_set}
    changes, problems = importing.parse_changes(given, "body")
    if problems:
        raise DeclarationInvalid(Message("The resource or need is not valid"), problems)
    return changes


# -- kinds and every declaration -------------------------------------------------------------------------

@router.get("/alliances/{code}/resource-kinds", responses=ERRORS)
def kinds(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """The kinds the alliance may use: the groups, the default sub-kinds and its own (`own`)."""
    return {"items": [{"key": k.key, "group": k.group, "name_en": k.name_en, "name_zh": k.name_zh, "own": not k.builtin}
                      for k in service.taxonomy(store, code, principal)]}


@router.post("/alliances/{code}/resource-kinds", status_code=201, responses=ERRORS)
def add_kind(code: Code, body: KindIn, store: StoreDep, principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    """Add a kind of the alliance's own, `group/name` under one of the groups (the coordinator)."""
    k = service.add_kind(store, code, principal, body.key, body.name_en, body.name_zh, clock)
    return {"key": k.key, "group": k.group, "name_en": k.name_en, "name_zh": k.name_zh, "own": True}


@router.get("/alliances/{code}/declarations", responses=ERRORS)
def all_declarations(code: Code, store: StoreDep, principal: PrincipalDep,
                     side: Literal["resource", "need"] | None = None) -> dict[str, Any]:
    """Every member's resources and needs, and (for who reads the partner pipeline) the directory's."""
    found = service.declarations(store, code, principal, None, Side(side) if side else None)
    return {"items": [declaration_json(d) for d in found]}


@router.post("/alliances/{code}/declarations/import", responses=ERRORS)
async def import_declarations(code: Code, request: Request, store: StoreDep, principal: PrincipalDep,
                              clock: ClockDep,
                              format: Annotated[Literal["csv", "xlsx"], Query()] = "csv") -> dict[str, Any]:
    """The request body is a CSV or XLSX file of declarations (docs/matching.md): all rows or none."""
    content = await read_capped(request, MAX_FILE_BYTES, Message("a declarations file"))
    added = await run_in_threadpool(_with_file, content, format, lambda path: service_imports.import_declarations(
        store, code, principal, path, clock, format))
    return {"imported": added}


def _with_file(content: bytes, fmt: str, call: Any) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        path = FilePath(folder) / f"upload.{fmt}"
        path.write_bytes(content)
        return call(path)


# -- one holder's declarations (a member's, a directory entry's) -------------------------------------------

def _list(store: Any, code: str, principal: Any, holder: str) -> dict[str, Any]:
    return {"items": [declaration_json(d) for d in service.declarations(store, code, principal, holder)]}


def _add(store: Any, code: str, principal: Any, holder: str, body: DeclarationIn, clock: Any) -> dict[str, Any]:
    return declaration_json(service.declare(store, code, principal, holder, _declaration(store, code, principal, body),
                                            clock))


def _edit(store: Any, code: str, principal: Any, holder: str, number: int, body: DeclarationEdit,
          clock: Any) -> dict[str, Any]:
    return declaration_json(service.edit_declaration(store, code, principal, holder, number, _changes(body), clock))


def _remove(store: Any, code: str, principal: Any, holder: str, number: int, clock: Any = None) -> Response:
    service.remove_declaration(store, code, principal, holder, number, clock)
    return Response(status_code=204)


# A member's (its own admins and the coordinator change them; everyone of the alliance reads them) ...
@router.get("/alliances/{code}/members/{member}/declarations", responses=ERRORS)
def member_declarations(code: Code, member: HolderCode, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """The member's resources and needs: resources first, by priority."""
    return _list(store, code, principal, member)


@router.post("/alliances/{code}/members/{member}/declarations", status_code=201, responses=ERRORS)
def declare_for_member(code: Code, member: HolderCode, body: DeclarationIn, store: StoreDep, principal: PrincipalDep,
                       clock: ClockDep) -> dict[str, Any]:
    """Declare a resource or need of the member (its own admins, or the coordinator)."""
    return _add(store, code, principal, member, body, clock)


@router.patch("/alliances/{code}/members/{member}/declarations/{number}", responses=ERRORS)
def edit_for_member(code: Code, member: HolderCode, number: Number, body: DeclarationEdit, store: StoreDep,
                    principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    """Change the fields sent (null clears a capacity or a date); the result is checked whole."""
    return _edit(store, code, principal, member, number, body, clock)


@router.delete("/alliances/{code}/members/{member}/declarations/{number}", status_code=204, responses=ERRORS,
               response_class=Response)
def remove_for_member(code: Code, member: HolderCode, number: Number, store: StoreDep,
                      principal: PrincipalDep, clock: ClockDep) -> Response:
    return _remove(store, code, principal, member, number, clock)


# ... and an outside holder's (the partner pipeline's: read READ_PIPELINE, change MANAGE_ALLIANCE).
@router.get("/alliances/{code}/directory/{entry}/declarations", responses=ERRORS)
def entry_declarations(code: Code, entry: HolderCode, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    return _list(store, code, principal, entry)


@router.post("/alliances/{code}/directory/{entry}/declarations", status_code=201, responses=ERRORS)
def declare_for_entry(code: Code, entry: HolderCode, body: DeclarationIn, store: StoreDep, principal: PrincipalDep,
                      clock: ClockDep) -> dict[str, Any]:
    return _add(store, code, principal, entry, body, clock)


@router.patch("/alliances/{code}/directory/{entry}/declarations/{number}", responses=ERRORS)
def edit_for_entry(code: Code, entry: HolderCode, number: Number, body: DeclarationEdit, store: StoreDep,
                   principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    return _edit(store, code, principal, entry, number, body, clock)


@router.delete("/alliances/{code}/directory/{entry}/declarations/{number}", status_code=204, responses=ERRORS,
               response_class=Response)
def remove_for_entry(code: Code, entry: HolderCode, number: Number, store: StoreDep,
                     principal: PrincipalDep) -> Response:
    return _remove(store, code, principal, entry, number)


@router.get("/alliances/{code}/members/{member}/pledges-and-uses", responses=ERRORS)
def beside(code: Code, member: HolderCode, store: StoreDep, principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    """What the member pledged (with deliveries) and used of shared resources, to show beside its
    declarations (`uses` stays empty until warehouse bookings and shared campaigns exist)."""
    from alliance.health.kpis import documents

    found = service.beside(store, code, principal, member)
    today = clock.now().date()
    return {"pledges": [documents.pledge(p, today) for p in found.pledges], "uses": list(found.uses)}


# -- the directory --------------------------------------------------------------------------------------------

@router.get("/alliances/{code}/directory", responses=ERRORS)
def directory(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"items": [entry_json(e) for e in service.directory(store, code, principal)]}


@router.post("/alliances/{code}/directory", status_code=201, responses=ERRORS)
def add_entry(code: Code, body: EntryIn, store: StoreDep, principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    draft = EntryDraft(body.code, body.name, body.credit_code, body.region, body.industry, body.contact, body.note,
                       body.source, body.prospect)
    return entry_json(service.add_entry(store, code, principal, draft, clock))


@router.patch("/alliances/{code}/directory/{entry}", responses=ERRORS)
def edit_entry(code: Code, entry: HolderCode, body: EntryEdit, store: StoreDep, principal: PrincipalDep,
               clock: ClockDep) -> dict[str, Any]:
    nullable = {"credit_code", "prospect"}  # null clears these; the others keep their value
    changes = {("prospect_id" if k == "prospect" else k): getattr(body, k) for k in body.model_fields_set
               if getattr(body, k) is not None or k in nullable}
    return entry_json(service.edit_entry(store, code, principal, entry, changes, clock))


@router.delete("/alliances/{code}/directory/{entry}", status_code=204, responses=ERRORS, response_class=Response)
def remove_entry(code: Code, entry: HolderCode, store: StoreDep, principal: PrincipalDep) -> Response:
    service.remove_entry(store, code, principal, entry)
    return Response(status_code=204)


@router.post("/alliances/{code}/directory/import", responses=ERRORS)
async def import_directory(code: Code, request: Request, store: StoreDep, principal: PrincipalDep, clock: ClockDep,
                           format: Annotated[Literal["csv", "xlsx"], Query()] = "csv") -> dict[str, Any]:
    """The request body is a CSV or XLSX file of outside companies with their declarations: all or none."""
    content = await read_capped(request, MAX_FILE_BYTES, Message("a directory file"))
    made, declared = await run_in_threadpool(_with_file, content, format, lambda path: service_imports.import_directory(
        store, code, principal, path, clock, format))
    return {"entries": made, "declarations": declared}
