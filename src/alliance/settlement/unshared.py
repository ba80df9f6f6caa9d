"""Days closed with nothing shared: why, and the confirmation closing one takes. Pure.

A business day with order lines but no agreement in force would close for good with nothing
shared: no member receives or pays anything for those lines, then or later (late lines of a closed
day settle under the version in force on their own day, and there was none). That is sometimes
right (trading began before the first agreement took effect), never something to do by accident:
a run refuses such a day unless whoever settles it confirms (`allow_unshared`), and the run keeps
the reason so the day's page says it for good. The edges name their own way to confirm.
"""

from __future__ import annotations

from datetime import date

from alliance.core.errors import Conflict
from alliance.core.messages import Message

# The reasons a run stores (settlement_runs.unshared_reason); stable codes, shown in words by edges.
NO_AGREEMENT_IN_FORCE = "no_agreement_in_force"


def unshared_reason(lines: int, agreements: list[object]) -> str | None:
    """Why a day with these order lines and these agreements applied shares nothing (None: it shares)."""
    return NO_AGREEMENT_IN_FORCE if lines and not agreements else None


class UnsharedDay(Conflict):
    """Settling the day would close it with nothing shared, and nobody confirmed that."""

    code = "day_unshared"
    title = Message("Day would close with nothing shared")

    def __init__(self, alliance: str, day: date, lines: int, how_to_confirm: str = "") -> None:
        """`how_to_confirm`: an edge's own words for its way to confirm (a flag, a field), a Message."""
        if how_to_confirm:
            message = Message(
                "{day} has {lines} order line(s) but no agreement of {alliance!r} is in force on it: settling it "
                "closes the day for good with nothing shared (no member receives or pays anything for these lines, "
                "now or later). Nothing was settled; confirm to close it with nothing shared: {how_to_confirm}",
                day=day, lines=lines, alliance=alliance, how_to_confirm=how_to_confirm)
        else:
            message = Message(
                "{day} has {lines} order line(s) but no agreement of {alliance!r} is in force on it: settling it "
                "closes the day for good with nothing shared (no member receives or pays anything for these lines, "
                "now or later). Nothing was settled; confirm to close it with nothing shared",
                day=day, lines=lines, alliance=alliance)
        super().__init__(message)
        self.alliance, self.day, self.lines = alliance, day, lines
