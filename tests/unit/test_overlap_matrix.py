"""The overlap matrix (privacy.matrix): one cell per unordered pair, its newest done session; other
statuses and pairs never compared leave no cell (never a zero); the rate is the overlap over the
smaller list; a member's matrix holds only its own pairs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from alliance.privacy.matrix import build, latest_cells
from alliance.store.privacy_repository import StoredSession

AT = datetime(2026, 11, 8, 2, tzinfo=UTC)


def session(id: int, initiator: str, partner: str, status: str = "done", overlap: int | None = 10,
            client: int | None = 100, server: int | None = 200) -> StoredSession:
    return StoredSession(id, initiator, partner, "count", "email", "salt", status, "u", AT, AT, client, server,
                         overlap, AT if status == "done" else None)


def test_the_newest_done_session_of_either_direction_is_the_pairs_cell() -> None:
    cells = latest_cells([session(3, "M2", "M1", overlap=30), session(1, "M1", "M2", overlap=10),
                          session(4, "M1", "M2", status="running", overlap=None),
                          session(5, "M1", "M2", status="cancelled", overlap=None)])
    assert list(cells) == [("M1", "M2")]
    cell = cells[("M1", "M2")]
    assert (cell.session_id, cell.overlap, cell.smaller, cell.rate) == (3, 30, 100, Decimal("0.3000"))


def test_pairs_never_compared_have_no_cell_and_a_zero_overlap_is_a_cell() -> None:
    found = build(["M3", "M1", "M2"], [session(1, "M1", "M2", overlap=0), session(2, "M1", "M3", status="refused",
                                                                                overlap=None)], None)
    assert found.members == ["M1", "M2", "M3"]
    assert found.cell("M2", "M1") is not None and found.cell("M2", "M1").rate == Decimal(0)  # type: ignore[union-attr]
    assert found.cell("M1", "M3") is None and found.cell("M2", "M3") is None and found.cell("M1", "M1") is None


def test_a_members_matrix_holds_only_its_pairs_and_rates_are_exact() -> None:
    sessions = [session(1, "M1", "M2", overlap=1, client=3, server=7), session(2, "M2", "M3", overlap=5)]
    mine = build(["M1", "M2", "M3"], sessions, "M1")
    assert list(mine.cells) == [("M1", "M2")] and mine.only == "M1"
    assert mine.cell("M1", "M2").rate == Decimal("0.3333")  # type: ignore[union-attr]
    assert latest_cells([session(1, "M1", "M2", overlap=0, client=0, server=0)])[("M1", "M2")].rate == 0
