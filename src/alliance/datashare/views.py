"""Shared dataset views (数据共享): what a member publishes, field by field, and what a query may ask.

A member publishes a view of one of its datasets (`sales`, its order lines as seller, or a dataset of the
registry `alliance.datashare.datasets`: inventory, customer events, catalogue) with
a policy per field:

- `visible`: the field appears in rows, and may be filtered, sorted and grouped on;
- `aggregate`: the field appears only inside group results (a sum for numbers, a group key for
  the others), and only for groups of at least `k` records (default 10);
- `hidden`: the field never appears and cannot be used in any way.

Clean-room kinds (as in AWS Clean Rooms' aggregation analysis rule), for text and day fields:

- `dimension`: may be grouped by (and filtered on in joint queries); appears only as a group key,
  never in rows;
- `join`: usable only as the join key of a joint query across views of several members
  (`alliance.datashare.cleanroom`); never output, grouped or filtered.

A numeric `aggregate` field appears only as an aggregate of a group; which aggregate functions a
view allows is the publisher's choice (`sum`, `avg`; a group's count is always given).

A field the policy does not name is hidden. Queries are checked here against the policy, before
any data is read; the fact store runs only what passed (`alliance.store.facts`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from alliance.core.errors import InvalidInput, Problem
from alliance.core.text import check_text
from alliance.core.messages import Message
from alliance.datashare.datasets import hidden_only, view_fields
from alliance.datashare.datasets.schema import Kind

MIN_K = 2
DEFAULT_K = 10
MAX_PAGE = 1000
MAX_OFFSET = 10**9


class Policy(StrEnum):
    VISIBLE = "visible"
    AGGREGATE = "aggregate"
    HIDDEN = "hidden"
    DIMENSION = "dimension"  # grouped by and filtered on only; a group key, never in rows
    JOIN = "join"            # only the join key of a joint query; never output, grouped or filtered


# Aggregate functions a publisher may allow on its numeric fields; a group's count is always given.
FUNCTIONS = ("sum", "avg")
DEFAULT_FUNCTIONS = ("sum",)  # what views published before the choice existed answer with


# Every dataset kind's fields (field -> Kind), from the registry (alliance.datashare.datasets): sales
# (the member's order lines as seller), inventory, customer events, catalogue.
DATASETS: dict[str, dict[str, Kind]] = view_fields()
SALES_FIELDS: dict[str, Kind] = DATASETS["sales"]
# Fields no view may show or group on (pseudonymous customer keys): only `hidden`.
HIDDEN_ONLY: dict[str, frozenset[str]] = hidden_only()
NUMERIC = (Kind.COUNT, Kind.MONEY)
KEY_ONLY = (Policy.DIMENSION, Policy.JOIN)  # policies for text and day fields only


@dataclass(frozen=True)
class ViewSpec:
    name: str
    dataset: str
    policies: dict[str, Policy]
    k: int
    functions: tuple[str, ...] = DEFAULT_FUNCTIONS  # the aggregate functions allowed besides count

    def fields(self, *policies: Policy) -> list[str]:
        return [f for f in DATASETS[self.dataset] if self.policies.get(f, Policy.HIDDEN) in policies]


def check_spec(name: str, dataset: str, policies: dict[str, str], k: int,
               functions: Sequence[str] = DEFAULT_FUNCTIONS) -> ViewSpec:
    problems = []
    if not name.strip() or len(name) > 100:
        problems.append(Problem("view", "name", Message("a view needs a name of 1-100 characters")))
    else:
        try:  # shown to other members: no NUL, no text-direction overrides
            check_text(name, Message("the view's name"), 100)
        except InvalidInput as exc:
            problems.append(Problem("view", "name", exc.message))
    fields = DATASETS.get(dataset)
    if fields is None:
        problems.append(Problem("view", "dataset", Message("unknown dataset {dataset!r}; known: {datasets}",
                                                           dataset=dataset, datasets=', '.join(DATASETS))))
        fields = {}
    checked: dict[str, Policy] = {}
    for field, policy in policies.items():
        if fields and field not in fields:
            problems.append(Problem("view", f"fields.{field}", Message("no such field; the {dataset} dataset has "
                                                                       "{fields}",
                                                                       dataset=dataset, fields=', '.join(fields))))
        try:
            checked[field] = Policy(policy)
        except ValueError:
            problems.append(Problem("view", f"fields.{field}", Message(
                "{policy!r} is not visible, aggregate, dimension, join or hidden", policy=policy)))
            continue
        if checked[field] in KEY_ONLY and fields.get(field) in NUMERIC:
            problems.append(Problem("view", f"fields.{field}", Message(
                "a number cannot be a dimension or a join column: make it aggregate")))
        if field in HIDDEN_ONLY.get(dataset, ()) and checked.get(field, Policy.HIDDEN) is not Policy.HIDDEN:
            problems.append(Problem("view", f"fields.{field}", Message("a pseudonymous customer key is never shared, "
                                                                       "not even in groups: it stays hidden")))
    for function in functions:
        if function not in FUNCTIONS:
            problems.append(Problem("view", "functions", Message(
                "{function!r} is not an aggregate function a view may allow ({functions})",
                function=function, functions=", ".join(FUNCTIONS))))
    if k < MIN_K:
        problems.append(Problem("view", "k", Message("groups must hold at least {min_k} records", min_k=MIN_K)))
    if fields and not any(p in (Policy.VISIBLE, Policy.AGGREGATE, Policy.DIMENSION) for p in checked.values()):
        problems.append(Problem("view", "fields", Message("the view shares no field: make one visible or aggregate")))
    if problems:
        raise InvalidInput(Message("the view has {count} problem(s)", count=len(problems)), problems)
    return ViewSpec(name.strip(), dataset, checked, k, tuple(f for f in FUNCTIONS if f in functions))


@dataclass(frozen=True)
class Filter:
    field: str
    op: str      # "=", ">=", "<="
    value: Any


# What a filter value must be, by its field's kind (text is never refused), in the user's language.
KIND_NAMES = {Kind.DAY: Message("a date (YYYY-MM-DD)"), Kind.COUNT: Message("a whole number"),
              Kind.MONEY: Message("an amount")}


def parse_value(kind: Kind, text: str, field: str) -> Any:
    try:
        if kind is Kind.DAY:
            return date.fromisoformat(text)
        if kind is Kind.COUNT:
            number = int(text)
            if abs(number) >= 2**31:
                raise ValueError(text)
            return number
        if kind is Kind.MONEY:
            value = Decimal(text[:64])
            # adjusted() first: abs() of "1e99999999" overflows the decimal context.
            if len(text) > 64 or not value.is_finite() or (value != 0 and value.adjusted() >= 15):
                raise ValueError(text)
            return value
    except (ValueError, InvalidOperation):
        raise InvalidInput(Message("filter on {field!r}: {text!r} is not {kind}", field=field, text=text,
                                   kind=KIND_NAMES[kind])) from None
    return text


def split_filter(item: str) -> tuple[str, str, str]:
    """`field=value`, `field>=value` or `field<=value` -> (field, operator, value), unchecked."""
    for op in (">=", "<=", "="):
        field, found, value = item.partition(op)
        if found:
            return field.strip(), op, value
    raise InvalidInput(Message("filter {item!r} is not field=value, field>=value or field<=value", item=item))


def parse_filters(spec: ViewSpec, raw: list[str]) -> list[Filter]:
    """`field=value`, `field>=value`, `field<=value`, on visible fields only."""
    visible = spec.fields(Policy.VISIBLE)
    out = []
    for item in raw:
        field, op, value = split_filter(item)
        if field not in visible:
            raise InvalidInput(Message("filter on {field!r}: only visible fields can be filtered ({fields})",
                                       field=field, fields=', '.join(visible) or Message("none")))
        out.append(Filter(field, op, parse_value(DATASETS[spec.dataset][field], value.strip(), field)))
    return out


def parse_sort(spec: ViewSpec, raw: str | None) -> tuple[str, bool] | None:
    if not raw:
        return None
    field, descending = (raw[1:], True) if raw.startswith("-") else (raw, False)
    if field not in spec.fields(Policy.VISIBLE):
        raise InvalidInput(Message("sort on {field!r}: only visible fields can be sorted on", field=field))
    return field, descending


def parse_group_by(spec: ViewSpec, raw: list[str]) -> list[str]:
    allowed = [f for f in spec.fields(Policy.VISIBLE, Policy.AGGREGATE, Policy.DIMENSION)
               if DATASETS[spec.dataset][f] not in NUMERIC]
    for field in raw:
        if field not in allowed:
            raise InvalidInput(Message("group by {field!r}: groups can be formed on {fields}",
                                       field=field, fields=', '.join(allowed) or Message("no field")))
    return list(dict.fromkeys(raw))


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["o"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidInput(Message("the cursor is not one this API gave")) from None
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(Message("the cursor is not one this API gave"))
    return offset
