"""`above` / `below`: the value is above (below) a threshold in that period."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from alliance.core.messages import Message
from alliance.health.warnings.bands import Bands


class AboveParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["above"] = "above"
    threshold: Decimal


class BelowParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["below"] = "below"
    threshold: Decimal


class _Threshold:
    fields = ("threshold",)
    needs_bands = False

    def __init__(self, kind: str, params: type[BaseModel], label: Message, above: bool) -> None:
        self.kind, self.Params, self.label, self._above = kind, params, label, above

    def lookback(self, params: AboveParams | BelowParams) -> int:
        return 0

    def mask(self, params: AboveParams | BelowParams, values: NDArray[np.float64],
             bands: Bands | None) -> NDArray[np.bool_]:
        # NaN (no value) compares False: a period without a value never holds the condition.
        with np.errstate(invalid="ignore"):
            limit = float(params.threshold)
            return values > limit if self._above else values < limit

    def describe(self, params: AboveParams | BelowParams) -> Message:
        if self._above:
            return Message("above {threshold}", threshold=str(params.threshold))
        return Message("below {threshold}", threshold=str(params.threshold))


ABOVE = _Threshold("above", AboveParams, Message("above a threshold"), True)
BELOW = _Threshold("below", BelowParams, Message("below a threshold"), False)
