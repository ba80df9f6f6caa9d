"""Apache ECharts options for the pages' charts, built from domain objects. Pure: no I/O.

Each function returns a JSON-ready dict (an ECharts `option`); the page embeds it as a JSON data
block and `static/app.js` draws it. Money reaches a chart as a decimal string converted to a number
only for plotting (an axis needs numbers); every figure a user reads as text is formatted exactly
on the page, never taken from a chart.

Labels are passed in already translated: these functions know no language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from alliance.registry.model import Alliance, AllianceStructure, Member, MemberRole

PALETTE = ["#1d4ed8", "#0f766e", "#b45309", "#7c3aed", "#be123c", "#4d7c0f", "#0369a1", "#a16207"]


@dataclass(frozen=True, slots=True)
class GraphLabels:
    alliance: str
    hub: str
    member: str
    observer: str
    sub_alliance: str


def structure_graph(alliance: Alliance, members: Sequence[Member], subs: Mapping[str, tuple[str, Sequence[Member]]],
                    labels: GraphLabels) -> dict[str, Any]:
    """The alliance's shape as a graph.

    - star: the hub companies in the middle, every other member tied to each hub (联营: the
      retailer at the centre);
    - mesh: every member tied to every other (peers, no centre);
    - umbrella: the alliance itself in the middle, its direct members and its sub-alliances around
      it, each sub-alliance with its own members (企业小联盟 with working groups).
    A star without a hub falls back to the alliance node in the middle.
    `subs`: sub-alliance code -> (its name, its current members).
    """
    categories = [labels.alliance, labels.hub, labels.member, labels.observer, labels.sub_alliance]
    role_category = {MemberRole.HUB: 1, MemberRole.MEMBER: 2, MemberRole.OBSERVER: 3}
    nodes: list[dict[str, Any]] = []
    links: list[dict[str, str]] = []

    def member_node(m: Member, prefix: str = "") -> str:
        node_id = f"{prefix}m:{m.code}"
        nodes.append({"id": node_id, "name": m.legal_name, "category": role_category[m.role],
                      "symbolSize": 46 if m.role is MemberRole.HUB else 30, "value": m.code})
        return node_id

    hubs = [m for m in members if m.role is MemberRole.HUB]
    if alliance.structure is AllianceStructure.STAR and hubs:
        hub_ids = [member_node(m) for m in hubs]
        for m in members:
            if m.role is not MemberRole.HUB:
                member_id = member_node(m)
                links.extend({"source": h, "target": member_id} for h in hub_ids)
        for i, a in enumerate(hub_ids):
            links.extend({"source": a, "target": b} for b in hub_ids[i + 1:])
    elif alliance.structure is AllianceStructure.MESH:
        ids = [member_node(m) for m in members]
        for i, a in enumerate(ids):
            links.extend({"source": a, "target": b} for b in ids[i + 1:])
    else:
        centre = f"a:{alliance.code}"
        nodes.append({"id": centre, "name": alliance.name, "category": 0, "symbolSize": 56, "value": alliance.code})
        links.extend({"source": centre, "target": member_node(m)} for m in members)
    for code, (name, sub_members) in subs.items():
        sub_id = f"a:{code}"
        nodes.append({"id": sub_id, "name": name, "category": 4, "symbolSize": 40, "value": code})
        anchor = f"a:{alliance.code}" if any(n["id"] == f"a:{alliance.code}" for n in nodes) else None
        for m in sub_members:
            own = f"m:{m.code}"
            if any(n["id"] == own for n in nodes):
                links.append({"source": sub_id, "target": own})  # a member of both: tie it, do not copy it
            else:
                links.append({"source": sub_id, "target": member_node(m, prefix=f"{code}/")})
        if anchor is not None:
            links.append({"source": anchor, "target": sub_id})
        else:
            links.extend({"source": f"m:{h.code}", "target": sub_id} for h in (hubs or members[:1]))
    return {
        "color": PALETTE,
        "tooltip": {"formatter": "{b}"},
        "legend": [{"data": categories, "bottom": 0}],
        "series": [{
            "type": "graph",
            "layout": "force",
            "roam": True,
            "draggable": True,
            "label": {"show": True, "position": "right", "fontSize": 12},
            "force": {"repulsion": 260, "edgeLength": [60, 140]},
            "categories": [{"name": c} for c in categories],
            "data": nodes,
            "links": links,
            "lineStyle": {"opacity": 0.6, "width": 1.5},
        }],
    }


def radar(indicators: Sequence[tuple[str, Decimal]], values: Sequence[Decimal | None], series_name: str) -> dict[str, Any]:
    """A radar of profile dimensions: (axis label, axis maximum) each, and the member's values
    (None draws at zero: unknown is not shown as a score)."""
    return {
        "color": PALETTE,
        "tooltip": {},
        "radar": {"indicator": [{"name": name, "max": float(top)} for name, top in indicators], "radius": "65%"},
        "series": [{"type": "radar", "name": series_name, "areaStyle": {"opacity": 0.25},
                    "data": [{"name": series_name, "value": [float(v) if v is not None else 0 for v in values]}]}],
    }


def bars(categories: Sequence[str], series: Mapping[str, Sequence[Decimal | float | None]], *, horizontal: bool = False,
         stack: bool = False, unit: str = "", mark_zero: bool = False) -> dict[str, Any]:
    """Grouped (or stacked) bars: one bar per category in each series."""
    category_axis = {"type": "category", "data": list(categories), "axisLabel": {"interval": 0}}
    value_axis: dict[str, Any] = {"type": "value", "name": unit}
    return {
        "color": PALETTE,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0} if len(series) > 1 else {"show": False},
        "grid": {"left": 8, "right": 24, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": value_axis if horizontal else category_axis,
        "yAxis": category_axis if horizontal else value_axis,
        "series": [
            {"type": "bar", "name": name, "data": [None if v is None else float(v) for v in values],
             **({"stack": "total"} if stack else {}),
             **({"markLine": {"silent": True, "symbol": "none", "data": [{"xAxis" if horizontal else "yAxis": 0}]}}
                if mark_zero and i == 0 else {})}
            for i, (name, values) in enumerate(series.items())
        ],
    }


def lines(days: Sequence[str], series: Mapping[str, Sequence[Decimal | None]], unit: str = "") -> dict[str, Any]:
    """One line per series over the days (a gap where a value is None)."""
    return {
        "color": PALETTE,
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "top": 0},
        "grid": {"left": 8, "right": 24, "top": 40, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": list(days), "boundaryGap": False},
        "yAxis": {"type": "value", "name": unit},
        "series": [{"type": "line", "name": name, "showSymbol": len(days) <= 31, "connectNulls": False,
                    "data": [None if v is None else float(v) for v in values]} for name, values in series.items()],
    }
