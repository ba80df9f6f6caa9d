"""The commission a converted referral has earned, and what a settlement run books of it. Pure.

target = Σ over the linked orders' sale lines sold by the receiving member of
round_half_even(amount × rate), plus the same of each refund of such a line (a negative line with
`refund_of`) that occurred within `hold_days` of the line it refunds. A refund later than that
leaves the commission as it was. Each run books `target − booked so far` (seller −, referrer +), so a
refund inside the hold period books a negative line: the claw-back. Once the hold period of the last
linked sale has passed, the referral is final and no run reads it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from alliance.settlement.lines import OrderLine

KIND = "referral"  # the statement line's kind


@dataclass(frozen=True, slots=True)
class CountedLine:
    line_id: str
    order_id: str
    occurred_at: datetime
    amount_minor: int
    commission_minor: int
    refund_of: str | None
    counted: bool  # False: a refund after the hold period


@dataclass(frozen=True, slots=True)
class Commission:
    target_minor: int
    base_minor: int            # Σ counted amounts (net of counted refunds)
    lines: tuple[CountedLine, ...]
    final_after: date | None   # the last day a refund could still claw back (None: no sale yet)

    @property
    def refunds_counted(self) -> int:
        return sum(1 for line in self.lines if line.refund_of and line.counted)


def commission_of(line_minor: int, rate: Decimal) -> int:
    """round_half_even(amount × rate) in minor units, exact."""
    return int((Decimal(line_minor) * rate).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def compute(lines: Iterable[OrderLine], orders: Sequence[str], seller: str, rate: Decimal,
            hold_days: int, *, through: date | None = None, timezone: str = "UTC") -> Commission:
    """The commission of `seller`'s lines of `orders` (their refunds included wherever they are), of
    the lines whose business day (in `timezone`) is `through` or earlier, if given (a settlement run
    reads what had happened by its day, whatever it catches up on)."""
    zone = ZoneInfo(timezone)
    wanted = set(orders)
    every = [l for l in lines if through is None or l.occurred_at.astimezone(zone).date() <= through]
    sales = {l.line_id: l for l in every if l.refund_of is None and l.order_id in wanted and l.seller == seller}
    hold = timedelta(days=hold_days)
    counted: list[CountedLine] = []
    for line in sorted(every, key=lambda l: (l.occurred_at, l.line_id)):
        if line.refund_of is None:
            if line.line_id not in sales:
                continue
            counted.append(CountedLine(line.line_id, line.order_id, line.occurred_at, line.amount.minor,
                                       commission_of(line.amount.minor, rate), None, True))
            continue
        sale = sales.get(line.refund_of)
        if sale is None:
            continue
        inside = line.occurred_at - sale.occurred_at <= hold
        counted.append(CountedLine(line.line_id, line.order_id, line.occurred_at, line.amount.minor,
                                   commission_of(line.amount.minor, rate) if inside else 0, line.refund_of, inside))
    last_sale = max((s.occurred_at for s in sales.values()), default=None)
    final_after = None if last_sale is None else (last_sale + hold).astimezone(zone).date() + timedelta(days=1)
    return Commission(sum(c.commission_minor for c in counted),
                      sum(c.amount_minor for c in counted if c.counted), tuple(counted), final_after)


def rate_text(rate: Decimal, commission: Commission, hold_days: int) -> str:
    """How, in words (English, neutral digits), for the statement line's `rate` (≤ 200 chars)."""
    percent = (rate * 100).normalize()
    sales = sum(1 for c in commission.lines if c.refund_of is None)
    text = f"{percent:f}% of {commission.base_minor} (minor units) over {sales} line(s)"
    if commission.refunds_counted:
        text += f", {commission.refunds_counted} refund(s) within {hold_days} days"
    return text[:200]


def booking_lines(*, seller: str, referrer: str, delta_minor: int, base_minor: int, rate: str, number: int,
                  title: str) -> list[dict[str, Any]]:
    """The run's statement lines for `delta_minor` more commission (negative: a claw-back): the
    seller pays, the referrer receives. None when nothing changed."""
    if delta_minor == 0:
        return []
    rule = f"referral-{number}"
    return [{"account": account, "agreement": "", "version": 0, "rule_id": rule, "kind": KIND,
             "base_minor": base_minor, "rate": rate, "amount_minor": sign * delta_minor, "adjustment_of": None,
             "correction_of": title}
            for account, sign in ((seller, -1), (referrer, 1))]
