"""Would any group do better on its own? The core, the least core and the nucleolus.

The *excess* of a coalition S under an allocation x is e(S) = v(S) - x(S): what S could get alone
beyond what x gives it (for a cost game, x(S) - c(S): what S pays beyond its stand-alone cost).
An efficient allocation (x(N) = v(N)) is in the **core** when no coalition has a positive excess;
otherwise the coalition with the largest excess is the most dissatisfied one.

The **least core** is the set of efficient allocations whose largest excess eps is smallest: one
linear programme (minimise eps subject to v(S) - x(S) <= eps for every proper coalition). The
**nucleolus** goes on lexicographically, by the standard sequence of linear programmes
(Maschler, Peleg and Shapley 1979; the fixing rule of Derks and Kuipers 1997): after each
programme, every coalition whose constraint carries a positive dual price is tight in *every*
optimal solution (complementary slackness), so its excess is fixed at that level; coalitions
whose excess the fixed ones already determine drop out; repeat at the next level until the
fixed coalitions determine x. The dual of eps forces the duals of the remaining constraints to
sum to 1, so each round fixes at least one coalition and the sequence ends.

It is computed over imputations (x_i >= v({i})) when there are any, else over all efficient
allocations (the prenucleolus), and the result says which. Programmes are solved by HiGHS through
scipy (`scipy.optimize.linprog`), on worths scaled to at most 1 in absolute value. Each programme
has a row per coalition, so these methods take at most 16 players (65,534 rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alliance.core.messages import Message
from alliance.games.game import Game, GameInvalid, mask_matrix, require_enumerable

MAX_LP_PLAYERS = 16
TOLERANCE = 1e-9


class SolverFailed(GameInvalid):
    code = "solver_failed"
    title = Message("The linear programme could not be solved")


@dataclass(frozen=True)
class CoreCheck:
    in_core: bool
    efficient: bool          # the allocation shares out exactly the grand coalition's worth
    shortfall: float         # v(N) - x(N) (cost game: x(N) - c(N)): zero when efficient
    blocking: tuple[str, ...] | None  # the most dissatisfied coalition, when one has positive excess
    excess: float            # its excess (the largest over proper coalitions)


@dataclass(frozen=True)
class LeastCore:
    epsilon: float          # the least core's largest excess (<= 0: the core is not empty)
    allocation: np.ndarray  # one allocation in the least core


@dataclass(frozen=True)
class Nucleolus:
    allocation: np.ndarray
    domain: str                     # "imputations" or "preimputations" (the prenucleolus)
    excess_levels: tuple[float, ...]  # the excesses fixed round by round, largest first


def _profit_form(game: Game, allocation: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Worth table and allocation with a cost game turned into its negative (a savings-like game)."""
    table = game.table()
    if game.cost:
        return -table, None if allocation is None else -allocation
    return table, allocation


def core_check(game: Game, allocation: np.ndarray) -> CoreCheck:
    """Is `allocation` (per player, in `game.players` order) in the core? (n <= 25)"""
    require_enumerable(game.n, Message("the core check"))
    if allocation.shape != (game.n,):
        raise GameInvalid(Message("the allocation needs one value per player ({n})", n=game.n))
    table, x = _profit_form(game, np.asarray(allocation, dtype=np.float64))
    assert x is not None
    from alliance.games.game import subset_sums

    excess = table - subset_sums(x)
    scale = max(1.0, float(np.abs(table).max()), float(np.abs(x).max()))
    shortfall = float(excess[-1])
    efficient = abs(shortfall) <= 1e-9 * scale
    proper = excess[1:-1]
    if proper.size == 0:
        return CoreCheck(efficient, efficient, shortfall if not game.cost else -shortfall, None, 0.0)
    worst = int(np.argmax(proper)) + 1
    largest = float(excess[worst])
    blocking = None
    if largest > 1e-9 * scale:
        blocking = tuple(p for i, p in enumerate(game.players) if worst >> i & 1)
    return CoreCheck(efficient and blocking is None, efficient,
                     -shortfall if game.cost else shortfall, blocking, largest)


class _Programme:
    """The coalition rows of a game, scaled, with the fixed (equality) rows found so far."""

    def __init__(self, game: Game) -> None:
        require_enumerable(game.n, Message("the least core and the nucleolus"), MAX_LP_PLAYERS)
        if game.n < 2:
            raise GameInvalid(Message("a game of one player has no coalitions to balance"))
        table, _ = _profit_form(game)
        self.cost = game.cost
        self.n = game.n
        self.scale = max(1.0, float(np.abs(table).max()))
        self.v = table / self.scale
        self.masks = np.arange(1, (1 << self.n) - 1, dtype=np.int64)
        self.rows = mask_matrix(self.masks, self.n).astype(np.float64)
        self.active = np.ones(len(self.masks), dtype=bool)
        self.fixed_rows: list[np.ndarray] = [np.ones(self.n)]
        self.fixed_rhs: list[float] = [float(self.v[-1])]
        singles = self.v[1 << np.arange(self.n)]
        self.imputations = float(singles.sum()) <= float(self.v[-1]) + TOLERANCE
        self.lower = singles if self.imputations else None

    def solve(self) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """min eps over the active rows: (eps, x, duals of the active rows, duals of x's bounds)."""
        # SciPy is imported here, by the first linear programme: importing it costs a third of a
        # second, which whatever merely imports the games (the CLI, the web app) should not pay.
        from scipy.optimize import linprog
        from scipy.sparse import csr_matrix, hstack

        index = np.flatnonzero(self.active)
        rows = csr_matrix(self.rows[index])
        a_ub = hstack([-rows, csr_matrix(-np.ones((len(index), 1)))]).tocsr()
        b_ub = -self.v[self.masks[index]]
        a_eq = np.hstack([np.array(self.fixed_rows), np.zeros((len(self.fixed_rows), 1))])
        bounds = [(None if self.lower is None else float(low), None) for low in (self.lower if self.lower is not None else [None] * self.n)]
        result = linprog(np.r_[np.zeros(self.n), 1.0], A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=np.array(self.fixed_rhs),
                         bounds=[*bounds, (None, None)], method="highs")
        if result.status != 0:
            raise SolverFailed(Message("HiGHS could not solve the programme: {detail}", detail=result.message))
        lower_duals = np.asarray(result.lower.marginals[: self.n]) if self.lower is not None else np.zeros(self.n)
        return float(result.x[-1]), np.asarray(result.x[: self.n]), np.asarray(result.ineqlin.marginals), lower_duals

    def fix(self, eps: float, duals: np.ndarray, lower_duals: np.ndarray) -> None:
        index = np.flatnonzero(self.active)
        for k in index[np.abs(duals) > TOLERANCE]:
            self.fixed_rows.append(self.rows[k])
            self.fixed_rhs.append(float(self.v[self.masks[k]]) - eps)
        for i in np.flatnonzero(lower_duals > TOLERANCE):
            # x_i = v({i}) at every optimum: the singleton's excess is 0.
            self.fixed_rows.append(np.eye(self.n)[i])
            self.fixed_rhs.append(float(self.v[1 << i]))
        basis = np.linalg.svd(np.array(self.fixed_rows), full_matrices=False)
        rank = int((basis.S > 1e-9 * basis.S[0]).sum())
        span = basis.Vh[:rank]
        remaining = np.flatnonzero(self.active)
        residual = self.rows[remaining] - (self.rows[remaining] @ span.T) @ span
        self.active[remaining[np.linalg.norm(residual, axis=1) < 1e-9]] = False

    def rank(self) -> int:
        return int(np.linalg.matrix_rank(np.array(self.fixed_rows), tol=1e-9))

    def allocation(self, x: np.ndarray) -> np.ndarray:
        x = np.where(np.abs(x) < 1e-12, 0.0, x)  # solver noise around zero, on the scaled game
        out = x * self.scale
        return -out if self.cost else out


def least_core(game: Game) -> LeastCore:
    programme = _Programme(game)
    eps, x, _, _ = programme.solve()
    return LeastCore(eps * programme.scale, programme.allocation(x))


def nucleolus(game: Game) -> Nucleolus:
    programme = _Programme(game)
    levels: list[float] = []
    x = np.zeros(game.n)
    for _ in range(1 << game.n):
        eps, x, duals, lower_duals = programme.solve()
        levels.append(eps * programme.scale)
        programme.fix(eps, duals, lower_duals)
        if programme.rank() == game.n or not programme.active.any():
            break
    if programme.rank() == game.n:
        # The fixed coalitions determine x: solve them exactly rather than keep the LP's rounding.
        x = np.linalg.lstsq(np.array(programme.fixed_rows), np.array(programme.fixed_rhs), rcond=None)[0]
    return Nucleolus(programme.allocation(x), "imputations" if programme.imputations else "preimputations",
                     tuple(levels))
