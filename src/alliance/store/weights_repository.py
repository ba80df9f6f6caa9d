"""The alliance's explicit voting weight table, and the settled amounts the `settled` source weighs
by. Every query is scoped by alliance_id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, delete, func, insert, select

from alliance.store.tables import settlement_runs, statement_lines, vote_weights


@dataclass(frozen=True, slots=True)
class StoredWeight:
    member: str
    weight: str  # the exact decimal as text
    set_by: str
    set_at: datetime


class WeightsRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def table(self, alliance_id: int) -> list[StoredWeight]:
        rows = self._c.execute(select(vote_weights).where(vote_weights.c.alliance_id == alliance_id)
                               .order_by(vote_weights.c.member_code))
        return [StoredWeight(r.member_code, r.weight, r.set_by, r.set_at) for r in rows]

    def replace(self, alliance_id: int, entries: Sequence[tuple[str, str]], set_by: str, set_at: datetime) -> None:
        """The whole table replaced by `entries` (member, weight text)."""
        self._c.execute(delete(vote_weights).where(vote_weights.c.alliance_id == alliance_id))
        if entries:
            self._c.execute(insert(vote_weights), [
                {"alliance_id": alliance_id, "member_code": member, "weight": weight, "set_by": set_by,
                 "set_at": set_at} for member, weight in entries])

    def paid_out(self, alliance_id: int, first: date, last: date) -> dict[str, int]:
        """Per account, the sum of its positive statement amounts (minor units) on the days settled in
        [first, last]: what settlement said each account receives, before what it pays."""
        rows = self._c.execute(
            select(statement_lines.c.account, func.sum(statement_lines.c.amount_minor))
            .select_from(statement_lines.join(settlement_runs, statement_lines.c.run_id == settlement_runs.c.id))
            .where(settlement_runs.c.alliance_id == alliance_id, statement_lines.c.alliance_id == alliance_id,
                   settlement_runs.c.day.between(first, last), statement_lines.c.amount_minor > 0)
            .group_by(statement_lines.c.account))
        return {account: int(total) for account, total in rows}
