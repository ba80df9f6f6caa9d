"""Meetings of a body: agenda, attendance, minutes and action items, and the checks on each (pure: no I/O).

Attendance is what quorum is counted on later: each seat is present, absent, or represented by
proxy by another member of the body who is present (a proxy is never held by oneself, by an absent
member, nor by one who is itself represented: no chains; observers, who have no vote, neither give
nor hold one). The whole sheet is checked at once, so
marking the holder of a proxy absent afterwards is refused as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.governance.bodies import Body, SeatRole, text_field

TITLE_LIMIT = 200
MINUTES_LIMIT = 20_000
REFERENCE_LIMIT = 64
MAX_TIME_BOX = 8 * 60
MAX_AGENDA_ITEMS = 100


class Origin(StrEnum):
    CADENCE = "cadence"  # scheduled from the body's cadence
    HAND = "hand"        # scheduled by hand (an extraordinary meeting)


class Presence(StrEnum):
    PRESENT = "present"
    PROXY = "proxy"      # represented by another member of the body, who holds its proxy
    ABSENT = "absent"


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Meeting:
    id: int
    body_id: int
    title: str
    starts_at: datetime
    duration_minutes: int
    location: str
    origin: Origin
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AgendaItem:
    id: int
    meeting_id: int
    position: int
    title: str
    time_box: int          # minutes
    owner: str             # a member code of the body, or "" for none
    proposal: str | None   # the linked proposal, as its id in text until proposals are stored
    minutes: str           # what was said and decided on this item


@dataclass(frozen=True, slots=True)
class Attendance:
    member: str
    presence: Presence
    proxy: str | None  # who holds the member's proxy (Presence.PROXY only)


@dataclass(frozen=True, slots=True)
class ActionItem:
    id: int
    body_id: int
    meeting_id: int
    agenda_item_id: int | None
    decision: str | None  # the decision (proposal) that created it, as text until proposals are stored
    title: str
    owner: str
    due_on: date
    status: ActionStatus
    created_by: str
    created_at: datetime
    closed_at: datetime | None

    def overdue(self, today: date) -> bool:
        return self.status is ActionStatus.OPEN and self.due_on < today


def check_agenda_item(body: Body, title: str, time_box: int, owner: str,
                      proposal: str | None) -> tuple[str, str, str | None, list[Problem]]:
    """An agenda item's title, owner and proposal link, cleaned, and every problem."""
    problems: list[Problem] = []
    where = Message("agenda item")
    title = text_field(problems, where, "title", title, Message("an agenda item's title"), TITLE_LIMIT)
    if not 0 < time_box <= MAX_TIME_BOX:
        problems.append(Problem(where, "time_box", Message("the time box is {time_box} minutes: give 1 to {limit}",
                                                           time_box=time_box, limit=MAX_TIME_BOX)))
    owner = owner.strip()
    if owner and body.seat_of(owner) is None:
        problems.append(Problem(where, "owner", Message("{owner!r} has no seat in {body}", owner=owner, body=body.name)))
    link = text_field(problems, where, "proposal", proposal or "", Message("a proposal's id"), REFERENCE_LIMIT,
                 required=False) or None
    return title, owner, link, problems


def attendance_sheet(body: Body, recorded: Mapping[str, Attendance],
                     changes: Iterable[tuple[str, str, str | None]]) -> tuple[dict[str, Attendance], list[Problem]]:
    """The meeting's attendance after `changes` ((member, presence, proxy holder) each) on `recorded`,
    and every problem with the result."""
    problems: list[Problem] = []
    sheet = dict(recorded)
    for member, presence, proxy in changes:
        where = Message("attendance of {member}", member=member)
        member = member.strip()
        if body.seat_of(member) is None:
            problems.append(Problem(where, "member", Message("{member!r} has no seat in {body}",
                                                             member=member, body=body.name)))
            continue
        try:
            status = Presence(presence.strip().lower())
        except ValueError:
            problems.append(Problem(where, "presence", Message("{presence!r} is not present, proxy or absent",
                                                               presence=presence)))
            continue
        holder = (proxy or "").strip() or None
        if status is not Presence.PROXY and holder is not None:
            problems.append(Problem(where, "proxy", Message("only a member represented by proxy names who holds it")))
            continue
        sheet[member] = Attendance(member, status, holder)
    problems.extend(_proxy_problems(body, sheet))
    return sheet, problems


def _proxy_problems(body: Body, sheet: Mapping[str, Attendance]) -> list[Problem]:
    problems: list[Problem] = []
    for entry in sheet.values():
        if entry.presence is not Presence.PROXY:
            continue
        where = Message("attendance of {member}", member=entry.member)
        holder = entry.proxy
        if holder is None:
            problems.append(Problem(where, "proxy", Message("name the member of the body who holds the proxy")))
        elif holder == entry.member:
            problems.append(Problem(where, "proxy", Message("{member} cannot hold its own proxy", member=holder)))
        elif body.seat_of(holder) is None:
            problems.append(Problem(where, "proxy", Message("{holder!r} has no seat in {body}, so cannot hold a proxy",
                                                            holder=holder, body=body.name)))
        elif SeatRole.OBSERVER in (body.seat_of(holder).role, body.seat_of(entry.member).role):  # type: ignore[union-attr]
            # An observer has no vote to give or to cast for another: a proxy would count for nothing.
            problems.append(Problem(where, "proxy", Message("an observer neither gives nor holds a proxy")))
        elif holder not in sheet or sheet[holder].presence is not Presence.PRESENT:
            problems.append(Problem(where, "proxy", Message("{holder} holds the proxy but is not recorded as present",
                                                            holder=holder)))
    return problems


def check_action(body: Body, meeting: Meeting, meeting_day: date, title: str, owner: str, due_on: date,
                 agenda: Sequence[AgendaItem], agenda_item_id: int | None,
                 decision: str | None) -> tuple[str, str, str | None, list[Problem]]:
    """An action item's title, owner and decision link, cleaned, and every problem: the owner has a
    seat in the body, it is due on or after the meeting's day, its agenda item is the meeting's."""
    problems: list[Problem] = []
    where = Message("action item")
    title = text_field(problems, where, "title", title, Message("an action item's title"), TITLE_LIMIT)
    owner = owner.strip()
    if body.seat_of(owner) is None:
        problems.append(Problem(where, "owner", Message("{owner!r} has no seat in {body}", owner=owner, body=body.name)))
    if due_on < meeting_day:
        problems.append(Problem(where, "due_on", Message("it is due on {due_on}, before the meeting on {day}",
                                                         due_on=due_on, day=meeting_day)))
    if agenda_item_id is not None and all(item.id != agenda_item_id for item in agenda):
        problems.append(Problem(where, "agenda_item", Message("meeting {meeting} has no agenda item {item}",
                                                              meeting=meeting.id, item=agenda_item_id)))
    link = text_field(problems, where, "decision", decision or "", Message("a decision's id"), REFERENCE_LIMIT,
                 required=False) or None
    return title, owner, link, problems


@dataclass(frozen=True, slots=True)
class ActionCount:
    open: int = 0
    overdue: int = 0


def action_overview(actions: Iterable[ActionItem], today: date) -> tuple[dict[str, ActionCount], dict[int, ActionCount]]:
    """Open and overdue action items per owner (member) and per body, as of `today`."""
    by_member: dict[str, ActionCount] = {}
    by_body: dict[int, ActionCount] = {}
    for action in actions:
        if action.status is not ActionStatus.OPEN:
            continue
        late = int(action.overdue(today))
        for table, key in ((by_member, action.owner), (by_body, action.body_id)):
            seen = table.get(key, ActionCount())  # type: ignore[call-overload]
            table[key] = ActionCount(seen.open + 1, seen.overdue + late)  # type: ignore[index]
    return by_member, by_body
