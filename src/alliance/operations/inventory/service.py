"""The inventory board's use cases: who is on the board, and the board and turnover one viewer may see.

Who is on the board: a member whose inventory dataset has a live view (published, not revoked, the
member has not left) — publishing inventory is its consent. Sales count (transfer suggestions,
turnover) only for members that also have a live `sales` view. A member not on the board sees its
own stock only.
"""

from __future__ import annotations

from datetime import date

from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.operations.inventory.model import Board, Turnover
from alliance.store.stores import Stores


def board(stores: Stores, alliance_code: str, principal: Principal, clock: Clock, *,
          as_of: date | str | None = None, slow_after_days: int | str | None = None,
          offset: int | str | None = 0, limit: int | str | None = None) -> Board:
    raise NotImplementedError


def turnover(stores: Stores, alliance_code: str, principal: Principal, clock: Clock, *,
             as_of: date | str | None = None, months: int | str | None = None) -> Turnover:
    raise NotImplementedError
