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

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from alliance.matching.model import Declaration, Holder, Side
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
        # codes by the text as written, so a million declarations normalise each spelling once
        self._region_as_written: dict[str, int] = {}
        self._unit_as_written: dict[str, int] = {}

    def kind(self, key: str) -> int:
        return self.kinds.setdefault(key, len(self.kinds))

    def region(self, name: str) -> int:
        code = self._region_as_written.get(name)
        if code is None:
            code = self._region_as_written[name] = self.regions.setdefault(_normal(name), len(self.regions))
        return code

    def unit(self, name: str) -> int:
        code = self._unit_as_written.get(name)
        if code is None:
            code = self._unit_as_written[name] = self.units.setdefault(_normal(name), len(self.units))
        return code

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
    def of(cls, owned: Owned, book: Codebook, index: TextIndex, need_side: bool) -> Columns:
        """The columns of `owned` declarations; `book` codes kinds, regions and units."""
        owners, declarations = owned
        n = len(declarations)

        # One comprehension per field, no tuple per row: a directory has millions of declarations
        # (a loop building rows takes several times as long, much of it in the garbage collector).
        def ints(values: Iterable[int]) -> np.ndarray:
            return np.fromiter(values, dtype=np.int32, count=n)

        def floats(values: Iterable[float]) -> np.ndarray:
            return np.fromiter(values, dtype=np.float64, count=n)

        windows = [d.window for d in declarations]
        capacities = [d.capacity for d in declarations]
        return cls(
            owner=np.asarray(owners, dtype=np.int32).reshape(n),
            kind=ints(map(book.kind, [d.kind for d in declarations])),
            region=ints(map(book.region, [d.region for d in declarations])),
            start=ints(OPEN_START if w.starts_on is None else w.starts_on.toordinal() for w in windows),
            end=ints(OPEN_END if w.ends_on is None else w.ends_on.toordinal() for w in windows),
            capacity=floats(np.nan if c is None or (need_side and c <= 0) else float(c) for c in capacities),
            unit=ints(map(book.unit, [d.unit for d in declarations])),
            weight=floats(d.weight for d in declarations),
            text=code_texts(index, [d.description for d in declarations]),
        )


# Declarations and the index of the holder of each, as two parallel lists.
Owned = tuple[Sequence[int], Sequence[Declaration]]


def _side_of(holders: Sequence[Holder], side: Side) -> Owned:
    owners: array[int] = array("i")
    declarations: list[Declaration] = []
    for i, h in enumerate(holders):
        for d in h.declarations:
            if d.side is side:
                owners.append(i)
                declarations.append(d)
    return owners, declarations


def resources_of(holders: Sequence[Holder]) -> Owned:
    """The holders' resources in holder order, each holder's in its own order."""
    return _side_of(holders, Side.RESOURCE)


def needs_of(holders: Sequence[Holder]) -> Owned:
    return _side_of(holders, Side.NEED)


class Kernel:
    """f(r, n) for blocks of (resource, need) cells: the factors of score.Fit as table look-ups.

    Built once per scoring context: small tables indexed by codes, so that each factor of a block
    is one row gather of a table's columns (fast: contiguous copies) or one array operation.
    """

    def __init__(self, res: Columns, needs: Columns, fits: np.ndarray) -> None:
        self.res, self.needs = res, needs
        # kind fit k by (resource kind, need kind) code; a blank description needs no flag of its own:
        # its t is 0, so m = k + ALPHA * t * (1 - k) is k
        self.kind_fit = fits
        # ALPHA * t between distinct texts (a blank text's row is zero: no term, as score.match)
        self.alpha_text = ALPHA * similarities(res.text.rows, needs.text.rows)
        regions = int(max(res.region.max(initial=0), needs.region.max(initial=0))) + 1
        same = np.eye(regions, dtype=bool)
        same[0, :] = same[:, 0] = True  # "" is anywhere
        self.region_fit = same.astype(np.float64)
        # w once per (distinct resource window, distinct need window), looked up per cell
        r_windows, self.r_window = _distinct_windows(res)
        n_windows, self.n_window = _distinct_windows(needs)
        self.window_fit = window_table(r_windows, n_windows)
        # capacities compare only when both are stated in the same unit (-1: not stated): the
        # resources of each unit, so that s is applied to those cells only (elsewhere s = 1)
        r_unit = np.where(np.isnan(res.capacity), -1, res.unit)
        self.n_unit = np.where(np.isnan(needs.capacity), -1, needs.unit)
        self.sized = {int(u): np.flatnonzero(r_unit == u) for u in np.unique(r_unit) if u >= 0}

    def block(self, cols: slice) -> np.ndarray:
        """f(r, n) for every resource (rows) and the needs `cols` (columns); m * g * w * s in that order."""
        res, needs = self.res, self.needs
        k = self.kind_fit[:, needs.kind[cols]][res.kind]
        f = self.alpha_text[:, needs.text.codes[cols]][res.text.codes]  # ALPHA * t
        f *= 1.0 - k
        f += k  # m = k + ALPHA * t * (1 - k)
        f *= self.region_fit[:, needs.region[cols]][res.region]
        f *= self.window_fit[:, self.n_window[cols]][self.r_window]
        n_unit = self.n_unit[cols]
        for unit in np.unique(n_unit[n_unit >= 0]):
            rows = self.sized.get(int(unit))
            if rows is not None:
                columns = np.flatnonzero(n_unit == unit)
                cells = np.ix_(rows, columns)
                f[cells] *= np.minimum(res.capacity[rows][:, None] / needs.capacity[cols][columns][None, :], 1.0)
        return f


def _distinct_windows(side: Columns) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """The distinct (start, end) windows of a side and each declaration's code among them."""
    pairs = np.stack([side.start, side.end], axis=1)
    distinct, codes = np.unique(pairs, axis=0, return_inverse=True)
    return (distinct[:, 0], distinct[:, 1]), codes.reshape(-1).astype(np.int32)


def window_table(available: tuple[np.ndarray, np.ndarray], wanted: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """score.window_fit for every (available, wanted) pair of windows given as (starts, ends) day numbers.

    days = min(ends) + 1 - max(starts); for a wanted window bounded at both ends the fraction
    days / its length clipped at 0, for one open at an end or both 1 when days > 0, else 0
    (a fully open window on either side comes out as 1 by the same arithmetic).
    """
    r_start, r_end = (a[:, None] for a in available)
    n_start, n_end = (a[None, :] for a in wanted)
    days = np.minimum(r_end, n_end) + 1 - np.maximum(r_start, n_start)
    bounded = (n_start != OPEN_START) & (n_end != OPEN_END)
    length = np.where(bounded, n_end - n_start + 1, 1)
    return np.where(bounded, np.maximum(days, 0) / length, (days > 0).astype(np.float64))


def coverage_matrix(res: Columns, needs: Columns, fits: np.ndarray, holders: int) -> np.ndarray:
    """c(n, B) for every holder B (rows, by `res.owner`) and need n (columns), in [0, 1].

    `res` lists each holder's resources in the holder's order (as `resources_of` does), so one
    holder's fits add up in the order score.py adds them.
    """
    out = np.zeros((holders, len(needs)), dtype=np.float64)
    if len(res) == 0 or len(needs) == 0:
        return out
    kernel = Kernel(res, needs, fits)
    # Sums per holder as a product with the 0/1 matrix of who holds which resource: CSR rows add
    # their entries in order, and it is several times faster than np.add.reduceat along axis 0.
    holds = sp.csr_matrix((np.ones(len(res)), (res.owner, np.arange(len(res)))), shape=(holders, len(res)))
    step = max(1, CHUNK_CELLS // len(res))
    for lo in range(0, len(needs), step):
        cols = slice(lo, min(len(needs), lo + step))
        out[:, cols] = holds @ kernel.block(cols)
    np.minimum(out, 1.0, out=out)
    return out


def _columns(resources: Owned, needs: Owned, index: TextIndex) -> tuple[Columns, Columns, np.ndarray]:
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
    res, nds, fits = _columns(resources_of(candidates), ([0] * len(needs), needs), text)
    return coverage_matrix(res, nds, fits, len(candidates))
