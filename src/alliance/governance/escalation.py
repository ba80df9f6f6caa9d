"""The escalation ladder of an alliance and where a dispute stands on it. Pure: no I/O, no clock.

A ladder is a list of levels (working group -> joint committee -> arbitration panel -> external
arbitration), each with a clock in days; the last level usually has none (external arbitration ends
the platform's part). A dispute that is not resolved when its level's clock runs out moves up one
level by itself; where the platform was down for a while, `position` catches up over every level
whose clock ran out meanwhile, so the result is a function of the dispute, the ladder and the time
alone and the scheduler may call it as often as it likes.

Clocks count calendar days in the alliance's own time zone: a level entered at 15:00 Beijing time
with a 14-day clock is due at 15:00 Beijing time 14 days later, and the move happens exactly then
(at the due instant, not a microsecond before). In a zone with daylight saving time the wall-clock
time is kept, so such a day may be 23 or 25 hours long: people read deadlines on their wall clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message, joined

MAX_CLOCK_DAYS = 3650
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True, slots=True)
class Level:
    key: str                 # stable identifier ("joint_committee")
    name: str                # how people call it ("联合委员会")
    days: int | None         # the clock; None: the last level, nothing above it
    body: int | None = None  # the id of the alliance's governance body that hears it (None: none named)

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "days": self.days, "body": self.body}


@dataclass(frozen=True, slots=True)
class Ladder:
    levels: tuple[Level, ...]
    response_days: int = 14   # the respondent's time to answer, from the opening
    ruling_days: int = 90     # the time to a ruling, from the opening

    def as_json(self) -> dict[str, Any]:
        return {"levels": [level.as_json() for level in self.levels], "response_days": self.response_days,
                "ruling_days": self.ruling_days}


DEFAULT_LADDER = Ladder((
    Level("working_group", Message("Working group"), 14),
    Level("joint_committee", Message("Joint committee"), 21),
    Level("arbitration_panel", Message("Arbitration panel"), 30),
    Level("external_arbitration", Message("External arbitration"), None),
))


def _days(value: Any, where: str, problems: list[Message], *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CLOCK_DAYS:
        problems.append(Message("{where}: a clock is a whole number of days from 1 to {max_days}, not {value!r}",
                                where=where, max_days=MAX_CLOCK_DAYS, value=value))
        return None
    return value


def _body(value: Any, where: str, problems: list[Message]) -> int | None:
    """A level's body: empty, or a body's id (a whole number, or its digits as text). Whether the
    alliance has that body is the service's check (`governance.disputes.set_ladder`)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.append(Message("{where}: body {value!r} is not a body's id (a whole number) nor empty",
                                where=where, value=value))
        return None
    return value


def body_problems(ladder: Ladder, bodies: Mapping[int, str], alliance: str) -> list[Message]:
    """A problem for each level naming a body that `alliance` does not have (`bodies`: its bodies' ids and names)."""
    return [Message("level {n} ({name}): body {body} is not a body of alliance {alliance!r} (its bodies: {known})",
                    n=n, name=level.name, body=level.body, alliance=alliance,
                    known=", ".join(f"{i} {b}" for i, b in sorted(bodies.items())) or "none")
            for n, level in enumerate(ladder.levels, start=1) if level.body is not None and level.body not in bodies]


def ladder_from(data: Mapping[str, Any]) -> Ladder:
    """A ladder from its JSON form (as `Ladder.as_json` writes it); every problem at once (InvalidInput)."""
    problems: list[Message] = []
    raw_levels = data.get("levels")
    if not isinstance(raw_levels, list) or not raw_levels:
        raise InvalidInput(Message("a ladder needs at least one level"))
    levels: list[Level] = []
    seen: set[str] = set()
    for n, raw in enumerate(raw_levels, start=1):
        where = f"level {n}"
        if not isinstance(raw, Mapping):
            problems.append(Message("{where}: not a level (key, name, days)", where=where))
            continue
        key = str(raw.get("key", ""))
        if not _KEY.match(key):
            problems.append(Message("{where}: key {key!r} is not lower-case letters, digits and _", where=where, key=key))
        elif key in seen:
            problems.append(Message("{where}: key {key!r} is used twice", where=where, key=key))
        seen.add(key)
        name = str(raw.get("name") or key).strip()[:100]
        last = n == len(raw_levels)
        days = _days(raw.get("days"), where, problems, optional=last)
        levels.append(Level(key, name, days, _body(raw.get("body"), where, problems)))
    response = _days(data.get("response_days", 14), "response_days", problems)
    ruling = _days(data.get("ruling_days", 90), "ruling_days", problems)
    if problems:
        raise InvalidInput(joined(problems))
    return Ladder(tuple(levels), response or 14, ruling or 90)


def after_days(start: datetime, days: int, timezone: str) -> datetime:
    """`days` calendar days after `start`, at the same wall-clock time in `timezone` (aware, UTC)."""
    zone = ZoneInfo(timezone)
    local = start.astimezone(zone)
    # Adding a timedelta to an aware datetime keeps its wall-clock time (tzinfo is only re-read).
    moved = (local.replace(tzinfo=None) + timedelta(days=days)).replace(tzinfo=zone)
    return moved.astimezone(start.tzinfo)


@dataclass(frozen=True, slots=True)
class Position:
    level: int                 # index into the ladder's levels
    since: datetime            # when the dispute entered that level
    due: datetime | None       # when it moves up unless resolved (None: the last level)
    moves: tuple[tuple[int, datetime], ...] = ()  # (level, at) of each move made to get here


# The statuses in which a dispute is still unresolved, so its clock runs.
RUNNING = frozenset({"open", "answered", "escalated"})


def due_at(ladder: Ladder, level: int, since: datetime, timezone: str) -> datetime | None:
    days = ladder.levels[level].days
    if days is None or level >= len(ladder.levels) - 1:
        return None
    return after_days(since, days, timezone)


def position(ladder: Ladder, status: str, level: int, since: datetime, now: datetime, timezone: str) -> Position:
    """Where a dispute stands at `now`: its level (moved up over every clock that ran out, each move
    at its own due instant) and that level's due time. A resolved dispute stays where it is."""
    moves: list[tuple[int, datetime]] = []
    due = due_at(ladder, level, since, timezone)
    if status in RUNNING:
        while due is not None and now >= due:
            level, since = level + 1, due
            moves.append((level, since))
            due = due_at(ladder, level, since, timezone)
    return Position(level, since, due, tuple(moves))


def deadlines(ladder: Ladder, opened_at: datetime, timezone: str) -> tuple[datetime, datetime]:
    """(response due, ruling due) of a dispute opened at `opened_at`."""
    return after_days(opened_at, ladder.response_days, timezone), after_days(opened_at, ladder.ruling_days, timezone)
