"""A campaign cost split by the cost-share ratios to the cent, and the charge that settles it. Pure.

Rounding (docs/shared-operations.md, "Joint marketing campaigns"): each participant's share of a cost
is the largest-remainder split of the cost by the ratios (`core.money.allocate`): every participant
first gets the floor of its exact share in minor units, and the minor units left over go one each to
the largest remainders (ties: the larger ratio, then the member code that sorts first). The shares add
back to the cost exactly. A correction (a negative cost) is split as its opposite and negated.

The charge: every participant owes its share; the payer is owed the cost. A payer that takes part
owes its own share too, so its line nets out: it receives the cost less its own share. Lines of zero
are left out; when nothing is left (a cost of one cent that falls to its payer) no charge is made.
"""

from __future__ import annotations

from decimal import Decimal

from alliance.core.money import Money, allocate
from alliance.operations.charges import ChargeLine


def shares(amount_minor: int, ratios: dict[str, Decimal], currency: str) -> dict[str, int]:
    """Each participant's share of a cost in minor units; they add back to `amount_minor`."""
    return {member: part.minor for member, part in allocate(Money(amount_minor, currency), ratios).items()}


def charge_lines(amount_minor: int, payer: str, ratios: dict[str, Decimal], currency: str,
                 cost_number: int) -> list[ChargeLine]:
    """The statement lines of one cost (they sum to zero): participants owe their shares, the payer is
    owed the cost; a participating payer's own share nets out. Lines of zero are left out."""
    split = shares(amount_minor, ratios, currency)
    net: dict[str, int] = {member: -share for member, share in split.items()}
    net[payer] = net.get(payer, 0) + amount_minor
    cost = Money(amount_minor, currency).amount_text()
    lines = []
    for account, amount in net.items():
        if amount == 0:
            continue
        if account == payer:
            own = split.get(payer, 0)
            # no words of one language: the statement's kind column says 联合营销 / joint marketing
            rate = (f"#{cost_number}: {cost} − {Money(own, currency).amount_text()}" if payer in split
                    else f"#{cost_number}: {cost}")
        else:
            rate = f"#{cost_number}: {cost} × {format(ratios[account].normalize(), 'f')}"
        lines.append(ChargeLine(account, amount, abs(amount_minor), rate))
    return lines
