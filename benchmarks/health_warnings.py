"""Warning-rule speed: 50 rules over 5 years of weekly series for 500 members.

Run: PYTHONPATH=src .venv/bin/python benchmarks/health_warnings.py

Target (issue 20), on the 2-core reference machine: evaluate 50 rules over 260 weeks x 500 members
(every rule's condition and the state of every (rule, member, week)) in at most 2 s. Baseline in
the same process: a plain pandas computation of the same states (pandas comparisons and rolling
means for the conditions, cumulative sums and forward fills for runs). The two must agree on every
state; the script checks it and exits 1 if not. Timings: the engine best of three, pandas one run.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from alliance.health.warnings.bands import Bands  # noqa: E402
from alliance.health.warnings.batch import states_of  # noqa: E402
from alliance.health.warnings.rules import DEFAULT_KPIS, RuleSpec, check_rules  # noqa: E402
from tests.support import warnings_reference as reference  # noqa: E402

MEMBERS, WEEKS, RULES = 500, 260, 50


def best_of(runs: int, work: Callable[[], object]) -> tuple[float, object]:
    best, result = math.inf, None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def make_rules() -> list[RuleSpec]:
    kinds = [lambda n: {"kind": "above", "threshold": f"0.{50 + n % 40}"},
             lambda n: {"kind": "below", "threshold": f"0.{10 + n % 30}"},
             lambda n: {"kind": "band", "band": "red" if n % 2 else "amber"},
             lambda n: {"kind": "drop", "percent": str(20 + n % 20), "periods": 2 + n % 6}]
    return check_rules([{"id": f"r{n}", "name": {"zh": f"规则{n}", "en": f"Rule {n}"},
                         "kpi": DEFAULT_KPIS[n % len(DEFAULT_KPIS)], "condition": kinds[n % 4](n),
                         "for": 1 + n % 3, "keep_firing_for": n % 3} for n in range(RULES)], DEFAULT_KPIS)


def main() -> int:
    rng = np.random.default_rng(20)
    values = {}
    for kpi in DEFAULT_KPIS:
        v = rng.random((MEMBERS, WEEKS))
        v[rng.random(v.shape) < 0.05] = np.nan  # weeks without a value
        values[kpi] = v
    bands = {kpi: Bands(n % 2 == 0, Decimal("0.2") if n % 2 == 0 else Decimal("0.8"),
                        Decimal("0.4") if n % 2 == 0 else Decimal("0.6")) for n, kpi in enumerate(DEFAULT_KPIS)}
    rules = make_rules()
    frames = {kpi: pd.DataFrame(v.T) for kpi, v in values.items()}

    def ours() -> dict[str, np.ndarray]:
        return states_of(rules, values, bands)

    def pandas_way() -> dict[str, np.ndarray]:
        out = {}
        for rule in rules:
            held = reference.condition(rule, frames[rule.kpi], bands.get(rule.kpi))
            out[rule.id] = reference.states(held, rule.for_periods, rule.keep_firing_for).to_numpy().T
        return out

    engine_s, got = best_of(3, ours)
    pandas_s, expected = best_of(1, pandas_way)  # ~45 s a run: once
    agree = all((got[r.id] == expected[r.id]).all() for r in rules)  # type: ignore[index]
    firing = sum(int((got[r.id] == 2).sum()) for r in rules)  # type: ignore[index]
    cells = RULES * MEMBERS * WEEKS
    print(f"{RULES} rules x {MEMBERS} members x {WEEKS} weeks = {cells:,} alert states ({firing:,} firing)")
    print(f"  engine (numpy):      {engine_s * 1000:8.1f} ms   target <= 2000 ms  {'ok' if engine_s <= 2 else 'SLOW'}")
    print(f"  plain pandas:        {pandas_s * 1000:8.1f} ms   ({pandas_s / engine_s:.1f}x the engine)")
    print(f"  same states:         {'yes' if agree else 'NO'}")
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
