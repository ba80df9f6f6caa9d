"""Candidate tables: who is being screened and their value on each criterion, checked cell by cell.

A table comes from a file (first column `name` or `名称`, one column per criterion) or from an
alliance's members (their stored profile metrics). Values are float64 in a column-major array, so
per-criterion reductions over a million candidates read contiguous memory.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.registry.model import Member
from alliance.screening.blanks import BlankChoice, BlankMetrics, BlankOutcome
from alliance.screening.criteria import SCORE_MAX, CriteriaSpec, Scale

NAME_HEADERS = ("name", "名称")
# Beyond this, spans and squares of values lose all precision (or overflow) in float64.
VALUE_LIMIT = 1e15
NAME_LIMIT = 200
HEADER = Message("header")  # where: the table's first row
CRITERIA = Message("criteria")  # where: the criteria spec


@dataclass(frozen=True, slots=True)
class CandidateTable:
    """`values[i, j]` is candidate `names[i]`'s value on the spec's j-th criterion."""

    names: list[str]
    values: NDArray[np.float64]  # shape (n, m), Fortran order

    def __post_init__(self) -> None:
        assert self.values.ndim == 2 and self.values.shape[0] == len(self.names)


_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?%?$")


def _parse_cell(text: str) -> float | None:
    """A number, a percentage ("45%" -> 0.45) or a thousands-grouped number ("1,234.5").

    A comma anywhere else ("7,5") is refused rather than read as 75: it may be a decimal comma.
    """
    cleaned = text.strip()
    if "," in cleaned:
        if not _GROUPED.match(cleaned):
            return None
        cleaned = cleaned.replace(",", "")
    percent = cleaned.endswith("%")
    try:
        value = float(cleaned[:-1] if percent else cleaned)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return value / 100 if percent else value


def table_from_rows(
    spec: CriteriaSpec,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    aliases: Mapping[str, str] | None = None,
    header_row: int = 1,
) -> CandidateTable:
    """Check and convert a text table; raise InvalidInput naming every bad header, row and column.

    `aliases` maps other names a criterion may go by to the table's column name (e.g. 营业收入 ->
    revenue). Row numbers are spreadsheet rows: the header is row 1.
    """
    aliases = aliases or {}
    header = [h.strip() for h in header]
    problems: list[Problem] = []
    if not header or header[0].lower() not in NAME_HEADERS:
        first = header[0] if header else ""
        problems.append(Problem(HEADER, first, Message("the first column must be `name` or `名称`")))
    columns: dict[str, int] = {}
    for i, h in enumerate(header[1:], start=1):
        if not h:
            continue
        if h in columns:
            problems.append(Problem(HEADER, h, Message("repeats column {column}", column=columns[h] + 1)))
        else:
            columns[h] = i
    positions: list[int] = []
    for name in spec.names:
        column = name if name in columns else aliases.get(name)
        if column is None or column not in columns:
            problems.append(Problem(HEADER, name, Message("criterion in the spec but not a column of the table")))
        else:
            positions.append(columns[column])
    used = {header[p] for p in positions}
    for h in columns:
        if h not in used:
            problems.append(Problem(HEADER, h, Message("column not in the criteria spec (add it with weight 0, "
                                                       "or remove it)")))
    if problems:
        raise InvalidInput(Message("the candidate table does not match the criteria spec"), problems)

    n, m = len(rows), len(positions)
    values = np.empty((n, m), dtype=np.float64, order="F")
    names: list[str] = []
    first_row: dict[str, int] = {}
    scores = [c.scale is Scale.SCORE for c in spec.criteria]
    for i, row in enumerate(rows):
        # "row N" in the user's language, built only for a row with a problem (a table may have millions).
        number = i + header_row + 1
        name = (row[0] if row else "").strip()
        if not name:
            problems.append(Problem(_row(number), header[0], Message("is empty")))
        elif len(name) > NAME_LIMIT:
            problems.append(Problem(_row(number), header[0], Message("is longer than {limit} characters",
                                                                     limit=NAME_LIMIT)))
        elif name in first_row:
            problems.append(Problem(_row(number), header[0], Message("{name!r} repeats row {first_row}",
                                                                     name=name, first_row=first_row[name])))
        else:
            first_row[name] = number
        names.append(name)
        for j, pos in enumerate(positions):
            text = row[pos] if pos < len(row) else ""
            if not text.strip():
                problems.append(Problem(_row(number), header[pos], Message("is empty")))
                continue
            value = _parse_cell(text)
            if value is None:
                problems.append(Problem(_row(number), header[pos], Message("{text!r} is not a number", text=text)))
            elif abs(value) > VALUE_LIMIT:
                problems.append(Problem(_row(number), header[pos], Message("{text} is outside ±1e15", text=text)))
            elif scores[j] and not 0 <= value <= SCORE_MAX:
                problems.append(Problem(_row(number), header[pos], Message("{text} is outside the 0-10 score scale",
                                                                          text=text)))
            else:
                values[i, j] = value
    if problems:
        bad = len({p.where for p in problems})
        raise InvalidInput(Message("{rows} bad row(s) in the candidate table", rows=bad), problems)
    if n == 0:
        raise InvalidInput(Message("the candidate table has no rows"))
    return CandidateTable(names, values)


def _row(number: int) -> Message:
    return Message("row {row}", row=number)


def table_from_records(spec: CriteriaSpec, records: Sequence[tuple[str, Mapping[str, object]]]) -> CandidateTable:
    """Candidates given as `(name, {criterion: value})` (the API's shape), checked like a file.

    Every criterion any record names becomes a column, so a criterion missing from the spec, or
    a record lacking one, is reported exactly as for a table; rows are numbered from 2.
    """
    columns = sorted({key for _, values in records for key in values})
    rows = [[name, *("" if values.get(k) is None else str(values[k]) for k in columns)] for name, values in records]
    return table_from_rows(spec, ["name", *columns], rows)


# Profile metrics a member can be screened on, by the names a spec may use for them.
MEMBER_METRICS: dict[str, str] = {
    "revenue": "revenue", "营业收入": "revenue",
    "profit": "profit", "利润": "profit",
    "cash_flow": "cash_flow", "现金流": "cash_flow",
    "debt_ratio": "debt_ratio", "资产负债率": "debt_ratio",
    "reputation": "reputation", "市场声誉": "reputation",
    "compliance_records": "compliance_records", "合规记录": "compliance_records",
    "patent_count": "patent_count", "专利数": "patent_count",
    "api_count": "api_count", "接口数": "api_count",
}


def _metrics_of(spec: CriteriaSpec) -> list[str]:
    problems: list[Problem] = []
    metrics: list[str] = []
    for name in spec.names:
        metric = MEMBER_METRICS.get(name)
        if metric is None:
            known = ", ".join(sorted(set(MEMBER_METRICS)))
            problems.append(Problem(CRITERIA, name, Message("members have no such metric (known: {known})",
                                                            known=known)))
        metrics.append(metric or "")
    if problems:
        raise InvalidInput(Message("the criteria spec names metrics members do not have"), problems)
    return metrics


def _label(m: Member) -> str:
    return f"{m.legal_name} ({m.code})"


@dataclass(frozen=True, slots=True)
class MemberScreening:
    """The spec and candidate table a members' screening ranks, after the user's choice on blanks."""

    spec: CriteriaSpec
    table: CandidateTable
    blanks: BlankOutcome | None = None  # None: no member had a blank metric


def screen_members(spec: CriteriaSpec, members: Sequence[Member], choice: BlankChoice | None = None) -> MemberScreening:
    """Members as candidates on their stored profile metrics.

    A blank metric (never given) is reported, every one (BlankMetrics), unless `choice` says what
    to leave out: the members with a blank, or the criteria with one (see `screening.blanks`)."""
    metrics = _metrics_of(spec)
    blanks = [(_label(m), name) for m in members for name, metric in zip(spec.names, metrics)
              if getattr(m.profile, metric) is None]
    if not blanks:
        return MemberScreening(spec, table_from_members(spec, members))
    if choice is None:
        members_with = len({member for member, _ in blanks})
        raise BlankMetrics(
            Message("{members} member(s) have blank metrics ({blanks} blank(s)): choose to leave out those "
                    "members or those criteria (exclude-members or exclude-criteria)",
                    members=members_with, blanks=len(blanks)),
            [Problem(member, criterion, Message("is blank")) for member, criterion in blanks])
    blank_members = {member for member, _ in blanks}
    blank_criteria = {criterion for _, criterion in blanks}
    if choice is BlankChoice.EXCLUDE_MEMBERS:
        kept = [m for m in members if _label(m) not in blank_members]
        if not kept:
            raise BlankMetrics(Message("every member has a blank metric: leave out the criteria instead"),
                               [Problem(member, criterion, Message("is blank")) for member, criterion in blanks])
        outcome = BlankOutcome(choice, tuple(blanks), tuple(_label(m) for m in members if _label(m) in blank_members), ())
        note = Message("{count} member(s) with blank metrics were left out: {members}",
                       count=len(outcome.excluded_members), members=", ".join(outcome.excluded_members))
        reduced = replace(spec, notes=(*spec.notes, note))
        return MemberScreening(reduced, table_from_members(reduced, kept), outcome)
    left = tuple(c for c in spec.criteria if c.name not in blank_criteria)
    total = math.fsum(c.weight for c in left)
    if not left or total <= 0:
        raise BlankMetrics(Message("every weighted criterion has a blank: leave out the members instead"),
                           [Problem(member, criterion, Message("is blank")) for member, criterion in blanks])
    dropped = tuple(name for name in spec.names if name in blank_criteria)
    note = Message("criteria with blank metrics were left out: {criteria}; the weights of the others "
                   "(summing to {total:.10g}) were divided by their sum", criteria=", ".join(dropped), total=total)
    reduced = CriteriaSpec(tuple(replace(c, weight=c.weight / total) for c in left), (*spec.notes, note))
    outcome = BlankOutcome(choice, tuple(blanks), (), dropped)
    return MemberScreening(reduced, table_from_members(reduced, members), outcome)


def table_from_members(spec: CriteriaSpec, members: Sequence[Member]) -> CandidateTable:
    """Candidates from an alliance's members' stored profiles; an unknown metric is an error."""
    metrics = _metrics_of(spec)
    header = ["name", *spec.names]
    rows: list[list[str]] = []
    for m in members:
        row = [_label(m)]
        for metric in metrics:
            value = getattr(m.profile, metric)
            row.append("" if value is None else str(value.amount if hasattr(value, "amount") else value))
        rows.append(row)
    try:
        return table_from_rows(spec, header, rows)
    except InvalidInput as exc:
        # Row numbers mean nothing here: name the member instead.
        renamed = [
            Problem(rows[int(p.where.split()[1]) - 2][0] if p.where.startswith("row ") else p.where, p.field, p.reason)
            for p in exc.problems
        ]
        raise InvalidInput(_of_members(exc.message), renamed) from None


def _of_members(message: str) -> str:
    """A candidate table's error said of the alliance's member profiles instead."""
    template = getattr(message, "template", None)
    params = getattr(message, "params", {})
    if template == "the candidate table does not match the criteria spec":
        return Message("the alliance's member profiles do not match the criteria spec")
    if template == "{rows} bad row(s) in the candidate table":
        return Message("{rows} bad row(s) in the alliance's member profiles", **params)
    if template == "the candidate table has no rows":
        return Message("the alliance has no members to screen")
    return message
