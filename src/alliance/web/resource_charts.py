"""The resource map's ECharts graph: members on a ring, an arrow from the member that has a resource
to the member that needs it, one per kind group (coloured by group). Pure: labels come translated.

Tooltips are HTML in ECharts, so every name and kind in them is escaped here (a company's name is
user data). The table under the chart says the same in text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import escape

from alliance.matching.model import Holder
from alliance.matching.resource_map import Edge, group_of
from alliance.web.charts import GRAPH_SIDE_ROOM, LABEL_WIDTH, NARROW_CHART, PALETTE, _label_side, _ring


@dataclass(frozen=True, slots=True)
class MapLabels:
    resources: str  # "Resources"
    needs: str  # "Needs"
    offers_only: str  # node categories
    needs_only: str
    both: str
    neither: str


def _summary(holder: Holder, group_names: Mapping[str, str], labels: MapLabels) -> str:
    lines = [f"<b>{escape(holder.name)}</b> ({escape(holder.code)})"]
    for title, items in ((labels.resources, holder.resources), (labels.needs, holder.needs)):
        counts = Counter(group_of(d.kind) for d in items)
        if counts:
            text = ", ".join(f"{escape(group_names.get(g, g))} × {n}" for g, n in sorted(counts.items()))
            lines.append(f"{escape(title)}: {text}")
    return "<br/>".join(lines)


def resource_graph(holders: Sequence[Holder], found: Sequence[Edge], group_names: Mapping[str, str],
                   labels: MapLabels) -> dict[str, Any]:
    """The graph option: a node per holder (its category: offers, needs, both or neither), an arrow
    per (offerer, seeker, group) with how many resource-need meetings it stands for."""
    categories = [labels.both, labels.offers_only, labels.needs_only, labels.neither]
    nodes = []
    for holder, (x, y) in zip(holders, _ring(len(holders), 100), strict=True):
        category = (0 if holder.resources and holder.needs else 1 if holder.resources
                    else 2 if holder.needs else 3)
        nodes.append({"id": holder.code, "name": holder.name, "value": holder.code, "category": category,
                      "symbolSize": 28 + min(len(holder.declarations), 10) * 2,
                      "x": round(x, 3), "y": round(y, 3), "label": {"position": _label_side(x, y)},
                      "tooltip": {"formatter": _summary(holder, group_names, labels)}})
    groups = sorted({e.group for e in found})
    colour = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}
    counts = Counter((e.offerer, e.seeker, e.group) for e in found)
    names = {h.code: h.name for h in holders}
    links = [{"source": a, "target": b, "value": n,
              "lineStyle": {"color": colour[g], "width": 1 + min(n, 5)},
              "tooltip": {"formatter": f"{escape(names.get(a, a))} → {escape(names.get(b, b))}: "
                                       f"{escape(group_names.get(g, g))} × {n}"}}
             for (a, b, g), n in sorted(counts.items())]
    base = {
        "tooltip": {},
        "legend": [{"data": categories, "bottom": 0}],
        "series": [{
            "type": "graph", "layout": "none", "preserveAspect": "contain", "roam": True, "draggable": True,
            "autoCurveness": True, "edgeSymbol": ["none", "arrow"], "edgeSymbolSize": 9,
            "left": GRAPH_SIDE_ROOM, "right": GRAPH_SIDE_ROOM, "top": 60, "bottom": 90,
            "label": {"show": True, "fontSize": 12, "width": LABEL_WIDTH, "overflow": "break", "lineHeight": 15},
            "labelLayout": {"hideOverlap": True},
            "categories": [{"name": c, "itemStyle": {"color": PALETTE[i]}} for i, c in enumerate(categories)],
            "data": nodes, "links": links, "lineStyle": {"opacity": 0.7},
        }],
    }
    narrow = {"series": [{"left": 24, "right": 24, "top": 24, "bottom": 70, "label": {"show": False}}]}
    return {"baseOption": base, "media": [{"query": {"maxWidth": NARROW_CHART}, "option": narrow}]}
