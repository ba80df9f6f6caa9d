"""The computing budget (core.budget) and the up-front work bounds of voting power."""

from __future__ import annotations

import time
from fractions import Fraction

import pytest

from alliance.core.budget import Budget, ComputeBusy, OverBudget
from alliance.core.errors import InvalidInput
from alliance.games.game import GameTooLarge, WeightedVotingGame
from alliance.games.voting import MAX_CELLS, MAX_WORK, voting_power


def _allocate(mib: int) -> int:
    block = bytearray(mib * 2**20)
    return len(block)


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def _refuse() -> None:
    raise InvalidInput("not like this")


def _add(a: int, b: int) -> int:
    return a + b


def test_a_computation_runs_in_a_child_and_returns_its_result() -> None:
    assert Budget(workers=1, seconds=60, memory_mb=256).run(_add, 2, b=3) == 5


def test_past_the_memory_budget_the_child_fails_not_the_server() -> None:
    budget = Budget(workers=1, seconds=60, memory_mb=128)
    with pytest.raises(OverBudget) as caught:
        budget.run(_allocate, 1024)
    assert caught.value.status == 503 and caught.value.retry_after > 0 and "128 MiB" in caught.value.message
    assert budget.run(_allocate, 16) == 16 * 2**20  # within the budget it works, and the slot was given back


def test_past_the_time_budget_the_child_is_stopped() -> None:
    with pytest.raises(OverBudget) as caught:
        Budget(workers=1, seconds=0.2, memory_mb=256).run(_sleep, 60)
    assert "time budget" in caught.value.message


def test_with_every_slot_taken_the_answer_is_busy() -> None:
    budget = Budget(workers=1, seconds=60, memory_mb=256)
    assert budget._slots.acquire()  # another request holds the only slot
    with pytest.raises(ComputeBusy) as caught:
        budget.run(_add, 1, 2)
    assert caught.value.status == 503 and caught.value.retry_after > 0


def test_a_refusal_inside_the_computation_is_the_same_refusal() -> None:
    with pytest.raises(InvalidInput, match="not like this"):
        Budget(workers=1, seconds=60, memory_mb=256).run(_refuse)


def _vote(voters: int, quota: int) -> WeightedVotingGame:
    weights = tuple(Fraction(1 + (7 * i) % (2 * quota // voters)) for i in range(voters))
    return WeightedVotingGame(tuple(f"v{i}" for i in range(voters)), weights=weights, quota=Fraction(quota))


def test_voting_power_refuses_work_over_its_bounds_before_computing() -> None:
    # The review's request: 200 voters, quota 99,000 (16.8 GiB before this bound).
    with pytest.raises(GameTooLarge) as caught:
        voting_power(_vote(200, 99_000))
    assert f"{MAX_CELLS:,}" in caught.value.message
    with pytest.raises(GameTooLarge) as caught:
        voting_power(_vote(1000, 3_000))
    assert f"{MAX_WORK:,}" in caught.value.message
    power = voting_power(_vote(60, 500))  # within the bounds: computed
    assert power.shapley_shubik.sum() == pytest.approx(1.0)
