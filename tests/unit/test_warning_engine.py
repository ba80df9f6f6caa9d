"""The warning state machine: pending -> firing after `for` periods, flap damping by
keep_firing_for, continuing from a carried state, and the vectorised engine equal to the plain
state machine and to a pandas computation on random series."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.health.warnings import engine
from alliance.health.warnings.batch import condition_of, states_of
from alliance.health.warnings.bands import Bands
from alliance.health.warnings.engine import State
from alliance.health.warnings.rules import check_rules
from tests.support import warnings_reference as reference

I, P, F, R = State.INACTIVE, State.PENDING, State.FIRING, State.RESOLVED


def _run(held: str, for_periods: int = 1, keep: int = 0) -> list[State]:
    out = engine.run(np.array([[c == "x" for c in held]]), for_periods, keep)
    return [State(s) for s in out.states[0]]


def test_pending_until_the_condition_held_for_periods_running() -> None:
    assert _run("xxx.", for_periods=2) == [P, F, F, R]
    assert _run("x.xx", for_periods=2) == [P, I, P, F]
    assert _run("xx", for_periods=3) == [P, P]


def test_without_for_it_fires_at_once_and_resolves_at_the_first_clean_period() -> None:
    assert _run("x.x..") == [F, R, F, R, I]


def test_keep_firing_for_damps_flapping() -> None:
    # Two clean periods are ridden out; the condition coming back keeps it firing (no pending again).
    assert _run("xx..x...", for_periods=2, keep=2) == [P, F, F, F, F, F, F, R]
    assert _run("x.x.x.", keep=1) == [F, F, F, F, F, F]


def test_a_missing_value_is_a_clean_period() -> None:
    values = np.array([[0.5, np.nan, 0.5]])
    held = values > 0.15
    assert [State(s) for s in engine.run(held, 1, 0).states[0]] == [F, R, F]


def _stepped(held: np.ndarray, for_periods: int, keep: int) -> np.ndarray:
    out = np.zeros(held.shape, np.int8)
    for m in range(held.shape[0]):
        run, clean, firing = 0, engine.RUN_CAP, False
        for t in range(held.shape[1]):
            state, run, clean, firing = engine.step(bool(held[m, t]), for_periods, keep, run, clean, firing)
            out[m, t] = state
    return out


held_arrays = st.integers(1, 6).flatmap(lambda m: st.integers(0, 40).flatmap(
    lambda t: st.lists(st.booleans(), min_size=m * t, max_size=m * t).map(
        lambda cells: np.array(cells, np.bool_).reshape(m, t))))


@settings(max_examples=200)
@given(held=held_arrays, for_periods=st.integers(1, 5), keep=st.integers(0, 4), cut=st.integers(0, 40))
def test_engine_equals_the_plain_state_machine_and_continues_from_its_carry(held: np.ndarray, for_periods: int,
                                                                           keep: int, cut: int) -> None:
    whole = engine.run(held, for_periods, keep)
    assert (whole.states == _stepped(held, for_periods, keep)).all()
    cut = min(cut, held.shape[1])
    first = engine.run(held[:, :cut], for_periods, keep)
    second = engine.run(held[:, cut:], for_periods, keep, first.carry)
    assert (np.concatenate([first.states, second.states], axis=1) == whole.states).all()


RULES = check_rules([
    {"id": "a", "name": {"zh": "甲", "en": "A"}, "kpi": "resource_idle_rate",
     "condition": {"kind": "above", "threshold": "0.5"}, "for": 2, "keep_firing_for": 1},
    {"id": "b", "name": {"zh": "乙", "en": "B"}, "kpi": "resource_idle_rate",
     "condition": {"kind": "below", "threshold": "0.3"}},
    {"id": "c", "name": {"zh": "丙", "en": "C"}, "kpi": "public_sentiment",
     "condition": {"kind": "band", "band": "amber"}, "for": 3},
    {"id": "d", "name": {"zh": "丁", "en": "D"}, "kpi": "communication_frequency",
     "condition": {"kind": "drop", "percent": "30", "periods": 4}, "keep_firing_for": 2},
], ["resource_idle_rate", "public_sentiment", "communication_frequency"])
BANDS = {"public_sentiment": Bands(True, Decimal("0.2"), Decimal("0.4"))}


@settings(max_examples=60)
@given(seed=st.integers(0, 2**31), members=st.integers(1, 8), periods=st.integers(1, 60),
       missing=st.floats(0, 0.5))
def test_engine_equals_pandas_on_random_series(seed: int, members: int, periods: int, missing: float) -> None:
    rng = np.random.default_rng(seed)
    values = {}
    for kpi in ("resource_idle_rate", "public_sentiment", "communication_frequency"):
        v = rng.random((members, periods))
        if kpi != "communication_frequency":  # ties with the thresholds, too (a drop's mean never ties exactly)
            v = v.round(1)
        v[rng.random(v.shape) < missing] = np.nan
        values[kpi] = v
    ours = states_of(RULES, values, BANDS)
    for rule in RULES:
        frame = pd.DataFrame(values[rule.kpi].T)
        held = reference.condition(rule, frame, BANDS.get(rule.kpi))
        assert (condition_of(rule, values[rule.kpi], BANDS) == held.to_numpy().T).all(), rule.id
        theirs = reference.states(held, rule.for_periods, rule.keep_firing_for).to_numpy().T
        assert (ours[rule.id] == theirs).all(), rule.id


def test_each_condition_kind() -> None:
    [above, below, band, drop] = RULES
    v = np.array([[0.1, 0.6, np.nan, 0.5]])
    assert condition_of(above, v, {}).tolist() == [[False, True, False, False]]
    assert condition_of(below, v, {}).tolist() == [[True, False, False, False]]
    assert condition_of(band, np.array([[0.1, 0.3, 0.5, np.nan]]), BANDS).tolist() == [[True, True, False, False]]
    assert condition_of(band, v, {}).tolist() == [[False] * 4]  # a KPI without bands is never in one
    # 10, 10, 10, 10 then 6.9 (-31%) holds, 7.5 (-25% of the mean of the previous four) does not.
    f = np.array([[10, 10, 10, 10, 6.9], [10, 10, 10, 10, 7.5], [np.nan, np.nan, 1, np.nan, 0.1]])
    assert condition_of(drop, f, {})[:, -1].tolist() == [True, False, True]
    assert not condition_of(drop, f, {})[:, 0].any()  # nothing to fall from
    exactly = np.array([[10, 10, 10, 10, 7], [0.1, 0.1, 0.1, 0.1, 0.07]])  # down exactly 30%: not more
    assert not condition_of(drop, exactly, {})[:, -1].any()


def test_lower_is_better_bands() -> None:
    bands = Bands(False, Decimal("0.3"), Decimal("0.15"))
    v = np.array([0.1, 0.2, 0.4])
    assert bands.red_mask(v).tolist() == [False, False, True]
    assert bands.amber_or_worse(v).tolist() == [False, True, True]
