"""The SQL of joint queries across shared views (alliance.datashare.cleanroom): no fan-out.

Each view's lines are first aggregated per (join key, its group fields), after its filters; those
per-key rows are inner-joined on the key and then grouped. Within one group each join key then
appears once, so a view's lines are never counted twice there, and a group's row count is its
number of distinct join keys. Money is summed only over lines in the alliance's currency: a group
holding a line in another shows no sum of that field (as a single view's groups do).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alliance.datashare.facts import JointSide
from alliance.store.facts import sql
from alliance.store.facts.views_sql import MONEY_FIELDS, VIEW_COLUMNS, view_where


def joint_select(alliance: str, currency: str, digits: int, join: str,
                 sides: Sequence[JointSide]) -> tuple[str, list[Any]]:
    """The query (and its parameters) giving, per group in key order: the group keys side by side,
    the distinct join keys, each side's lines, and each side's sums."""
    assert join in VIEW_COLUMNS and len(sides) >= 2
    ctes, parameters, keys, outer = [], [], [], []
    for i, side in enumerate(sides):
        assert all(f in VIEW_COLUMNS for f in (*side.group_by, *side.sums))
        where, bound = view_where(side.filters, digits, currency)
        groups = "".join(f", {VIEW_COLUMNS[f]} AS g{i}_{j}" for j, f in enumerate(side.group_by))
        sums = "".join(f", sum({VIEW_COLUMNS[f]}) AS s{i}_{j}" for j, f in enumerate(side.sums))
        foreign = f", count(*) FILTER (WHERE currency <> {sql.literal(currency)}) AS x{i}"
        by = "".join(f", {VIEW_COLUMNS[f]}" for f in side.group_by)
        ctes.append(f"v{i} AS (SELECT {VIEW_COLUMNS[join]} AS k{groups}, count(*) AS n{i}{sums}{foreign} "
                    f"FROM order_lines WHERE alliance = ? AND seller = ?{where} GROUP BY {VIEW_COLUMNS[join]}{by})")
        parameters += [alliance, side.seller, *bound]
        keys += [f"v{i}.g{i}_{j}" for j in range(len(side.group_by))]
        outer.append(f"sum(v{i}.n{i})")
        for j, f in enumerate(side.sums):
            total = f"sum(v{i}.s{i}_{j})"
            outer.append(f"CASE WHEN sum(v{i}.x{i}) = 0 THEN {total} END" if f in MONEY_FIELDS else total)
    joins = "".join(f" JOIN v{i} ON v{i}.k = v0.k" for i in range(1, len(sides)))
    by = ", ".join(keys)
    text = (f"WITH {', '.join(ctes)} SELECT {by + ', ' if by else ''}count(*), {', '.join(outer)} FROM v0{joins}"
            f"{' GROUP BY ' + by if by else ''}{' ORDER BY ' + by if by else ''}")
    return text, parameters
