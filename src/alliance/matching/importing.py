"""Declarations written as text (a file's rows, the command line's options) read into the model,
every problem collected with where and which field. Pure: the service looks the holders up and
stores all or nothing.

A declarations file has one row per resource or need: holder (a member's code or a directory
entry's code), side (resource / need, also 资源 / 需求, offer), kind, description, capacity, unit,
region, starts_on, ends_on, priority. A directory file has one row per declaration of an outside
company (code, name, credit_code, region, industry, contact, note, source, then side, kind, ...;
its declaration's own region is `resource_region`): an entry's columns are read from the first row
with its code, and a row without a kind adds the entry alone. docs/matching.md shows both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from alliance.core.dates import DateError, parse_date
from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.matching.model import Declaration, Side, Window, parse_capacity, problems_of
from alliance.matching.taxonomy import Taxonomy

# Column key -> the headers a file may use for it (compared trimmed and case-folded).
DECLARATION_HEADERS: dict[str, tuple[str, ...]] = {
    "holder": ("holder", "持有方", "成员", "member"),
    "side": ("side", "方向", "资源/需求"),
    "kind": ("kind", "类型", "资源类型"),
    "description": ("description", "描述", "说明"),
    "capacity": ("capacity", "数量", "容量"),
    "unit": ("unit", "单位"),
    "region": ("region", "地区", "区域"),
    "starts_on": ("starts_on", "starts on", "开始", "开始日期"),
    "ends_on": ("ends_on", "ends on", "结束", "结束日期"),
    "priority": ("priority", "优先级"),
}
DIRECTORY_HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("code", "编码", "代码"),
    "name": ("name", "名称", "企业名称"),
    "credit_code": ("credit_code", "credit code", "统一社会信用代码", "信用代码"),
    "region": ("region", "地区", "区域"),
    "industry": ("industry", "行业"),
    "contact": ("contact", "联系人", "联系方式"),
    "note": ("note", "备注"),
    "source": ("source", "来源"),
    **{k: v for k, v in DECLARATION_HEADERS.items() if k not in ("holder", "region")},
    "resource_region": ("resource_region", "resource region", "资源地区"),
}
SIDES = {"resource": Side.RESOURCE, "offer": Side.RESOURCE, "资源": Side.RESOURCE,
         "need": Side.NEED, "需求": Side.NEED}
DECLARATION_FIELDS = ("side", "kind", "description", "capacity", "unit", "region", "starts_on", "ends_on",
                      "priority")
HEADER = Message("header")
ROW_LIMIT = 50_000  # a declarations or directory file is a modest table; beyond, split it


@dataclass(frozen=True, slots=True)
class Columns:
    """Which file column holds which field, and what the file calls it (for its problems)."""

    positions: dict[str, int]
    labels: dict[str, str]

    def values(self, row: Sequence[str]) -> dict[str, str]:
        return {key: (row[i].strip() if i < len(row) else "") for key, i in self.positions.items()}


def row_label(number: int) -> Message:
    return Message("row {row}", row=number)


def map_columns(header: Sequence[str], known: Mapping[str, tuple[str, ...]],
                required: Sequence[str]) -> tuple[Columns, list[Problem]]:
    """The file's columns by field; a problem for each unknown, repeated or missing column."""
    by_name = {alias.casefold(): key for key, aliases in known.items() for alias in aliases}
    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    problems: list[Problem] = []
    for i, name in enumerate(header):
        text = name.strip()
        if not text:
            continue
        key = by_name.get(text.casefold())
        if key is None:
            problems.append(Problem(HEADER, text, Message("not a column of this file (the columns are {columns})",
                                                          columns=", ".join(known))))
        elif key in positions:
            problems.append(Problem(HEADER, text, Message("this column appears twice")))
        else:
            positions[key], labels[key] = i, text
    for key in required:
        if key not in positions:
            problems.append(Problem(HEADER, key, Message("this column is missing")))
    return Columns(positions, labels), problems


def parse_side(text: str) -> Side:
    """resource / need (also 资源 / 需求, offer); ValueError otherwise."""
    try:
        return SIDES[text.strip().casefold()]
    except KeyError:
        raise ValueError(text) from None


def parse_declaration(values: Mapping[str, str], taxonomy: Taxonomy, where: str,
                      labels: Mapping[str, str] | None = None,
                      side: Side | None = None) -> tuple[Declaration | None, list[Problem]]:
    """A declaration from its fields as text (absent or "" = not given), or every problem with it.

    `side`: the side when the caller knows it (the `need` command); `labels`: how the file names each
    field (problems name the column as the user wrote it)."""
    labels = labels or {}
    problems: list[Problem] = []

    def bad(key: str, reason: str) -> None:
        problems.append(Problem(where, labels.get(key, key), reason))

    if side is None:
        try:
            side = parse_side(values.get("side", ""))
        except ValueError:
            bad("side", Message("{text!r} is not a side: write resource or need (资源 / 需求)",
                                text=values.get("side", "")))
    kind = values.get("kind", "").strip()
    if not kind:
        bad("kind", Message("give the resource kind"))
    capacity = None
    try:
        capacity = parse_capacity(values.get("capacity", ""))
    except ValueError:
        bad("capacity", Message("{text!r} is not a number", text=values.get("capacity", "")))
    days: dict[str, date | None] = {}
    for key in ("starts_on", "ends_on"):
        text = values.get(key, "").strip()
        try:
            days[key] = parse_date(text) if text else None
        except DateError as exc:
            days[key] = None
            bad(key, exc.message)
    priority = 3
    text = values.get("priority", "").strip()
    if text:
        try:
            priority = int(text)
        except ValueError:
            bad("priority", Message("a priority is 1 (highest) to 5"))
    if problems or side is None:
        return None, problems
    declaration = Declaration(
        side=side, kind=kind, description=values.get("description", "").strip(), capacity=capacity,
        unit=values.get("unit", "").strip(), region=values.get("region", "").strip(),
        window=Window(days["starts_on"], days["ends_on"]), priority=priority)
    found = problems_of(declaration, taxonomy, where)
    if found:  # name each field as the file does; the window's problem is its end's
        field = {"window": "ends_on"}
        return None, [Problem(p.where, labels.get(field.get(p.field, p.field), field.get(p.field, p.field)), p.reason)
                      for p in found]
    return declaration, []


def parse_changes(values: Mapping[str, str], where: str) -> tuple[dict[str, object], list[Problem]]:
    """An edit's fields as text (only those given; "" clears a capacity, a date or a region) typed for
    `service.edit_declaration`, or every problem. The edited whole is checked by the service."""
    changes: dict[str, object] = {}
    problems: list[Problem] = []
    for key, text in values.items():
        text = text.strip()
        try:
            if key == "side":
                changes[key] = parse_side(text)
            elif key == "capacity":
                changes[key] = parse_capacity(text)
            elif key in ("starts_on", "ends_on"):
                changes[key] = parse_date(text) if text else None
            elif key == "priority":
                changes[key] = int(text)
            else:
                changes[key] = text
        except DateError as exc:
            problems.append(Problem(where, key, exc.message))
        except ValueError:
            problems.append(Problem(where, key, Message("{text!r} is not valid here", text=text)))
    return changes, problems
