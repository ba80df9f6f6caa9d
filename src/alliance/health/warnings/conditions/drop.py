"""`drop`: the value fell by more than `percent` % against the mean of the previous `periods`
periods ("communication frequency falling"). Periods without a value are left out of the mean; with
no earlier value at all there is nothing to fall from, so the condition does not hold."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from alliance.core.messages import Message
from alliance.health.warnings.bands import Bands


class DropParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["drop"] = "drop"
    percent: Decimal = Field(gt=0, le=100)
    periods: int = Field(default=4, ge=1, le=52)


class _Drop:
    kind = "drop"
    Params = DropParams
    label = Message("falling against the previous periods' mean")
    fields = ("percent", "periods")
    needs_bands = False

    def lookback(self, params: DropParams) -> int:
        return params.periods

    def mask(self, params: DropParams, values: NDArray[np.float64], bands: Bands | None) -> NDArray[np.bool_]:
        k = params.periods
        present = ~np.isnan(values)
        # Sums and counts of the previous k periods from cumulative sums (one pass, any k).
        sums = np.concatenate([np.zeros((values.shape[0], 1)), np.cumsum(np.where(present, values, 0.0), axis=1)], axis=1)
        counts = np.concatenate([np.zeros((values.shape[0], 1)), np.cumsum(present, axis=1)], axis=1)
        t = np.arange(values.shape[1])
        start = np.maximum(t - k, 0)
        window_sum = sums[:, t] - sums[:, start]
        window_count = counts[:, t] - counts[:, start]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = window_sum / window_count
            limit = mean * (1.0 - float(params.percent) / 100.0)
            # "More than N %": a value exactly N % down does not hold, whatever the binary rounding
            # of the mean and the limit (1e-12 relative is far above it, far below any real change).
            return (window_count > 0) & present & (values < limit - 1e-12 * np.abs(limit))

    def describe(self, params: DropParams) -> Message:
        return Message("falling more than {percent}% below the mean of the previous {periods} periods",
                       percent=str(params.percent), periods=params.periods)


DROP = _Drop()
