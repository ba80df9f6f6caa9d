"""Apache ECharts options for the pages' charts, built from domain objects. Pure: no I/O.

Each function returns a JSON-ready dict (an ECharts `option`); the page embeds it as a JSON data
block and `static/app.js` draws it. Money reaches a chart as a decimal string converted to a number
only for plotting (an axis needs numbers); every figure a user reads as text is formatted exactly
on the page, never taken from a chart.

Labels are passed in already translated: these functions know no language.
"""

from __future__ import annotations

import math
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


# The structure graph's label box: company names wrap onto lines this wide, and the series keeps
# this much room on each side, so no label is cut at the chart's edge.
LABEL_WIDTH = 104
GRAPH_SIDE_ROOM = LABEL_WIDTH + 28
NARROW_CHART = 420  # px of the chart (not the window): narrower, no labels beside the nodes


def _ring(count: int, radius: float, start: float = -math.pi / 2, spread: float = 2 * math.pi) -> list[tuple[float, float]]:
    """`count` points on a circle (or an arc of `spread` radians centred on `start`), evenly spaced."""
    if count == 0:
        return []
    if spread >= 2 * math.pi - 1e-9:
        angles = [start + spread * i / count for i in range(count)]
    else:
        step = spread / count
        angles = [start - spread / 2 + step * (i + 0.5) for i in range(count)]
    return [(radius * math.cos(a), radius * math.sin(a)) for a in angles]


def _label_side(x: float, y: float) -> str:
    """Where a node's label goes: away from the centre, so labels and edges do not cross."""
    if abs(x) < 1e-6 and abs(y) < 1e-6:
        return "bottom"
    angle = math.atan2(y, x)
    if abs(math.cos(angle)) > 0.5:
        return "right" if x > 0 else "left"
    return "bottom" if y > 0 else "top"


def structure_graph(alliance: Alliance, members: Sequence[Member], subs: Mapping[str, tuple[str, Sequence[Member]]],
                    labels: GraphLabels) -> dict[str, Any]:
    """The alliance's shape as a graph, laid out in rings (fixed, the same on every load).

    - star: the hub companies in the middle, every other member tied to each hub (联营: the
      retailer at the centre);
    - mesh: every member on one ring, tied to every other (peers, no centre);
    - umbrella: the alliance itself in the middle, its direct members and its sub-alliances on a
      ring around it, each sub-alliance's own members on an arc outside it (企业小联盟 with
      working groups).
    A star without a hub falls back to the alliance node in the middle.
    `subs`: sub-alliance code -> (its name, its current members).

    A force layout (the earlier choice) drew labels over each other and past the chart's edge and
    moved on every load; rings put every label outside its node, away from the centre, wrapped to
    `LABEL_WIDTH`, with room kept on both sides.
    """
    categories = [labels.alliance, labels.hub, labels.member, labels.observer, labels.sub_alliance]
    role_category = {MemberRole.HUB: 1, MemberRole.MEMBER: 2, MemberRole.OBSERVER: 3}
    nodes: list[dict[str, Any]] = []
    links: list[dict[str, str]] = []

    def add(node_id: str, name: str, category: int, size: int, code: str, at: tuple[float, float]) -> str:
        x, y = at
        nodes.append({"id": node_id, "name": name, "category": category, "symbolSize": size, "value": code,
                      "x": round(x, 3), "y": round(y, 3), "label": {"position": _label_side(x, y)}})
        return node_id

    def member_node(m: Member, at: tuple[float, float], prefix: str = "") -> str:
        return add(f"{prefix}m:{m.code}", m.legal_name, role_category[m.role], 46 if m.role is MemberRole.HUB else 30,
                   m.code, at)

    hubs = [m for m in members if m.role is MemberRole.HUB]
    sub_items = list(subs.items())
    if alliance.structure is AllianceStructure.MESH:
        ids = [member_node(m, at) for m, at in zip(members, _ring(len(members), 100), strict=True)]
        for i, a in enumerate(ids):
            links.extend({"source": a, "target": b} for b in ids[i + 1:])
        centres: list[str] = ids[:1]
    else:
        centre_members = hubs if alliance.structure is AllianceStructure.STAR and hubs else []
        if centre_members:
            inner = _ring(len(centre_members), 0 if len(centre_members) == 1 else 28)
            centres = [member_node(m, at) for m, at in zip(centre_members, inner, strict=True)]
            for i, a in enumerate(centres):
                links.extend({"source": a, "target": b} for b in centres[i + 1:])
        else:
            centres = [add(f"a:{alliance.code}", alliance.name, 0, 56, alliance.code, (0.0, 0.0))]
        others = [m for m in members if m not in centre_members]
        ring = _ring(len(others) + len(sub_items), 100)
        for m, at in zip(others, ring, strict=False):
            member_id = member_node(m, at)
            links.extend({"source": c, "target": member_id} for c in centres)
        ring = ring[len(others):]
        for (code, (name, sub_members)), at in zip(sub_items, ring, strict=True):
            sub_id = add(f"a:{code}", name, 4, 40, code, at)
            links.extend({"source": c, "target": sub_id} for c in centres)
            angle = math.atan2(at[1], at[0])
            arc = 2 * math.pi / max(1, len(ring)) * 0.9
            fresh = [m for m in sub_members if not any(n["id"] == f"m:{m.code}" for n in nodes)]
            spots = dict(zip((m.code for m in fresh), _ring(len(fresh), 175, angle, arc), strict=True))
            for m in sub_members:
                if m.code in spots:
                    links.append({"source": sub_id, "target": member_node(m, spots[m.code], prefix=f"{code}/")})
                else:
                    links.append({"source": sub_id, "target": f"m:{m.code}"})  # a member of both: tie, not copy
        sub_items = []
    base = {
        "color": PALETTE,
        "tooltip": {"formatter": "{b}"},
        "legend": [{"data": categories, "bottom": 0}],
        "series": [{
            "type": "graph",
            "layout": "none",
            "preserveAspect": "contain",  # a ring stays round, nodes stay circles
            "roam": True,
            "draggable": True,
            "left": GRAPH_SIDE_ROOM, "right": GRAPH_SIDE_ROOM, "top": 60, "bottom": 90,
            "label": {"show": True, "fontSize": 12, "width": LABEL_WIDTH, "overflow": "break", "lineHeight": 15},
            "labelLayout": {"hideOverlap": True},
            "categories": [{"name": c} for c in categories],
            "data": nodes,
            "links": links,
            "lineStyle": {"opacity": 0.6, "width": 1.5},
        }],
    }
    # On a phone there is no room for names beside the nodes: they go to the tooltip (and the
    # member list under the chart names every member).
    narrow = {"series": [{"left": 24, "right": 24, "top": 24, "bottom": 90, "label": {"show": False}}]}
    return {"baseOption": base, "media": [{"query": {"maxWidth": NARROW_CHART}, "option": narrow}]}


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


def heatmap(columns: Sequence[str], rows: Sequence[str], cells: Sequence[tuple[int, int, float, str, str]],
            value_name: str, *, low: float = 0.0, high: float = 1.0, low_text: str = "", high_text: str = "") -> dict[str, Any]:
    """A heat map of values in [low, high]: `cells` are (column, row, value, tooltip, href) each; a
    cell left out stays blank (a member against itself). `href` (or "") is where a click on the cell
    goes (static/app.js follows a data item's `href`). Rows run top to bottom in the given order.

    The tooltip is each cell's own text (the page formats the number in its language); the value's
    label shows on the cells only while they are big enough to read it."""
    count = max(len(columns), len(rows))
    return {
        # Drawn on the canvas: an HTML tooltip would set inline styles, which the pages' CSP refuses.
        "tooltip": {"position": "top", "formatter": "{b}", "renderMode": "richText"},
        "grid": {"left": 8, "right": 16, "top": 16, "bottom": 72, "containLabel": True},
        "xAxis": {"type": "category", "data": list(columns), "splitArea": {"show": True}, "position": "top",
                  "axisLabel": {"interval": 0, "rotate": 45 if count > 6 else 0}},
        "yAxis": {"type": "category", "data": list(rows), "splitArea": {"show": True}, "inverse": True,
                  "axisLabel": {"interval": 0}},
        "visualMap": {"min": low, "max": high, "calculable": True, "orient": "horizontal", "left": "center",
                      "bottom": 8, "precision": 2,
                      **({"text": [high_text, low_text]} if high_text or low_text else {}), "inRange": {"color": ["#f8fafc", "#93c5fd", "#1d4ed8"]}},
        "series": [{
            "type": "heatmap", "name": value_name,
            "label": {"show": count <= 12, "formatter": "{@[2]}"},
            "emphasis": {"itemStyle": {"borderColor": "#0f172a", "borderWidth": 1}},
            "cursor": "pointer",
            "data": [{"name": tip, "value": [x, y, round(float(v), 2)], **({"href": href} if href else {})}
                     for x, y, v, tip, href in cells if math.isfinite(v)],
        }],
    }


def overlap_heatmap(columns: Sequence[str], rows: Sequence[str], cells: Sequence[tuple[int, int, float, str, str, int]],
                    value_name: str, *, low_text: str = "", high_text: str = "") -> dict[str, Any]:
    """A heat map of customer overlaps (privacy.matrix): each cell shaded by its rate in [0, 1] and
    labelled with its count. `cells` are (column, row, rate, tooltip, href, count); a pair never
    compared is left out and stays blank (never drawn as zero)."""
    option = heatmap(columns, rows, [cell[:5] for cell in cells], value_name, low_text=low_text, high_text=high_text)
    series = option["series"][0]
    counts = [count for _x, _y, rate, _tip, _href, count in cells if math.isfinite(rate)]
    for item, count in zip(series["data"], counts, strict=True):
        item["value"].append(count)
    option["visualMap"]["dimension"] = 2  # shade by the rate, not the count (the last dimension)
    series["label"] = {"show": True, "formatter": "{@[3]}"}
    return option
