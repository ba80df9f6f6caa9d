"""What the coalition solver answers: the coalition, how it covers each need, and why not when it
cannot cover them all. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

import numpy as np

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.matching.coalition_problem import Instance


class Outcome(StrEnum):
    COVERED = "covered"  # every need covered within the constraints
    UNCOVERABLE = "uncoverable"  # some needs: all the allowed candidates together cover less than 1
    REGIONS = "regions"  # the one-per-region rule leaves some need uncovered, whatever the k
    TOO_FEW_PARTNERS = "too_few_partners"  # every need can be covered, but only with more than k partners
    UNDECIDED = "undecided"  # no full cover found before the time limit, none proven impossible


@dataclass(frozen=True, slots=True)
class NeedCoverage:
    need: str
    weight: float
    total: float  # sum of the partners' covers (can exceed 1: spare capacity)
    by: tuple[tuple[str, float], ...]  # (partner code, its cover), largest first, then by code
    covered: bool  # total >= 1 - COVER_TOLERANCE


@dataclass(frozen=True, slots=True)
class Baseline:
    """The greedy coalition, computed in the same call for comparison (coalition_search.py)."""

    codes: tuple[str, ...]
    cost: Decimal
    score: float
    complete: bool


@dataclass(frozen=True)
class CoalitionResult:
    """The answer. `codes` is the best coalition covering every need when `complete`; otherwise the
    best partial coalition (most covered weight within k, no idle partner), with `outcome` and
    `explanation()` saying why no coalition covers every need."""

    outcome: Outcome
    codes: tuple[str, ...]  # in code order
    cost: Decimal
    coverage: tuple[NeedCoverage, ...]  # one per need, in the needs' order
    score: float  # weighted share of the needs covered, each need counting at most fully; 1 if complete
    optimal: bool  # proven best (the cost if complete; the outcome and the covered weight if not)
    solver: str  # "highs", "highs-time-limit", "greedy" or "brute-force"
    greedy: Baseline
    k: int
    uncoverable: tuple[str, ...] = ()  # needs no allowed candidates can cover (under the region rule)
    partners_needed: int | None = None  # fewest partners covering every need, when over k and known
    objections: tuple[str | Problem, ...] = ()  # the screening's, about `codes`; empty = none
    allowed: int = 0  # candidates allowed (not must-excluded)
    considered: int = 0  # of them, the ones the solver looked at after pruning (coalition_prune.py)

    @property
    def complete(self) -> bool:
        return self.outcome is Outcome.COVERED

    @property
    def uncovered(self) -> tuple[str, ...]:
        """The needs `codes` leaves not fully covered."""
        return tuple(c.need for c in self.coverage if not c.covered)

    @property
    def cost_gap(self) -> Decimal | None:
        """How much more the greedy coalition costs; None unless both cover every need."""
        return self.greedy.cost - self.cost if self.complete and self.greedy.complete else None

    @property
    def score_gap(self) -> float:
        """How much more weight this coalition covers than the greedy one (0 when both are complete)."""
        return self.score - self.greedy.score

    def explanation(self) -> Message | None:
        """Why no coalition covers every need (None when one does)."""
        if self.outcome is Outcome.UNCOVERABLE:
            return Message("Nobody among the allowed candidates can cover {needs}", needs=", ".join(self.uncoverable))
        if self.outcome is Outcome.REGIONS and self.uncoverable:
            return Message("With at most one partner per region, nobody can cover {needs}",
                           needs=", ".join(self.uncoverable))
        if self.outcome is Outcome.REGIONS:
            return Message("With at most one partner per region, no coalition covers every need")
        if self.outcome is Outcome.TOO_FEW_PARTNERS and self.partners_needed is not None:
            return Message("Covering every need takes {needed} partners, but at most {k} are allowed",
                           needed=self.partners_needed, k=self.k)
        if self.outcome is Outcome.TOO_FEW_PARTNERS:
            return Message("Covering every need takes more than {k} partners", k=self.k)
        if self.outcome is Outcome.UNDECIDED:
            return Message("No coalition covering every need was found within the time limit")
        return None

    def require_complete(self) -> CoalitionResult:
        """This result if it covers every need; raises CoalitionInfeasible otherwise."""
        if not self.complete:
            raise CoalitionInfeasible(self)
        return self


class CoalitionInfeasible(InvalidInput):
    """No coalition covers every need; carries the result (with its best partial coalition)."""

    code = "coalition_infeasible"
    title = Message("No coalition covers every need")

    def __init__(self, result: CoalitionResult) -> None:
        reason = Message("nobody among the allowed candidates can cover it")
        super().__init__(result.explanation() or Message("No coalition covers every need"),
                         [Problem(need, "", reason) for need in result.uncoverable])
        self.result = result


def assess(instance: Instance, codes: Sequence[str]) -> tuple[Decimal, tuple[NeedCoverage, ...], float]:
    """A coalition's exact cost, its coverage of each need and its score, on `instance`."""
    where = {code: i for i, code in enumerate(instance.codes)}
    members = sorted(where[c] for c in codes)
    cost = sum((instance.costs[i] for i in members), Decimal(0))
    rows = instance.cover[members] if members else np.zeros((0, len(instance.needs)))
    totals = rows.sum(axis=0)
    covered = instance.covered(totals)
    coverage = []
    for n, need in enumerate(instance.needs):
        by = sorted(((instance.codes[i], float(instance.cover[i, n])) for i in members if instance.cover[i, n] > 0),
                    key=lambda pair: (-pair[1], pair[0]))
        coverage.append(NeedCoverage(need, float(instance.weights[n]), float(totals[n]), tuple(by), bool(covered[n])))
    weight = float(instance.weights.sum())
    capped = np.where(covered, 1.0, np.minimum(1.0, totals))
    score = float(capped @ instance.weights) / weight if weight else 1.0
    return cost, tuple(coverage), score
