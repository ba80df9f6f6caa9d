"""The overlap matrix between members: for each pair, the result of its latest finished session.

A pair is unordered (a session opened by A toward B and one opened by B toward A measure the same
overlap), so each pair has one cell, the newest `done` session of either direction. The rate is the
overlap over the smaller of the two list sizes (1.0: the smaller list lies wholly inside the other).
The initiator's size is the upper bound the platform reads from its setup message (see
`service.post_message`), so a rate may be a little below the true one, never above it.

A pair never compared (or whose sessions were all refused, cancelled or are still running) has no
cell: the page shows it empty, never as zero. `matrix` narrows the pairs to one member's when the
reader is a member (it sees only its own sessions); the coordinator and auditors see every pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from alliance.store.database import Store
from alliance.store.privacy_repository import StoredSession

DONE = "done"
RATE_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class Cell:
    """The latest finished comparison of one pair of members (`one` < `other` by code)."""

    one: str
    other: str
    session_id: int
    overlap: int
    smaller: int
    finished_at: datetime | None

    @property
    def rate(self) -> Decimal:
        """Overlap over the smaller list, to four places (0 for empty lists, which the limits forbid)."""
        if self.smaller <= 0:
            return Decimal(0)
        return (Decimal(self.overlap) / Decimal(self.smaller)).quantize(RATE_PLACES, ROUND_HALF_EVEN)


def pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def latest_cells(sessions: Iterable[StoredSession]) -> dict[tuple[str, str], Cell]:
    """Each pair's newest done session (by id: ids grow as sessions are opened)."""
    cells: dict[tuple[str, str], Cell] = {}
    newest: dict[tuple[str, str], int] = {}
    for s in sessions:
        if s.status != DONE or s.overlap is None:
            continue
        key = pair(s.initiator, s.partner)
        if key in newest and newest[key] > s.id:
            continue
        sizes = [n for n in (s.client_size, s.server_size) if n is not None]
        newest[key] = s.id
        cells[key] = Cell(key[0], key[1], s.id, s.overlap, min(sizes) if sizes else 0, s.finished_at)
    return cells


@dataclass(frozen=True, slots=True)
class Matrix:
    """The members on both axes (in code order) and the cells the reader may see."""

    members: Sequence[str]
    cells: dict[tuple[str, str], Cell]
    only: str | None  # the member whose pairs these are, or None for every pair

    def cell(self, a: str, b: str) -> Cell | None:
        return None if a == b else self.cells.get(pair(a, b))


def build(members: Sequence[str], sessions: Iterable[StoredSession], only: str | None) -> Matrix:
    """The matrix of `members`; with `only`, the pairs `only` takes part in and nothing else."""
    cells = latest_cells(s for s in sessions if only is None or only in (s.initiator, s.partner))
    return Matrix(sorted(members), cells, only)


def matrix(store: Store, code: str, members: Sequence[str], only: str | None) -> Matrix:
    """Read the alliance's sessions (`only`'s when given) and build its overlap matrix."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(code)
        found = uow.privacy.sessions(alliance.id, only, 1_000_000, 0)
    return build(members, found, only)
