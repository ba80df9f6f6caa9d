"""Fulfilment, delivery: on-time delivery of pledged resources, the scorecard's KPI
`resource_contribution` (the share of pledges delivered on time, in %), averaged over the period."""

from __future__ import annotations

from fractions import Fraction

from alliance.core.messages import Message
from alliance.health.ratings.engine import InputScore, shown
from alliance.health.ratings.inputs.base import Period, RatingInput, Source, clamp, kpi_values, neutral

KPI = "resource_contribution"


class Delivery(RatingInput):
    code = "delivery"
    title = Message("on-time delivery (pledges kept)")

    def score(self, source: Source, member: str, period: Period) -> InputScore:
        values = kpi_values(source, KPI, member, period)
        if not values:
            return neutral(self.code, {"kpi": KPI, "values": "0"}, Message("no pledges due in the period: neutral 50"))
        mean = sum(values, Fraction(0)) / len(values)
        return InputScore(self.code, clamp(mean), {"kpi": KPI, "values": str(len(values)), "on_time_pct": shown(mean)})
