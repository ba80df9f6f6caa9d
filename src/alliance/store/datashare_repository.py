"""Rows <-> shared views and their access log; every query scoped by alliance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from alliance.store.tables import shared_views, view_access_log, view_budget_spends


@dataclass(frozen=True, slots=True)
class StoredView:
    id: int
    member: str
    name: str
    dataset: str
    policies: dict[str, str]
    k: int
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    functions: tuple[str, ...] | None = None  # aggregate functions allowed; None: published before the choice
    privacy: dict[str, Any] | None = None  # datashare.budget.Privacy.as_json(); None: no differential privacy


@dataclass(frozen=True, slots=True)
class Access:
    accessed_by: str
    accessed_at: datetime
    kind: str
    query: dict[str, Any]
    returned: int


_VIEW = (shared_views.c.id, shared_views.c.member_code, shared_views.c.name, shared_views.c.dataset,
         shared_views.c.policies, shared_views.c.k, shared_views.c.created_by, shared_views.c.created_at,
         shared_views.c.revoked_at, shared_views.c.functions, shared_views.c.privacy)


def _view(row: Any) -> StoredView:
    *head, functions, privacy = row
    return StoredView(*head, functions=None if functions is None else tuple(functions), privacy=privacy)


class DataShareRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, alliance_id: int, member: str, name: str, dataset: str, policies: dict[str, str], k: int,
            created_by: str, at: datetime, *, functions: tuple[str, ...] | None = None,
            privacy: dict[str, Any] | None = None) -> int:
        result = self._c.execute(insert(shared_views).values(
            alliance_id=alliance_id, member_code=member, name=name, dataset=dataset, policies=policies, k=k,
            created_by=created_by, created_at=at, functions=None if functions is None else list(functions),
            privacy=privacy).returning(shared_views.c.id))
        return int(result.scalar_one())

    def view(self, alliance_id: int, view_id: int) -> StoredView | None:
        row = self._c.execute(select(*_VIEW).where(shared_views.c.alliance_id == alliance_id,
                                                   shared_views.c.id == view_id)).first()
        return None if row is None else _view(row)

    def views(self, alliance_id: int) -> list[StoredView]:
        rows = self._c.execute(select(*_VIEW).where(shared_views.c.alliance_id == alliance_id,
                                                    shared_views.c.revoked_at.is_(None)).order_by(shared_views.c.id))
        return [_view(row) for row in rows]

    def revoke(self, alliance_id: int, view_id: int, at: datetime) -> bool:
        result = self._c.execute(update(shared_views).where(shared_views.c.alliance_id == alliance_id,
                                                            shared_views.c.id == view_id,
                                                            shared_views.c.revoked_at.is_(None)).values(revoked_at=at))
        return bool(result.rowcount)

    def log(self, alliance_id: int, view: StoredView, accessed_by: str, at: datetime, kind: str, query: dict[str, Any],
            returned: int) -> None:
        self._c.execute(insert(view_access_log).values(
            alliance_id=alliance_id, view_id=view.id, member_code=view.member, accessed_by=accessed_by, accessed_at=at,
            kind=kind, query=query, returned=returned))

    def accesses(self, alliance_id: int, view_id: int, limit: int, offset: int) -> list[Access]:
        rows = self._c.execute(select(view_access_log.c.accessed_by, view_access_log.c.accessed_at, view_access_log.c.kind,
                                      view_access_log.c.query, view_access_log.c.returned)
                               .where(view_access_log.c.alliance_id == alliance_id, view_access_log.c.view_id == view_id)
                               .order_by(view_access_log.c.id.desc()).limit(limit).offset(offset))
        return [Access(*row) for row in rows]

    # -- differential privacy: the declaration and the budget spends ------------------------------------
    def set_privacy(self, alliance_id: int, view_id: int, privacy: dict[str, Any]) -> None:
        self._c.execute(update(shared_views).where(shared_views.c.alliance_id == alliance_id,
                                                   shared_views.c.id == view_id).values(privacy=privacy))

    def hold(self, alliance_id: int, view_ids: Sequence[int]) -> None:
        """Make the spends of these views one at a time until the transaction ends, so that what was
        spent, read next, stays true until the new spend commits (no two queries overspend).
        PostgreSQL locks the views' rows (in id order: no deadlock between two joint queries);
        SQLite has no row lock, and its reads before a transaction's first write see no later commit:
        an UPDATE that changes nothing takes the database's write lock now."""
        ids = sorted(set(view_ids))
        if self._c.dialect.name == "sqlite":
            self._c.execute(update(shared_views).where(shared_views.c.alliance_id == alliance_id,
                                                       shared_views.c.id.in_(ids)).values(id=shared_views.c.id))
        else:
            self._c.execute(select(shared_views.c.id).where(shared_views.c.alliance_id == alliance_id,
                                                            shared_views.c.id.in_(ids))
                            .order_by(shared_views.c.id).with_for_update())

    def spent(self, alliance_id: int, view_id: int, party: str, period_start: date) -> int:
        """Micro-ε this party spent on the view in the period."""
        return int(self._c.execute(select(func.coalesce(func.sum(view_budget_spends.c.micro_epsilon), 0)).where(
            view_budget_spends.c.alliance_id == alliance_id, view_budget_spends.c.view_id == view_id,
            view_budget_spends.c.party == party, view_budget_spends.c.period_start == period_start)).scalar_one())

    def spent_by_party(self, alliance_id: int, view_id: int, period_start: date) -> dict[str, int]:
        """Micro-ε each party spent on the view in the period (parties that spent nothing are absent)."""
        rows = self._c.execute(select(view_budget_spends.c.party, func.sum(view_budget_spends.c.micro_epsilon)).where(
            view_budget_spends.c.alliance_id == alliance_id, view_budget_spends.c.view_id == view_id,
            view_budget_spends.c.period_start == period_start)
            .group_by(view_budget_spends.c.party).order_by(view_budget_spends.c.party))
        return {party: int(total) for party, total in rows}

    def spend(self, alliance_id: int, view_id: int, party: str, period_start: date, micro_epsilon: int, at: datetime,
              actor: str) -> None:
        self._c.execute(insert(view_budget_spends).values(
            alliance_id=alliance_id, view_id=view_id, party=party, period_start=period_start,
            micro_epsilon=micro_epsilon, at=at, actor=actor))
