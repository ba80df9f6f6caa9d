"""A small iCalendar (RFC 5545) writer for a body's calendar: upcoming meetings and due action items.

What it writes (docs/governance.md, "The calendar file"):
- lines end in CRLF and are folded at 75 octets (a continuation line starts with one space), never
  inside a UTF-8 character;
- text values escape backslash, semicolon, comma and newline;
- every component has a UID that stays the same when the file is downloaded again (so a calendar
  application updates the meeting instead of adding a copy) and the DTSTAMP of the download;
- meetings are VEVENTs with DTSTART and DTEND in UTC (the `Z` form: no VTIMEZONE needed, every
  application shows them in its own zone); an action item is an all-day VEVENT on its due date
  (VALUE=DATE), as calendar applications that ignore VTODO still show it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

PRODID = "-//Alliance Platform//Governance calendar//EN"
LIMIT = 75  # octets per line, without the CRLF


@dataclass(frozen=True, slots=True)
class Event:
    uid: str
    summary: str
    start: datetime | date  # an aware datetime (written in UTC) or a date (an all-day event)
    end: datetime | date
    description: str = ""
    location: str = ""


def escape(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11)."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> bytes:
    """One content line as UTF-8, folded so that no line is longer than 75 octets (RFC 5545 3.1)."""
    out: list[bytes] = []
    current = b""
    room = LIMIT
    for ch in line:
        encoded = ch.encode("utf-8")
        if len(current) + len(encoded) > room:
            out.append(current)
            current, room = b"", LIMIT - 1  # the leading space of a continuation line counts
        current += encoded
    out.append(current)
    return b"\r\n ".join(out) + b"\r\n"


def _when(name: str, value: datetime | date) -> str:
    if isinstance(value, datetime):
        assert value.tzinfo is not None, "calendar times are aware"
        return f"{name}:{value.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return f"{name};VALUE=DATE:{value:%Y%m%d}"


def calendar(name: str, events: Iterable[Event], stamp: datetime) -> bytes:
    """The whole calendar file (text/calendar; charset=utf-8)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape(name)}"]
    for event in events:
        lines += ["BEGIN:VEVENT", f"UID:{event.uid}", _when("DTSTAMP", stamp.replace(microsecond=0)),
                  _when("DTSTART", event.start), _when("DTEND", event.end), f"SUMMARY:{escape(event.summary)}"]
        if event.description:
            lines.append(f"DESCRIPTION:{escape(event.description)}")
        if event.location:
            lines.append(f"LOCATION:{escape(event.location)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return b"".join(fold(line) for line in lines)


def all_day(day: date) -> tuple[date, date]:
    """DTSTART and DTEND of an all-day event on `day` (DTEND is exclusive: the next day)."""
    return day, day + timedelta(days=1)
