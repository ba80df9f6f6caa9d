"""Return on a campaign's costs, per member and for the alliance. Pure.

ROI = (attributed revenue − cost share) / cost share, an exact decimal (a fraction of the cost: 1.5
is 150%); "n/a" (None) when the cost share is 0. A member's cost share is the sum of its shares of
every cost (`split.shares`, corrections included), whoever paid; the alliance's is the campaign's
total cost and its revenue that of every participant. With a baseline, the incremental revenue is
the attributed revenue less the revenue attributed by the same rule in the same number of days just
before the period; ROI is computed on attributed revenue (the incremental figure is shown beside it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from alliance.operations.marketing.model import Campaign
from alliance.operations.marketing.split import shares

ALLIANCE = ""  # the key of the alliance's row
_PLACES = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Row:
    member: str                 # ALLIANCE for the whole campaign
    cost_share_minor: int
    revenue_minor: int
    baseline_minor: int | None  # None: no baseline asked
    roi: Decimal | None         # None: no cost to return on

    @property
    def incremental_minor(self) -> int | None:
        return None if self.baseline_minor is None else self.revenue_minor - self.baseline_minor


def roi(revenue_minor: int, cost_minor: int) -> Decimal | None:
    """(revenue − cost) / cost exactly (Decimal division carried to 28 digits), None for no cost."""
    if cost_minor == 0:
        return None
    return (Decimal(revenue_minor) - Decimal(cost_minor)) / Decimal(cost_minor)


def shown(value: Decimal | None) -> str:
    """An ROI with 2 places (half to even), or "n/a"."""
    return "n/a" if value is None else str(value.quantize(_PLACES, rounding=ROUND_HALF_EVEN))


def cost_shares(campaign: Campaign) -> dict[str, int]:
    """Each participant's share of all the campaign's costs, in minor units."""
    total = dict.fromkeys(campaign.members, 0)
    for cost in campaign.costs:
        for member, part in shares(cost.amount_minor, campaign.ratios, campaign.currency).items():
            total[member] += part
    return total


def table(campaign: Campaign, revenue: Mapping[str, int], baseline: Mapping[str, int] | None) -> list[Row]:
    """One row per participant (by code), then the alliance's row."""
    costs = cost_shares(campaign)
    rows = [Row(m, costs[m], revenue.get(m, 0), None if baseline is None else baseline.get(m, 0),
                roi(revenue.get(m, 0), costs[m])) for m in campaign.members]
    total_cost, total_revenue = sum(costs.values()), sum(revenue.get(m, 0) for m in campaign.members)
    rows.append(Row(ALLIANCE, total_cost, total_revenue,
                    None if baseline is None else sum(baseline.get(m, 0) for m in campaign.members),
                    roi(total_revenue, total_cost)))
    return rows
