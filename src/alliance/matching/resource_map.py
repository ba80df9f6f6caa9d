"""The resource map (资源图谱) as the map page draws it: which declarations a filter keeps, and the
edges where one member's resource meets another member's need. Pure.

An edge is a plain meeting, not a score (the scoring engines weigh capacity, windows and text): the
kinds fit at all (`taxonomy.kind_fit` > 0) and the regions do (either blank, or equal trimmed and
case-folded, as the score's region fit says). A holder never meets itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from alliance.matching.model import Declaration, Holder
from alliance.matching.taxonomy import SEPARATOR, kind_fit

# Beyond this many edges the graph is a hairball: the page says how many it left out.
EDGE_LIMIT = 2000


def group_of(kind: str) -> str:
    return kind.split(SEPARATOR, 1)[0]


def region_fits(a: str, b: str) -> bool:
    """Either region blank (anywhere), or the same place."""
    a, b = a.strip().casefold(), b.strip().casefold()
    return not a or not b or a == b


@dataclass(frozen=True, slots=True)
class MapFilter:
    """What the page's GET form asks for: one kind group ("" = all) and one region ("" = all; a
    declaration for anywhere is kept under any region)."""

    group: str = ""
    region: str = ""

    def keeps(self, declaration: Declaration) -> bool:
        if self.group and group_of(declaration.kind) != self.group:
            return False
        return not self.region or region_fits(declaration.region, self.region)


@dataclass(frozen=True, slots=True)
class Edge:
    """`offerer`'s resource meets `seeker`'s need."""

    offerer: str
    seeker: str
    resource: Declaration
    need: Declaration
    fit: Fraction  # taxonomy.kind_fit: 1 or 1/2

    @property
    def group(self) -> str:
        return group_of(self.need.kind)


def filtered(holders: Sequence[Holder], only: MapFilter) -> list[Holder]:
    """The holders with only the declarations the filter keeps (holders themselves all stay)."""
    return [Holder(h.kind, h.code, h.name, h.region, tuple(d for d in h.declarations if only.keeps(d)))
            for h in holders]


def edges(holders: Sequence[Holder], limit: int = EDGE_LIMIT) -> tuple[list[Edge], int]:
    """Every (resource, need) meeting between two different holders, in holder order, at most
    `limit` of them; and how many there are in all."""
    found: list[Edge] = []
    total = 0
    for offerer in holders:
        for seeker in holders:
            if seeker.code == offerer.code:
                continue
            for need in seeker.needs:
                for resource in offerer.resources:
                    fit = kind_fit(resource.kind, need.kind)
                    if fit > 0 and region_fits(resource.region, need.region):
                        total += 1
                        if len(found) < limit:
                            found.append(Edge(offerer.code, seeker.code, resource, need, fit))
    return found, total
