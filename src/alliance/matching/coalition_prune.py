"""Dropping candidates no best coalition needs, before a solver sees them. Pure.

Two rules; a forced (must-include) candidate is never dropped.

1. A candidate that covers nothing. Costs are above zero, so leaving it out of any coalition keeps
   every need's coverage and lowers the cost: no best coalition (full or partial) holds it.

2. A candidate d "dominated" by at least k others. c dominates d (c > d) when
      cover[c, n] >= cover[d, n] for every need n, cost(c) <= cost(d),
      region(c) is d's region or none ("" is unconstrained), and
      c is better somewhere (a cover or the cost) or, equal in everything, comes first by code.
   This is a strict partial order: irreflexive, and transitive (the region condition chains because
   a region-less c passes it on to its own dominators, which must then be region-less too; equal
   rows fall back on the code order). Why dropping d is safe: take any coalition P that holds d and
   obeys the constraints, |P| <= k. At most k - 1 others are in P, so one of d's k dominators, c,
   is not; P - d + c obeys the constraints (c is allowed; it is region-less or in d's region, which
   only d used; forced members stay), covers every need at least as much, costs no more and has no
   less total coverage; when all those are equal, its codes sort earlier. So it is at least as good
   by every tie-break (coalition.py). Repeat the swap; it ends, because every swap moves P strictly
   up the order (a linear extension of ">" ranks coalitions), and ends in a coalition without
   dropped candidates that is as good. Coverage adds up per need, so one dominator is not enough:
   {c, d} can be needed where c alone does not suffice, hence k of them.

   Under the one-per-region rule, one dominator in d's own region is enough: a coalition holding d
   uses d's region, so it cannot hold that dominator, and the same swap applies.

   Counting all dominators is O(candidates^2); counting them among a small elite (the best few
   candidates per need) gives a lower bound on the count, which keeps the rule safe and finds most
   of the dominated ones, because their dominators are exactly the strong candidates.

The partners-needed diagnostic (no k) is not pruned by rule 2, whose proof needs |P| <= k.
"""

from __future__ import annotations

import numpy as np

from alliance.matching.coalition_problem import Instance

# Candidates per need (and by total coverage) that may serve as dominators, round by round: a
# small elite first thins the field cheaply, then larger ones on what is left. Each round is the
# rule applied to the instance the previous round left, whose best coalitions are the original's.
ELITE_ROUNDS = (16, 64, 256)
BLOCK_ELEMENTS = 4_000_000  # compare in blocks of this many cells, to bound the memory


def prune(instance: Instance) -> Instance:
    """The instance without the candidates the two rules drop (module docstring)."""
    covers = instance.cover.max(axis=1, initial=0.0) > 0.0 if instance.cover.shape[1] else np.zeros(instance.size, bool)
    instance = instance.subset(covers | instance.forced)
    if (instance.regions >= 0).any():
        instance = instance.subset(~_dominated_in_region(instance) | instance.forced)
    for per_need in ELITE_ROUNDS:
        if instance.size <= instance.k:
            break
        instance = instance.subset(~_dominated(instance, per_need) | instance.forced)
    return instance


def _dominated(instance: Instance, per_need: int) -> np.ndarray:
    """True where a candidate has at least k dominators among the elite."""
    cover, size = instance.cover, instance.size
    elite = _elite(instance, per_need)
    if len(elite) < instance.k:
        return np.zeros(size, dtype=bool)
    cost_rank = _cost_ranks(instance)
    e_cover = cover[elite]  # elite x needs
    e_cost, e_region, e_index = cost_rank[elite], instance.regions[elite], elite
    counts = np.zeros(size, dtype=np.int64)
    block = max(1, BLOCK_ELEMENTS // max(1, len(elite) * cover.shape[1]))
    for start in range(0, size, block):
        d = np.arange(start, min(size, start + block))
        at_least = (e_cover[None, :, :] >= cover[d][:, None, :]).all(axis=2)  # d x elite
        better = (e_cover[None, :, :] > cover[d][:, None, :]).any(axis=2)
        cheaper_or_same = e_cost[None, :] <= cost_rank[d][:, None]
        strictly = better | (e_cost[None, :] < cost_rank[d][:, None]) | (e_index[None, :] < d[:, None])
        region_ok = (e_region[None, :] == -1) | (e_region[None, :] == instance.regions[d][:, None])
        counts[d] = (at_least & cheaper_or_same & strictly & region_ok).sum(axis=1)
    return counts >= instance.k


def _dominated_in_region(instance: Instance) -> np.ndarray:
    """True where a candidate has a dominator in its own region (under the one-per-region rule)."""
    out = np.zeros(instance.size, dtype=bool)
    cost_rank = _cost_ranks(instance)
    for region in np.unique(instance.regions[instance.regions >= 0]):
        inside = np.flatnonzero(instance.regions == region)
        c, cost = instance.cover[inside], cost_rank[inside]
        block = max(1, BLOCK_ELEMENTS // max(1, len(inside) * c.shape[1]))
        for start in range(0, len(inside), block):
            d = slice(start, start + block)  # rows: the candidates d; columns: their rivals e
            at_least = (c[None, :, :] >= c[d][:, None, :]).all(axis=2)
            better = (c[None, :, :] > c[d][:, None, :]).any(axis=2)
            strictly = better | (cost[None, :] < cost[d][:, None]) | (inside[None, :] < inside[d][:, None])
            out[inside[d]] = (at_least & (cost[None, :] <= cost[d][:, None]) & strictly).any(axis=1)
    return out


def _elite(instance: Instance, m: int) -> np.ndarray:
    """The best m per need and by total coverage; under the region rule only region-less ones,
    the only ones that can dominate across regions (own-region dominance is counted apart)."""
    pool = np.flatnonzero(instance.regions < 0)
    cover = instance.cover[pool]
    picks = [np.argsort(-(cover @ instance.weights), kind="stable")[:m]]
    for n in range(cover.shape[1]):
        picks.append(np.argsort(-cover[:, n], kind="stable")[:m])
    return pool[np.unique(np.concatenate(picks))]


def _cost_ranks(instance: Instance) -> np.ndarray:
    """Each cost's rank among the distinct exact costs (equal costs, equal ranks)."""
    distinct = sorted(set(instance.costs))
    rank = {cost: i for i, cost in enumerate(distinct)}
    return np.array([rank[c] for c in instance.costs], dtype=np.int64)
