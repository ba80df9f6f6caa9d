"""Import a member's dataset rows (a file, or rows pushed over the API) into the fact store.

All or nothing: every row is checked first (`checking.check_rows`), and only a dataset without a
bad row is stored, in one transaction. Only a current member shares data (one that has left does
not), in an alliance whose state accepts new shared data (as for publishing a view).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from alliance.core.clock import Clock
from alliance.core.errors import Conflict, MemberNotFound
from alliance.core.messages import Message
from alliance.core.money import minor_digits
from alliance.datashare.datasets import importable
from alliance.datashare.datasets.checking import ImportReport, check_header, check_rows
from alliance.datashare.datasets.schema import Context
from alliance.registry.lifecycle import Write
from alliance.registry.model import has_left
from alliance.registry.service import require_writable
from alliance.store.stores import Stores

Progress = Callable[[int], None]


def context(stores: Stores, alliance_code: str, member: str, clock: Clock) -> Context:
    """What the member's rows are checked against; refuses an unknown or departed member."""
    require_writable(stores.records, alliance_code, Write.SHARING)
    with stores.records.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        members = frozenset(uow.members.existing_keys(alliance.id).values())
        if member not in members:
            raise MemberNotFound(alliance_code, member)
        left_on = uow.members.departures(alliance.id).get(member)
        if left_on is not None and has_left(left_on, alliance.timezone, clock):
            raise Conflict(Message("{member!r} has left the alliance: it shares nothing any more", member=member))
        return Context(members, minor_digits(alliance.currency), alliance.timezone)


def import_rows(stores: Stores, alliance_code: str, member: str, kind_name: str,
                rows: Iterable[tuple[int, Mapping[str, Any]]], clock: Clock, *,
                columns: Iterable[str] | None = None, shown_as: str = "",
                progress: Progress | None = None) -> ImportReport:
    """Check numbered rows of cells of one kind for `member` and store them all, or none.

    `columns`, when the rows come from a file, are its header (checked first, so that a misnamed
    column is named once rather than on every row)."""
    kind = importable(kind_name)
    ctx = context(stores, alliance_code, member, clock)
    if columns is not None:
        check_header(kind, columns, shown_as or kind.name)
    else:
        rows = _with_known_columns(kind_name, rows)
    checked = check_rows(kind, rows, ctx, progress=progress)
    return stores.facts.store_dataset(alliance_code, member, kind, checked, now=clock.now())


def _with_known_columns(kind_name: str, rows: Iterable[tuple[int, Mapping[str, Any]]]
                        ) -> Iterable[tuple[int, Mapping[str, Any]]]:
    """Rows pushed as JSON objects: an unknown key is refused like an unknown column of a file."""
    kind = importable(kind_name)
    known = {f.name for f in kind.columns}
    for number, cells in rows:
        unknown = sorted(set(cells) - known)
        if unknown:
            check_header(kind, [*known, *unknown], Message("row {row}", row=number))
        yield number, cells


def import_file(stores: Stores, alliance_code: str, member: str, kind_name: str, path: Path, fmt: str | None,
                clock: Clock, *, shown_as: str | None = None, progress: Progress | None = None) -> ImportReport:
    """Import a CSV, XLSX or Parquet file of one kind (docs/formats/<kind>.md) for `member`."""
    from alliance.store.facts import dataset_files

    importable(kind_name)
    shown = shown_as or str(path)
    fmt = dataset_files.format_of(path, fmt, shown)
    with stores.records.unit_of_work() as uow:
        timezone = uow.alliances.require(alliance_code).timezone
    with dataset_files.opened(path, fmt, shown, timezone) as (header, rows):
        return import_rows(stores, alliance_code, member, kind_name, rows, clock, columns=header, shown_as=shown,
                           progress=progress)
