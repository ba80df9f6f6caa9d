"""The warning state machine over (member x period) arrays, vectorised with numpy (pure).

Per (rule, member) an alert is, at each period:

- inactive: the condition does not hold (and the alert is not firing);
- pending: the condition holds, but for fewer than `for` consecutive periods;
- firing: the condition has held `for` periods running, and since then has not been clean
  (condition false, or no value) for more than `keep_firing_for` periods running;
- resolved: the period in which a firing alert stopped firing (it is inactive or pending after).

As Prometheus does: `for` waits before firing, `keep_firing_for` keeps a firing alert firing
through short clean spells (flap damping), and the condition coming back inside that spell keeps it
firing without going through pending again. Silences are not the engine's business: a silenced
alert is still firing; only its notices and actions are held back (service.py).

The whole history is computed at once from running maxima of indices (`np.maximum.accumulate`
along the period axis), so 50 rules over 260 weeks for 500 members take a fraction of a second. A
`Carry` lets the scheduler continue from the state it stored instead of recomputing history.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

# Runs longer than this are all "long enough": it keeps carried counts bounded in the database.
RUN_CAP = 10_000


class State(IntEnum):
    INACTIVE = 0
    PENDING = 1
    FIRING = 2
    RESOLVED = 3


STATE_NAMES = {s.value: s.name.lower() for s in State}


@dataclass(frozen=True)
class Carry:
    """Where each member's alert stood after the last period evaluated (arrays of length M):
    `run` consecutive periods the condition held, `clean` consecutive periods it did not, and
    whether the alert was `firing`."""

    run: NDArray[np.int64]
    clean: NDArray[np.int64]
    firing: NDArray[np.bool_]

    @classmethod
    def fresh(cls, members: int) -> Carry:
        """No history: no run, a clean spell longer than any damping, not firing."""
        return cls(np.zeros(members, np.int64), np.full(members, RUN_CAP, np.int64), np.zeros(members, np.bool_))


@dataclass(frozen=True)
class Outcome:
    states: NDArray[np.int8]   # (M, T) State per member and period
    carry: Carry               # after the last period


def run(condition: NDArray[np.bool_], for_periods: int, keep_firing_for: int, carry: Carry | None = None) -> Outcome:
    """The states of every member's alert over the periods of `condition` (M x T booleans: the
    condition held for that member in that period; a missing value is False), continuing `carry`.

    `for_periods` >= 1: consecutive periods the condition must hold to fire (1 fires at once).
    `keep_firing_for` >= 0: clean periods a firing alert rides out; it resolves on the next one."""
    assert for_periods >= 1 and keep_firing_for >= 0
    held = np.asarray(condition, dtype=np.bool_)
    members, periods = held.shape
    carry = carry or Carry.fresh(members)
    index = np.arange(periods, dtype=np.int64)
    # The index of the last period (at or before t) in which the condition did not hold / held.
    # The carried run and clean spell sit just before index 0, so runs continue across evaluations.
    never = np.int64(-1 - 2 * RUN_CAP)
    last_clean = np.maximum(np.maximum.accumulate(np.where(held, never, index), axis=1), (-1 - carry.run)[:, None])
    last_held = np.maximum(np.maximum.accumulate(np.where(held, index, never), axis=1), (-1 - carry.clean)[:, None])
    run_length = np.where(held, index - last_clean, 0)
    clean_length = np.where(held, 0, index - last_held)
    # A trigger is a period with a long enough run; a break is a period of a clean spell longer
    # than the damping. The alert fires while its last trigger is later than its last break.
    no_index = np.int64(-2)
    trigger = np.maximum.accumulate(np.where(run_length >= for_periods, index, no_index), axis=1)
    brk = np.maximum.accumulate(np.where(clean_length > keep_firing_for, index, no_index), axis=1)
    trigger = np.maximum(trigger, np.where(carry.firing, -1, -2)[:, None])
    brk = np.maximum(brk, np.where(carry.firing, -2, -1)[:, None])
    firing = trigger > brk
    was_firing = np.concatenate([carry.firing[:, None], firing[:, :-1]], axis=1)
    states = np.where(firing, State.FIRING, np.where(held, State.PENDING, State.INACTIVE)).astype(np.int8)
    states[was_firing & ~firing] = State.RESOLVED
    if periods == 0:
        return Outcome(states, carry)
    after = Carry(np.minimum(run_length[:, -1], RUN_CAP), np.minimum(clean_length[:, -1], RUN_CAP), firing[:, -1].copy())
    return Outcome(states, after)


def step(held: bool, for_periods: int, keep_firing_for: int, run_length: int, clean: int,
         firing: bool) -> tuple[State, int, int, bool]:
    """One period for one alert, written as the plain state machine (the reference the tests hold
    `run` to): (state, run, clean, firing) after a period in which the condition `held` or not."""
    run_length, clean = (min(run_length + 1, RUN_CAP), 0) if held else (0, min(clean + 1, RUN_CAP))
    if firing:
        now_firing = held or clean <= keep_firing_for
    else:
        now_firing = run_length >= for_periods
    if firing and not now_firing:
        state = State.RESOLVED
    elif now_firing:
        state = State.FIRING
    else:
        state = State.PENDING if held else State.INACTIVE
    return state, run_length, clean, now_firing
