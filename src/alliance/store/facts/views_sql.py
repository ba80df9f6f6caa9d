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


def view_where(filters: Sequence[Any], digits: int) -> tuple[str, list[Any]]:
    """SQL for already-checked filters (fields and operators come from a closed list)."""
    clauses, parameters = [], []
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


def shown(field: str, value: Any, currency: str) -> Any:
    if value is None:
        return None
    if field in MONEY_FIELDS:
        return Money(int(value), currency).amount_text()
    if isinstance(value, date):
        return value.isoformat()
    return value
