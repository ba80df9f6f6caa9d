"""Innovation contribution: the score the coordinator entered for the member and period, if any;
else the scorecard's KPI `joint_patents` in the period, 25 points a patent (4 or more: 100)."""

from __future__ import annotations

from fractions import Fraction

from alliance.core.messages import Message
from alliance.health.ratings.engine import InputScore, shown
from alliance.health.ratings.inputs.base import Period, RatingInput, Source, clamp, kpi_values, neutral

KPI = "joint_patents"
POINTS_PER_PATENT = 25


class Innovation(RatingInput):
    code = "innovation"
    title = Message("innovation contribution")

    def score(self, source: Source, member: str, period: Period) -> InputScore:
        entered = source.innovation_entry(member, period.name)
        if entered is not None:
            return InputScore(self.code, clamp(entered), {"entered_score": shown(entered)})
        values = kpi_values(source, KPI, member, period)
        if not values:
            return neutral(self.code, {"kpi": KPI}, Message("no innovation score entered: neutral 50"))
        patents = sum(values, Fraction(0))
        return InputScore(self.code, clamp(patents * POINTS_PER_PATENT), {"kpi": KPI, "joint_patents": shown(patents)})
