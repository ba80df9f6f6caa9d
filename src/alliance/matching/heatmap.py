"""The complementarity heat map (资源互补度热力图) of an alliance: every ordered pair's score, an order
that puts members with similar profiles side by side, and each cell's explanation. Pure.

A page or the CLI renders it: `labels` in `order`, `directed[a, b]` = S(a <- b) (row a: whose
needs; column b: whose resources), `mutual` symmetric, the diagonal blank (NaN). Why cluster: in
input order a heat map of a hundred members is noise; ordered by average-linkage clustering of the
members' kind profiles (what kinds each has and lacks; SciPy's optimal leaf ordering) members
alike sit together and blocks of complementary groups show. The order is deterministic (ties keep
input order). A cell's "why" comes from score.py, the reference, not from the fast matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.cluster.hierarchy import leaves_list, linkage

from alliance.matching.columns import pair_matrix
from alliance.matching.model import Holder
from alliance.matching.score import MutualScore, context_index, group_of, mutual_score
from alliance.matching.text import TextIndex

# Optimal leaf ordering (adjacent leaves as alike as possible) costs about the cube of the member
# count: 0.05 s for 300 members, over a second for 1,000; above the limit the order is the
# dendrogram's (clusters still contiguous, their inner order less smooth).
OPTIMAL_ORDER_LIMIT = 300


@dataclass(frozen=True)
class HeatMap:
    codes: tuple[str, ...]
    labels: tuple[str, ...]
    directed: np.ndarray  # [a, b] = S(a <- b); NaN on the diagonal
    mutual: np.ndarray  # [a, b] = M(a, b) = (S(a <- b) + S(b <- a)) / 2; NaN on the diagonal
    order: tuple[int, ...]  # clustered: members with similar profiles next to each other
    holders: Sequence[Holder] = field(repr=False, compare=False)
    text: TextIndex = field(repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.codes)

    def sorted_by(self, member: int, mutual: bool = False) -> tuple[int, ...]:
        """Members by how well they serve `member` (its row, S(member <- b), or the mutual score),
        best first, ties in clustered order; `member` itself last."""
        row = (self.mutual if mutual else self.directed)[member]
        position = {m: p for p, m in enumerate(self.order)}
        others = sorted((b for b in range(len(self)) if b != member), key=lambda b: (-row[b], position[b]))
        return (*others, member)

    def explain(self, a: int, b: int) -> MutualScore:
        """Why the cell (a, b) has its values: both directions, per group and per need (score.py)."""
        assert a != b, "a holder never scores against itself"
        return mutual_score(self.holders[a], self.holders[b], self.text)


def profiles(holders: Sequence[Holder]) -> np.ndarray:
    """One row per holder: how many resources and needs of each kind and group it declares,
    l2-normalised (a holder with nothing declared is the zero row)."""
    columns: dict[tuple[str, str], int] = {}
    entries: list[tuple[int, int]] = []
    for i, h in enumerate(holders):
        for d in h.declarations:
            # the group counts too, so two sub-kinds of one group are nearer than two groups
            for key in {d.kind, group_of(d.kind)}:
                entries.append((i, columns.setdefault((d.side.value, key), len(columns))))
    vectors = np.zeros((len(holders), max(1, len(columns))), dtype=np.float64)
    for i, j in entries:
        vectors[i, j] += 1.0
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.divide(vectors, norms, out=vectors, where=norms > 0)
    return vectors


def clustered_order(holders: Sequence[Holder]) -> tuple[int, ...]:
    """Average-linkage clustering of the kind profiles, leaves in optimal order (up to
    OPTIMAL_ORDER_LIMIT holders; above, in the dendrogram's own order, which still keeps each
    cluster together)."""
    if len(holders) < 3:
        return tuple(range(len(holders)))
    optimal = len(holders) <= OPTIMAL_ORDER_LIMIT
    tree = linkage(profiles(holders), method="average", metric="euclidean", optimal_ordering=optimal)
    return tuple(int(i) for i in leaves_list(tree))


def heat_map(holders: Sequence[Holder], text: TextIndex | None = None) -> HeatMap:
    """The heat map of `holders` (an alliance's members); `text` defaults to their context index."""
    if text is None:
        text = context_index(holders)
    directed = pair_matrix(holders, text)
    mutual = (directed + directed.T) / 2
    return HeatMap(tuple(h.code for h in holders), tuple(h.name for h in holders), directed, mutual,
                   clustered_order(holders), holders, text)
