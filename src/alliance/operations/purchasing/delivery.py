"""What deliveries and deposits book: charge lines (account, amount, base, rate) that sum to zero.

Money is booked per delivery, cumulatively. For delivered quantities d_i (D = Σ d_i) the allocation is

    member i   −apportion(round(Σ pay_j × d_j / q_j), {j: pay_j × d_j / q_j, their rounding spread by d_j})_i
    supplier   +round_half_even(I × D / Q)
    organiser  the balance (the fee's delivered part; uneven deliveries' rounding)

and a delivery books alloc(d_new) − alloc(d_old). When everything is delivered the allocation is the
resolution itself (members pay `pays`, the supplier I, the organiser F), so the deliveries' charges add
up to it exactly; a campaign closed short books the allocation of what was delivered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from alliance.core.money import Money, apportion, minor_digits
from alliance.operations.purchasing.split import Resolution, apportion_scaled, half_even


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a charge (the shape of `operations.charges.ChargeLine`). Its `rate` is digits and
    symbols only (the statement shows it in either language): "45/89: 89 × 5.00 (≥1) − 66.22 = 378.78"
    (delivered/committed: alone − savings after the fee = pays), "140 × 4.20 (≥200)" (the supplier),
    "140/280: 7% × 224.00 = 15.68" (the organiser's fee), "0.00 → 89.00" (a deposit held)."""

    account: str
    amount_minor: int
    base_minor: int
    rate: str


def money_text(minor: int | Fraction, currency: str) -> str:
    return Money(half_even(Fraction(minor)), currency).amount_text()


def spread(total: int, open_quantities: Mapping[str, int]) -> dict[str, int]:
    """Spread a delivered total over members in proportion to their open quantities, largest remainder
    (ties: the larger open quantity, then the member code). `total` must be 0 <= total <= Σ open."""
    weight = sum(open_quantities.values())
    assert 0 <= total <= weight, "more delivered than is open"
    if total == 0:
        return {m: 0 for m in open_quantities}
    exact = {m: Fraction(total * q, weight) for m, q in open_quantities.items()}
    floors = {m: e.numerator // e.denominator for m, e in exact.items()}
    order = sorted(exact, key=lambda m: (-(exact[m] - floors[m]), -open_quantities[m], m))
    for m in order[:total - sum(floors.values())]:
        floors[m] += 1
    return floors


def allocation(resolution: Resolution, delivered: Mapping[str, int]) -> dict[str, int]:
    """The cumulative amounts by role for `delivered` (member → quantity): keys are member codes and
    the two roles "@supplier" and "@organiser"; values in minor units, + owed to, − owed by; sum 0."""
    if all(delivered.get(s.member, 0) == s.quantity for s in resolution.shares):  # everything: the resolution
        out = {s.member: -s.pays for s in resolution.shares}
        out["@supplier"], out["@organiser"] = resolution.invoice, resolution.fee
        return out
    if not any(delivered.get(s.member, 0) for s in resolution.shares):  # nothing yet
        return {**{s.member: 0 for s in resolution.shares}, "@supplier": 0, "@organiser": 0}
    D = sum(delivered.get(s.member, 0) for s in resolution.shares)
    total_members, paid = members_part(resolution, delivered)
    supplier = half_even(Fraction(resolution.invoice * D, resolution.quantity))
    out = {member: -amount for member, amount in paid.items()}
    out["@supplier"] = supplier
    out["@organiser"] = total_members - supplier
    return out


# Common denominators above this many bits make the integer path slower than Fractions.
_COMMON_BITS = 8192


def members_part(resolution: Resolution, delivered: Mapping[str, int]) -> tuple[int, dict[str, int]]:
    """The members' cumulative payments for a part delivery: the total round(Σ payᵢ × dᵢ / qᵢ) and each
    member's part of it, apportioned by largest remainder on the quotas payᵢ × dᵢ / qᵢ plus the total's
    rounding spread by delivered quantity. In integers over a common denominator (the pays' and the
    quantities' least common multiple) when it is small enough, else in Fractions: the same result."""
    shares = resolution.shares
    D = sum(delivered.get(s.member, 0) for s in shares)
    if D == 0:
        return 0, {s.member: 0 for s in shares}
    # quotaᵢ = pay_numᵢ × dᵢ / (pay_denᵢ × qᵢ): a common multiple of every pay_denᵢ × qᵢ (members with dᵢ > 0)
    common = math.lcm(*{s.pay_ratio[1] * s.quantity for s in shares if delivered.get(s.member, 0)})
    if common.bit_length() > _COMMON_BITS:
        return members_part_exact(resolution, delivered)
    scaled = {s.member: s.pay_ratio[0] * delivered[s.member] * (common // (s.pay_ratio[1] * s.quantity))
              if delivered.get(s.member, 0) else 0 for s in shares}
    exact_num = sum(scaled.values())                       # Σ quotas × common
    whole, rest = divmod(exact_num, common)
    total = whole + (1 if 2 * rest > common or (2 * rest == common and whole % 2) else 0)  # half to even
    gap = total * common - exact_num                       # (total − exact) × common
    numerators = {m: v * D + gap * delivered.get(m, 0) for m, v in scaled.items()}
    return total, apportion_scaled(total, numerators, common * D)


def members_part_exact(resolution: Resolution, delivered: Mapping[str, int]) -> tuple[int, dict[str, int]]:
    """`members_part` in Fractions (the reference; used when the common denominator is too large)."""
    quotas = {s.member: s.pay_exact * delivered.get(s.member, 0) / s.quantity for s in resolution.shares}
    exact = sum(quotas.values(), Fraction(0))
    total = half_even(exact)
    D = sum(delivered.get(s.member, 0) for s in resolution.shares)
    if total != exact:  # a part delivery: its rounding spread by delivered quantity
        quotas = {m: q + (total - exact) * delivered.get(m, 0) / D for m, q in quotas.items()}
    paid = apportion(Money(total, resolution.currency), quotas)
    return total, {m: x.minor for m, x in paid.items()}


def delivery_lines(resolution: Resolution, before: Mapping[str, int], after: Mapping[str, int], *,
                   supplier_account: str, organiser: str, supplier_name: str) -> list[Line]:
    """The lines of one delivery: alloc(after) − alloc(before), zero lines left out, one line per
    account (an organiser that also bought gets one line netting both)."""
    old, new = allocation(resolution, before), allocation(resolution, after)
    cur = resolution.currency
    P = resolution.price
    by_account: dict[str, list[tuple[int, int, str]]] = {}
    for share in resolution.shares:
        delta = new[share.member] - old[share.member]
        got = after.get(share.member, 0) - before.get(share.member, 0)
        if delta == 0:
            continue
        base = half_even(share.alone * got / share.quantity)
        rate = (f"{got}/{share.quantity}: {share.quantity} × {share.alone_price.unit_price} "
                f"(≥{share.alone_price.tier.min_quantity}) − {money_text(share.alone_minor - share.pays, cur)} = "
                f"{money_text(share.pays, cur)}")
        by_account.setdefault(share.member, []).append((delta, base, rate))
    D = sum(after.values()) - sum(before.values())
    delta = new["@supplier"] - old["@supplier"]
    if delta:
        base = half_even(D * Fraction(P.unit_price) * 10 ** minor_digits(cur))
        by_account.setdefault(supplier_account, []).append(
            (delta, base, f"{D} × {P.unit_price} (≥{P.tier.min_quantity})"))
    delta = new["@organiser"] - old["@organiser"]
    if delta:
        Q = resolution.quantity
        by_account.setdefault(organiser, []).append(
            (delta, resolution.savings_minor,
             f"{D}/{Q}: {(resolution.fee_rate * 100).normalize():f}% × {money_text(resolution.savings, cur)} = "
             f"{money_text(resolution.fee, cur)}"))
    return _merged(by_account)


def _merged(by_account: Mapping[str, list[tuple[int, int, str]]]) -> list[Line]:
    lines = []
    for account, parts in by_account.items():
        amount = sum(p[0] for p in parts)
        if amount == 0:
            continue
        lines.append(Line(account, amount, parts[0][1], "; ".join(p[2] for p in parts)[:200]))
    return lines


def deposit_change(member: str, organiser: str, held: int, wanted: int, currency: str) -> list[Line]:
    """A deposit going from `held` to `wanted` (minor units): the member pays the difference to the
    organiser (a lowered commitment, or the campaign's end, gets it back). No lines when nothing changes
    or the organiser is the member."""
    amount = wanted - held
    if member == organiser or amount == 0:
        return []
    rate = f"{money_text(held, currency)} → {money_text(wanted, currency)}"
    return [Line(member, -amount, abs(amount), rate), Line(organiser, amount, abs(amount), rate)]
