"""Settled contribution: each active member's share of what the alliance's settlement paid out to
its members over the 365 days before the day the vote opens.

"Paid out" is the sum of a member's positive statement amounts over the closed days of the window
(what settlement said it receives, before anything it pays), in the alliance's minor units, exact:
a member paid 1,200.00 of 4,800.00 paid to members weighs 1/4. The window is the 365 days before
`on` (the alliance's business days, which are days in its time zone); `on` itself is not in it,
as it has not been settled when a vote opens that morning. Accounts that are not active members
(a growth fund, a member that left) are left out of the total. Nothing paid to any active member:
`weights_unavailable`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from fractions import Fraction

from alliance.core.messages import Message
from alliance.governance.weight_sources.base import WeightReader, WeightSource, WeightsUnavailable

WINDOW_DAYS = 365


def window(on: date) -> tuple[date, date]:
    """The first and last day of the settled days counted for a vote opening on `on`."""
    return on - timedelta(days=WINDOW_DAYS), on - timedelta(days=1)


def settled_shares(paid: Mapping[str, int], members: Iterable[str]) -> dict[str, Fraction] | None:
    """Each member's share of what was paid to `members` (exact, adding up to 1); None when
    nothing was paid to any of them. A negative figure counts as nothing paid."""
    amounts = {member: max(0, int(paid.get(member, 0))) for member in members}
    total = sum(amounts.values())
    if total == 0:
        return None
    return {member: Fraction(amount, total) for member, amount in amounts.items()}


class SettledSource(WeightSource):
    key = "settled"
    title = Message("Settled contribution")
    summary = Message("Each member's share of what settlement paid out to the members over the 365 days before "
                      "the vote opens.")

    @classmethod
    def weights(cls, reader: WeightReader, on: date) -> dict[str, Fraction]:
        first, last = window(on)
        shares = settled_shares(reader.paid_out(first, last), reader.active_members(on))
        if shares is None:
            raise WeightsUnavailable(Message(
                "nothing was paid out to the active members of {alliance!r} by settlement from {first} to {last}: "
                "settle days first, or take the weights from the explicit table or one vote each",
                alliance=reader.alliance_code, first=first.isoformat(), last=last.isoformat()))
        return shares
