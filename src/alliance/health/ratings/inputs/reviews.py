"""User reviews: the mean of the imported star reviews (1-5) of the period, 1 star = 0, 5 stars = 100."""

from __future__ import annotations

from fractions import Fraction

from alliance.core.messages import Message
from alliance.health.ratings.engine import InputScore, shown
from alliance.health.ratings.inputs.base import Period, RatingInput, Source, neutral


class Reviews(RatingInput):
    code = "reviews"
    title = Message("user reviews")

    def score(self, source: Source, member: str, period: Period) -> InputScore:
        stars = source.review_stars(member, period.first, period.last)
        if not stars:
            return neutral(self.code, {"reviews": "0"}, Message("no reviews in the period: neutral 50"))
        mean = Fraction(sum(stars), len(stars))
        return InputScore(self.code, (mean - 1) * 25, {"reviews": str(len(stars)), "mean_stars": shown(mean)})
