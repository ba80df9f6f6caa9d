"""A KPI's red / amber / green bands as the warning conditions read them (pure).

The KPI catalogue (health.kpis) owns the bands; the series source turns its definition into this
shape so the conditions do not depend on how the catalogue stores it. For a KPI where higher is
better, a value below `red` is red and below `amber` amber; where lower is better, a value above
`red` is red and above `amber` amber. Values are compared at double precision (15 significant
digits), which is ample for indicators (they are rates and counts, never money).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Bands:
    higher_is_better: bool
    red: Decimal
    amber: Decimal

    def red_mask(self, values: NDArray[np.float64]) -> NDArray[np.bool_]:
        with np.errstate(invalid="ignore"):
            return values < float(self.red) if self.higher_is_better else values > float(self.red)

    def amber_or_worse(self, values: NDArray[np.float64]) -> NDArray[np.bool_]:
        with np.errstate(invalid="ignore"):
            return values < float(self.amber) if self.higher_is_better else values > float(self.amber)
