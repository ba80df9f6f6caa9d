"""Many rules over whole histories at once (pure): the states of every (rule, member, period).

Used to replay history (and by the benchmark: 50 rules x 500 members x 260 weeks); the scheduler
uses the same condition modules and `engine.run`, one rule and a few periods at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from alliance.health.warnings import engine
from alliance.health.warnings.bands import Bands
from alliance.health.warnings.conditions import CONDITIONS
from alliance.health.warnings.rules import RuleSpec


def condition_of(rule: RuleSpec, values: NDArray[np.float64], bands: Mapping[str, Bands]) -> NDArray[np.bool_]:
    kind = CONDITIONS[rule.condition.kind]
    return kind.mask(rule.condition, values, bands.get(rule.kpi) if kind.needs_bands else None)


def states_of(rules: Sequence[RuleSpec], values: Mapping[str, NDArray[np.float64]],
              bands: Mapping[str, Bands]) -> dict[str, NDArray[np.int8]]:
    """For each rule, the (member x period) states over `values[rule.kpi]` (NaN = no value)."""
    return {rule.id: engine.run(condition_of(rule, values[rule.kpi], bands), rule.for_periods,
                                rule.keep_firing_for).states for rule in rules}
