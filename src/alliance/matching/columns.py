"""The score of score.py over many holders at once, on columnar arrays (NumPy, SciPy sparse). Pure.

Why columns: a heat map of 1,000 members is a million ordered pairs, some ten million
(resource, need) fits; one Python call per fit is minutes, array operations over all of them are
well under a second. Every declaration becomes a row of small integer codes (kind, region, unit,
distinct description) and numbers (window days, capacity, weight, owner); a factor of the score is
then a table look-up or one array operation, computed exactly as score.py does (tests compare the
two to 1e-9 on random holders).

`pair_matrix` gives S(A <- B) for every ordered pair; `coverage` gives c(n, B) for a list of needs
and candidates (the coalition solver's input).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alliance.matching.model import Declaration, Holder
from alliance.matching.score import ALPHA, context_index
from alliance.matching.taxonomy import kind_fit
from alliance.matching.text import TextCodes, TextIndex, code_texts, similarities

OPEN_START = -(2**28)  # an open start: before any real day number (and hi - lo fits int32)
OPEN_END = 2**28
CHUNK_CELLS = 1 << 21  # (resource, need) cells per block: a few MB per temporary, cache-friendly


def _normal(text: str) -> str:
    return text.strip().casefold()


class Codebook:
    """Codes of kinds, regions and units shared by both sides (region code 0 = anywhere)."""

    def __init__(self) -> None:
        self.kinds: dict[str, int] = {}
        self.regions: dict[str, int] = {"": 0}
        self.units: dict[str, int] = {}

    def kind(self, key: str) -> int:
        return self.kinds.setdefault(key, len(self.kinds))

    def region(self, name: str) -> int:
        return self.regions.setdefault(_normal(name), len(self.regions))

    def unit(self, name: str) -> int:
        return self.units.setdefault(_normal(name), len(self.units))

    def kind_fits(self) -> np.ndarray:
        """fits[resource kind code, need kind code] = kind_fit as a float."""
        keys = list(self.kinds)
        return np.array([[float(kind_fit(r, n)) for n in keys] for r in keys], dtype=np.float64).reshape(
            len(keys), len(keys))


@dataclass(frozen=True)
class Columns:
    """One side's declarations of many holders, one array entry per declaration."""

    owner: np.ndarray  # int32: index of the holder
    kind: np.ndarray  # int32 kind code
    region: np.ndarray  # int32 region code (0 = anywhere)
    start: np.ndarray  # int32 day number (OPEN_START when open)
    end: np.ndarray  # int32 day number (OPEN_END when open)
    capacity: np.ndarray  # float64, NaN when not stated (or, for a need, not above zero)
    unit: np.ndarray  # int32 unit code
    weight: np.ndarray  # float64: 6 - priority
    text: TextCodes  # distinct descriptions and each declaration's code

    def __len__(self) -> int:
        return len(self.owner)

    @classmethod
    def of(cls, declarations: Sequence[tuple[int, Declaration]], book: Codebook, index: TextIndex,
           need_side: bool) -> Columns:
        """The columns of (owner, declaration) pairs; `book` codes kinds, regions and units."""
        rows = []
        for owner, d in declarations:  # one pass: a directory has millions of declarations
            capacity = d.capacity
            stated = capacity is not None and not (need_side and capacity <= 0)
            rows.append((owner, book.kind(d.kind), book.region(d.region),
                         OPEN_START if d.window.starts_on is None else d.window.starts_on.toordinal(),
                         OPEN_END if d.window.ends_on is None else d.window.ends_on.toordinal(),
                         float(capacity) if stated else np.nan, book.unit(d.unit), d.weight))
        table = np.array(rows, dtype=np.float64).reshape(len(rows), 8)
        ints = table[:, :5].astype(np.int32)
        text = code_texts(index, [d.description for _, d in declarations])
        return cls(ints[:, 0].copy(), ints[:, 1].copy(), ints[:, 2].copy(), ints[:, 3].copy(), ints[:, 4].copy(),
                   table[:, 5].copy(), table[:, 6].astype(np.int32), table[:, 7].copy(), text)


def resources_of(holders: Sequence[Holder]) -> list[tuple[int, Declaration]]:
    return [(i, r) for i, h in enumerate(holders) for r in h.resources]


def needs_of(holders: Sequence[Holder]) -> list[tuple[int, Declaration]]:
    return [(i, n) for i, h in enumerate(holders) for n in h.needs]


def window_fits(r_start: np.ndarray, r_end: np.ndarray, n_start: np.ndarray, n_end: np.ndarray) -> np.ndarray:
    """score.window_fit, broadcast over arrays of day numbers (open ends as OPEN_START/OPEN_END)."""
    lo = np.maximum(r_start, n_start)
    hi = np.minimum(r_end, n_end)
    overlap = (hi - lo + 1).astype(np.float64)
    bounded = (n_start != OPEN_START) & (n_end != OPEN_END)
    length = np.where(bounded, (n_end - n_start + 1), 1).astype(np.float64)
    fraction = np.where(bounded, overlap / length, 1.0)
    return np.where(overlap > 0, fraction, 0.0)


def contributions(res: Columns, needs: Columns, text_sims: np.ndarray, fits: np.ndarray,
                  rows: slice = slice(None), cols: slice = slice(None)) -> np.ndarray:
    """f(r, n) for the resources `rows` and needs `cols`: a (resources, needs) array.

    `text_sims[i, j]` is the similarity of the i-th distinct resource text and the j-th distinct
    need text; `fits` is Codebook.kind_fits(). Factors multiply in score.Fit's order (m, g, w, s).
    """
    rc = lambda a: a[rows][:, None]  # noqa: E731 - a column of the resources' values
    nc = lambda a: a[cols][None, :]  # noqa: E731 - a row of the needs' values
    r_text, n_text = res.text.codes[rows], needs.text.codes[cols]
    k = fits[rc(res.kind), nc(needs.kind)]
    t = text_sims[r_text[:, None], n_text[None, :]]
    both = ~res.text.blank[r_text][:, None] & ~needs.text.blank[n_text][None, :]
    f = np.where(both, (1 - ALPHA) * k + ALPHA * t, k)
    r_region, n_region = rc(res.region), nc(needs.region)
    f *= (r_region == n_region) | (r_region == 0) | (n_region == 0)
    with np.errstate(invalid="ignore", over="ignore"):
        f *= window_fits(rc(res.start), rc(res.end), nc(needs.start), nc(needs.end))
        r_cap, n_cap = rc(res.capacity), nc(needs.capacity)
        comparable = (rc(res.unit) == nc(needs.unit)) & ~np.isnan(r_cap) & ~np.isnan(n_cap)
        f *= np.where(comparable, r_cap / n_cap, 1.0)
    return f


def coverage_matrix(res: Columns, needs: Columns, fits: np.ndarray, holders: int) -> np.ndarray:
    """c(n, B) for every holder B (rows, by `res.owner`) and need n (columns), in [0, 1].

    `res` must list each holder's resources together, holders in increasing order (as
    `resources_of` does), so one holder's fits add up in the order score.py adds them.
    """
    out = np.zeros((holders, len(needs)), dtype=np.float64)
    if len(res) == 0 or len(needs) == 0:
        return out
    sims = similarities(res.text.rows, needs.text.rows)
    owners, starts = np.unique(res.owner, return_index=True)
    assert np.all(np.diff(res.owner) >= 0), "resources must be grouped by holder"
    step = max(1, CHUNK_CELLS // max(1, len(res)))
    for lo in range(0, len(needs), step):
        cols = slice(lo, min(len(needs), lo + step))
        f = contributions(res, needs, sims, fits, cols=cols)
        out[owners, cols] = np.add.reduceat(f, starts, axis=0)
    np.minimum(out, 1.0, out=out)
    return out


def _columns(resources: Sequence[tuple[int, Declaration]], needs: Sequence[tuple[int, Declaration]],
             index: TextIndex) -> tuple[Columns, Columns, np.ndarray]:
    book = Codebook()
    res = Columns.of(resources, book, index, need_side=False)
    nds = Columns.of(needs, book, index, need_side=True)
    return res, nds, book.kind_fits()


def pair_matrix(holders: Sequence[Holder], text: TextIndex | None = None) -> np.ndarray:
    """S(A <- B) for every ordered pair: row A (whose needs), column B (whose resources); NaN diagonal.

    `text` defaults to the index fitted on all the holders' descriptions (score.context_index).
    """
    if text is None:
        text = context_index(holders)
    res, needs, fits = _columns(resources_of(holders), needs_of(holders), text)
    cover = coverage_matrix(res, needs, fits, len(holders))  # [B, n]
    scores = np.zeros((len(holders), len(holders)), dtype=np.float64)
    if len(needs):
        askers, starts = np.unique(needs.owner, return_index=True)
        weighted = np.add.reduceat(cover * needs.weight[None, :], starts, axis=1)  # [B, A with needs]
        totals = np.add.reduceat(needs.weight, starts)
        scores[askers, :] = (weighted / totals[None, :]).T
    np.fill_diagonal(scores, np.nan)
    return scores


def coverage(needs: Sequence[Declaration], candidates: Sequence[Holder], text: TextIndex | None = None) -> np.ndarray:
    """c(n, candidate) for each candidate (rows) and need (columns): the coalition solver's input.

    `text` defaults to the index fitted on the needs' and the candidates' descriptions.
    """
    if text is None:
        text = TextIndex.fit([n.description for n in needs]
                             + [d.description for h in candidates for d in h.declarations])
    res, nds, fits = _columns(resources_of(candidates), [(0, n) for n in needs], text)
    return coverage_matrix(res, nds, fits, len(candidates))
