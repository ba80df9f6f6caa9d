"""Fulfilment, disputes lost: disputes ruled in the period against the member (it pays under the
award, or its claim was rejected). 100 with none lost, 25 points less for each, never below 0."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from alliance.core.messages import Message
from alliance.health.ratings.engine import InputScore
from alliance.health.ratings.inputs.base import Period, RatingInput, Source, clamp

PENALTY = 25


class DisputesLost(RatingInput):
    code = "disputes"
    title = Message("disputes lost")

    def score(self, source: Source, member: str, period: Period) -> InputScore:
        ruled, lost = source.disputes(member, period.first, period.last)
        return InputScore(self.code, clamp(Fraction(100 - PENALTY * lost)), {"ruled": str(ruled), "lost": str(lost)})


@dataclass(frozen=True)
class RuledDispute:
    number: int
    claimant: str
    respondents: tuple[str, ...]
    ruled_on: date                 # the day it was ruled, in the alliance's time zone


def count_lost(ruled: Iterable[RuledDispute], payers: Mapping[int, set[str]], member: str, first: date,
               last: date) -> tuple[int, int]:
    """(disputes of `member` ruled in [first, last], those ruled against it). Against it: it pays
    under the award (`payers`: the payers of each dispute's correction), or the award is empty (the
    claim rejected) and it was the claimant."""
    count = lost = 0
    for d in ruled:
        if member != d.claimant and member not in d.respondents:
            continue
        if not first <= d.ruled_on <= last:
            continue
        count += 1
        paying = payers.get(d.number)
        if (paying and member in paying) or (not paying and member == d.claimant):
            lost += 1
    return count, lost
