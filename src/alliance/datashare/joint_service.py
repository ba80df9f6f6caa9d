"""Joint queries across shared views of different members (clean-room rules, `datashare.cleanroom`).

Each view must be shared now (not revoked, its member still in the alliance, of this alliance:
else 404); the query is checked against the views' strictest-wins rules before any data is read;
the groups leave through `service.release` (the one function every released group passes); the
query is written to the access log of EVERY view involved (kind `joint`), and only once answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alliance.core.clock import Clock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.core.money import Money
from alliance.datashare.cleanroom import MAX_VIEWS, MIN_VIEWS, JointQuery, Side, check_joint
from alliance.datashare.facts import JointGroup, JointSide
from alliance.datashare.service import average, release, shared_view, spec_of
from alliance.datashare.views import DATASETS, Kind
from alliance.store.stores import Stores


def joint_query(stores: Stores, alliance_code: str, view_ids: Sequence[int], *, join: str, group_by: Sequence[str],
                aggregates: Sequence[str], filters: Sequence[str], actor: str, clock: Clock) -> dict[str, Any]:
    """The groups of a joint query that the views' rules let out, with how many were withheld."""
    store, facts = stores.records, stores.facts
    if not MIN_VIEWS <= len(view_ids) <= MAX_VIEWS:
        raise InvalidInput(Message("a joint query joins {low} to {high} views", low=MIN_VIEWS, high=MAX_VIEWS))
    found = [shared_view(store, alliance_code, view_id, clock) for view_id in view_ids]
    others = [v.id for v in found if v.dataset != "sales"]
    if others:  # joint_sql joins order lines; other datasets have no joint query yet
        raise InvalidInput(Message("view {view_id} shares a dataset other than sales: joint queries join sales views "
                                   "only", view_id=others[0]))
    query = check_joint([Side(v.id, v.member, spec_of(v)) for v in found], join, group_by, aggregates, filters)
    with store.unit_of_work() as uow:
        currency = uow.alliances.require(alliance_code).currency
    sides = [JointSide(s.member, query.group_fields(s), query.sums(s), query.side_filters(s)) for s in query.sides]
    groups = facts.joint_groups(alliance_code, currency, query.join, sides)
    shown, withheld = release(found, groups, query.rules.k, lambda g: (g.join_keys, *g.lines))
    items = [_item(query, g, currency) for g in shown]
    asked = {"views": [v.id for v in found], "join": query.join, "group_by": [r.name for r in query.group_by],
             "aggregates": [a.name for a in query.aggregates], "filter": list(filters)}
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        for view in found:
            uow.datashare.log(alliance.id, view, actor, clock.now(), "joint",
                              {**asked, "with": [v.id for v in found if v.id != view.id]}, len(items))
        uow.commit()
    return {"views": asked["views"], "join": query.join, "k": query.rules.k, "functions": ["count", *query.rules.functions],
            "group_by": asked["group_by"], "aggregates": asked["aggregates"], "groups": items,
            "withheld_groups": withheld}


def _item(query: JointQuery, group: JointGroup, currency: str) -> dict[str, Any]:
    """A shown group: its keys, `join_keys`, `count_<view>` (lines), then `sum_<view>.<field>` and
    `avg_<view>.<field>` as asked (money as decimal text in the alliance's currency)."""
    out: dict[str, Any] = dict(zip((r.name for r in query.group_by), group.keys, strict=True))
    out["join_keys"] = group.join_keys
    for side, lines in zip(query.sides, group.lines, strict=True):
        out[f"count_{side.view}"] = lines
    totals = {}
    for i, side in enumerate(query.sides):
        for field, total in zip(query.sums(side), group.sums[i], strict=True):
            totals[(side.view, field)] = (total, group.lines[i], DATASETS[side.spec.dataset][field])
    for aggregate in query.aggregates:
        total, lines, kind = totals[(aggregate.ref.view, aggregate.ref.field)]
        if total is None:
            out[aggregate.name] = None  # a line in another currency: no sum of money
        elif aggregate.function == "sum":
            out[aggregate.name] = Money(total, currency).amount_text() if kind is Kind.MONEY else total
        else:
            out[aggregate.name] = average(total, lines, kind, currency)
    return out
