"""The incident's rules (pure: no I/O, no clock of its own).

- Statuses: open -> acknowledged -> mitigated -> resolved -> closed. Mitigating is optional
  (acknowledged -> resolved); a resolved incident may be reopened (-> acknowledged) until it is
  closed; closing needs the closing review. Nothing else moves (`TRANSITIONS`).
- The response clock is per priority: time to acknowledge and time to resolve, from the opening.
  An incident is late to acknowledge while open past its acknowledge-by time, late to resolve while
  not yet resolved past its resolve-by time; each lateness is escalated once (`lateness`).
- An SOP checklist is a list of bilingual steps; an alliance's edited SOP is a new version, and an
  incident keeps a copy of the steps it started with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from alliance.core.errors import Conflict, InvalidInput, NotFound, Problem
from alliance.core.messages import Message
from alliance.core.text import check_text
from alliance.health.incidents.kinds import KINDS, IncidentKind, Step

TITLE_LIMIT = 200
TEXT_LIMIT = 10_000
STEP_LIMIT = 200
MAX_STEPS = 40
MAX_ACTIONS = 30
MAX_CLOCK_MINUTES = 90 * 24 * 60


class IncidentNotFound(NotFound):
    code = "incident_not_found"
    title = Message("Incident not found")


class TransitionRefused(Conflict):
    code = "incident_transition_refused"
    title = Message("The incident cannot move there")


class ReviewRequired(Conflict):
    code = "incident_review_required"
    title = Message("The closing review is missing")


class Severity(StrEnum):
    """How bad it is, beside the kind's priority (how urgent its kind is): SEV1 is the worst."""

    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"


STATUS_NAMES: dict[Status, Message] = {
    Status.OPEN: Message("Not yet acknowledged"),
    Status.ACKNOWLEDGED: Message("Acknowledged"),
    Status.MITIGATED: Message("Mitigated"),
    Status.RESOLVED: Message("Resolved"),
    Status.CLOSED: Message("Closed"),
}

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.OPEN: frozenset({Status.ACKNOWLEDGED}),
    Status.ACKNOWLEDGED: frozenset({Status.MITIGATED, Status.RESOLVED}),
    Status.MITIGATED: frozenset({Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.ACKNOWLEDGED}),  # closed with the review; or reopened
    Status.CLOSED: frozenset(),
}
# While the incident is not resolved its resolve clock runs.
RUNNING = frozenset({Status.OPEN, Status.ACKNOWLEDGED, Status.MITIGATED})


def check_transition(current: Status, target: Status, *, number: int, reviewed: bool) -> None:
    """Return if an incident in `current` may move to `target`; raise TransitionRefused or ReviewRequired."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(s.value for s in sorted(TRANSITIONS[current])) or Message("nothing")
        raise TransitionRefused(Message("incident {number} is {current}: it can move to {allowed}, not {target}",
                                        number=number, current=current.value, allowed=allowed, target=target.value))
    if target is Status.CLOSED and not reviewed:
        raise ReviewRequired(Message("incident {number} is closed only after its closing review is written",
                                     number=number))


def parse_status(value: str) -> Status:
    try:
        return Status(value.strip().lower())
    except ValueError:
        raise InvalidInput(Message("{value!r} is not an incident status (one of {statuses})", value=value,
                                   statuses=", ".join(Status))) from None


def parse_severity(value: str) -> Severity:
    try:
        return Severity(value.strip().upper())
    except ValueError:
        raise InvalidInput(Message("{value!r} is not a severity (SEV1, SEV2 or SEV3)", value=value)) from None


def kind_of(key: str) -> IncidentKind:
    try:
        return KINDS[key.strip()]
    except KeyError:
        raise InvalidInput(Message("{kind!r} is not an incident kind (one of {kinds})", kind=key,
                                   kinds=", ".join(KINDS))) from None


# -- the response clock ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ResponseClock:
    """Minutes to acknowledge and to resolve an incident of one priority, from its opening."""

    acknowledge_minutes: int
    resolve_minutes: int

    def as_json(self) -> dict[str, int]:
        return {"acknowledge_minutes": self.acknowledge_minutes, "resolve_minutes": self.resolve_minutes}


# The defaults (docs/health.md "Incidents"): a complaint is answered within the hour and settled in a
# day; a failure acknowledged in 4 hours, resolved in 3 days; a dispute or a supplier risk within a
# working day, resolved in two weeks; anything else within 3 days, in 30.
DEFAULT_CLOCKS: dict[int, ResponseClock] = {
    1: ResponseClock(60, 24 * 60),
    2: ResponseClock(4 * 60, 3 * 24 * 60),
    3: ResponseClock(24 * 60, 14 * 24 * 60),
    4: ResponseClock(3 * 24 * 60, 30 * 24 * 60),
}
PRIORITIES = tuple(sorted(DEFAULT_CLOCKS))


def check_clock(priority: int, acknowledge_minutes: int, resolve_minutes: int) -> ResponseClock:
    """A priority's clock, or InvalidInput naming every problem."""
    problems: list[Problem] = []
    where = Message("clock of P{priority}", priority=priority)
    if priority not in DEFAULT_CLOCKS:
        problems.append(Problem(where, "priority", Message("priorities are {priorities}",
                                                           priorities=", ".join(f"P{p}" for p in PRIORITIES))))
    for name, value in (("acknowledge_minutes", acknowledge_minutes), ("resolve_minutes", resolve_minutes)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CLOCK_MINUTES:
            problems.append(Problem(where, name, Message("a whole number of minutes from 1 to {limit}, not {value!r}",
                                                         limit=MAX_CLOCK_MINUTES, value=value)))
    if not problems and resolve_minutes < acknowledge_minutes:
        problems.append(Problem(where, "resolve_minutes",
                                Message("resolving ({resolve} min) cannot come before acknowledging ({ack} min)",
                                        resolve=resolve_minutes, ack=acknowledge_minutes)))
    if problems:
        raise InvalidInput(problems[0].text(), problems)
    return ResponseClock(acknowledge_minutes, resolve_minutes)


def deadlines(opened_at: datetime, clock: ResponseClock) -> tuple[datetime, datetime]:
    """(acknowledge by, resolve by) of an incident opened at `opened_at` under `clock`."""
    return (opened_at + timedelta(minutes=clock.acknowledge_minutes),
            opened_at + timedelta(minutes=clock.resolve_minutes))


class Lateness(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


def lateness(status: Status, acknowledge_due: datetime, resolve_due: datetime, now: datetime) -> set[Lateness]:
    """What the incident is late for at `now` (the due instant itself is late: the time is up)."""
    late: set[Lateness] = set()
    if status is Status.OPEN and now >= acknowledge_due:
        late.add(Lateness.ACKNOWLEDGE)
    if status in RUNNING and now >= resolve_due:
        late.add(Lateness.RESOLVE)
    return late


def to_escalate(status: Status, acknowledge_due: datetime, resolve_due: datetime, now: datetime,
                escalated: Iterable[str]) -> list[Lateness]:
    """The lateness not escalated yet, in the order it happened (each is escalated once)."""
    done = set(escalated)
    return [late for late in (Lateness.ACKNOWLEDGE, Lateness.RESOLVE)
            if late in lateness(status, acknowledge_due, resolve_due, now) and late.value not in done]


@dataclass(frozen=True, slots=True)
class Countdown:
    """What the page shows beside an incident: the next deadline and the time left (negative: overdue)."""

    what: Lateness | None
    due: datetime | None
    seconds_left: int

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.seconds_left <= 0


def countdown(status: Status, acknowledge_due: datetime, resolve_due: datetime, now: datetime) -> Countdown:
    if status is Status.OPEN:
        return Countdown(Lateness.ACKNOWLEDGE, acknowledge_due, int((acknowledge_due - now).total_seconds()))
    if status in RUNNING:
        return Countdown(Lateness.RESOLVE, resolve_due, int((resolve_due - now).total_seconds()))
    return Countdown(None, None, 0)


def board_order(priority: int, severity: str, opened_at: datetime) -> tuple[int, str, datetime]:
    """The board's order within a column: the most urgent kind first, then the worst, then the oldest."""
    return (priority, severity, opened_at)


# -- SOP checklists -------------------------------------------------------------------------------------
def parse_sop(steps: Sequence[Mapping[str, Any]]) -> tuple[Step, ...]:
    """An edited SOP's steps ({"en": ..., "zh": ...} each; either may be left empty, not both), every
    problem at once (InvalidInput)."""
    problems: list[Problem] = []
    found: list[Step] = []
    if not steps:
        problems.append(Problem(Message("SOP"), "steps", Message("an SOP has at least one step")))
    if len(steps) > MAX_STEPS:
        problems.append(Problem(Message("SOP"), "steps", Message("an SOP has at most {limit} steps", limit=MAX_STEPS)))
    for n, raw in enumerate(steps[:MAX_STEPS], start=1):
        where = Message("step {n}", n=n)
        if not isinstance(raw, Mapping):
            problems.append(Problem(where, "", Message("a step has an English (en) and a Chinese (zh) text")))
            continue
        texts: dict[str, str] = {}
        bad = False
        for language in ("en", "zh"):
            value = raw.get(language, "")
            try:
                texts[language] = check_text(str(value) if value is not None else "", Message("the step"), STEP_LIMIT,
                                             required=False)
            except InvalidInput as exc:
                problems.append(Problem(where, language, exc.message))
                texts[language], bad = "", True
        if not bad and not texts["en"] and not texts["zh"]:
            problems.append(Problem(where, "", Message("say the step in English or Chinese")))
            continue
        found.append(Step(texts["en"] or texts["zh"], texts["zh"] or texts["en"]))
    if problems:
        raise InvalidInput(problems[0].text(), problems)
    return tuple(found)


def steps_from_json(data: Sequence[Mapping[str, Any]]) -> tuple[Step, ...]:
    return tuple(Step(str(s["en"]), str(s["zh"])) for s in data)


# -- the closing review ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReviewAction:
    title: str
    owner: str          # a member code (governance action items are owned by a member of the body)
    due_on: date


@dataclass(frozen=True, slots=True)
class Review:
    summary: str
    causes: str
    went_well: str
    went_badly: str
    actions: tuple[ReviewAction, ...]


def check_review(summary: str, causes: str, went_well: str, went_badly: str,
                 actions: Sequence[tuple[str, str, date]], members: Iterable[str], today: date) -> Review:
    """The closing review, cleaned, or InvalidInput with every problem: a summary and the causes are
    required; each action item has a title, an owner among the alliance's members and a due date not
    before today."""
    problems: list[Problem] = []
    where = Message("review")
    texts = {}
    for name, value, what, required in (("summary", summary, Message("the summary"), True),
                                        ("causes", causes, Message("the causes"), True),
                                        ("went_well", went_well, Message("what went well"), False),
                                        ("went_badly", went_badly, Message("what went badly"), False)):
        try:
            texts[name] = check_text(value, what, TEXT_LIMIT, required=required, multiline=True)
        except InvalidInput as exc:
            problems.append(Problem(where, name, exc.message))
    known = set(members)
    cleaned: list[ReviewAction] = []
    if len(actions) > MAX_ACTIONS:
        problems.append(Problem(where, "actions", Message("at most {limit} action items", limit=MAX_ACTIONS)))
    for n, (title, owner, due_on) in enumerate(actions[:MAX_ACTIONS], start=1):
        item = Message("action item {n}", n=n)
        try:
            title = check_text(title, Message("an action item's title"), TITLE_LIMIT)
        except InvalidInput as exc:
            problems.append(Problem(item, "title", exc.message))
        owner = owner.strip()
        if owner not in known:
            problems.append(Problem(item, "owner", Message("{owner!r} is not a member of the alliance", owner=owner)))
        if due_on < today:
            problems.append(Problem(item, "due_on", Message("it is due on {due_on}, before today ({today})",
                                                            due_on=due_on.isoformat(), today=today.isoformat())))
        cleaned.append(ReviewAction(title, owner, due_on))
    if problems:
        raise InvalidInput(problems[0].text(), problems)
    return Review(texts["summary"], texts["causes"], texts.get("went_well", ""), texts.get("went_badly", ""),
                  tuple(cleaned))
