"""The board and turnover as JSON documents (the API's bodies and the CLI's `--json`). Pure.

An amount appears as decimal text in the currency's places beside its integer minor units
(`value` "1850.00", `value_minor` 185000), both null when the member does not share its unit cost;
days are ISO 8601; turnover days decimal text or null."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from alliance.core.money import Money
from alliance.operations.inventory.model import Page

MONEY_FIELDS = frozenset({"value", "slow_value"})  # amounts that may be withheld (None): null beside null minor


def as_json(value: Any) -> Any:
    if isinstance(value, Page):
        return {"offset": value.offset, "limit": value.limit, "total": value.total, "has_more": value.has_more}
    if is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in fields(value):
            item = getattr(value, f.name)
            if isinstance(item, Money):
                out[f.name] = item.amount_text()
                out[f"{f.name}_minor"] = item.minor
            elif item is None and f.name in MONEY_FIELDS:
                out[f.name] = out[f"{f.name}_minor"] = None
            else:
                out[f.name] = as_json(item)
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [as_json(v) for v in value]
    return value
