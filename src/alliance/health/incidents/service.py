"""Incident use cases that touch the store (one unit of work each, except `open_from_warning`,
which works inside its caller's).

Who sees what (docs/health.md "Incidents"): the coordinator, auditors and the platform admin see
every incident of the alliance; a member's people see the incidents their member reported or that
concern it, and the accounts named lead or scribe see theirs; to anyone else of the alliance an incident does not exist (404), as another member's
data. Who acts: a member admin (or the coordinator) reports one; the responders (the coordinator,
the platform admin, and the accounts named incident lead or scribe) acknowledge, update, tick the
checklist, assign roles, resolve, review and close; a member admin of a member concerned comments.
Every change goes on the timeline, in the same transaction. Refused input stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo
from typing import Any

from alliance.access.policy import Action, Forbidden, authorize
from alliance.access.roles import Principal, Role
from alliance.core.clock import Clock
from alliance.core.errors import AllianceError, Conflict, InvalidInput, NotFound, Problem
from alliance.core.messages import Message, from_document, to_document
from alliance.core.text import check_text
from alliance.governance.bodies import BodyKind
from alliance.governance.meetings import MAX_AGENDA_ITEMS, ActionStatus, check_action
from alliance.health.incidents import engine
from alliance.health.incidents.engine import (IncidentNotFound, Lateness, ResponseClock, Review, Severity, Status,
                                              check_review, kind_of)
from alliance.health.incidents.kinds import KINDS, IncidentKind, Step
from alliance.notify.notice import Audience, EventKind, Notice
from alliance.notify.outbox import publish
from alliance.registry.lifecycle import ALLOWED, Write, check_writable
from alliance.store.database import Store
from alliance.store.governance_repository import GovernanceRepository
from alliance.store.incident_repository import IncidentRepository, StoredEvent, StoredIncident
from alliance.store.unit_of_work import UnitOfWork

READ_ALL = frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.AUDITOR})
MANAGERS = frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR})
SCHEDULER = "scheduler"
AGENDA_TIME_BOX = 15  # minutes for a late incident on the committee's agenda


class AlreadyReviewed(Conflict):
    code = "incident_already_reviewed"
    title = Message("The closing review is already written")


# -- views ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IncidentView:
    alliance: str
    timezone: str
    stored: StoredIncident
    kind: IncidentKind
    countdown: engine.Countdown
    events: list[StoredEvent] = field(default_factory=list)
    may_respond: bool = False
    may_comment: bool = False

    @property
    def number(self) -> int:
        return self.stored.number

    @property
    def status(self) -> Status:
        return Status(self.stored.status)

    @property
    def title(self) -> str:
        """The title as a message when it was one (a warning's), so each reader gets their language."""
        return from_document(self.stored.title_doc, self.stored.title)

    @property
    def late(self) -> set[Lateness]:
        s = self.stored
        return engine.lateness(self.status, s.acknowledge_due, s.resolve_due, self._now)

    _now: datetime = field(default=datetime.min, repr=False)

    def as_json(self) -> dict[str, Any]:
        s = self.stored
        at = _utc
        return {
            "number": s.number, "alliance": self.alliance, "title": s.title, "kind": s.kind, "priority": s.priority,
            "severity": s.severity, "members": s.members, "reporter": s.reporter,
            "reporter_member": s.reporter_member, "lead": s.lead, "scribe": s.scribe, "status": s.status,
            "source": s.source, "sop_version": s.sop_version, "checklist": s.checklist,
            "opened_at": at(s.opened_at), "acknowledge_due": at(s.acknowledge_due), "resolve_due": at(s.resolve_due),
            "acknowledged_at": at(s.acknowledged_at), "mitigated_at": at(s.mitigated_at),
            "resolved_at": at(s.resolved_at), "closed_at": at(s.closed_at), "escalated": s.escalated,
            "late": sorted(x.value for x in self.late), "review": s.review,
            "countdown": {"what": None if self.countdown.what is None else self.countdown.what.value,
                          "due": at(self.countdown.due), "seconds_left": self.countdown.seconds_left},
            "timeline": [{"at": at(e.at), "actor": e.actor, "kind": e.kind, "text": e.text, "data": e.data}
                         for e in self.events],
        }


def _utc(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# -- who sees, who acts ------------------------------------------------------------------------------------
def _visible(principal: Principal, stored: StoredIncident) -> bool:
    if principal.role in READ_ALL:
        return True
    if principal.kind == "user" and principal.subject in {stored.lead, stored.scribe}:
        return True  # the people named to respond see what they respond to
    return principal.member is not None and (principal.member == stored.reporter_member
                                             or principal.member in stored.members)


def _is_responder(principal: Principal, stored: StoredIncident) -> bool:
    if principal.role in MANAGERS:
        return True
    return principal.kind == "user" and principal.subject in {stored.lead, stored.scribe} - {None}


def _may_comment(principal: Principal, stored: StoredIncident) -> bool:
    return _is_responder(principal, stored) or (
        principal.role is Role.MEMBER_ADMIN and not principal.departed and _visible(principal, stored))


def _require_responder(principal: Principal, stored: StoredIncident) -> None:
    if not _is_responder(principal, stored):
        raise Forbidden(Message("only the coordinator, the incident lead or the scribe acts on incident {number}",
                                number=stored.number))


def _load(uow: UnitOfWork, alliance_code: str, number: int, principal: Principal, *,
          lock: bool = False) -> tuple[Any, StoredIncident]:
    authorize(principal, Action.READ_INCIDENTS, alliance_code)
    alliance = uow.alliances.require(alliance_code)
    stored = IncidentRepository(uow.connection).get(alliance.id, number, lock=lock)
    if stored is None or not _visible(principal, stored):
        raise IncidentNotFound(Message("alliance {alliance!r} has no incident {number}", alliance=alliance_code,
                                       number=number))
    return alliance, stored


def _writable(alliance: Any) -> None:
    # Incidents are governance records: a dissolved alliance keeps them as they were.
    check_writable(alliance.code, alliance.status, Write.VOTE)


def _view(alliance: Any, stored: StoredIncident, now: datetime, principal: Principal | None = None,
          events: list[StoredEvent] | None = None) -> IncidentView:
    status = Status(stored.status)
    return IncidentView(alliance.code, alliance.timezone, stored, KINDS.get(stored.kind, KINDS["other"]),
                        engine.countdown(status, stored.acknowledge_due, stored.resolve_due, now), events or [],
                        principal is not None and _is_responder(principal, stored),
                        principal is not None and _may_comment(principal, stored), _now=now)


def _event(uow: UnitOfWork, stored: StoredIncident, actor: str, now: datetime, kind: str, text: str,
           **data: Any) -> None:
    IncidentRepository(uow.connection).add_event(stored.alliance_id, stored.id, at=now, actor=actor, kind=kind,
                                                 text=str(text), text_doc=to_document(text), data=data)


# -- the alliance's SOPs and clocks ---------------------------------------------------------------------------
def _sop(repo: IncidentRepository, alliance_id: int, kind: IncidentKind) -> tuple[int, tuple[Step, ...]]:
    """(version, steps) of the alliance's SOP for `kind`: version 0 is the kind's default."""
    stored = repo.sop(alliance_id, kind.key)
    return (0, kind.sop) if stored is None else (stored.version, engine.steps_from_json(stored.steps))


def _clocks(repo: IncidentRepository, alliance_id: int) -> dict[int, ResponseClock]:
    found = dict(engine.DEFAULT_CLOCKS)
    for priority, (ack, resolve) in repo.clocks(alliance_id).items():
        found[priority] = ResponseClock(ack, resolve)
    return found


@dataclass(frozen=True)
class Settings:
    sops: dict[str, tuple[int, tuple[Step, ...]]]    # kind -> (version, steps)
    clocks: dict[int, ResponseClock]


def settings(store: Store, alliance_code: str, principal: Principal) -> Settings:
    """The alliance's SOP per kind (with its version) and clock per priority: everyone of the alliance reads them."""
    authorize(principal, Action.READ_INCIDENTS, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = IncidentRepository(uow.connection)
        return Settings({k: _sop(repo, alliance.id, kind) for k, kind in KINDS.items()}, _clocks(repo, alliance.id))


def set_sop(store: Store, alliance_code: str, kind: str, steps: Sequence[Mapping[str, Any]], principal: Principal,
            clock: Clock) -> int:
    """Save the alliance's SOP for `kind` as a new version (incidents already open keep theirs); its number."""
    authorize(principal, Action.MANAGE_INCIDENTS, alliance_code)
    found = kind_of(kind)
    parsed = engine.parse_sop(steps)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = IncidentRepository(uow.connection)
        version = _sop(repo, alliance.id, found)[0] + 1
        repo.add_sop(alliance.id, found.key, version, [s.as_json() for s in parsed], principal.actor, clock.now())
        uow.commit()
    return version


def set_clock(store: Store, alliance_code: str, priority: int, acknowledge_minutes: int, resolve_minutes: int,
              principal: Principal, clock: Clock) -> ResponseClock:
    """Set the response clock of one priority (for incidents opened from now on)."""
    authorize(principal, Action.MANAGE_INCIDENTS, alliance_code)
    checked = engine.check_clock(priority, acknowledge_minutes, resolve_minutes)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        IncidentRepository(uow.connection).set_clock(alliance.id, priority, checked.acknowledge_minutes,
                                                     checked.resolve_minutes, principal.actor, clock.now())
        uow.commit()
    return checked


# -- opening ------------------------------------------------------------------------------------------------
def _open(uow: UnitOfWork, alliance: Any, *, title: str, kind: IncidentKind, severity: Severity, members: list[str],
          reporter: str, reporter_member: str | None, lead: str | None, scribe: str | None, source: str,
          now: datetime) -> StoredIncident:
    repo = IncidentRepository(uow.connection)
    version, steps = _sop(repo, alliance.id, kind)
    response = _clocks(repo, alliance.id)[kind.priority]
    acknowledge_due, resolve_due = engine.deadlines(now, response)
    repo.hold_numbers(alliance.id)  # numbers are given one at a time per alliance
    number = repo.next_number(alliance.id)
    repo.add(alliance.id, {
        "number": number, "title": str(title), "title_doc": to_document(title), "kind": kind.key,
        "priority": kind.priority, "severity": severity.value, "members": members, "reporter": reporter,
        "reporter_member": reporter_member, "lead": lead, "scribe": scribe, "status": Status.OPEN.value,
        "source": source, "sop_version": version,
        "checklist": [{**s.as_json(), "done_by": None, "done_at": None} for s in steps],
        "opened_at": now, "acknowledge_due": acknowledge_due, "resolve_due": resolve_due, "escalated": [],
    })
    stored = repo.get(alliance.id, number)
    assert stored is not None
    opened = (Message("Opened from {source}", source=source) if source
              else Message("Opened by {reporter}", reporter=reporter))
    _event(uow, stored, reporter, now, "opened", opened, incident_kind=kind.key, priority=kind.priority,
           severity=severity.value, members=members, sop_version=version, source=source)
    link = f"/alliances/{alliance.code}/incidents/{number}"
    notice_title = Message("Incident {number} opened (P{priority}, {severity}): {title}", number=number,
                           priority=kind.priority, severity=severity.value, title=title)
    body = Message("{kind}; acknowledge by {due} UTC", kind=kind.name, due=f"{acknowledge_due:%Y-%m-%d %H:%M}")
    publish(uow, Notice(EventKind.INCIDENT_OPENED, alliance.id, Audience.COORDINATORS, notice_title, body, link=link,
                        key=f"incident-{number}"), now)
    for member in members:
        publish(uow, Notice(EventKind.INCIDENT_OPENED, alliance.id, Audience.MEMBER, notice_title, body, link=link,
                            member=member, key=f"incident-{number}-{member}"), now)
    return stored


def _check_members(uow: UnitOfWork, alliance: Any, members: Sequence[str]) -> tuple[list[str], list[Problem]]:
    current = {m.code for m in uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)}
    cleaned = list(dict.fromkeys(m.strip() for m in members if m.strip()))
    return cleaned, [Problem(Message("incident"), "members", Message("{member!r} is not a member of the alliance",
                                                                     member=m)) for m in cleaned if m not in current]


def _check_account(uow: UnitOfWork, alliance_code: str, username: str | None, role: str) -> list[Problem]:
    """A lead or scribe is an account holding a role in this alliance."""
    from alliance.store.access_repository import SessionRepository

    if username is None:
        return []
    try:
        username = check_text(username, Message("the account"), 150)
    except InvalidInput as exc:
        return [Problem(Message("incident"), role, exc.message)]
    sessions = SessionRepository(uow.connection)
    user_id = sessions.user_id(username)
    grants = [] if user_id is None else sessions.grants(user_id)
    if not any(g.alliance == alliance_code or g.role == Role.PLATFORM_ADMIN.value for g in grants):
        return [Problem(Message("incident"), role, Message("{username!r} is not an account of the alliance",
                                                           username=username))]
    return []


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise InvalidInput(problems[0].text(), problems)


def open_incident(store: Store, alliance_code: str, principal: Principal, clock: Clock, *, title: str, kind: str,
                  severity: str, members: Sequence[str] = (), lead: str | None = None,
                  scribe: str | None = None) -> IncidentView:
    """Open an incident. A member admin reports it for its own member (which then sees it); the
    coordinator may also name the lead and the scribe. Refused, storing nothing: a role that may not
    report (403), any problem of the input (InvalidInput, every problem at once)."""
    authorize(principal, Action.REPORT_INCIDENT, alliance_code)
    problems: list[Problem] = []
    try:
        title = check_text(title, Message("the title"), engine.TITLE_LIMIT)
    except InvalidInput as exc:
        problems.append(Problem(Message("incident"), "title", exc.message))
    found_kind = found_severity = None
    try:
        found_kind = kind_of(kind)
    except InvalidInput as exc:
        problems.append(Problem(Message("incident"), "kind", exc.message))
    try:
        found_severity = engine.parse_severity(severity)
    except InvalidInput as exc:
        problems.append(Problem(Message("incident"), "severity", exc.message))
    lead, scribe = (lead or "").strip() or None, (scribe or "").strip() or None
    if (lead or scribe) and principal.role not in MANAGERS:
        raise Forbidden(Message("only the coordinator names an incident's lead and scribe"))
    now = clock.now()
    for attempt in range(3):
        try:
            with store.unit_of_work() as uow:
                alliance = uow.alliances.require(alliance_code)
                _writable(alliance)
                cleaned, member_problems = _check_members(uow, alliance, members)
                problems += member_problems
                problems += (_check_account(uow, alliance_code, lead, "lead")
                             + _check_account(uow, alliance_code, scribe, "scribe"))
                _refuse(problems)
                assert found_kind is not None and found_severity is not None
                stored = _open(uow, alliance, title=title, kind=found_kind, severity=found_severity,
                               members=cleaned, reporter=principal.actor, reporter_member=principal.member,
                               lead=lead, scribe=scribe, source="", now=now)
                uow.commit()
            break
        except Conflict as exc:
            # Another report took the same number at the same moment (SQLite has no row lock to wait
            # on; PostgreSQL waits on the alliance's row): take the next one.
            if type(exc) is not Conflict or attempt == 2:
                raise
    return show(store, alliance_code, stored.number, principal, clock)


def open_from_warning(uow: UnitOfWork, alliance_id: int, *, title: Message, kind: str, severity: str, source: str,
                      now: datetime, members: Sequence[str] = ()) -> int:
    """Open an incident inside the caller's unit of work (the warning rules': committed or rolled back
    with the caller's write); its number. The timeline says it came from `source` (e.g. "warning rule
    public_sentiment"); the members concerned see it. InvalidInput for an unknown kind or severity, before
    anything is written."""
    found_kind = kind_of(kind)
    found_severity = engine.parse_severity(severity)
    source = check_text(source, Message("the source"), 200)
    alliance = next((a for a in uow.alliances.all() if a.id == alliance_id), None)
    if alliance is None:
        raise NotFound(Message("no alliance with id {alliance_id}", alliance_id=alliance_id))
    return _open(uow, alliance, title=title, kind=found_kind, severity=found_severity, members=list(members),
                 reporter=source, reporter_member=None, lead=None, scribe=None, source=source, now=now).number


# -- reading --------------------------------------------------------------------------------------------------
def show(store: Store, alliance_code: str, number: int, principal: Principal, clock: Clock) -> IncidentView:
    """One incident with its timeline, if the principal may see it (else IncidentNotFound)."""
    with store.unit_of_work() as uow:
        alliance, stored = _load(uow, alliance_code, number, principal)
        events = IncidentRepository(uow.connection).events(alliance.id, stored.id)
    return _view(alliance, stored, clock.now(), principal, events)


def list_incidents(store: Store, alliance_code: str, principal: Principal, clock: Clock, *,
                   status: str | None = None) -> list[IncidentView]:
    """The incidents the principal may see, most urgent first (priority, severity, oldest)."""
    authorize(principal, Action.READ_INCIDENTS, alliance_code)
    wanted = None if not status else engine.parse_status(status)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        found = [s for s in IncidentRepository(uow.connection).of_alliance(alliance.id) if _visible(principal, s)
                 and (wanted is None or s.status == wanted.value)]
    now = clock.now()
    found.sort(key=lambda s: engine.board_order(s.priority, s.severity, s.opened_at))
    return [_view(alliance, s, now, principal) for s in found]


def open_incidents(store: Store, alliance_code: str, principal: Principal, clock: Clock) -> list[IncidentView]:
    """The health dashboard's panel: the incidents not yet resolved that the principal may see."""
    return [v for v in list_incidents(store, alliance_code, principal, clock) if v.status in engine.RUNNING]


def may_report(principal: Principal, alliance_code: str) -> bool:
    try:
        authorize(principal, Action.REPORT_INCIDENT, alliance_code)
    except AllianceError:
        return False
    return True


# -- the responders' acts ---------------------------------------------------------------------------------
def _act(store: Store, alliance_code: str, number: int, principal: Principal, clock: Clock, work: Any,
         *, responder: bool = True) -> IncidentView:
    with store.unit_of_work() as uow:
        alliance, stored = _load(uow, alliance_code, number, principal, lock=True)
        _writable(alliance)
        if responder:
            _require_responder(principal, stored)
        work(uow, alliance, stored, IncidentRepository(uow.connection), clock.now())
        uow.commit()
    return show(store, alliance_code, number, principal, clock)


_STAMPS = {Status.ACKNOWLEDGED: "acknowledged_at", Status.MITIGATED: "mitigated_at", Status.RESOLVED: "resolved_at",
           Status.CLOSED: "closed_at"}


def move(store: Store, alliance_code: str, number: int, target: str, principal: Principal, clock: Clock, *,
         note: str = "") -> IncidentView:
    """Move the incident to `target` (acknowledged, mitigated, resolved, closed) as `engine.TRANSITIONS`
    allows; closing needs the review. Acknowledging an incident without a lead makes the acknowledging
    person its lead."""
    new = engine.parse_status(target)
    note = check_text(note, Message("the note"), engine.TEXT_LIMIT, required=False, multiline=True)

    def work(uow: UnitOfWork, alliance: Any, stored: StoredIncident, repo: IncidentRepository, now: datetime) -> None:
        old = Status(stored.status)
        engine.check_transition(old, new, number=number, reviewed=stored.review is not None)
        values: dict[str, Any] = {"status": new.value, _STAMPS[new]: now}
        if old is Status.RESOLVED and new is Status.ACKNOWLEDGED:
            values["resolved_at"] = None  # reopened: resolving again stamps it again
        repo.update(alliance.id, number, **values)
        _event(uow, stored, principal.actor, now, "status",
               Message("{old} -> {new}", old=engine.STATUS_NAMES[old], new=engine.STATUS_NAMES[new]),
               old=old.value, new=new.value, note=note)
        if new is Status.ACKNOWLEDGED and stored.lead is None and principal.kind == "user":
            repo.update(alliance.id, number, lead=principal.subject)
            _event(uow, stored, principal.actor, now, "role",
                   Message("{person} is the incident lead", person=principal.subject), role="lead",
                   person=principal.subject)

    return _act(store, alliance_code, number, principal, clock, work)


def post_update(store: Store, alliance_code: str, number: int, text: str, principal: Principal,
                clock: Clock) -> IncidentView:
    """A status update: on the timeline, published to everyone who sees the incident (its members' people)."""
    text = check_text(text, Message("the status update"), engine.TEXT_LIMIT, multiline=True)

    def work(uow: UnitOfWork, alliance: Any, stored: StoredIncident, repo: IncidentRepository, now: datetime) -> None:
        if Status(stored.status) is Status.CLOSED:
            raise engine.TransitionRefused(Message("incident {number} is closed", number=number))
        _event(uow, stored, principal.actor, now, "update", text, status=stored.status)

    return _act(store, alliance_code, number, principal, clock, work)


def comment(store: Store, alliance_code: str, number: int, text: str, principal: Principal,
            clock: Clock) -> IncidentView:
    """A comment on the timeline, by a responder or a member admin of a member that sees the incident."""
    text = check_text(text, Message("the comment"), engine.TEXT_LIMIT, multiline=True)

    def work(uow: UnitOfWork, alliance: Any, stored: StoredIncident, repo: IncidentRepository, now: datetime) -> None:
        if not _may_comment(principal, stored):
            raise Forbidden(Message("only the responders and the admins of the members concerned comment"))
        _event(uow, stored, principal.actor, now, "comment", text)

    return _act(store, alliance_code, number, principal, clock, work, responder=False)


def tick(store: Store, alliance_code: str, number: int, step: int, done: bool, principal: Principal,
         clock: Clock) -> IncidentView:
    """Tick (or untick) step `step` (1-based) of the incident's checklist."""

    def work(uow: UnitOfWork, alliance: Any, stored: StoredIncident, repo: IncidentRepository, now: datetime) -> None:
        if not 1 <= step <= len(stored.checklist):
            raise InvalidInput(Message("step: incident {number} has steps 1 to {count}, not {step}", number=number,
                                       count=len(stored.checklist), step=step))
        if Status(stored.status) is Status.CLOSED:
            raise engine.TransitionRefused(Message("incident {number} is closed", number=number))
        checklist = [dict(s) for s in stored.checklist]
        item = checklist[step - 1]
        if bool(item.get("done_at")) == done:
            return  # already so: nothing to record
        item["done_by"], item["done_at"] = (principal.actor, now.isoformat()) if done else (None, None)
        repo.update(alliance.id, number, checklist=checklist)
        # The step as both languages say it: the timeline is read by people of either.
        said = item["en"] if item["en"] == item["zh"] else f"{item['en']} / {item['zh']}"
        what = (Message("Step {step} done: {text}", step=step, text=said) if done
                else Message("Step {step} not done after all: {text}", step=step, text=said))
        _event(uow, stored, principal.actor, now, "tick", what, step=step, done=done)

    return _act(store, alliance_code, number, principal, clock, work)


ROLES = ("lead", "scribe")
ROLE_NAMES = {"lead": Message("incident lead"), "scribe": Message("scribe")}


def assign(store: Store, alliance_code: str, number: int, role: str, person: str | None, principal: Principal,
           clock: Clock) -> IncidentView:
    """Name the incident lead or the scribe (an account of the alliance), or nobody (`person` empty)."""
    role = role.strip().lower()
    if role not in ROLES:
        raise InvalidInput(Message("role: {role!r} is not lead or scribe", role=role))
    person = (person or "").strip() or None

    def work(uow: UnitOfWork, alliance: Any, stored: StoredIncident, repo: IncidentRepository, now: datetime) -> None:
        _refuse(_check_account(uow, alliance.code, person, role))
        repo.update(alliance.id, number, **{role: person})
        text = (Message("{person} is the {role}", person=person, role=ROLE_NAMES[role]) if person
                else Message("Nobody is the {role} now", role=ROLE_NAMES[role]))
        _event(uow, stored, principal.actor, now, "role", text, role=role, person=person,
               previous=getattr(stored, role))

    return _act(store, alliance_code, number, principal, clock, work)


def review(store: Store, alliance_code: str, number: int, principal: Principal, clock: Clock, *, summary: str,
           causes: str, went_well: str = "", went_badly: str = "",
           actions: Sequence[tuple[str, str, date]] = (), meeting_id: int | None = None) -> IncidentView:
    """Write the closing review of a resolved incident. With `meeting_id`, its action items become that
    meeting's governance action items (each owner must have a seat in the meeting's body); without one
    they are kept on the incident. Written once; every problem at once, nothing stored if any."""

    def work(uow: UnitOfWork, alliance: Any, stored: StoredIncident, repo: IncidentRepository, now: datetime) -> None:
        if stored.review is not None:
            raise AlreadyReviewed(Message("incident {number} already has its closing review", number=number))
        if Status(stored.status) is not Status.RESOLVED:
            raise engine.TransitionRefused(Message("incident {number} is {status}: the review is written once it "
                                                   "is resolved", number=number, status=stored.status))
        members = [m.code for m in uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)]
        checked = check_review(summary, causes, went_well, went_badly, list(actions), members,
                               now.astimezone(ZoneInfo(alliance.timezone)).date())
        created = _governance_actions(uow, alliance, checked, meeting_id, principal, now) if meeting_id else []
        data = {"summary": checked.summary, "causes": checked.causes, "went_well": checked.went_well,
                "went_badly": checked.went_badly, "meeting": meeting_id, "written_by": principal.actor,
                "written_at": now.isoformat(),
                "actions": [{"title": a.title, "owner": a.owner, "due_on": a.due_on.isoformat(),
                             "governance_action": created[n] if created else None}
                            for n, a in enumerate(checked.actions)]}
        repo.update(alliance.id, number, review=data)
        _event(uow, stored, principal.actor, now, "review", Message("Closing review written ({count} action items)",
                                                                    count=len(checked.actions)),
               meeting=meeting_id, governance_actions=created)

    return _act(store, alliance_code, number, principal, clock, work)


def _governance_actions(uow: UnitOfWork, alliance: Any, checked: Review, meeting_id: int, principal: Principal,
                        now: datetime) -> list[int]:
    gov = GovernanceRepository(uow.connection)
    meeting = gov.meeting(alliance.id, meeting_id)
    if meeting is None:
        raise InvalidInput(Message("meeting: alliance {alliance!r} has no meeting {meeting}", alliance=alliance.code,
                                   meeting=meeting_id))
    body = gov.body(alliance.id, meeting.body_id)
    assert body is not None
    day = meeting.starts_at.astimezone(ZoneInfo(alliance.timezone)).date()
    problems: list[Problem] = []
    for action in checked.actions:
        problems += check_action(body, meeting, day, action.title, action.owner, action.due_on, [], None, None)[3]
    _refuse(problems)
    return [gov.add_action(alliance.id, body_id=body.id, meeting_id=meeting.id, agenda_item_id=None, decision=None,
                           title=a.title, owner=a.owner, due_on=a.due_on, status=ActionStatus.OPEN.value,
                           created_by=principal.actor, created_at=now, closed_at=None) for a in checked.actions]


# -- the clock -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Escalated:
    alliance: str
    number: int
    late: str                 # "acknowledge" or "resolve"
    agenda_item: int | None   # the joint committee's agenda item, when a meeting was ahead


LATE_WHAT = {Lateness.ACKNOWLEDGE: Message("acknowledge"), Lateness.RESOLVE: Message("resolve")}


def _next_committee_meeting(uow: UnitOfWork, alliance: Any, now: datetime) -> Any:
    """The next meeting (after `now`) of the alliance's joint committee, or None."""
    gov = GovernanceRepository(uow.connection)
    committees = [b.id for b in gov.bodies(alliance.id) if b.kind is BodyKind.JOINT_COMMITTEE]
    if not committees:
        return None
    upcoming = gov.meetings(alliance.id, body_ids=committees, since=now, limit=1)
    return upcoming[0] if upcoming else None


def _escalate(uow: UnitOfWork, alliance: Any, stored: StoredIncident, late: Lateness, now: datetime) -> int | None:
    repo = IncidentRepository(uow.connection)
    repo.update(alliance.id, stored.number, escalated=[*stored.escalated, late.value])
    _event(uow, stored, SCHEDULER, now, "late", Message("Late to {what}", what=LATE_WHAT[late]), late=late.value)
    title = Message("Incident {number} is late to {what}: {title}", number=stored.number, what=LATE_WHAT[late],
                    title=from_document(stored.title_doc, stored.title))
    publish(uow, Notice(EventKind.INCIDENT_LATE, alliance.id, Audience.COORDINATORS, title,
                        Message("P{priority}, {severity}; the joint committee hears it at its next meeting",
                                priority=stored.priority, severity=stored.severity),
                        link=f"/alliances/{alliance.code}/incidents/{stored.number}",
                        key=f"incident-{stored.number}-{late.value}"), now)
    meeting = _next_committee_meeting(uow, alliance, now)
    gov = GovernanceRepository(uow.connection)
    if meeting is None:
        _event(uow, stored, SCHEDULER, now, "escalated",
               Message("Nothing put on an agenda: the alliance's joint committee has no meeting ahead"),
               late=late.value, meeting=None)
        return None
    agenda = gov.agenda(alliance.id, meeting.id)
    if len(agenda) >= MAX_AGENDA_ITEMS:
        _event(uow, stored, SCHEDULER, now, "escalated",
               Message("Nothing put on an agenda: the agenda of meeting {meeting} is full", meeting=meeting.id),
               late=late.value, meeting=meeting.id)
        return None
    # The agenda keeps plain text: both languages, so every reader of the minutes understands it.
    text = f"事故 #{stored.number} 超时 / Incident #{stored.number} late ({late.value}): {stored.title}"[:200]
    item = gov.add_agenda_item(alliance.id, meeting_id=meeting.id, position=len(agenda) + 1, title=text,
                               time_box=AGENDA_TIME_BOX, owner="", proposal=None)
    _event(uow, stored, SCHEDULER, now, "escalated",
           Message("On the agenda of the joint committee's meeting {meeting} ({title})", meeting=meeting.id,
                   title=meeting.title), late=late.value, meeting=meeting.id, agenda_item=item)
    return item


def escalate_late(store: Store, clock: Clock) -> list[Escalated]:
    """Mark every incident whose clock ran out late, once per lateness (acknowledge, resolve): a
    timeline entry, an `incident.late` notice and an item on the agenda of the joint committee's next
    meeting (or a timeline entry saying why none). Idempotent: run by the scheduler every minute and by
    `alliance incident escalate`; one alliance's failure does not stop the others."""
    now = clock.now()
    with store.unit_of_work() as uow:
        running = IncidentRepository(uow.connection).running()
        alliances = {a.id: a for a in uow.alliances.all()}
    done: list[Escalated] = []
    for candidate in running:
        due = engine.to_escalate(Status(candidate.status), candidate.acknowledge_due, candidate.resolve_due, now,
                                 candidate.escalated)
        alliance = alliances.get(candidate.alliance_id)
        if not due or alliance is None or Write.VOTE not in ALLOWED[alliance.status]:
            continue  # a dissolved alliance's incidents stand as they were
        try:
            with store.unit_of_work() as uow:
                stored = IncidentRepository(uow.connection).get(alliance.id, candidate.number, lock=True)
                if stored is None:
                    continue
                # Read again inside the transaction: another worker may have escalated it meanwhile.
                for late in engine.to_escalate(Status(stored.status), stored.acknowledge_due, stored.resolve_due, now,
                                               stored.escalated):
                    item = _escalate(uow, alliance, stored, late, now)
                    stored = IncidentRepository(uow.connection).get(alliance.id, candidate.number)  # type: ignore[assignment]
                    assert stored is not None
                    done.append(Escalated(alliance.code, stored.number, late.value, item))
                uow.commit()
        except AllianceError:
            continue
    return done
