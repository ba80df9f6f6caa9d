"""Clean-room rules (as in AWS Clean Rooms' aggregation analysis rule) and joint queries across views.

A joint query inner-joins two to four shared views of different members on one column that every
view declares `join`, groups by one `dimension` or text `aggregate`/`visible` field of any of them,
and answers counts and allowed aggregates of their numeric fields. Nothing here reads data: it
resolves the rules of the views involved and checks a query against them, before any data is read.

The strictest rule of the views involved wins:

- k is the largest k of the views; a group is shown only if it holds at least k distinct join keys
  and, within each view, at least k lines (`datashare.service.release` applies it);
- the aggregate functions allowed are those every view allows (count always);
- a field shared by several views gets the strictest of their policies in all of them
  (hidden > join > dimension > aggregate > visible); a view that does not share a field keeps it
  hidden whatever the others say.

A reference to a field is `field` when exactly one view shares it, else `<view id>.field`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.datashare.views import (DATASETS, FUNCTIONS, NUMERIC, Filter, Kind, Policy, ViewSpec, parse_value,
                                      split_filter)

MIN_VIEWS = 2
MAX_VIEWS = 4
MAX_GROUP_BY = 1  # as for one view: finer groupings could be subtracted from coarser ones
MAX_FILTERS = 10
MAX_AGGREGATES = 16

# From the loosest to the strictest.
STRICTNESS = (Policy.VISIBLE, Policy.AGGREGATE, Policy.DIMENSION, Policy.JOIN, Policy.HIDDEN)
GROUPABLE = (Policy.VISIBLE, Policy.AGGREGATE, Policy.DIMENSION)   # text and day fields only
AGGREGABLE = (Policy.VISIBLE, Policy.AGGREGATE)                     # numeric fields only


@dataclass(frozen=True)
class Side:
    """A view taking part in a joint query."""
    view: int
    member: str
    spec: ViewSpec


@dataclass(frozen=True)
class Ref:
    """A field of one view."""
    view: int
    field: str

    @property
    def name(self) -> str:
        return f"{self.view}.{self.field}"


@dataclass(frozen=True)
class Aggregate:
    function: str  # "sum" | "avg"
    ref: Ref

    @property
    def name(self) -> str:
        return f"{self.function}_{self.ref.name}"


@dataclass(frozen=True)
class Rules:
    """What the views involved allow together: the strictest of each of their rules."""
    k: int
    functions: tuple[str, ...]
    policies: dict[Ref, Policy]  # every field of every view, after the strictest wins


@dataclass(frozen=True)
class JointQuery:
    """A checked joint query: the store runs exactly this."""
    sides: tuple[Side, ...]
    join: str
    group_by: tuple[Ref, ...]
    aggregates: tuple[Aggregate, ...]
    filters: tuple[tuple[Ref, Filter], ...]
    rules: Rules

    def group_fields(self, side: Side) -> tuple[str, ...]:
        return tuple(r.field for r in self.group_by if r.view == side.view)

    def sums(self, side: Side) -> tuple[str, ...]:
        """The side's fields whose sums the answer needs (an average is a sum over the lines)."""
        return tuple(dict.fromkeys(a.ref.field for a in self.aggregates if a.ref.view == side.view))

    def side_filters(self, side: Side) -> tuple[Filter, ...]:
        return tuple(f for r, f in self.filters if r.view == side.view)


def strictest(policies: Sequence[Policy]) -> Policy:
    return max(policies, key=STRICTNESS.index, default=Policy.HIDDEN)


def resolve(sides: Sequence[Side]) -> Rules:
    """The strictest-wins rules of the views involved."""
    shared: dict[str, list[Policy]] = {}
    for side in sides:
        for field in DATASETS[side.spec.dataset]:
            policy = side.spec.policies.get(field, Policy.HIDDEN)
            if policy is not Policy.HIDDEN:
                shared.setdefault(field, []).append(policy)
    policies = {}
    for side in sides:
        for field in DATASETS[side.spec.dataset]:
            own = side.spec.policies.get(field, Policy.HIDDEN)
            policies[Ref(side.view, field)] = Policy.HIDDEN if own is Policy.HIDDEN else strictest(shared[field])
    functions = tuple(f for f in FUNCTIONS if all(f in side.spec.functions for side in sides))
    return Rules(max(side.spec.k for side in sides), functions, policies)


def _ref(sides: Sequence[Side], rules: Rules, raw: str) -> Ref:
    """`field` (shared by exactly one view) or `<view>.field` -> the field it names."""
    view_text, dot, field = raw.strip().rpartition(".")
    if dot:
        view = int(view_text) if view_text.isdigit() and len(view_text) < 10 else None
        if view is None or all(s.view != view for s in sides) or Ref(view, field) not in rules.policies:
            raise InvalidInput(Message("{ref!r} names no field of the views queried", ref=raw))
        return Ref(view, field)
    sharing = [r for r, p in rules.policies.items() if r.field == field and p is not Policy.HIDDEN]
    if len(sharing) > 1:
        raise InvalidInput(Message("{field!r} is shared by several views: name one, as {refs}", field=field,
                                   refs=", ".join(r.name for r in sharing)))
    if not sharing:
        raise InvalidInput(Message("no view queried shares {field!r}", field=field))
    return sharing[0]


def _kind(sides: Sequence[Side], ref: Ref) -> Kind:
    return DATASETS[next(s for s in sides if s.view == ref.view).spec.dataset][ref.field]


def check_joint(sides: Sequence[Side], join: str, group_by: Sequence[str], aggregates: Sequence[str],
                filters: Sequence[str]) -> JointQuery:
    """A joint query the views' rules allow, or InvalidInput saying which rule refuses it and what is allowed."""
    if not MIN_VIEWS <= len(sides) <= MAX_VIEWS:
        raise InvalidInput(Message("a joint query joins {low} to {high} views", low=MIN_VIEWS, high=MAX_VIEWS))
    if len({s.view for s in sides}) != len(sides):
        raise InvalidInput(Message("a joint query names each view once"))
    if len({s.member for s in sides}) != len(sides):
        raise InvalidInput(Message("a joint query joins views of different members"))
    rules = resolve(sides)
    join = join.strip()
    refusing = [s.view for s in sides if s.spec.policies.get(join) is not Policy.JOIN]
    if refusing:
        raise InvalidInput(Message("{field!r} is not a join column of view(s) {views}: every view joined must declare "
                                   "it join", field=join, views=", ".join(map(str, refusing))))
    if len(group_by) > MAX_GROUP_BY:
        raise InvalidInput(Message("group by one field at a time: finer groupings could be subtracted from coarser "
                                   "ones"))
    if filters:  # as for one view: two answers, with and without a filter, would be subtracted to isolate lines
        raise InvalidInput(Message("a joint query takes no filters: answers with and without one could be "
                                   "subtracted to isolate a few lines"))
    if len(filters) > MAX_FILTERS or len(aggregates) > MAX_AGGREGATES:
        raise InvalidInput(Message("at most {filters} filters and {aggregates} aggregates",
                                   filters=MAX_FILTERS, aggregates=MAX_AGGREGATES))
    keys = []
    for raw in group_by:
        ref = _ref(sides, rules, raw)
        if rules.policies[ref] not in GROUPABLE or _kind(sides, ref) in NUMERIC:
            raise InvalidInput(Message("group by {ref!r}: groups can be formed on {refs}", ref=raw,
                                       refs=_listed(sides, rules, GROUPABLE, numeric=False)))
        keys.append(ref)
    wanted = []
    for raw in aggregates:
        function, colon, field = raw.strip().partition(":")
        if function == "count" and not colon:
            continue  # counts are always given
        if function not in rules.functions:
            raise InvalidInput(Message("{function!r} is not allowed in this joint query: allowed are {functions}",
                                       function=function, functions=", ".join(("count", *rules.functions))))
        ref = _ref(sides, rules, field)
        if rules.policies[ref] not in AGGREGABLE or _kind(sides, ref) not in NUMERIC:
            raise InvalidInput(Message("{function} of {ref!r}: aggregates can be taken of {refs}", function=function,
                                       ref=field, refs=_listed(sides, rules, AGGREGABLE, numeric=True)))
        wanted.append(Aggregate(function, ref))
    checked = []
    for item in filters:
        raw, op, value = split_filter(item)
        ref = _ref(sides, rules, raw)
        if rules.policies[ref] is not Policy.DIMENSION:
            raise InvalidInput(Message("filter on {ref!r}: a joint query filters on dimensions only ({refs})", ref=raw,
                                       refs=_listed(sides, rules, (Policy.DIMENSION,), numeric=False)))
        checked.append((ref, Filter(ref.field, op, parse_value(_kind(sides, ref), value.strip(), raw))))
    return JointQuery(tuple(sides), join, tuple(dict.fromkeys(keys)), tuple(dict.fromkeys(wanted)), tuple(checked),
                      rules)


def _listed(sides: Sequence[Side], rules: Rules, policies: Sequence[Policy], *, numeric: bool) -> Message | str:
    refs = [r.name for r, p in rules.policies.items() if p in policies and (_kind(sides, r) in NUMERIC) == numeric]
    return ", ".join(refs) or Message("no field")
