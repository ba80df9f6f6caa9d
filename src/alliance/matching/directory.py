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
        # Sorted by region, then open windows before bounded ones; lexsort is stable, so each
        # holder's resources keep their order within a run.
        windowed = ((res.start != OPEN_START) | (res.end != OPEN_END)).astype(np.int64)
        order = np.lexsort((windowed, res.region))
        self._owner = res.owner[order]
        # One code per distinct (kind, description): the match m needs computing once per code.
        pair, self._pair = np.unique(res.kind.astype(np.int64) * max(1, len(res.text.blank)) + res.text.codes,
                                     return_inverse=True)
        self._pair = self._pair.astype(np.int32)[order]
        self._pair_kind = (pair // max(1, len(res.text.blank))).astype(np.int32)
        self._pair_text = (pair % max(1, len(res.text.blank))).astype(np.int32)
        self._pair_blank = res.text.blank[self._pair_text]
        self._text_rows = res.text.rows
        self._start = res.start[order]
        self._end1 = res.end[order] + 1
        self._capacity = res.capacity[order]
        key = res.region[order].astype(np.int64) * 2 + windowed[order]
        bounds = np.searchsorted(key, np.arange(2 * len(book.regions) + 1))
        # per region code: [lo, mid) open windows, [mid, hi) bounded ones
        self._blocks = {code: (int(bounds[2 * code]), int(bounds[2 * code + 1]), int(bounds[2 * code + 2]))
                        for code in range(len(book.regions))}
        # The resources with a stated capacity, by unit and by (region, unit): the only ones whose
        # capacity share can differ from 1 (positions in the sorted columns).
        unit = res.unit[order]
        stated = ~np.isnan(self._capacity)
        self._sized_by_unit = {int(u): np.flatnonzero(stated & (unit == u)) for u in np.unique(unit[stated])}
        self._sized: dict[tuple[int, int], np.ndarray] = {}
        for u, at in self._sized_by_unit.items():
            for code, (lo, _, hi) in self._blocks.items():
                inside = at[(at >= lo) & (at < hi)]
                if len(inside):
                    self._sized[(code, u)] = inside

    @classmethod
    def build(cls, candidates: Sequence[Holder], text: TextIndex | None = None) -> Directory:
        """The index of `candidates`; `text` defaults to one fitted on their descriptions."""
        if text is None:
            text = TextIndex.fit(d.description for h in candidates for d in h.declarations)
        return cls(candidates, text)

    def __len__(self) -> int:
        return len(self.candidates)

    def _matches(self, need: Declaration) -> np.ndarray:
        """m for every distinct (kind, description) code of the directory's resources."""
        fits = np.array([float(kind_fit(key, need.kind)) for key in self._kind_keys] or [0.0])
        k = fits[self._pair_kind]
        if is_blank(need.description):
            return k
        m = k * np.where(self._pair_blank, 1.0, 1 - ALPHA)
        t = (self._text_rows @ self.text.matrix([need.description]).T).toarray().ravel()
        np.clip(t, 0.0, 1.0, out=t)
        m += (ALPHA * t)[self._pair_text]  # 0 for a blank resource: its row is zero
        return m

    def _ranges(self, need: Declaration) -> list[tuple[int, int, list[tuple[int, int]], dict[int, np.ndarray]]]:
        """The stretches of resources whose region fits the need: (lo, hi, their bounded-window
        runs, positions with a stated capacity by unit)."""
        region = need.region.strip().casefold()
        if not region:
            runs = [(mid, hi) for _, mid, hi in self._blocks.values() if mid < hi]
            return [(0, len(self._owner), runs, self._sized_by_unit)]
        codes = [0] + ([self._book.regions[region]] if region in self._book.regions else [])
        return [(lo, hi, [(mid, hi)] if mid < hi else [],
                 {u: at for (c, u), at in self._sized.items() if c == code})
                for code in codes for lo, mid, hi in [self._blocks[code]] if lo < hi]

    def need_coverage(self, need: Declaration) -> np.ndarray:
        """c(need, candidate) for every candidate, in [0, 1]."""
        matches = self._matches(need)
        unit = self._book.units.get(need.unit.strip().casefold())
        sized = need.capacity is not None and need.capacity > 0 and unit is not None
        n_start = OPEN_START if need.window.starts_on is None else need.window.starts_on.toordinal()
        n_end = OPEN_END if need.window.ends_on is None else need.window.ends_on.toordinal()
        bounded = n_start != OPEN_START and n_end != OPEN_END
        total = np.zeros(len(self.candidates), dtype=np.float64)
        for lo, hi, runs, sized_at in self._ranges(need):
            f = matches[self._pair[lo:hi]]  # m * g: the region fits (g = 1) in this stretch
            for first_run, end_run in runs if not need.window.open else ():
                # w: 1 for an open window (the stretch before the run); here days of overlap
                part = f[first_run - lo:end_run - lo]
                days = np.minimum(self._end1[first_run:end_run], n_end + 1)
                days -= np.maximum(self._start[first_run:end_run], n_start)
                if bounded:
                    np.maximum(days, 0, out=days)
                    part *= days / (n_end - n_start + 1)
                else:
                    part *= days > 0
            at = sized_at.get(unit) if sized else None
            if at is not None:
                assert need.capacity is not None
                f[at - lo] *= self._capacity[at] / float(need.capacity)
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
