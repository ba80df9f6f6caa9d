"""The transfer suggestion rule (调拨建议), the one place it is written. Pure.

For each slow-moving stock of a member A and a SKU (A's units of the SKU in locations whose age is
above the threshold, on A's latest snapshot on or before D), the candidate receivers are the members
B ≠ A that are on the board and share sales (a live `sales` view), whose units sold of the SKU in the
30 days ending on D exceed A's (A's own units sold count only if A shares sales; otherwise 0). For
each candidate:

    suggested quantity = min(A's slow units, max(0, B's units sold in those 30 days − B's current stock of the SKU))

where B's current stock is all its units of the SKU on its latest snapshot on or before D. Suggestions
of 0 units are dropped; at most 3 are kept per (A, SKU), the largest quantity first, ties broken by
the receiving member's code (alphabetical). A suggestion names the receiver and a quantity, never
the receiver's sales.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from alliance.operations.inventory.model import SUGGESTIONS_PER_STOCK, Suggestion


@dataclass(frozen=True, slots=True)
class SlowStock:
    """Member A's slow-moving units of one SKU (over all its regions and locations)."""

    member: str
    sku: str
    slow_quantity: int


def suggest(slow: Iterable[SlowStock], receivers: Sequence[str], sold: Mapping[tuple[str, str], int],
            stock: Mapping[tuple[str, str], int], sellers: Iterable[str] = ()) -> list[Suggestion]:
    """The suggestions for each slow stock, ordered by source, SKU and rank.

    `receivers`: the members that may receive (on the board and sharing sales); `sold[(member, sku)]`:
    units sold in the 30 days ending on D (absent: 0); `stock[(member, sku)]`: units on the latest
    snapshot (absent: 0); `sellers`: the members whose own sales count for A (sharing sales)."""
    counted = set(sellers)
    found: list[Suggestion] = []
    for a in sorted(slow, key=lambda s: (s.member, s.sku)):
        if a.slow_quantity <= 0:
            continue
        own_sold = sold.get((a.member, a.sku), 0) if a.member in counted else 0
        candidates: list[tuple[int, str]] = []
        for b in receivers:
            if b == a.member:
                continue
            b_sold = sold.get((b, a.sku), 0)
            if b_sold <= own_sold:
                continue
            quantity = min(a.slow_quantity, max(0, b_sold - stock.get((b, a.sku), 0)))
            if quantity > 0:
                candidates.append((quantity, b))
        candidates.sort(key=lambda c: (-c[0], c[1]))
        found.extend(Suggestion(a.member, b, a.sku, quantity, rank)
                     for rank, (quantity, b) in enumerate(candidates[:SUGGESTIONS_PER_STOCK], start=1))
    return found
