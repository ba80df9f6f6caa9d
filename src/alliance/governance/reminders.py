"""Reminders the governance clock publishes as notifications (notify), each once:

- an open action item due within a day (in the alliance's time zone) or overdue: ACTION_DUE to its
  owner's member (the owner is a member of the body) and the coordinators;
- a meeting starting within a day: MEETING_REMINDER to each member seated in its body.

Run every minute by the platform scheduler (`notify_due`); "once" is kept by the notice's key in the
outbox (a reminder published before is not published again)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from alliance.core.clock import Clock, local_today
from alliance.core.messages import Message
from alliance.governance.meetings import ActionStatus
from alliance.notify.notice import Audience, EventKind, Notice
from alliance.notify.outbox import publish
from alliance.store.database import Store
from alliance.store.governance_repository import GovernanceRepository
from alliance.store.notify_delivery_repository import NotifyRepository
from alliance.store.unit_of_work import UnitOfWork

AHEAD = timedelta(days=1)


def notify_due(store: Store, clock: Clock) -> int:
    """Publish every reminder that became due and was not published before; how many were."""
    now = clock.now()
    published = 0
    with store.unit_of_work() as uow:
        alliances = uow.alliances.all()
    for alliance in alliances:
        with store.unit_of_work() as uow:
            published += _actions(uow, alliance.id, alliance.code, local_today(clock, alliance.timezone), now)
            published += _meetings(uow, alliance.id, alliance.code, now)
            uow.commit()
    return published


def _once(uow: UnitOfWork, notice: Notice, now: datetime) -> int:
    if NotifyRepository(uow.connection).published(notice.alliance_id, notice.event.value, notice.key):
        return 0
    publish(uow, notice, now)
    return 1


def _actions(uow: UnitOfWork, alliance_id: int, code: str, today: date, now: datetime) -> int:
    repo = GovernanceRepository(uow.connection)
    seated = {b.id: {s.member for s in b.seats} for b in repo.bodies(alliance_id)}
    count = 0
    for item in repo.actions(alliance_id, status=ActionStatus.OPEN, due_by=today + timedelta(days=1)):
        member = item.owner if item.owner in seated.get(item.body_id, set()) else None
        notice = Notice(EventKind.ACTION_DUE, alliance_id, Audience.MEMBER if member else Audience.COORDINATORS,
                        Message("Action item due: {title}", title=item.title),
                        Message("Action item {title} (owner {owner}) is due on {due}.", title=item.title,
                                owner=item.owner, due=item.due_on),
                        link=f"/alliances/{code}/governance/meetings/{item.meeting_id}", member=member,
                        key=f"action-{item.id}")
        count += _once(uow, notice, now)
    return count


def _meetings(uow: UnitOfWork, alliance_id: int, code: str, now: datetime) -> int:
    repo = GovernanceRepository(uow.connection)
    bodies = {b.id: b for b in repo.bodies(alliance_id)}
    count = 0
    for meeting in repo.meetings(alliance_id, since=now):
        if meeting.starts_at > now + AHEAD:
            break  # in start order: the rest are further away
        body = bodies.get(meeting.body_id)
        for member in dict.fromkeys(s.member for s in (body.seats if body else [])):
            notice = Notice(EventKind.MEETING_REMINDER, alliance_id, Audience.MEMBER,
                            Message("Meeting tomorrow: {title}", title=meeting.title),
                            Message("{title} starts at {starts} (UTC), {location}.", title=meeting.title,
                                    starts=f"{meeting.starts_at:%Y-%m-%d %H:%M}", location=meeting.location or "-"),
                            link=f"/alliances/{code}/governance/meetings/{meeting.id}", member=member,
                            key=f"meeting-{meeting.id}-{member}")
            count += _once(uow, notice, now)
    return count
