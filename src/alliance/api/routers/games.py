"""Cooperative games over HTTP: solve a game document, and voting power under a weighted vote.

Both are pure computations on the request body (nothing is stored or read), so they need no
alliance; each runs in a child process within the computing budget (core.budget: 503 past it),
after the game's own up-front bounds (422 naming the limit); the alliance-scoped contribution report comes with the ledger and roles (issues 6, 7).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from alliance.edge.problems import PROBLEM_JSON
from alliance.core import budget
from alliance.games.files import parse_game, parse_weights
from alliance.games.game import WeightedVotingGame
from alliance.games.solve import SOLUTIONS, solve
from alliance.games.voting import require_countable, voting_power

router = APIRouter(tags=["games"])
ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"description": "invalid game or options, or a game over the work bounds", "content": {PROBLEM_JSON: {}}},
    503: {"description": "over the time or memory budget, or every computing slot busy (see Retry-After)",
          "content": {PROBLEM_JSON: {}}}}
Name = Annotated[str, Field(min_length=1, max_length=200)]


class SolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    game: dict[str, Any] = Field(description='A game document as in docs/formats/games.md ({"type": ...}).')
    solutions: list[str] = Field(default=["all"], max_length=len(SOLUTIONS) + 1,
                                 description=f"Any of {', '.join(SOLUTIONS)}, or all.")
    target_error: float | None = Field(default=None, gt=0)
    samples: int = Field(default=100_000, ge=1, le=1_000_000)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    allocation: dict[Name, Decimal] | None = Field(
        default=None, max_length=1000, description="Check this allocation against the core (default: the Shapley value).")


@router.post("/games/solve", responses=ERRORS)
def solve_game(body: SolveIn) -> dict[str, Any]:
    """Each player's value under the chosen solutions (values are numbers, not money)."""
    game = parse_game(json.dumps(body.game))
    allocation = {k: float(v) for k, v in body.allocation.items()} if body.allocation is not None else None
    if isinstance(game, WeightedVotingGame):
        require_countable(game)
    return budget.run(solve, game, body.solutions, allocation=allocation, target_error=body.target_error,
                      max_samples=body.samples, seed=body.seed).as_json()


class VotingPowerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quota: Decimal = Field(gt=0, description="The weight a coalition needs to win.")
    weights: dict[Name, Annotated[Decimal, Field(ge=0)]] = Field(min_length=1, max_length=1000)
    veto: list[Name] = Field(default=[], max_length=1000)


@router.post("/voting-power", responses=ERRORS)
def power(body: VotingPowerIn) -> dict[str, Any]:
    """Shapley-Shubik and Banzhaf power of each member, beside its weight (shares sum to 1)."""
    game = parse_weights(json.dumps({k: str(v) for k, v in body.weights.items()}), str(body.quota), body.veto)
    assert isinstance(game, WeightedVotingGame)
    require_countable(game)  # the bounds first, here: a 422 needs no worker
    result = budget.run(voting_power, game)
    total = sum(game.weights)
    return {"quota": str(body.quota), "members": [
        {"member": player, "weight": str(body.weights[player]), "veto": i in game.veto,
         "weight_share": float(game.weights[i] / total) if total else 0.0,
         "shapley_shubik": float(result.shapley_shubik[i]), "banzhaf": float(result.banzhaf_index[i]),
         "banzhaf_raw": float(result.banzhaf_raw[i])}
        for i, player in enumerate(game.players)]}
