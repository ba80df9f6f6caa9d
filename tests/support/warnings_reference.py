"""A plain pandas computation of warning states, the benchmark's baseline and the tests' oracle.

Written the way a pandas user would, independently of the numpy engine: conditions with pandas
comparisons and a rolling mean, runs with cumulative sums and forward fills."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliance.health.warnings.bands import Bands
from alliance.health.warnings.rules import RuleSpec


def condition(rule: RuleSpec, frame: pd.DataFrame, bands: Bands | None) -> pd.DataFrame:
    """frame: periods x members (NaN = no value) -> booleans."""
    c = rule.condition
    if c.kind == "above":
        return frame > float(c.threshold)
    if c.kind == "below":
        return frame < float(c.threshold)
    if c.kind == "band":
        if bands is None:
            return frame.notna() & False
        bound = float(bands.red if c.band == "red" else bands.amber)
        return frame < bound if bands.higher_is_better else frame > bound
    if c.kind == "drop":
        mean = frame.rolling(c.periods, min_periods=1).mean().shift(1)
        return (frame < mean * (1 - float(c.percent) / 100)).fillna(False) & mean.notna()
    raise AssertionError(c.kind)


def states(held: pd.DataFrame, for_periods: int, keep_firing_for: int) -> pd.DataFrame:
    """periods x members booleans -> states (0 inactive, 1 pending, 2 firing, 3 resolved)."""
    held = held.astype(bool)
    ones = held.astype(int).cumsum()
    run = ones - ones.where(~held).ffill().fillna(0)
    zeros = (~held).astype(int).cumsum()
    clean = zeros - zeros.where(held).ffill().fillna(0)
    index = pd.DataFrame(np.repeat(np.arange(len(held))[:, None], held.shape[1], axis=1), index=held.index,
                         columns=held.columns)
    trigger = index.where(run >= for_periods).ffill().fillna(-2)
    brk = index.where(clean > keep_firing_for).ffill().fillna(-1)
    firing = trigger > brk
    was = firing.shift(1, fill_value=False)
    out = pd.DataFrame(np.where(firing, 2, np.where(held, 1, 0)), index=held.index, columns=held.columns)
    return out.mask(was & ~firing, 3)
