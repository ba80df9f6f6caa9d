"""Loading and saving registry entities. Translates between rows and `alliance.registry.model`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.engine import Row

from alliance.core.errors import AllianceNotFound
from alliance.core.money import Money
from alliance.registry.model import (
    Alliance,
    AllianceChange,
    AllianceKind,
    AllianceSpec,
    AllianceStatus,
    AllianceStructure,
    CompanySize,
    Member,
    MemberDraft,
    MemberProfile,
    MemberRole,
    ResourceCategory,
    ResourceDeclaration,
    ResourceDirection,
)
from alliance.store.tables import alliance_changes, alliances, member_resources, members
from alliance.store.duplicates import refuses_duplicates

# Rows per INSERT statement on bulk imports: large enough to amortise round trips, small enough
# to stay under SQLite's and psycopg's bound-parameter limits (~25 columns per row).
_BATCH = 1000


class AllianceRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def id_of(self, code: str) -> int | None:
        return self._c.execute(select(alliances.c.id).where(alliances.c.code == code)).scalar_one_or_none()

    @refuses_duplicates
    def add(self, spec: AllianceSpec, parent_id: int | None, created_at: datetime) -> int:
        result = self._c.execute(
            insert(alliances).values(
                code=spec.code, name=spec.name, kind=spec.kind.value, structure=spec.structure.value,
                parent_id=parent_id, currency=spec.currency, timezone=spec.timezone,
                charter=spec.charter, status=spec.status.value, created_at=created_at, planned_end=spec.planned_end,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def get(self, code: str) -> Alliance | None:
        found = self._load(alliances.c.code == code)
        return found[0] if found else None

    def require(self, code: str) -> Alliance:
        """The alliance with this code, or AllianceNotFound: how every use case starts."""
        found = self.get(code)
        if found is None:
            raise AllianceNotFound(code)
        return found

    def all(self) -> list[Alliance]:
        return self._load(None)

    def status_of(self, alliance_id: int) -> AllianceStatus | None:
        """The alliance's status, for the lifecycle's check on every write. Read FOR SHARE on
        PostgreSQL: a change of status (which locks the row FOR UPDATE, `lock`) waits for the writes
        that checked the status before it to commit, and a write that checks while a change is under
        way waits for it and then sees the new status (not the one committed before it)."""
        query = select(alliances.c.status).where(alliances.c.id == alliance_id).with_for_update(read=True)
        found = self._c.execute(query).scalar_one_or_none()
        return None if found is None else AllianceStatus(found)

    def lock(self, alliance_id: int) -> None:
        """Hold the alliance's row until the transaction ends (a change of its details or status)."""
        self._c.execute(select(alliances.c.id).where(alliances.c.id == alliance_id).with_for_update())

    def update(self, alliance_id: int, values: dict[str, Any]) -> None:
        """Change the alliance's own columns (name, charter, status, planned_end)."""
        self._c.execute(update(alliances).where(alliances.c.id == alliance_id).values(**values))

    def add_changes(self, alliance_id: int, changes: Sequence[dict[str, Any]]) -> None:
        """Log changes of its details or status: field, old_value, new_value, actor, changed_at, decided_by, reason."""
        if changes:
            self._c.execute(insert(alliance_changes), [{"alliance_id": alliance_id, **c} for c in changes])

    def changes(self, alliance_id: int, limit: int = 200) -> list[AllianceChange]:
        """Its logged changes, the latest first."""
        rows = self._c.execute(select(alliance_changes).where(alliance_changes.c.alliance_id == alliance_id)
                               .order_by(alliance_changes.c.id.desc()).limit(limit)).all()
        return [AllianceChange(r.changed_at, r.actor, r.field, r.old_value, r.new_value, r.decided_by, r.reason)
                for r in rows]

    def _load(self, where: Any) -> list[Alliance]:
        parent = alliances.alias("parent")
        active = (
            select(func.count())
            .where(members.c.alliance_id == alliances.c.id, members.c.left_on.is_(None))
            .scalar_subquery()
        )
        query = (
            select(alliances, parent.c.code.label("parent_code"), active.label("member_count"))
            .outerjoin(parent, alliances.c.parent_id == parent.c.id)
            .order_by(alliances.c.code)
        )
        if where is not None:
            query = query.where(where)
        rows = self._c.execute(query).all()
        children: dict[int, list[str]] = {}
        ids = [r.id for r in rows]
        if ids:
            for child in self._c.execute(
                select(alliances.c.parent_id, alliances.c.code)
                .where(alliances.c.parent_id.in_(ids))
                .order_by(alliances.c.code)
            ):
                children.setdefault(child.parent_id, []).append(child.code)
        return [_alliance(r, tuple(children.get(r.id, ()))) for r in rows]


def _alliance(row: Row[Any], sub_codes: tuple[str, ...]) -> Alliance:
    return Alliance(
        id=row.id, code=row.code, name=row.name, kind=AllianceKind(row.kind),
        structure=AllianceStructure(row.structure), currency=row.currency, timezone=row.timezone,
        charter=row.charter, status=AllianceStatus(row.status), parent_code=row.parent_code,
        created_at=row.created_at, member_count=row.member_count, sub_alliance_codes=sub_codes,
        planned_end=row.planned_end,
    )


class MemberRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def end_membership(self, alliance_id: int, code: str, left_on: date) -> None:
        self._c.execute(
            update(members).where(members.c.alliance_id == alliance_id, members.c.code == code).values(left_on=left_on)
        )

    def existing_keys(self, alliance_id: int) -> dict[str, str]:
        """Credit code -> member code of everyone ever in an alliance (left members included)."""
        rows = self._c.execute(
            select(members.c.code, members.c.credit_code).where(members.c.alliance_id == alliance_id)
        ).all()
        return {r.credit_code: r.code for r in rows}

    @refuses_duplicates
    def add_many(self, alliance_id: int, drafts: Sequence[MemberDraft], created_at: datetime) -> int:
        """Insert members and their resources in batches; returns how many members were added."""
        for start in range(0, len(drafts), _BATCH):
            chunk = drafts[start : start + _BATCH]
            self._c.execute(insert(members), [_member_values(alliance_id, d, created_at) for d in chunk])
        with_resources = [d for d in drafts if d.resources]
        if with_resources:
            rows = self._c.execute(
                select(members.c.code, members.c.id).where(
                    members.c.alliance_id == alliance_id,
                    members.c.code.in_([d.code for d in with_resources]),
                )
            )
            ids = {code: member_id for code, member_id in rows}
            values = [
                _resource_values(alliance_id, ids[d.code], r) for d in with_resources for r in d.resources
            ]
            for start in range(0, len(values), _BATCH):
                self._c.execute(insert(member_resources), values[start : start + _BATCH])
        return len(drafts)

    def departures(self, alliance_id: int) -> dict[str, date]:
        """Member code -> the day it left (or leaves), for every member with a departure recorded."""
        rows = self._c.execute(select(members.c.code, members.c.left_on)
                               .where(members.c.alliance_id == alliance_id, members.c.left_on.is_not(None)))
        return {r.code: r.left_on for r in rows}

    def count(self, alliance_id: int, *, include_left: bool = False) -> int:
        query = select(func.count()).select_from(members).where(members.c.alliance_id == alliance_id)
        if not include_left:
            query = query.where(members.c.left_on.is_(None))
        return int(self._c.execute(query).scalar_one())

    def of_alliance(
        self,
        alliance_id: int,
        alliance_code: str,
        currency: str,
        *,
        include_left: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Member]:
        query = select(members).where(members.c.alliance_id == alliance_id).order_by(members.c.code)
        if not include_left:
            query = query.where(members.c.left_on.is_(None))
        if limit is not None:
            query = query.limit(limit).offset(offset)
        rows = self._c.execute(query).all()
        resources = self._resources(alliance_id, [r.id for r in rows]) if rows else {}
        return [_member(r, alliance_code, currency, resources.get(r.id, ())) for r in rows]

    def get(self, alliance_id: int, alliance_code: str, currency: str, code: str) -> Member | None:
        row = self._c.execute(
            select(members).where(members.c.alliance_id == alliance_id, members.c.code == code)
        ).one_or_none()
        if row is None:
            return None
        resources = self._resources(alliance_id, [row.id])
        return _member(row, alliance_code, currency, resources.get(row.id, ()))

    def _resources(self, alliance_id: int, member_ids: Iterable[int]) -> dict[int, tuple[ResourceDeclaration, ...]]:
        found: dict[int, list[ResourceDeclaration]] = {}
        wanted = set(member_ids)
        query = (
            select(member_resources)
            .where(member_resources.c.alliance_id == alliance_id)
            .order_by(member_resources.c.member_id, member_resources.c.direction, member_resources.c.priority, member_resources.c.id)
        )
        for r in self._c.execute(query):
            if r.member_id in wanted:
                found.setdefault(r.member_id, []).append(
                    ResourceDeclaration(
                        direction=ResourceDirection(r.direction), category=category_of(r.category),
                        description=r.description, capacity=r.capacity, unit=r.unit, priority=r.priority,
                        region=r.region, starts_on=r.starts_on, ends_on=r.ends_on,
                    )
                )
        return {k: tuple(v) for k, v in found.items()}


def _minor(m: Money | None) -> int | None:
    return None if m is None else m.minor


def _member_values(alliance_id: int, d: MemberDraft, created_at: datetime) -> dict[str, Any]:
    assert d.joined_on is not None, "drafts reaching the store carry a join date"
    p = d.profile
    return {
        "alliance_id": alliance_id, "code": d.code, "legal_name": d.legal_name,
        "credit_code": d.credit_code, "industry": d.industry, "region": d.region,
        "size": d.size.value if d.size else None, "role": d.role.value, "joined_on": d.joined_on,
        "left_on": None, "contact_name": d.contact_name, "contact_phone": d.contact_phone,
        "contact_email": d.contact_email, "revenue_minor": _minor(p.revenue),
        "profit_minor": _minor(p.profit), "cash_flow_minor": _minor(p.cash_flow),
        "debt_ratio": p.debt_ratio, "reputation": p.reputation,
        "compliance_records": p.compliance_records, "patent_count": p.patent_count,
        "api_count": p.api_count, "created_at": created_at,
    }


def _resource_values(alliance_id: int, member_id: int, r: ResourceDeclaration) -> dict[str, Any]:
    return {
        "alliance_id": alliance_id, "member_id": member_id, "direction": r.direction.value,
        "category": str(r.category), "description": r.description, "capacity": r.capacity,
        "unit": r.unit, "priority": r.priority, "region": r.region, "starts_on": r.starts_on, "ends_on": r.ends_on,
    }


def category_of(stored: str) -> ResourceCategory | str:
    """A stored kind: a group as its ResourceCategory (labelled on pages), a sub-kind as its key."""
    try:
        return ResourceCategory(stored)
    except ValueError:
        return stored


def _member(row: Row[Any], alliance_code: str, currency: str, resources: tuple[ResourceDeclaration, ...]) -> Member:
    def money(minor: int | None) -> Money | None:
        return None if minor is None else Money(int(minor), currency)

    return Member(
        id=row.id, alliance_code=alliance_code, code=row.code, legal_name=row.legal_name,
        credit_code=row.credit_code, industry=row.industry, region=row.region,
        size=CompanySize(row.size) if row.size else None, role=MemberRole(row.role),
        joined_on=row.joined_on, left_on=row.left_on, contact_name=row.contact_name,
        contact_phone=row.contact_phone, contact_email=row.contact_email,
        profile=MemberProfile(
            revenue=money(row.revenue_minor), profit=money(row.profit_minor),
            cash_flow=money(row.cash_flow_minor), debt_ratio=row.debt_ratio,
            reputation=row.reputation, compliance_records=row.compliance_records,
            patent_count=row.patent_count, api_count=row.api_count,
        ),
        resources=resources,
    )
