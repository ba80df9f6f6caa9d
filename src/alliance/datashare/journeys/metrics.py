"""The journey metrics, one registry entry per metric: what it is called, its formula in words,
and its value from the per-member counts the fact store returns (pure: no I/O).

Counts (`COUNTS`), per member m and calendar month P, over the events at m in P that m shared
itself (docs/journey-metrics.md says why):
- `buyers`: distinct customers with at least one purchase;
- `repeat_buyers`: of those, the customers with at least two purchases;
- `cross_buyers`: of those, the customers who also bought at another member of the alliance in P;
- `referrals`: referral events;
- `customers`: distinct customers with any event;
- `events`: events counted.
For the alliance as a whole the same counts are taken over every member's events at once (a buyer
is counted once however many members he bought at; a repeat buyer bought twice anywhere; a
cross-member buyer bought at two or more members).

A ratio with a zero denominator is 0 (no buyers: nothing to reward). Values are Decimal, rounded
half-even to the metric's places, so the same counts always give the same recorded value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from alliance.core.messages import Message

COUNTS = ("buyers", "repeat_buyers", "cross_buyers", "referrals", "customers", "events")


@dataclass(frozen=True, slots=True)
class Ratio:
    """numerator / denominator of two counts, 0 when the denominator is 0."""

    numerator: str
    denominator: str

    def of(self, counts: Mapping[str, int]) -> Decimal:
        below = counts[self.denominator]
        return Decimal(0) if below == 0 else Decimal(counts[self.numerator]) / Decimal(below)


@dataclass(frozen=True, slots=True)
class Count:
    """One count as it is (a whole number)."""

    numerator: str
    denominator: None = None

    def of(self, counts: Mapping[str, int]) -> Decimal:
        return Decimal(counts[self.numerator])


@dataclass(frozen=True, slots=True)
class JourneyMetric:
    """One metric: its period-metric name, title, formula (for people) and how it is measured.

    `across_members`: the value depends on the other members' events too (whether a buyer also
    bought elsewhere), so its inputs' digest is `MonthCounts.crossings`, not only the member's own."""

    name: str
    title: Message
    formula: Message
    places: int
    measure: Ratio | Count
    across_members: bool = False

    def value(self, counts: Mapping[str, int]) -> Decimal:
        """The metric's value from the counts, rounded half-even to its places."""
        exponent = Decimal(1).scaleb(-self.places)
        return self.measure.of(counts).quantize(exponent, rounding=ROUND_HALF_EVEN)

    def numerator(self, counts: Mapping[str, int]) -> int:
        return counts[self.measure.numerator]

    def denominator(self, counts: Mapping[str, int]) -> int | None:
        return None if self.measure.denominator is None else counts[self.measure.denominator]


_ENTRIES = (
    JourneyMetric("repurchase_rate", Message("Repurchase rate"),
                  Message("customers with 2 or more purchases at the member in the month / customers with "
                          "at least 1 purchase there (buyers)"),
                  4, Ratio("repeat_buyers", "buyers")),
    JourneyMetric("cross_member_purchase_rate", Message("Cross-member purchase rate"),
                  Message("buyers at the member who also bought at another member of the alliance in the "
                          "month / buyers at the member"),
                  4, Ratio("cross_buyers", "buyers"), across_members=True),
    JourneyMetric("referral_coefficient", Message("Referral coefficient"),
                  Message("referral events at the member in the month / buyers at the member"),
                  4, Ratio("referrals", "buyers")),
    JourneyMetric("user_assets", Message("User assets"),
                  Message("distinct customers with any event at the member in the month"),
                  0, Count("customers")),
)

# name -> metric; the names are the period-metric names dynamic and three-level rules refer to.
METRICS: Mapping[str, JourneyMetric] = {m.name: m for m in _ENTRIES}


def values(counts: Mapping[str, int]) -> dict[str, Decimal]:
    """Every metric's value from one set of counts."""
    return {name: metric.value(counts) for name, metric in METRICS.items()}


@dataclass(frozen=True, slots=True)
class MonthCounts:
    """What the fact store counted for one alliance and month (`store.facts.journeys_sql`).

    `members`: member -> counts (every member asked about, zeros included); `alliance`: the counts
    over all of them at once; `digests`: member -> digest of the events counted at that member, and
    `digest` of every event counted, so a later recount can tell whether its inputs changed;
    `crossings`: member -> digest of its events and of whether each of its buyers bought elsewhere."""

    members: Mapping[str, Mapping[str, int]]
    alliance: Mapping[str, int]
    digests: Mapping[str, str]
    digest: str
    crossings: Mapping[str, str] = field(default_factory=dict)

    def inputs(self, member: str, metric: JourneyMetric) -> str:
        """The digest of what `metric` of `member` was measured on: the member's events, and for a
        metric across members what the others' events say of its buyers as well."""
        return self.crossings[member] if metric.across_members else self.digests[member]
