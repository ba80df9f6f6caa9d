"""Order lines: the facts settlement runs on (format: docs/formats/order-lines.md, to come)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alliance.core.money import Money


@dataclass(frozen=True, slots=True)
class OrderLine:
    line_id: str  # unique per alliance: the idempotency key
    order_id: str
    occurred_at: datetime  # aware
    seller: str
    product_owner: str
    channel: str
    sku: str
    quantity: int
    amount: Money  # negative for a refund
    cost: Money | None = None
    attributed_to: tuple[str, ...] = ()
    refund_of: str | None = None
