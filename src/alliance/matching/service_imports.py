"""Imports of the resource map (CSV or XLSX, all or nothing, like the member import): declarations of
members and directory entries, and the directory's outside companies with their declarations. Every
bad row is named with its spreadsheet row number and column; nothing is stored when any row is bad.
Who may import what is decided per row as for one declaration (matching.service)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.core.errors import InvalidInput, NotFound, Problem
from alliance.core.messages import Message
from alliance.matching import importing
from alliance.matching.entries import EntryDraft
from alliance.matching.model import Declaration, DeclarationInvalid, HolderKind
from alliance.matching.service import EntryInvalid, _checked_entry, _may_change, _taxonomy, _writable
from alliance.registry.importing import SHOWN_PROBLEMS
from alliance.registry.spreadsheets import open_table
from alliance.store.database import Store
from alliance.store.matching_repository import MatchingRepository, Owner


def import_declarations(store: Store, alliance_code: str, principal: Principal, path: Path, clock: Clock,
                        fmt: str | None = None) -> int:
    """Add every row of a CSV or XLSX file of declarations, or none: every bad row is reported with
    its row number and column (InvalidInput). Returns how many were added."""
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with open_table(path, fmt) as table:
        columns, problems = importing.map_columns(table.header, importing.DECLARATION_HEADERS,
                                                  ("holder", "side", "kind"))
        rows = _rows(table.rows, table.header_row)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        tax = _taxonomy(uow, alliance.id)
        owners: dict[str, tuple[Owner, int, HolderKind]] = {}
        planned: dict[Owner, list[tuple[int, Declaration]]] = {Owner.MEMBER: [], Owner.ENTRY: []}
        for number, row in ([] if problems else rows):
            where = str(importing.row_label(number))
            values = columns.values(row)
            code = values["holder"]
            row_problems: list[Problem] = []
            if code not in owners:
                try:
                    owners[code] = _may_change(uow, alliance, principal, code, clock)
                except NotFound:  # HolderNotFound, or another member's for a member's key
                    row_problems.append(Problem(where, columns.labels["holder"],
                                                Message("no member or directory entry {code!r} in this alliance",
                                                        code=code)))
            declaration, found = importing.parse_declaration(values, tax, where, columns.labels)
            row_problems += found
            if row_problems:
                problems += row_problems
            elif declaration is not None:
                owner, owner_id, _kind = owners[code]
                planned[owner].append((owner_id, declaration))
        if problems:
            raise DeclarationInvalid(_nothing_imported(problems), problems[:SHOWN_PROBLEMS])
        repo = MatchingRepository(uow.connection)
        for owner, pairs in planned.items():
            repo.add_declarations(owner, alliance.id, pairs, clock.now(), principal.actor)
        uow.commit()
        return sum(len(p) for p in planned.values())


def import_directory(store: Store, alliance_code: str, principal: Principal, path: Path, clock: Clock,
                     fmt: str | None = None) -> tuple[int, int]:
    """Add the outside companies of a CSV or XLSX file with their declarations, or nothing (InvalidInput
    naming every bad row). Returns (entries, declarations) added."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with open_table(path, fmt) as table:
        columns, problems = importing.map_columns(table.header, importing.DIRECTORY_HEADERS, ("code", "name"))
        rows = _rows(table.rows, table.header_row)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        tax = _taxonomy(uow, alliance.id)
        repo = MatchingRepository(uow.connection)
        drafts: dict[str, EntryDraft] = {}
        planned: list[tuple[str, Declaration]] = []
        for number, row in ([] if problems else rows):
            where = str(importing.row_label(number))
            values = columns.values(row)
            code = values["code"]
            if code not in drafts:
                draft = EntryDraft(code, values["name"], values.get("credit_code") or None, values.get("region", ""),
                                   values.get("industry", ""), values.get("contact", ""), values.get("note", ""),
                                   values.get("source", "") or "import")
                try:
                    drafts[code] = _checked_entry(uow, alliance, draft, where, labels=columns.labels)
                    if repo.entry(alliance.id, code) is not None:
                        problems.append(Problem(where, columns.labels["code"], Message(
                            "{code} is already in the directory (add its declarations with a declarations file)",
                            code=code)))
                except EntryInvalid as exc:
                    problems += exc.problems
            if not values.get("kind") and not values.get("side"):
                continue  # the entry alone
            values = {**values, "region": values.get("resource_region", "")}
            declaration, found = importing.parse_declaration(values, tax, where, columns.labels)
            problems += found
            if declaration is not None:
                planned.append((code, declaration))
        if problems:
            raise DeclarationInvalid(_nothing_imported(problems), problems[:SHOWN_PROBLEMS])
        now = clock.now()
        ids = {code: repo.add_entry(alliance.id, d, now, principal.actor) for code, d in drafts.items()}
        repo.add_declarations(Owner.ENTRY, alliance.id, [(ids[c], d) for c, d in planned], now, principal.actor)
        uow.commit()
        return len(drafts), len(planned)


def _nothing_imported(problems: Sequence[Problem]) -> Message:
    return Message("{bad_rows} bad row(s); nothing was imported",
                   bad_rows=len({p.where for p in problems}))


def _rows(rows: Any, header_row: int) -> list[tuple[int, list[str]]]:
    """The file's non-blank rows with their spreadsheet row numbers (at most importing.ROW_LIMIT)."""
    found = []
    for offset, row in enumerate(rows, start=1):
        if any(cell.strip() for cell in row):
            found.append((header_row + offset, row))
            if len(found) > importing.ROW_LIMIT:
                raise InvalidInput(Message("more than {limit} rows: split the file", limit=importing.ROW_LIMIT))
    return found
