"""The service's answers as JSON documents (the API's bodies and the CLI's `--format json`). Pure.

Amounts keep their integer minor units (`*_minor`) and get their text beside them in the currency's
places (`total_minor` 21000 -> `total` "210.00"); dates are ISO 8601; enums their values."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from alliance.core.money import Money


def as_json(value: Any, currency: str | None = None) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        currency = getattr(value, "currency", currency)
        out: dict[str, Any] = {}
        for f in fields(value):
            if f.metadata.get("json") is False:  # for the pages only (views.NOT_IN_JSON)
                continue
            item = getattr(value, f.name)
            out[f.name] = as_json(item, currency)
            if f.name.endswith("_minor") and isinstance(item, int) and currency:
                out[f.name[: -len("_minor")]] = Money(item, currency).amount_text()
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [as_json(v, currency) for v in value]
    if isinstance(value, dict):
        return {str(k): as_json(v, currency) for k, v in value.items()}
    return value
