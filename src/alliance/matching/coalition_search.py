"""The coalition without an integer programme: greedy (the fallback and the baseline) and brute
force (small cases; the tests' reference). Pure.

Greedy starts from the must-includes and, while fewer than k partners are chosen and some need is
not covered, adds the allowed candidate with the largest newly covered weight per cost,
    gain(c) = sum_n w_n * (min(1, t_n + cover[c, n]) - min(1, t_n)),  t = coverage so far,
skipping regions already used under the one-per-region rule; ties go to the earlier code. It stops
when nothing adds coverage. When costs differ and that coalition does not cover every need (cheap
partners that each add little used up the k places), greedy runs again by gain alone and keeps
that one if it covers every need. A full cover is then trimmed: partners whose removal keeps every need
covered leave, the most expensive first (later codes first among equal costs). Greedy gives no
guarantee: it may miss a cover that exists, or pay more than the optimum.

Brute force tries every coalition within the constraints and keeps the best by the documented
order (coalition.py): cheapest, then most total coverage, then the earliest codes; for a partial
cover, most covered weight, then cheapest, then the earliest codes.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import combinations
from math import comb

import numpy as np

from alliance.matching.coalition_problem import Instance

BRUTE_FORCE_LIMIT = 200_000  # coalitions; brute force is for small cases
GAIN_EPSILON = 1e-12


def greedy(instance: Instance) -> tuple[int, ...]:
    """The greedy coalition (module docstring): indexes in code order; it may not cover every need."""
    price = instance.objective / max(1e-300, float(instance.objective.max(initial=1.0)))
    chosen = _greedy(instance, price)
    if instance.covered(instance.cover[list(chosen)].sum(axis=0)).all() or np.all(price == price[:1]):
        return chosen
    # Cheap partners that each add little can use up the k places: then by gain alone.
    by_gain = _greedy(instance, np.ones(instance.size))
    if instance.covered(instance.cover[list(by_gain)].sum(axis=0)).all():
        return by_gain
    return chosen


def _greedy(instance: Instance, price: np.ndarray) -> tuple[int, ...]:
    chosen = [int(i) for i in np.flatnonzero(instance.forced)]
    totals = instance.cover[chosen].sum(axis=0) if chosen else np.zeros(len(instance.needs))
    open_ = ~instance.forced
    _block_regions(instance, chosen, open_)
    while len(chosen) < instance.k and not instance.covered(totals).all() and open_.any():
        capped = np.minimum(1.0, totals)
        gain = (np.minimum(1.0, totals[None, :] + instance.cover) - capped[None, :]) @ instance.weights
        ratio = np.where(open_ & (gain > GAIN_EPSILON), gain / price, -np.inf)
        best = int(np.argmax(ratio))  # the first of equal ratios: the earliest code
        if ratio[best] == -np.inf:
            break
        chosen.append(best)
        totals = totals + instance.cover[best]
        open_[best] = False
        _block_regions(instance, [best], open_)
    if instance.covered(totals).all():
        chosen = _trimmed(instance, chosen, totals)
    return tuple(sorted(chosen))


def _block_regions(instance: Instance, chosen: list[int], open_: np.ndarray) -> None:
    for i in chosen:
        if instance.regions[i] >= 0:
            open_ &= instance.regions != instance.regions[i]


def _trimmed(instance: Instance, chosen: list[int], totals: np.ndarray) -> list[int]:
    keep = list(chosen)
    for i in sorted(chosen, key=lambda i: (instance.costs[i], i), reverse=True):
        if instance.forced[i]:
            continue
        rest = totals - instance.cover[i]
        if instance.covered(rest).all():
            keep.remove(i)
            totals = rest
    return keep


def brute_force(instance: Instance, *, full: bool) -> tuple[int, ...] | None:
    """The best coalition by trying them all: the cheapest full cover (None when none exists) when
    `full`, else the best partial cover. Raises ValueError past BRUTE_FORCE_LIMIT coalitions."""
    forced = [int(i) for i in np.flatnonzero(instance.forced)]
    free = [int(i) for i in np.flatnonzero(~instance.forced)]
    room = instance.k - len(forced)
    count = sum(comb(len(free), r) for r in range(room + 1))
    if count > BRUTE_FORCE_LIMIT:
        raise ValueError(f"brute force over {count} coalitions is beyond its limit of {BRUTE_FORCE_LIMIT}")
    best_key, best = None, None
    for r in range(room + 1):
        for extra in combinations(free, r):
            members = sorted([*forced, *extra])
            if not _regions_ok(instance, members):
                continue
            totals = instance.cover[members].sum(axis=0) if members else np.zeros(len(instance.needs))
            cost = sum((instance.costs[i] for i in members), Decimal(0))
            codes = tuple(instance.codes[i] for i in members)
            if full:
                if not instance.covered(totals).all():
                    continue
                key = (cost, -round(float(totals @ instance.weights), 9), codes)
            else:
                key = (-round(float(np.minimum(1.0, totals) @ instance.weights), 9), cost, codes)
            if best_key is None or key < best_key:
                best_key, best = key, tuple(members)
    return best


def _regions_ok(instance: Instance, members: list[int]) -> bool:
    regions = instance.regions[members]
    regions = regions[regions >= 0]
    return len(np.unique(regions)) == len(regions)
