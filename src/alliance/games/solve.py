"""Solve a game for the solutions asked, and turn values into cents.

`solve` picks the method per solution: a closed form or enumeration where exact is possible,
sampling (with its confidence interval) where the game is too large to enumerate. A solution the
game is too large for is reported as skipped with the reason when "all" were asked, and raises
when it was asked for by name. `split_money` rounds values to cents with the settlement's
largest-remainder rule, after reading each float as the nearest fraction with a denominator of at
most 10^9: solutions of games with rational worths are rationals with small denominators (2/3,
1/6, ...), which this recovers exactly, so players a solution treats alike are not told apart by
floating-point noise when the last cent is handed out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from alliance.core.money import Money, MoneyError, apportion
from alliance.core.messages import Message
from alliance.games.game import (MAX_ENUMERATED, AirportGame, AttributionGame, Game, GameInvalid, GameTooLarge,
                                 WeightedVotingGame)
from alliance.games.sampling import banzhaf_sampled, shapley_sampled
from alliance.games.stability import MAX_LP_PLAYERS, core_check, least_core, nucleolus
from alliance.games.values import banzhaf, equal_split, normalised, proportional_split, shapley

SOLUTIONS = ("shapley", "banzhaf", "core", "nucleolus", "equal", "proportional")
SIGNIFICANT = 12


@dataclass
class GameSolution:
    players: tuple[str, ...]
    cost: bool
    grand_worth: float
    values: dict[str, dict[str, float]] = field(default_factory=dict)   # solution -> player -> value
    methods: dict[str, str] = field(default_factory=dict)                # solution -> how it was computed
    half_widths: dict[str, dict[str, float]] = field(default_factory=dict)  # sampled solutions' 95% CI
    banzhaf_raw: dict[str, float] | None = None
    core: dict[str, Any] | None = None
    skipped: dict[str, str] = field(default_factory=dict)                # solution -> why not computed

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"players": list(self.players), "cost_game": self.cost,
                               "grand_coalition": _round(self.grand_worth)}
        for name, values in self.values.items():
            out[name] = {p: _round(v) for p, v in values.items()}
        if self.banzhaf_raw is not None:
            out["banzhaf_raw"] = {p: _round(v) for p, v in self.banzhaf_raw.items()}
        if self.core is not None:
            out["core"] = self.core
        out["methods"] = dict(self.methods)
        if self.half_widths:
            out["confidence_95"] = {k: {p: _round(v) for p, v in hw.items()} for k, hw in self.half_widths.items()}
        if self.skipped:
            out["skipped"] = dict(self.skipped)
        return out


def _round(x: float) -> float:
    return float(f"{x:.{SIGNIFICANT}g}") + 0.0 if np.isfinite(x) else x  # + 0.0: no "-0.0"


def _named(game: Game, values: np.ndarray) -> dict[str, float]:
    return {p: float(v) for p, v in zip(game.players, values, strict=True)}


def _exact_shapley_possible(game: Game) -> bool:
    return isinstance(game, (AttributionGame, AirportGame, WeightedVotingGame)) or game.n <= MAX_ENUMERATED


def _exact_banzhaf_possible(game: Game) -> bool:
    return isinstance(game, (AttributionGame, WeightedVotingGame)) or game.n <= MAX_ENUMERATED


def solve(game: Game, wanted: Iterable[str], *, allocation: Mapping[str, float] | None = None,
          target_error: float | None = None, max_samples: int = 100_000, seed: int = 0) -> GameSolution:
    """Compute each wanted solution ("all" for every one that applies). See the module docstring."""
    asked = list(wanted)
    unknown = [w for w in asked if w not in (*SOLUTIONS, "all")]
    if unknown:
        raise GameInvalid(Message("unknown solution(s) {unknown}; expected {solutions} or all",
                                  unknown=', '.join(unknown), solutions=', '.join(SOLUTIONS)))
    everything = "all" in asked
    todo = list(SOLUTIONS) if everything else asked
    result = GameSolution(game.players, game.cost, game.grand_worth())

    def skip_or_raise(name: str, error: GameTooLarge) -> None:
        if not everything:
            raise error
        result.skipped[name] = error.message

    if "shapley" in todo or "core" in todo:
        if _exact_shapley_possible(game):
            result.values["shapley"] = _named(game, shapley(game))
            result.methods["shapley"] = "exact"
        else:
            estimate = shapley_sampled(game, target_error=target_error, max_permutations=max_samples, seed=seed)
            result.values["shapley"] = _named(game, estimate.values)
            result.half_widths["shapley"] = _named(game, estimate.half_width)
            result.methods["shapley"] = f"sampled: {estimate.samples} permutations, seed {seed}"
    if "banzhaf" in todo:
        if _exact_banzhaf_possible(game):
            raw = banzhaf(game)
            result.methods["banzhaf"] = "exact"
        else:
            estimate = banzhaf_sampled(game, target_error=target_error, max_coalitions=max_samples, seed=seed)
            raw = estimate.values
            result.half_widths["banzhaf_raw"] = _named(game, estimate.half_width)
            result.methods["banzhaf"] = f"sampled: {estimate.samples} coalitions, seed {seed}"
        result.banzhaf_raw = _named(game, raw)
        scaled = normalised(raw, result.grand_worth)
        if scaled is not None:
            result.values["banzhaf"] = _named(game, scaled)
        else:
            result.skipped["banzhaf"] = Message("the raw Banzhaf values sum to zero: there is nothing to normalise")
    if "nucleolus" in todo:
        if game.n > MAX_LP_PLAYERS:
            skip_or_raise("nucleolus", GameTooLarge(Message("the nucleolus solves linear programmes over every "
                                                            "coalition and takes at most {max_lp_players} players; "
                                                            "this game has {n}",
                                                            max_lp_players=MAX_LP_PLAYERS, n=game.n)))
        elif game.n < 2:
            result.values["nucleolus"] = _named(game, np.array([result.grand_worth]))
        else:
            found = nucleolus(game)
            result.values["nucleolus"] = _named(game, found.allocation)
            result.methods["nucleolus"] = f"sequential linear programmes over {found.domain}"
    if "core" in todo:
        if game.n > MAX_ENUMERATED:
            skip_or_raise("core", GameTooLarge(Message("the core check enumerates every coalition and takes at "
                                                       "most {max_enumerated} players; this game has {n}",
                                                       max_enumerated=MAX_ENUMERATED, n=game.n)))
        else:
            result.core = _core(game, allocation or result.values["shapley"])
    if "equal" in todo:
        result.values["equal"] = _named(game, equal_split(game))
    if "proportional" in todo:
        split = proportional_split(game)
        if split is None:
            result.skipped["proportional"] = Message("the players' stand-alone worths sum to zero")
        else:
            result.values["proportional"] = _named(game, split)
    if "shapley" not in todo:
        result.values.pop("shapley", None)
        result.methods.pop("shapley", None)
    return result


def _core(game: Game, allocation: Mapping[str, float]) -> dict[str, Any]:
    missing = [p for p in game.players if p not in allocation]
    if missing:
        raise GameInvalid(Message("the allocation to check has no value for {missing}", missing=', '.join(missing)))
    strangers = [p for p in allocation if p not in game.players]
    if strangers:
        raise GameInvalid(Message("the allocation names non-players: {strangers}", strangers=', '.join(strangers)))
    check = core_check(game, np.array([allocation[p] for p in game.players], dtype=np.float64))
    out: dict[str, Any] = {"allocation": {p: _round(float(allocation[p])) for p in game.players},
                           "in_core": check.in_core, "efficient": check.efficient,
                           "blocking": list(check.blocking) if check.blocking else None,
                           "excess": _round(check.excess)}
    if 2 <= game.n <= MAX_LP_PLAYERS:
        least = least_core(game)
        out["core_empty"] = least.epsilon > 1e-9 * max(1.0, abs(game.grand_worth()))
        out["least_core_epsilon"] = _round(least.epsilon)
    return out


def split_money(pool: Money, values: Mapping[str, float | Fraction | Decimal]) -> dict[str, Money]:
    """Share `pool` in proportion to `values` (a solution), to the cent, parts adding to the pool.

    Floats are read as the nearest fraction with denominator <= 10^9 (see the module docstring);
    a value may be negative (a player whose presence costs the others), but the values may not
    sum to zero."""
    if not values:
        raise MoneyError(Message("cannot split among no players"))
    exact = {p: Fraction(v).limit_denominator(10**9) if isinstance(v, float) else Fraction(v)
             for p, v in values.items()}
    total = sum(exact.values(), Fraction(0))
    if total == 0:
        raise MoneyError(Message("cannot split in proportion to values that sum to zero"))
    return apportion(pool, {p: pool.minor * v / total for p, v in exact.items()})
