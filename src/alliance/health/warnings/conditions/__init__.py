"""Condition kinds of warning rules, one module each, registered here.

A condition kind holds its typed parameters (a Pydantic model whose `kind` names it), what it needs
(`lookback`: earlier periods it reads; `needs_bands`: the KPI's red / amber / green bands), its
vectorised test over a (member x period) array of values, a sentence describing it, and the form
fields the rule editor shows for it. Adding a kind is one module and one line below; a test fails
if a registered kind lacks a part.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from alliance.core.messages import Message
from alliance.health.warnings.bands import Bands
from alliance.health.warnings.conditions import band, drop, threshold


class ConditionKind(Protocol):
    kind: str
    Params: type[BaseModel]
    label: Message
    fields: tuple[str, ...]
    needs_bands: bool

    def lookback(self, params: Any) -> int: ...

    def mask(self, params: Any, values: NDArray[np.float64], bands: Bands | None) -> NDArray[np.bool_]: ...

    def describe(self, params: Any) -> Message: ...


CONDITIONS: dict[str, ConditionKind] = {
    c.kind: c for c in (threshold.ABOVE, threshold.BELOW, band.BAND, drop.DROP)
}
