"""The SQL of shared views (alliance.datashare): columns, filters and how values are shown."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.core.money import Money


VIEW_COLUMNS = {"business_day": "business_day", "channel": "channel", "sku": "sku", "product_owner": "product_owner",
                 "attributed_to": "attributed_to", "quantity": "quantity", "amount": "amount_minor", "cost": "cost_minor"}
MONEY_FIELDS = ("amount", "cost")


def view_where(filters: Sequence[Any], digits: int, currency: str) -> tuple[str, list[Any]]:
    """SQL for already-checked filters (fields and operators come from a closed list). A filter on
    money is in the alliance's currency and picks lines in that currency only."""
    clauses, parameters = [], []
    if any(f.field in MONEY_FIELDS for f in filters):
        clauses.append("currency = ?")
        parameters.append(currency)
    for f in filters:
        assert f.field in VIEW_COLUMNS and f.op in ("=", ">=", "<=")
        value = f.value
        if f.field in MONEY_FIELDS:
            scaled = value * 10**digits
            if scaled != scaled.to_integral_value():
                raise InvalidInput(Message("filter on {field!r}: {value} has more places than the currency",
                                           field=f.field, value=value))
            value = int(scaled)
        clauses.append(f"{VIEW_COLUMNS[f.field]} {f.op} ?")
        parameters.append(value)
    return "".join(f" AND {c}" for c in clauses), parameters


def shown(field: str, value: Any, currency: str, *, named: bool = False) -> Any:
    """A value as a view shows it: money as decimal text in `currency` (followed by its code when
    `named`: a line in another currency than the alliance's)."""
    if value is None:
        return None
    if field in MONEY_FIELDS:
        text = Money(int(value), currency).amount_text()
        return f"{text} {currency}" if named else text
    if isinstance(value, date):
        return value.isoformat()
    return value
