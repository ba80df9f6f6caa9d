"""Bodies and meetings use cases that touch the store (one unit of work each).

Every function is given the principal acting and decides with `access.policy` (the one place
decisions are made) before it reads or writes: setting up a body is `MANAGE_BODIES`; a body and
its seats are the alliance's directory (`READ_DIRECTORY`); its meetings, minutes, attendance and
action items are `READ_MEETINGS` and running them `RUN_MEETINGS`, narrowed for member roles to the
bodies their member sits in (`authorize_body`). Every refusal of bad input raises before anything
is written, with every problem found (InvalidInput), so the store is left exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from alliance.access.policy import Action, Forbidden, authorize, authorize_body
from alliance.access.roles import Principal
from alliance.core.clock import Clock, local_today
from alliance.registry.lifecycle import Write, check_writable
from alliance.core.errors import AllianceError, AlreadyStored, Conflict, InvalidInput, NotFound, Problem
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.core.messages import Message
from alliance.governance import ics, signoff
from alliance.governance.bodies import (Body, RuleConfig, SeatRole, check_body, check_seats, held_roles, parse_rules,
                                        refuse, text_field)
from alliance.governance.cadence import CADENCES, MAX_OCCURRENCES, local_instant
from alliance.governance.meetings import (MAX_AGENDA_ITEMS, MINUTES_LIMIT, TITLE_LIMIT, ActionCount, ActionItem,
                                          ActionStatus, AgendaItem, Attendance, Meeting, Origin, action_overview,
                                          attendance_sheet, check_action, check_agenda_item)
from alliance.registry.model import Alliance
from alliance.store.database import Store
from alliance.store.governance_repository import GovernanceRepository
from alliance.store.signoff_repository import SignOffRepository
from alliance.store.unit_of_work import UnitOfWork

UPCOMING = 10          # meetings shown as "next" on the overview


class BodyNotFound(NotFound):
    code = "body_not_found"
    title = Message("Body not found")


class MeetingNotFound(NotFound):
    code = "meeting_not_found"
    title = Message("Meeting not found")


class MeetingInPast(InvalidInput):
    """A new meeting must start after now: minutes are kept for meetings scheduled before they happen."""

    code = "meeting_in_past"


def _repo(uow: UnitOfWork) -> GovernanceRepository:
    return GovernanceRepository(uow.connection)


def _account(principal: Principal) -> str | None:
    return principal.subject if principal.kind == "user" else None


def roles_in(principal: Principal, body: Body) -> frozenset[SeatRole]:
    """The seat roles `principal` holds in `body` (none for alliance-wide roles)."""
    return held_roles(body, principal.member, _account(principal))


def may(principal: Principal, action: Action, alliance: str, body: Body) -> bool:
    """Whether `principal` may read (READ_MEETINGS) or run (RUN_MEETINGS) `body`'s meetings: pages show only what works."""
    try:
        authorize_body(principal, action, alliance, body.name, frozenset(roles_in(principal, body)))
    except AllianceError:
        return False
    return True


def _writable(uow: UnitOfWork, alliance_code: str) -> Alliance:
    """The alliance, if its lifecycle state accepts governance writes (not once it is dissolved:
    registry/lifecycle.py); AllianceNotWritable (409) otherwise. Meetings write no ledger entry, so
    the ledger's own check does not see them: this is theirs."""
    alliance = uow.alliances.require(alliance_code)
    check_writable(alliance.code, alliance.status, Write.VOTE)
    return alliance


def _body(uow: UnitOfWork, alliance: Alliance, body_id: int) -> Body:
    found = _repo(uow).body(alliance.id, body_id)
    if found is None:
        raise BodyNotFound(Message("alliance {code!r} has no body {body_id}", code=alliance.code, body_id=body_id))
    return found


def _guard(principal: Principal, action: Action, alliance: Alliance, body: Body) -> None:
    authorize_body(principal, action, alliance.code, body.name, frozenset(roles_in(principal, body)))


def _members(uow: UnitOfWork, alliance: Alliance) -> list[str]:
    return [m.code for m in uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)]


# -- bodies ------------------------------------------------------------------------------------------

def create_body(store: Store, alliance_code: str, principal: Principal, *, name: str, kind: str, term_from: date,
                term_to: date | None, cadence: str, meeting_time: time, duration_minutes: int,
                seats: Sequence[tuple[str, str, str | None]], rules: Mapping[str, Any] | None, clock: Clock) -> Body:
    """Set up a body with its seats and decision rules (every problem at once; nothing stored if any)."""
    authorize(principal, Action.MANAGE_BODIES, alliance_code)
    name, body_kind, problems = check_body(name, kind, term_from, term_to, cadence, meeting_time, duration_minutes)
    parsed: dict[str, RuleConfig] = {}
    try:
        parsed = parse_rules(rules or {})
    except InvalidInput as exc:
        problems += exc.problems or [Problem(Message("body"), "rules", exc.message)]
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        found, seat_problems = check_seats(seats, _members(uow, alliance))
        problems += seat_problems
        if name in _repo(uow).body_names(alliance.id):
            problems.append(Problem(Message("body"), "name", Message("the alliance already has a body named {name!r}",
                                                                      name=name)))
        refuse(problems)
        body_id = _repo(uow).add_body(
            alliance.id, found, name=name, kind=body_kind.value, term_from=term_from, term_to=term_to, cadence=cadence,
            meeting_time=f"{meeting_time:%H:%M}", duration_minutes=duration_minutes,
            rules={k: c.to_mapping() for k, c in parsed.items()}, created_by=principal.actor, created_at=clock.now())
        uow.commit()
        return _body(uow, alliance, body_id)


def set_seats(store: Store, alliance_code: str, principal: Principal, body_id: int,
              seats: Sequence[tuple[str, str, str | None]]) -> Body:
    """Replace the body's seats (e.g. a new term's members and roles)."""
    authorize(principal, Action.MANAGE_BODIES, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        _body(uow, alliance, body_id)
        found, problems = check_seats(seats, _members(uow, alliance))
        refuse(problems)
        _repo(uow).replace_seats(alliance.id, body_id, found)
        uow.commit()
        return _body(uow, alliance, body_id)


def set_rules(store: Store, alliance_code: str, principal: Principal, body_id: int, rules: Mapping[str, Any]) -> Body:
    """Replace the body's decision rules per proposal type."""
    authorize(principal, Action.MANAGE_BODIES, alliance_code)
    parsed = parse_rules(rules)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        _body(uow, alliance, body_id)
        _repo(uow).set_rules(alliance.id, body_id, {k: c.to_mapping() for k, c in parsed.items()})
        uow.commit()
        return _body(uow, alliance, body_id)


def list_bodies(store: Store, alliance_code: str, principal: Principal) -> list[Body]:
    """Every body of the alliance with its seats: the directory every role of the alliance reads."""
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        return _repo(uow).bodies(alliance.id)


def get_body(store: Store, alliance_code: str, principal: Principal, body_id: int) -> Body:
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with store.unit_of_work() as uow:
        return _body(uow, uow.alliances.require(alliance_code), body_id)


# -- meetings ----------------------------------------------------------------------------------------

def _new_meetings(uow: UnitOfWork, alliance: Alliance, body: Body, starts: Sequence[datetime], title: str,
                  location: str, duration: int, origin: Origin, principal: Principal, clock: Clock) -> list[Meeting]:
    now = clock.now()
    if starts and starts[0] <= now:
        zone = ZoneInfo(alliance.timezone)
        raise MeetingInPast(Message("the meeting of {start} is not after now ({now}): a new meeting is in the future",
                                    start=f"{starts[0].astimezone(zone):%Y-%m-%d %H:%M}",
                                    now=f"{now.astimezone(zone):%Y-%m-%d %H:%M}"),
                            [Problem(Message("meeting"), "starts_on", Message("in the past"))])
    taken = _repo(uow).meeting_starts(alliance.id, body.id) & set(starts)
    if taken:
        first = min(taken).astimezone(ZoneInfo(alliance.timezone))
        raise Conflict(Message("{body} already meets at {start}", body=body.name, start=f"{first:%Y-%m-%d %H:%M}"))
    _repo(uow).add_meetings(alliance.id, [
        {"body_id": body.id, "title": title, "starts_at": s, "duration_minutes": duration, "location": location,
         "origin": origin.value, "created_by": principal.actor, "created_at": now} for s in starts])
    uow.commit()
    made = set(starts)
    return [m for m in _repo(uow).meetings(alliance.id, body_ids=[body.id]) if m.starts_at in made]


def schedule(store: Store, alliance_code: str, principal: Principal, body_id: int, first: date, count: int,
             clock: Clock, *, location: str = "") -> list[Meeting]:
    """The body's next `count` meetings from `first` on, every cadence, at its meeting time in the
    alliance's time zone. Refused (MeetingInPast) if the first is not after now, and (Conflict) if the
    body already meets at one of those times."""
    if not 1 <= count <= MAX_OCCURRENCES:
        raise InvalidInput(Message("schedule 1 to {limit} meetings at a time", limit=MAX_OCCURRENCES),
                           [Problem(Message("schedule"), "count", Message("1 to {limit}", limit=MAX_OCCURRENCES))])
    problems: list[Problem] = []
    location = text_field(problems, Message("meeting"), "location", location, Message("a meeting's place"),
                          TITLE_LIMIT, required=False)
    refuse(problems)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        body = _body(uow, alliance, body_id)
        _guard(principal, Action.RUN_MEETINGS, alliance, body)
        step = CADENCES[body.cadence]
        starts = [local_instant(step.nth(first, n), body.meeting_time, alliance.timezone) for n in range(count)]
        return _new_meetings(uow, alliance, body, starts, body.name, location, body.duration_minutes, Origin.CADENCE,
                             principal, clock)


def add_meeting(store: Store, alliance_code: str, principal: Principal, body_id: int, day: date, at: time,
                clock: Clock, *, title: str = "", location: str = "", duration_minutes: int | None = None) -> Meeting:
    """One meeting by hand (an extraordinary meeting), at local `at` on `day`."""
    problems: list[Problem] = []
    title = text_field(problems, Message("meeting"), "title", title, Message("a meeting's title"), TITLE_LIMIT,
                       required=False)
    location = text_field(problems, Message("meeting"), "location", location, Message("a meeting's place"),
                          TITLE_LIMIT, required=False)
    if duration_minutes is not None and not 1 <= duration_minutes <= 24 * 60:
        problems.append(Problem(Message("meeting"), "duration_minutes", Message("a meeting lasts 1 to {limit} minutes",
                                                                                limit=24 * 60)))
    refuse(problems)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        body = _body(uow, alliance, body_id)
        _guard(principal, Action.RUN_MEETINGS, alliance, body)
        start = local_instant(day, at, alliance.timezone)
        return _new_meetings(uow, alliance, body, [start], title or body.name, location,
                             duration_minutes or body.duration_minutes, Origin.HAND, principal, clock)[0]


@dataclass(frozen=True, slots=True)
class MeetingRecord:
    """A meeting with everything kept about it, and whether the reader may run it."""

    meeting: Meeting
    body: Body
    agenda: list[AgendaItem]
    attendance: dict[str, Attendance]
    actions: list[ActionItem]
    may_run: bool
    timezone: str
    sha256: str = ""                                  # of the minutes document as it is now (governance.signoff)
    signoffs: tuple[signoff.SignOffState, ...] = ()   # each marked current or of an earlier version

    @property
    def day(self) -> date:
        return self.meeting.starts_at.astimezone(ZoneInfo(self.timezone)).date()


def _meeting(uow: UnitOfWork, alliance: Alliance, meeting_id: int, principal: Principal,
             action: Action) -> tuple[Meeting, Body]:
    meeting = _repo(uow).meeting(alliance.id, meeting_id)
    if meeting is None:
        raise MeetingNotFound(Message("alliance {code!r} has no meeting {meeting_id}", code=alliance.code,
                                      meeting_id=meeting_id))
    body = _body(uow, alliance, meeting.body_id)
    try:
        _guard(principal, action, alliance, body)
    except NotFound:
        # A body the reader has no seat in: its meetings are not there for it, as another alliance's are not.
        raise MeetingNotFound(Message("alliance {code!r} has no meeting {meeting_id}", code=alliance.code,
                                      meeting_id=meeting_id)) from None
    return meeting, body


def meeting_record(store: Store, alliance_code: str, principal: Principal, meeting_id: int) -> MeetingRecord:
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        meeting, body = _meeting(uow, alliance, meeting_id, principal, Action.READ_MEETINGS)
        repo = _repo(uow)
        agenda, attendance = repo.agenda(alliance.id, meeting_id), repo.attendance(alliance.id, meeting_id)
        actions = repo.actions(alliance.id, meeting_id=meeting_id)
        sha256 = signoff.digest(signoff.minutes_document(alliance.code, body, meeting, agenda, attendance, actions))
        signed = SignOffRepository(uow.connection).of_meeting(alliance.id, meeting_id)
        return MeetingRecord(meeting, body, agenda, attendance, actions,
                             may(principal, Action.RUN_MEETINGS, alliance.code, body), alliance.timezone,
                             sha256, tuple(signoff.states(signed, sha256)))


def body_meetings(store: Store, alliance_code: str, principal: Principal, body_id: int,
                  clock: Clock) -> tuple[list[Meeting], list[Meeting]]:
    """(upcoming, past) meetings of a body the reader may read (404 for a member without a seat)."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        body = _body(uow, alliance, body_id)
        _guard(principal, Action.READ_MEETINGS, alliance, body)
        meetings = _repo(uow).meetings(alliance.id, body_ids=[body_id])
    now = clock.now()
    return [m for m in meetings if m.starts_at >= now], [m for m in reversed(meetings) if m.starts_at < now]


def add_agenda_item(store: Store, alliance_code: str, principal: Principal, meeting_id: int, *, title: str,
                    time_box: int, owner: str = "", proposal: str | None = None) -> AgendaItem:
    """Add an item at the end of the meeting's agenda."""
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        meeting, body = _meeting(uow, alliance, meeting_id, principal, Action.RUN_MEETINGS)
        title, owner, link, problems = check_agenda_item(body, title, time_box, owner, proposal)
        agenda = _repo(uow).agenda(alliance.id, meeting_id)
        if len(agenda) >= MAX_AGENDA_ITEMS:
            problems.append(Problem(Message("agenda item"), "title", Message("an agenda has at most {limit} items",
                                                                             limit=MAX_AGENDA_ITEMS)))
        refuse(problems)
        item_id = _repo(uow).add_agenda_item(alliance.id, meeting_id=meeting.id, position=len(agenda) + 1, title=title,
                                             time_box=time_box, owner=owner, proposal=link)
        uow.commit()
        return next(i for i in _repo(uow).agenda(alliance.id, meeting_id) if i.id == item_id)


def write_minutes(store: Store, alliance_code: str, principal: Principal, meeting_id: int, item_id: int,
                  minutes: str) -> AgendaItem:
    """Write (or rewrite) the minutes of one agenda item."""
    problems: list[Problem] = []
    minutes = text_field(problems, Message("minutes"), "minutes", minutes.replace("\r\n", "\n"),
                         Message("the minutes"), MINUTES_LIMIT, required=False, multiline=True)
    refuse(problems)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        meeting, _ = _meeting(uow, alliance, meeting_id, principal, Action.RUN_MEETINGS)
        item = next((i for i in _repo(uow).agenda(alliance.id, meeting_id) if i.id == item_id), None)
        if item is None:
            raise NotFound(Message("meeting {meeting_id} has no agenda item {item_id}", meeting_id=meeting_id,
                                   item_id=item_id))
        _repo(uow).set_minutes(alliance.id, item_id, minutes)
        uow.commit()
        return next(i for i in _repo(uow).agenda(alliance.id, meeting_id) if i.id == item_id)


def record_attendance(store: Store, alliance_code: str, principal: Principal, meeting_id: int,
                      changes: Iterable[tuple[str, str, str | None]]) -> dict[str, Attendance]:
    """Record present / proxy / absent for some members of the body; the whole sheet is checked after
    the change (a proxy holder must be present), and nothing is changed if anything is wrong."""
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        meeting, body = _meeting(uow, alliance, meeting_id, principal, Action.RUN_MEETINGS)
        sheet, problems = attendance_sheet(body, _repo(uow).attendance(alliance.id, meeting_id), list(changes))
        refuse(problems)
        _repo(uow).save_attendance(alliance.id, meeting_id, sheet.values())
        uow.commit()
        return _repo(uow).attendance(alliance.id, meeting_id)


def add_action(store: Store, alliance_code: str, principal: Principal, meeting_id: int, *, title: str, owner: str,
               due_on: date, clock: Clock, agenda_item_id: int | None = None, decision: str | None = None) -> ActionItem:
    """An action item decided at the meeting: owner (a member of the body), due on or after the meeting's day."""
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        meeting, body = _meeting(uow, alliance, meeting_id, principal, Action.RUN_MEETINGS)
        day = meeting.starts_at.astimezone(ZoneInfo(alliance.timezone)).date()
        agenda = _repo(uow).agenda(alliance.id, meeting_id)
        title, owner, link, problems = check_action(body, meeting, day, title, owner, due_on, agenda, agenda_item_id,
                                                    decision)
        refuse(problems)
        action_id = _repo(uow).add_action(alliance.id, body_id=body.id, meeting_id=meeting.id,
                                          agenda_item_id=agenda_item_id, decision=link, title=title, owner=owner,
                                          due_on=due_on, status=ActionStatus.OPEN.value, created_by=principal.actor,
                                          created_at=clock.now(), closed_at=None)
        uow.commit()
        found = _repo(uow).action(alliance.id, action_id)
    assert found is not None
    return found


def set_action_status(store: Store, alliance_code: str, principal: Principal, action_id: int, status: str,
                      clock: Clock) -> ActionItem:
    """Mark an action item done or cancelled (or open again)."""
    try:
        new = ActionStatus(status.strip().lower())
    except ValueError:
        raise InvalidInput(Message("{status!r} is not an action item's status (one of {statuses})", status=status,
                                   statuses=", ".join(ActionStatus)),
                           [Problem(Message("action item"), "status", Message("open, done or cancelled"))]) from None
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        found = _repo(uow).action(alliance.id, action_id)
        if found is None:
            raise NotFound(Message("alliance {code!r} has no action item {action_id}", code=alliance_code,
                                   action_id=action_id))
        try:
            _meeting(uow, alliance, found.meeting_id, principal, Action.RUN_MEETINGS)
        except MeetingNotFound:
            raise NotFound(Message("alliance {code!r} has no action item {action_id}", code=alliance_code,
                                   action_id=action_id)) from None
        _repo(uow).set_action_status(alliance.id, action_id, new, None if new is ActionStatus.OPEN else clock.now())
        uow.commit()
        changed = _repo(uow).action(alliance.id, action_id)
    assert changed is not None
    return changed


# -- signing off the minutes ---------------------------------------------------------------------------

def signer_for(principal: Principal) -> str | None:
    """The member whose minutes `principal` would sign: its own member, when it acts for one (a member
    admin's account; `sign_minutes` checks the seat, its named person and the meeting)."""
    try:
        if principal.member is not None:
            authorize(principal, Action.ACT_FOR_MEMBER, principal.alliance, principal.member)
            return principal.member
    except AllianceError:
        pass
    return None


def sign_minutes(store: Store, alliance_code: str, principal: Principal, meeting_id: int, clock: Clock, *,
                 member: str | None = None) -> signoff.SignOff:
    """`member` (default: the principal's own) signs the meeting's minutes and attendance as they are
    now: the SHA-256 of their canonical document is stored with the account and the time, and recorded
    in the ledger (`governance.minutes_signed`) in the same transaction. The member's own act (a member
    admin of it; a coordinator or another member's account does not reach it); refused, storing nothing:
    a member without a voting seat, an account other than the seat's named person (403), a meeting not
    held yet, the same version signed twice (409)."""
    member = (member or principal.member or "").strip()
    now = clock.now()
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        # The meeting first: one the reader may not see is not there (404), whoever asks.
        meeting, body = _meeting(uow, alliance, meeting_id, principal, Action.READ_MEETINGS)
        if not member:
            raise Forbidden(Message("the minutes are signed by a member's own account, for its member; "
                                    "{actor} acts for no member", actor=principal.actor))
        authorize(principal, Action.ACT_FOR_MEMBER, alliance_code, member)
        repo, signed_repo = _repo(uow), SignOffRepository(uow.connection)
        document = signoff.minutes_document(alliance.code, body, meeting, repo.agenda(alliance.id, meeting_id),
                                            repo.attendance(alliance.id, meeting_id),
                                            repo.actions(alliance.id, meeting_id=meeting_id))
        sha256 = signoff.digest(document)
        signed = signed_repo.of_meeting(alliance.id, meeting_id)
        signoff.check_signer(body, member, _account(principal), meeting, now, signed, sha256)
        try:
            signoff_id = signed_repo.add(alliance.id, meeting_id, member, sha256, principal.actor, now)
        except AlreadyStored:
            raise signoff.AlreadySigned(Message("{member} already signed this version of the minutes (SHA-256 "
                                                "{sha256})", member=member, sha256=sha256)) from None
        ledger.record(uow, alliance.id, alliance.code, events.MINUTES_SIGNED, principal.actor, now, {
            "signoff": signoff_id, "meeting": meeting_id, "member": member, "sha256": sha256,
            "account": principal.actor, "signed_at": events.utc_text(now)})
        uow.commit()
    return signoff.SignOff(signoff_id, meeting_id, member, sha256, principal.actor, now)


def minutes_signoffs(store: Store, alliance_code: str, principal: Principal,
                     meeting_id: int) -> tuple[str, list[signoff.SignOffState]]:
    """(the minutes document's SHA-256 now, every sign-off marked current or of an earlier version)."""
    record = meeting_record(store, alliance_code, principal, meeting_id)
    return record.sha256, list(record.signoffs)


def minutes_document(store: Store, alliance_code: str, principal: Principal, meeting_id: int) -> bytes:
    """The canonical bytes of the meeting's minutes document: what a sign-off's SHA-256 is of."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        meeting, body = _meeting(uow, alliance, meeting_id, principal, Action.READ_MEETINGS)
        repo = _repo(uow)
        return signoff.encode(signoff.minutes_document(alliance.code, body, meeting, repo.agenda(alliance.id, meeting_id),
                                                       repo.attendance(alliance.id, meeting_id),
                                                       repo.actions(alliance.id, meeting_id=meeting_id)))


# -- the overview and the calendar ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Overview:
    bodies: list[Body]
    readable: set[int]                 # ids of the bodies whose meetings the reader sees
    upcoming: list[Meeting]
    actions: list[ActionItem]          # open action items of the readable bodies
    by_member: dict[str, ActionCount]
    by_body: dict[int, ActionCount]
    today: date


def overview(store: Store, alliance_code: str, principal: Principal, clock: Clock) -> Overview:
    """The alliance's governance at a glance: its bodies, the next meetings and the open and overdue
    action items (per member and per body) of the bodies the reader may see."""
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        bodies = _repo(uow).bodies(alliance.id)
        readable = {b.id for b in bodies if may(principal, Action.READ_MEETINGS, alliance.code, b)}
        upcoming = _repo(uow).meetings(alliance.id, body_ids=readable, since=clock.now(), limit=UPCOMING)
        actions = _repo(uow).actions(alliance.id, body_ids=readable, status=ActionStatus.OPEN)
    today = local_today(clock, alliance.timezone)
    by_member, by_body = action_overview(actions, today)
    return Overview(bodies, readable, upcoming, actions, by_member, by_body, today)


def open_actions(store: Store, alliance_code: str, principal: Principal, clock: Clock, *,
                 body_id: int | None = None, member: str | None = None) -> tuple[list[ActionItem], date]:
    """Open action items of the bodies the reader sees (of one body, of one owner), with today's date."""
    found = overview(store, alliance_code, principal, clock)
    if body_id is not None and body_id not in {b.id for b in found.bodies}:
        raise BodyNotFound(Message("alliance {code!r} has no body {body_id}", code=alliance_code, body_id=body_id))
    if body_id is not None and body_id not in found.readable:
        raise BodyNotFound(Message("alliance {code!r} has no body {body_id} whose meetings you may see",
                                   code=alliance_code, body_id=body_id))
    return ([a for a in found.actions if (body_id is None or a.body_id == body_id)
             and (member is None or a.owner == member)], found.today)


def calendar_file(store: Store, alliance_code: str, principal: Principal, body_id: int, clock: Clock) -> tuple[str, bytes]:
    """(file name, iCalendar bytes) of the body's upcoming meetings and its open action items' due dates."""
    now = clock.now()
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        body = _body(uow, alliance, body_id)
        _guard(principal, Action.READ_MEETINGS, alliance, body)
        meetings = _repo(uow).meetings(alliance.id, body_ids=[body_id], since=now)
        actions = _repo(uow).actions(alliance.id, body_ids=[body_id], status=ActionStatus.OPEN)
    host = f"{alliance.code}.alliance.invalid"  # UIDs are unique by alliance and row, stable across downloads
    events = [ics.Event(f"meeting-{m.id}@{host}", m.title, m.starts_at, m.starts_at + timedelta(minutes=m.duration_minutes),
                        location=m.location) for m in meetings]
    for a in actions:
        start, end = ics.all_day(a.due_on)
        events.append(ics.Event(f"action-{a.id}@{host}", f"[{body.name}] {a.title} ({a.owner})", start, end,
                                description=f"action item {a.id}, owner {a.owner}, due {a.due_on}"))
    return f"{alliance.code}-body-{body_id}.ics", ics.calendar(f"{alliance.name} · {body.name}", events, now)


# -- for other capabilities' services (health.warnings): an agenda item in the caller's transaction --

def propose_agenda_item(uow: UnitOfWork, alliance_id: int, body: str, title: str, time_box: int,
                        now: datetime) -> tuple[int, int, datetime] | None:
    """Add `title` at the end of the agenda of the next meeting (starting after `now`) of the body
    named `body` (its name, or else its kind, e.g. "joint_committee"), in the caller's unit of work:
    (meeting id, item id, the meeting's start). None, with nothing written, when there is no such
    body, no meeting of it ahead, or its agenda is full: the caller records that it could not."""
    repo = _repo(uow)
    bodies = repo.bodies(alliance_id)
    chosen = [b for b in bodies if b.name == body] or [b for b in bodies if b.kind.value == body]
    if not chosen:
        return None
    upcoming = [m for m in repo.meetings(alliance_id, body_ids=[b.id for b in chosen], since=now) if m.starts_at > now]
    if not upcoming:
        return None
    meeting = upcoming[0]
    agenda = repo.agenda(alliance_id, meeting.id)
    if len(agenda) >= MAX_AGENDA_ITEMS:
        return None
    item_id = repo.add_agenda_item(alliance_id, meeting_id=meeting.id, position=len(agenda) + 1,
                                   title=title.strip()[:TITLE_LIMIT], time_box=time_box, owner="", proposal=None)
    return meeting.id, item_id, meeting.starts_at
