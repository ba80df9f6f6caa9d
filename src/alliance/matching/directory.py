"""Best partners out of a large directory of candidates: S(A <- candidate) for all, then the top k. Pure.

Why a separate index: a directory of outside candidates is large (a million companies, some four
million resources) and queried often, one holder at a time. Built once, it keeps every resource
as columns of small codes, sorted by region so that a need tied to a region only ever reads the
resources of that region and of "anywhere" (region fit 0 elsewhere: they cannot contribute). A
query then costs a handful of array passes per need of the asking holder, the same maths as
score.py (tests compare to 1e-9), and an O(n) partial sort for the top k.

The text index is fitted on the directory's own descriptions (its scoring context); the asking
holder's descriptions are vectorised with it, and score.py given the same index agrees.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from alliance.matching.columns import OPEN_END, OPEN_START, Codebook, Columns, resources_of
from alliance.matching.model import Declaration, Holder
from alliance.matching.score import ALPHA
from alliance.matching.taxonomy import kind_fit
from alliance.matching.text import TextIndex, is_blank


@dataclass(frozen=True, slots=True)
class Ranked:
    candidate: int  # index into the directory's candidates
    score: float  # S(A <- candidate)


class Directory:
    """Candidates indexed for top-k partner search (build once with `Directory.build`)."""

    def __init__(self, candidates: Sequence[Holder], text: TextIndex) -> None:
        self.candidates = candidates
        self.text = text
        book = Codebook()
        res = Columns.of(resources_of(candidates), book, text, need_side=False)
        self._book = book
        self._kind_keys = list(book.kinds)
        order = np.argsort(res.region, kind="stable")  # stable: a holder's resources keep their order
        self._owner = res.owner[order]
        blank = res.text.blank[res.text.codes[order]]
        # One code per resource for the kind-and-blank factor: (1 - ALPHA) * k, or k when blank.
        self._kind_blank = res.kind[order] * 2 + blank.astype(np.int32)
        self._text = res.text.codes[order]
        self._text_rows = res.text.rows
        self._start = res.start[order]
        self._end = res.end[order]
        self._capacity = res.capacity[order]
        unit = res.unit[order]
        region = res.region[order]
        bounds = np.searchsorted(region, np.arange(len(book.regions) + 1))
        self._blocks = {code: (int(bounds[code]), int(bounds[code + 1])) for code in range(len(book.regions))}
        # Per region block and unit: the block's resources with a stated capacity in that unit
        # (positions relative to the block), the only ones whose capacity share is not 1.
        self._sized: dict[tuple[int, int], np.ndarray] = {}
        stated = ~np.isnan(self._capacity)
        for code, (lo, hi) in self._blocks.items():
            for u in np.unique(unit[lo:hi][stated[lo:hi]]):
                self._sized[(code, int(u))] = np.flatnonzero(stated[lo:hi] & (unit[lo:hi] == u))

    @classmethod
    def build(cls, candidates: Sequence[Holder], text: TextIndex | None = None) -> Directory:
        """The index of `candidates`; `text` defaults to one fitted on their descriptions."""
        if text is None:
            text = TextIndex.fit(d.description for h in candidates for d in h.declarations)
        return cls(candidates, text)

    def __len__(self) -> int:
        return len(self.candidates)

    def need_coverage(self, need: Declaration) -> np.ndarray:
        """c(need, candidate) for every candidate, in [0, 1]."""
        fits = np.array([float(kind_fit(key, need.kind)) for key in self._kind_keys] or [0.0])
        need_blank = is_blank(need.description)
        # factor[kind * 2 + blank]: m without the text term (score.match: k when either is blank)
        factor = np.repeat(fits, 2)
        if not need_blank:
            factor[0::2] *= (1 - ALPHA)
            t = (self._text_rows @ self.text.matrix([need.description]).T).toarray().ravel()
            np.clip(t, 0.0, 1.0, out=t)
            alpha_t = ALPHA * t
        region = need.region.strip().casefold()
        if not region:
            codes = list(self._blocks)
        else:
            codes = [0] + ([self._book.regions[region]] if region in self._book.regions else [])
        unit = self._book.units.get(need.unit.strip().casefold())
        n_start = OPEN_START if need.window.starts_on is None else need.window.starts_on.toordinal()
        n_end = OPEN_END if need.window.ends_on is None else need.window.ends_on.toordinal()
        bounded = n_start != OPEN_START and n_end != OPEN_END
        sized = need.capacity is not None and need.capacity > 0 and unit is not None
        total = np.zeros(len(self.candidates), dtype=np.float64)
        for code in codes:
            lo, hi = self._blocks[code]
            if lo == hi:
                continue
            f = factor[self._kind_blank[lo:hi]]
            if not need_blank:
                f += alpha_t[self._text[lo:hi]]  # 0 for a blank resource: its row is zero
            if not need.window.open:
                first = np.maximum(self._start[lo:hi], n_start)
                days = np.minimum(self._end[lo:hi], n_end) - first + 1
                if bounded:
                    np.maximum(days, 0, out=days)
                    f *= days / (n_end - n_start + 1)
                else:
                    f *= days > 0
            if sized:
                at = self._sized.get((code, unit))
                if at is not None:
                    f[at] *= self._capacity[lo:hi][at] / float(need.capacity)
            total += np.bincount(self._owner[lo:hi], weights=f, minlength=len(self.candidates))
        np.minimum(total, 1.0, out=total)
        return total

    def scores(self, holder: Holder) -> np.ndarray:
        """S(holder <- candidate) for every candidate (0 for all when the holder has no needs)."""
        needs = holder.needs
        total_weight = sum(n.weight for n in needs)
        score = np.zeros(len(self.candidates), dtype=np.float64)
        if not needs or total_weight <= 0:
            return score
        for need in needs:
            score += need.weight * self.need_coverage(need)
        score /= total_weight
        return score

    def top_k(self, holder: Holder, k: int, exclude: Collection[int] = ()) -> list[Ranked]:
        """The k candidates scoring highest for `holder`'s needs, best first; ties by candidate index.

        `exclude` lists candidates not to propose (the holder itself, current partners). Fewer than
        k come back when fewer are left (the service says so; the engine does not guess).
        """
        return best(self.scores(holder), k, exclude)


def best(scores: np.ndarray, k: int, exclude: Collection[int] = ()) -> list[Ranked]:
    """The top k of `scores` (descending, ties by index) without the `exclude`d positions."""
    assert k >= 0
    values = scores.astype(np.float64, copy=True)
    if exclude:
        values[np.fromiter(exclude, dtype=np.int64)] = -np.inf
    allowed = len(values) - int(np.count_nonzero(np.isneginf(values)))
    k = min(k, allowed)
    if k == 0:
        return []
    kth = np.partition(values, len(values) - k)[len(values) - k]  # the k-th largest value
    chosen = np.flatnonzero(values >= kth)  # ascending index: ties keep index order
    chosen = chosen[np.argsort(-values[chosen], kind="stable")][:k]
    return [Ranked(int(i), float(values[i])) for i in chosen]
