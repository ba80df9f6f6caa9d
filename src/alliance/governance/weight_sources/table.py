"""The alliance's stored explicit table (investment shares, or any agreed figures), as set by the
coordinator (governance/weight_table.py validates it, the ledger records every change).

A table names members; when a vote opens, every member it names must still be active: a table
that names a member who has left is refused (`weights_unavailable`) until the coordinator sets it
again, rather than voting on shares that no longer add up to what was agreed. An active member the
table does not name has no weight (it does not vote by weight).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from fractions import Fraction

from alliance.core.messages import Message
from alliance.governance.numbers import exact
from alliance.governance.weight_sources.base import WeightReader, WeightSource, WeightsUnavailable


def table_weights(alliance: str, table: Sequence[tuple[str, str]], active: Collection[str],
                  on: date) -> dict[str, Fraction]:
    """The stored table's weights, or WeightsUnavailable: no table, or one naming a departed member."""
    if not table:
        raise WeightsUnavailable(Message(
            "alliance {alliance!r} has no weight table: the coordinator sets one (the Weights page, or `alliance "
            "body weights --set MEMBER=WEIGHT ...`), or the rule takes its weights from settled contribution or "
            "one vote each", alliance=alliance))
    gone = [member for member, _ in table if member not in active]
    if gone:
        raise WeightsUnavailable(Message(
            "the weight table of {alliance!r} names {members}, not active members on {day}: the coordinator sets "
            "the table again without them", alliance=alliance, members=", ".join(gone), day=on.isoformat()))
    return {member: exact(text, member) for member, text in table}


class TableSource(WeightSource):
    key = "table"
    title = Message("Explicit table")
    summary = Message("The weights the coordinator set, e.g. each member's investment share.")

    @classmethod
    def weights(cls, reader: WeightReader, on: date) -> dict[str, Fraction]:
        return table_weights(reader.alliance_code, reader.stored_table(), set(reader.active_members(on)), on)
