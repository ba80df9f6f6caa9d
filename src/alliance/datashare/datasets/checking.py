"""All-or-nothing checking of a dataset's rows: every bad row named, or every row's stored values.

Pure: the rows come from a file reader or an API body, the answer goes to the fact store."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.datashare.datasets.schema import Context, DatasetKind, check_row

SHOWN_PROBLEMS = 200  # a file with more bad cells names the first 200 and counts the rest


def check_header(kind: DatasetKind, names: Iterable[str], shown: str) -> None:
    """Refuse a file whose columns are not the kind's: unknown ones and missing required ones."""
    names = list(names)
    known = {f.name for f in kind.columns}
    problems = [Problem("header", n, Message("unknown column")) for n in names if n not in known]
    problems += [Problem("header", f.name, Message("required column missing")) for f in kind.columns
                 if f.required and f.name not in names]
    if problems:
        raise InvalidInput(Message("{file}: the columns are not those of {kind} (required {required}; optional "
                                   "{optional})", file=shown, kind=kind.name,
                                   required=", ".join(f.name for f in kind.columns if f.required),
                                   optional=", ".join(f.name for f in kind.columns if not f.required)), problems)


def check_rows(kind: DatasetKind, rows: Iterable[tuple[int, Mapping[str, Any]]], ctx: Context, *,
               progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """Every row's stored values, in order; or InvalidInput naming every bad row (its number as the
    file counts it, its field, why), so that nothing is stored from a file with a bad row.

    A key given twice in the rows is refused at its second row: which of the two is meant is not
    for the platform to guess (a later file replaces an earlier one's row)."""
    checked: list[dict[str, Any]] = []
    problems: list[Problem] = []
    bad = 0
    first_of: dict[tuple[Any, ...], int] = {}
    for count, (row_no, cells) in enumerate(rows, start=1):
        values, wrong = check_row(kind, cells, ctx)
        if not wrong:
            key = tuple(values[k] for k in kind.key)
            if key in first_of:
                wrong.append((kind.key[-1], Message("repeats the {key} of row {row}", key=" + ".join(kind.key),
                                                    row=first_of[key])))
            else:
                first_of[key] = row_no
        if wrong:
            bad += 1
            problems += [Problem(Message("row {row}", row=row_no), name, why) for name, why in wrong]
        elif not problems:
            checked.append(values)
        if progress is not None and count % 10_000 == 0:
            progress(10_000)
    if problems:
        shown = problems[:SHOWN_PROBLEMS]
        more = len(problems) - len(shown)
        raise InvalidInput(Message("{bad} row(s) of {kind} are bad; nothing was stored", bad=bad, kind=kind.name)
                           if not more else
                           Message("{bad} row(s) of {kind} are bad (the first {shown} problems listed, {more} more); "
                                   "nothing was stored", bad=bad, kind=kind.name, shown=len(shown), more=more), shown)
    if not checked:
        raise InvalidInput(Message("no rows: nothing to import"))
    return checked


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: rows new to the member's dataset, rows that replaced a stored row of the
    same key with other content, and rows identical to the stored one (no-ops)."""

    kind: str
    new: int
    replaced: int
    unchanged: int

    def as_json(self) -> dict[str, Any]:
        return {"dataset": self.kind, "new": self.new, "replaced": self.replaced, "unchanged": self.unchanged}
