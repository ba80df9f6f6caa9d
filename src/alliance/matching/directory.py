"""Best partners out of a large directory of candidates: S(A <- candidate) for all, then the top k. Pure.

Why a separate index: a directory of outside candidates is large (a million companies, some four
million resources) and queried often, one holder at a time. Built once, it keeps every resource
as columns of small codes: its distinct (kind, description) pair, its distinct window, its region,
capacity and holder. Sorted by region and pair, the resources of one (region, pair) form a run, so
a need reads only the runs of its own region and of "anywhere" (g = 0 elsewhere) whose match m is
not 0 (f = m * g * w * s: they contribute nothing), typically a fifth to a half of the directory.
m and w are computed once per distinct pair and window and looked up per resource; one holder's
fits add up with a bincount. The same maths as score.py (tests compare to 1e-9), then an O(n)
partial sort for the top k.

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
        # Codes of distinct (kind, description) pairs and of distinct windows: m and w are computed
        # once per code, then looked up per resource (a gather is cheaper than the arithmetic).
        texts = max(1, len(res.text.blank))
        pair, pair_codes = np.unique(res.kind.astype(np.int64) * texts + res.text.codes, return_inverse=True)
        self._pair_kind = (pair // texts).astype(np.int32)
        self._pair_text = (pair % texts).astype(np.int32)
        self._pair_blank = res.text.blank[self._pair_text]
        self._text_rows = res.text.rows
        span = OPEN_END - OPEN_START + 2
        window, window_codes = np.unique((res.start.astype(np.int64) - OPEN_START) * span + (res.end - OPEN_START),
                                         return_inverse=True)
        self._window_start = (window // span + OPEN_START).astype(np.int32)
        self._window_end1 = (window % span + OPEN_START + 1).astype(np.int32)
        # Sorted by region, then pair: the resources of one (region, pair) form a run. A need reads
        # only the runs of its region (and of "anywhere") whose match m is not 0: the others
        # contribute nothing (f = m * g * w * s), and most of a directory is of other kinds and words.
        key = res.region.astype(np.int64) * len(pair) + pair_codes
        order = np.argsort(key, kind="stable")  # stable: a holder's resources keep their order
        key = key[order]
        self._owner = res.owner[order]
        self._window = window_codes.astype(np.int32)[order]
        self._capacity = res.capacity[order]
        self._unit = np.where(np.isnan(res.capacity), -1, res.unit).astype(np.int32)[order]
        starts = np.flatnonzero(np.diff(key, prepend=-1)) if len(key) else np.zeros(0, dtype=np.int64)
        # int32 positions (a directory stays below 2**31 resources): half the bytes to gather with
        self._run_start = starts.astype(np.int32)
        self._run_length = np.diff(starts, append=len(key)).astype(np.int32)
        self._run_pair = (key[starts] % max(1, len(pair))).astype(np.int32)
        run_region = key[starts] // max(1, len(pair))
        bounds = np.searchsorted(run_region, np.arange(len(book.regions) + 1))
        self._region_runs = {code: (int(bounds[code]), int(bounds[code + 1])) for code in range(len(book.regions))}

    @classmethod
    def build(cls, candidates: Sequence[Holder], text: TextIndex | None = None) -> Directory:
        """The index of `candidates`; `text` defaults to one fitted on their descriptions."""
        if text is None:
            text = TextIndex.fit([d.description for h in candidates for d in h.declarations])
        return cls(candidates, text)

    def __len__(self) -> int:
        return len(self.candidates)

    def _matches(self, need: Declaration) -> np.ndarray:
        """m for every distinct (kind, description) code of the directory's resources."""
        fits = np.array([float(kind_fit(key, need.kind)) for key in self._kind_keys] or [0.0])
        k = fits[self._pair_kind]
        if is_blank(need.description):
            return k
        t = (self._text_rows @ self.text.matrix([need.description]).T).toarray().ravel()
        np.clip(t, 0.0, 1.0, out=t)
        # m = k + ALPHA * t * (1 - k); t is 0 for a blank resource (its row is zero)
        return k + (ALPHA * t)[self._pair_text] * (1.0 - k)

    def _windows(self, need: Declaration) -> np.ndarray:
        """w for every distinct window of the directory's resources (score.window_fit)."""
        n_start = OPEN_START if need.window.starts_on is None else need.window.starts_on.toordinal()
        n_end = OPEN_END if need.window.ends_on is None else need.window.ends_on.toordinal()
        days = np.minimum(self._window_end1, n_end + 1) - np.maximum(self._window_start, n_start)
        if n_start != OPEN_START and n_end != OPEN_END:  # bounded: the fraction of its days covered
            np.maximum(days, 0, out=days)
            return days / (n_end - n_start + 1)
        return (days > 0).astype(np.float64)  # open at an end: 1 when they overlap

    def _runs(self, need: Declaration, matches: np.ndarray) -> np.ndarray:
        """The runs whose region fits the need (g = 1; elsewhere 0) and whose match is not 0."""
        region = need.region.strip().casefold()
        if not region:
            spans = [(0, len(self._run_start))]
        else:
            codes = [0] + ([self._book.regions[region]] if region in self._book.regions else [])
            spans = [self._region_runs[code] for code in codes]
        return np.concatenate([lo + np.flatnonzero(matches[self._run_pair[lo:hi]] > 0) for lo, hi in spans])

    def need_coverage(self, need: Declaration) -> np.ndarray:
        """c(need, candidate) for every candidate, in [0, 1]."""
        matches = self._matches(need)
        runs = self._runs(need, matches)
        lengths = self._run_length[runs]
        count = int(lengths.sum())
        if count == 0:
            return np.zeros(len(self.candidates), dtype=np.float64)
        # positions of the runs' resources: each run's start, then +1, +2, ...
        firsts = np.cumsum(lengths, dtype=np.int32) - lengths
        at = np.repeat(self._run_start[runs] - firsts, lengths)
        at += np.arange(count, dtype=np.int32)
        f = np.repeat(matches[self._run_pair[runs]], lengths)  # m * g, g = 1 on these runs
        if not need.window.open:
            f *= self._windows(need)[self._window[at]]
        unit = self._book.units.get(need.unit.strip().casefold())
        if need.capacity is not None and need.capacity > 0 and unit is not None:
            sized = np.flatnonzero(self._unit[at] == unit)  # stated, in the need's unit
            f[sized] *= np.minimum(self._capacity[at[sized]] / float(need.capacity), 1.0)
        total = np.bincount(self._owner[at], weights=f, minlength=len(self.candidates))
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
            coverage = self.need_coverage(need)
            coverage *= need.weight
            score += coverage
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
    values = scores
    allowed = len(values)
    if exclude:
        values = scores.astype(np.float64, copy=True)
        values[np.fromiter(exclude, dtype=np.int64)] = -np.inf
        allowed -= int(np.count_nonzero(np.isneginf(values)))
    k = min(k, allowed)
    if k == 0:
        return []
    kth = np.partition(values, len(values) - k)[len(values) - k]  # the k-th largest value
    chosen = np.flatnonzero(values >= kth)  # ascending index: ties keep index order
    chosen = chosen[np.argsort(-values[chosen], kind="stable")][:k]
    return [Ranked(int(i), float(values[i])) for i in chosen]
