"""Loading and saving governance bodies and their meetings. Every query is scoped by alliance_id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.engine import Row

from alliance.governance.bodies import Body, BodyKind, RuleConfig, Seat, SeatRole
from alliance.governance.meetings import ActionItem, ActionStatus, AgendaItem, Attendance, Meeting, Origin, Presence
from alliance.store.duplicates import refuses_duplicates
from alliance.store.tables import gov_actions, gov_agenda_items, gov_attendance, gov_bodies, gov_meetings, gov_seats


def _id(result: Any) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


class GovernanceRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- bodies ------------------------------------------------------------------------------------
    @refuses_duplicates
    def add_body(self, alliance_id: int, seats: Sequence[Seat], **values: Any) -> int:
        body_id = _id(self._c.execute(insert(gov_bodies).values(alliance_id=alliance_id, **values)))
        self.replace_seats(alliance_id, body_id, seats)
        return body_id

    def replace_seats(self, alliance_id: int, body_id: int, seats: Sequence[Seat]) -> None:
        self._c.execute(delete(gov_seats).where(gov_seats.c.alliance_id == alliance_id, gov_seats.c.body_id == body_id))
        if seats:
            self._c.execute(insert(gov_seats), [
                {"alliance_id": alliance_id, "body_id": body_id, "member_code": s.member, "role": s.role.value,
                 "person": s.person} for s in seats])

    def set_rules(self, alliance_id: int, body_id: int, rules: dict[str, Any]) -> None:
        self._c.execute(update(gov_bodies).where(gov_bodies.c.alliance_id == alliance_id, gov_bodies.c.id == body_id)
                        .values(rules=rules))

    def body_names(self, alliance_id: int) -> set[str]:
        return set(self._c.execute(select(gov_bodies.c.name).where(gov_bodies.c.alliance_id == alliance_id)).scalars())

    def bodies(self, alliance_id: int, ids: Iterable[int] | None = None) -> list[Body]:
        query = select(gov_bodies).where(gov_bodies.c.alliance_id == alliance_id).order_by(gov_bodies.c.id)
        if ids is not None:
            query = query.where(gov_bodies.c.id.in_(list(ids)))
        rows = self._c.execute(query).all()
        if not rows:
            return []
        seats: dict[int, list[Seat]] = {}
        for s in self._c.execute(select(gov_seats).where(gov_seats.c.alliance_id == alliance_id,
                                                         gov_seats.c.body_id.in_([r.id for r in rows]))
                                 .order_by(gov_seats.c.id)):
            seats.setdefault(s.body_id, []).append(Seat(s.member_code, SeatRole(s.role), s.person))
        return [_body(r, seats.get(r.id, [])) for r in rows]

    def body(self, alliance_id: int, body_id: int) -> Body | None:
        found = self.bodies(alliance_id, [body_id])
        return found[0] if found else None

    # -- meetings ----------------------------------------------------------------------------------
    @refuses_duplicates
    def add_meetings(self, alliance_id: int, rows: Sequence[dict[str, Any]]) -> None:
        self._c.execute(insert(gov_meetings), [{"alliance_id": alliance_id, **r} for r in rows])

    def meetings(self, alliance_id: int, *, body_ids: Iterable[int] | None = None, since: datetime | None = None,
                 limit: int | None = None, newest_first: bool = False) -> list[Meeting]:
        order = gov_meetings.c.starts_at.desc() if newest_first else gov_meetings.c.starts_at
        query = select(gov_meetings).where(gov_meetings.c.alliance_id == alliance_id).order_by(order, gov_meetings.c.id)
        if body_ids is not None:
            query = query.where(gov_meetings.c.body_id.in_(list(body_ids)))
        if since is not None:
            query = query.where(gov_meetings.c.starts_at >= since)
        return [_meeting(r) for r in self._c.execute(query.limit(limit))]

    def meeting(self, alliance_id: int, meeting_id: int) -> Meeting | None:
        row = self._c.execute(select(gov_meetings).where(gov_meetings.c.alliance_id == alliance_id,
                                                         gov_meetings.c.id == meeting_id)).one_or_none()
        return None if row is None else _meeting(row)

    def meeting_starts(self, alliance_id: int, body_id: int) -> set[datetime]:
        return set(self._c.execute(select(gov_meetings.c.starts_at).where(
            gov_meetings.c.alliance_id == alliance_id, gov_meetings.c.body_id == body_id)).scalars())

    # -- agenda ------------------------------------------------------------------------------------
    def agenda(self, alliance_id: int, meeting_id: int) -> list[AgendaItem]:
        rows = self._c.execute(select(gov_agenda_items).where(gov_agenda_items.c.alliance_id == alliance_id,
                                                              gov_agenda_items.c.meeting_id == meeting_id)
                               .order_by(gov_agenda_items.c.position, gov_agenda_items.c.id))
        return [AgendaItem(r.id, r.meeting_id, r.position, r.title, r.time_box, r.owner, r.proposal, r.minutes)
                for r in rows]

    def add_agenda_item(self, alliance_id: int, **values: Any) -> int:
        return _id(self._c.execute(insert(gov_agenda_items).values(alliance_id=alliance_id, minutes="", **values)))

    def set_minutes(self, alliance_id: int, item_id: int, minutes: str) -> None:
        self._c.execute(update(gov_agenda_items).where(gov_agenda_items.c.alliance_id == alliance_id,
                                                       gov_agenda_items.c.id == item_id).values(minutes=minutes))

    # -- attendance --------------------------------------------------------------------------------
    def attendance(self, alliance_id: int, meeting_id: int) -> dict[str, Attendance]:
        rows = self._c.execute(select(gov_attendance).where(gov_attendance.c.alliance_id == alliance_id,
                                                            gov_attendance.c.meeting_id == meeting_id)
                               .order_by(gov_attendance.c.member_code))
        return {r.member_code: Attendance(r.member_code, Presence(r.presence), r.proxy) for r in rows}

    def save_attendance(self, alliance_id: int, meeting_id: int, sheet: Iterable[Attendance]) -> None:
        self._c.execute(delete(gov_attendance).where(gov_attendance.c.alliance_id == alliance_id,
                                                     gov_attendance.c.meeting_id == meeting_id))
        values = [{"alliance_id": alliance_id, "meeting_id": meeting_id, "member_code": a.member,
                   "presence": a.presence.value, "proxy": a.proxy} for a in sheet]
        if values:
            self._c.execute(insert(gov_attendance), values)

    # -- action items ------------------------------------------------------------------------------
    def add_action(self, alliance_id: int, **values: Any) -> int:
        return _id(self._c.execute(insert(gov_actions).values(alliance_id=alliance_id, **values)))

    def actions(self, alliance_id: int, *, body_ids: Iterable[int] | None = None, meeting_id: int | None = None,
                status: ActionStatus | None = None, due_by: date | None = None) -> list[ActionItem]:
        query = select(gov_actions).where(gov_actions.c.alliance_id == alliance_id)
        if body_ids is not None:
            query = query.where(gov_actions.c.body_id.in_(list(body_ids)))
        if meeting_id is not None:
            query = query.where(gov_actions.c.meeting_id == meeting_id)
        if status is not None:
            query = query.where(gov_actions.c.status == status.value)
        if due_by is not None:
            query = query.where(gov_actions.c.due_on <= due_by)
        return [_action(r) for r in self._c.execute(query.order_by(gov_actions.c.due_on, gov_actions.c.id))]

    def action(self, alliance_id: int, action_id: int) -> ActionItem | None:
        row = self._c.execute(select(gov_actions).where(gov_actions.c.alliance_id == alliance_id,
                                                        gov_actions.c.id == action_id)).one_or_none()
        return None if row is None else _action(row)

    def set_action_status(self, alliance_id: int, action_id: int, status: ActionStatus,
                          closed_at: datetime | None) -> None:
        self._c.execute(update(gov_actions).where(gov_actions.c.alliance_id == alliance_id, gov_actions.c.id == action_id)
                        .values(status=status.value, closed_at=closed_at))

    def counts(self, alliance_id: int) -> dict[str, int]:
        """Rows per table of this alliance's governance (for tests that prove a refusal stored nothing)."""
        return {t.name: int(self._c.execute(select(func.count()).select_from(t).where(t.c.alliance_id == alliance_id))
                            .scalar_one())
                for t in (gov_bodies, gov_seats, gov_meetings, gov_agenda_items, gov_attendance, gov_actions)}


def _body(r: Row[Any], seats: list[Seat]) -> Body:
    hours, minutes = (int(part) for part in r.meeting_time.split(":"))
    rules = {kind: RuleConfig(str(c["rule"]), dict(c.get("params") or {})) for kind, c in (r.rules or {}).items()}
    return Body(r.id, r.name, BodyKind(r.kind), r.term_from, r.term_to, r.cadence, time(hours, minutes),
                r.duration_minutes, rules, tuple(seats), r.created_by, r.created_at)


def _meeting(r: Row[Any]) -> Meeting:
    return Meeting(r.id, r.body_id, r.title, r.starts_at, r.duration_minutes, r.location, Origin(r.origin),
                   r.created_by, r.created_at)


def _action(r: Row[Any]) -> ActionItem:
    return ActionItem(r.id, r.body_id, r.meeting_id, r.agenda_item_id, r.decision, r.title, r.owner, r.due_on,
                      ActionStatus(r.status), r.created_by, r.created_at, r.closed_at)
