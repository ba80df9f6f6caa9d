"""Fulfilment, disputes lost: disputes ruled in the period against the member (it pays under the
award, or its claim was rejected). 100 with none lost, 25 points less for each, never below 0."""

from __future__ import annotations

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
