"""What delivering a notice decides, without doing it (pure): who hears it, on which channels, when a
failed attempt is tried again, and how a webhook call is signed.

The service (`notify.service`) loads the people and their choices, calls these functions and
records what they say; the senders (`notify.smtp`, `notify.webhook_http`) do the I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.notify.notice import Audience, EventKind


class Channel(StrEnum):
    """How a user hears of an event (webhooks are an alliance's or a member's, not a user's)."""

    INBOX = "inbox"
    EMAIL = "email"


# Defaults when a user chose nothing: everything reaches the inbox; e-mail only what asks for
# action soon (a warning firing, an incident, a vote or action item waiting, a settlement that
# failed, a dispute), so a quiet week sends no mail. Documented in docs/notifications.md.
URGENT = frozenset({
    EventKind.WARNING_FIRED, EventKind.INCIDENT_OPENED, EventKind.INCIDENT_LATE, EventKind.VOTE_REMINDER,
    EventKind.ACTION_DUE, EventKind.SETTLEMENT_FAILED, EventKind.DISPUTE_OPENED, EventKind.DISPUTE_RULED,
})

# Roles that hear an alliance's notices. Auditors read records but are not told of news; platform
# admins hold no role in an alliance and are not told either (they have every alliance's pages).
COORDINATOR_ROLES = frozenset({"coordinator"})
MEMBER_ROLES = frozenset({"member_admin", "member_analyst"})


def default_wanted(event: EventKind, channel: Channel) -> bool:
    return channel is Channel.INBOX or event in URGENT


def wanted(choices: Mapping[tuple[str, str], bool], event: EventKind, channel: Channel) -> bool:
    """Whether a user with these stored choices ((event, channel) -> on) hears `event` on `channel`."""
    return choices.get((event.value, channel.value), default_wanted(event, channel))


@dataclass(frozen=True, slots=True)
class Person:
    """Someone holding a role in the alliance a notice is of (disabled users and departed members' people excluded by the caller)."""

    user_id: int
    username: str
    role: str
    member: str | None


def audience(people: Iterable[Person], kind: Audience, member: str | None) -> list[Person]:
    """The people a notice for `kind` (and `member`) reaches, each once, in user id order.

    A MEMBER notice reaches that member's people and the coordinators, never another member's people;
    a MEMBER_ONLY notice only that member's people."""
    chosen: dict[int, Person] = {}
    for person in people:
        if person.role in COORDINATOR_ROLES:
            if kind is not Audience.MEMBER_ONLY:
                chosen.setdefault(person.user_id, person)
        elif person.role in MEMBER_ROLES and (kind is Audience.MEMBERS or (
                kind in (Audience.MEMBER, Audience.MEMBER_ONLY) and person.member == member)):
            chosen.setdefault(person.user_id, person)
    return [chosen[k] for k in sorted(chosen)]


def webhook_hears(webhook_member: str | None, kind: Audience, member: str | None) -> bool:
    """An alliance's webhook (no member) hears every notice of its alliance but those for one member's
    people only; a member's webhook only what that member's people would hear (its own MEMBER and
    MEMBER_ONLY notices and notices to every member)."""
    if webhook_member is None:
        return kind is not Audience.MEMBER_ONLY
    return kind is Audience.MEMBERS or (kind in (Audience.MEMBER, Audience.MEMBER_ONLY) and member == webhook_member)


# -- retries ---------------------------------------------------------------------------------------

FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
MAX_ATTEMPTS = 6  # 1 + 1, 2, 4, 8, 16 minutes of waiting: about half an hour before it is failed


def next_attempt(attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts (exponential back-off: 1, 2, 4 ... minutes,
    at most an hour); None once MAX_ATTEMPTS were made (the delivery is then failed)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    wait = min(FIRST_WAIT * 2 ** (attempts - 1), LONGEST_WAIT)
    return now + wait


# -- webhooks ----------------------------------------------------------------------------------------

SIGNATURE_HEADER = "Alliance-Signature"
DELIVERY_HEADER = "Alliance-Delivery"
EVENT_HEADER = "Alliance-Event"
TEST_EVENT = "webhook.test"
SIGNATURE_TOLERANCE = timedelta(minutes=5)


def check_url(url: str) -> str:
    """The webhook URL, stripped; InvalidInput unless it is an absolute http or https URL with a host."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # a malformed host or port raises here, not when calling
    except ValueError:
        host = None
    if host is None or parts.scheme not in ("http", "https") or len(url) > 500 or any(c.isspace() for c in url):
        raise InvalidInput(Message("a webhook URL must be an http:// or https:// address (at most 500 "
                                   "characters), not {url!r}", url=url[:100]),
                           [Problem("webhook", "url", Message("not an http(s) URL"))])
    return url


def check_events(events: Iterable[str]) -> list[str]:
    """The event kinds a webhook asks for, as stored (known values, in EventKind order); InvalidInput
    naming the first unknown one, or when none is chosen."""
    asked = [e.strip() for e in events if e.strip()]
    known = {e.value for e in EventKind}
    unknown = [e for e in asked if e not in known]
    if unknown:
        raise InvalidInput(Message("unknown event {event!r} (known: {known})", event=unknown[0],
                                   known=", ".join(e.value for e in EventKind)))
    if not asked:
        raise InvalidInput(Message("choose at least one event for the webhook"))
    return [e.value for e in EventKind if e.value in asked]


def new_secret() -> str:
    """A signing secret: 256 random bits, shown once to whoever adds the webhook."""
    return "whsec_" + secrets.token_hex(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The Alliance-Signature header value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
    "<timestamp>.<body>" keyed with the secret>` (the Stripe scheme: the timestamp is signed too,
    so a captured call cannot be replayed later)."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, now_unix: int,
           tolerance: timedelta = SIGNATURE_TOLERANCE) -> bool:
    """What a receiver does (docs/notifications.md shows the same in a few lines): the header's
    timestamp is recent and one of its v1 signatures matches."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [v for k, v in fields if k.strip() == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    timestamp = int(stamps[0])
    if abs(now_unix - timestamp) > tolerance.total_seconds():
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, v.strip()) for k, v in fields if k.strip() == "v1")


def webhook_body(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes posted (and signed): compact JSON, keys in a fixed order, UTF-8."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
