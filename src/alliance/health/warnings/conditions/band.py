"""`band`: the value is in the KPI's red band (`band: red`) or in amber or worse (`band: amber`)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from alliance.core.messages import Message
from alliance.health.warnings.bands import Bands


class BandParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["band"] = "band"
    band: Literal["red", "amber"] = "red"


class _Band:
    kind = "band"
    Params = BandParams
    label = Message("in the KPI's red or amber band")
    fields = ("band",)
    needs_bands = True

    def lookback(self, params: BandParams) -> int:
        return 0

    def mask(self, params: BandParams, values: NDArray[np.float64], bands: Bands | None) -> NDArray[np.bool_]:
        if bands is None:  # a KPI without bands is never in one
            return np.zeros(values.shape, np.bool_)
        return bands.red_mask(values) if params.band == "red" else bands.amber_or_worse(values)

    def describe(self, params: BandParams) -> Message:
        if params.band == "red":
            return Message("in the red band")
        return Message("in the amber band or worse")


BAND = _Band()
