"""What a notice is: the event it tells of, who should hear it and its text (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from alliance.core.messages import Message


class EventKind(StrEnum):
    """The events people can choose to hear of (issue 20); the value is stored and shown in webhooks."""

    WARNING_FIRED = "warning.fired"
    WARNING_RESOLVED = "warning.resolved"
    INCIDENT_OPENED = "incident.opened"
    INCIDENT_LATE = "incident.late"
    MEETING_REMINDER = "meeting.reminder"
    VOTE_REMINDER = "vote.reminder"
    ACTION_DUE = "action.due"
    RATING_CHANGED = "rating.changed"
    SETTLEMENT_CLOSED = "settlement.closed"
    SETTLEMENT_FAILED = "settlement.failed"
    DISPUTE_OPENED = "dispute.opened"
    DISPUTE_RULED = "dispute.ruled"


class Audience(StrEnum):
    """Who a notice is for, resolved to people when it is delivered (not when it is published, so a
    person added later in the same second is not missed and one removed is not told)."""

    COORDINATORS = "coordinators"  # the alliance's coordinators (and platform admins who follow it)
    MEMBER = "member"              # the people of `Notice.member`, and the coordinators
    MEMBERS = "members"            # the people of every member, and the coordinators
    MEMBER_ONLY = "member_only"    # the people of `Notice.member` only: the coordinators hear of it
                                   # another way (e.g. one grouped notice for all the members concerned)


@dataclass(frozen=True)
class Notice:
    """One piece of news. `title` and `body` are Messages so each reader gets them in their own
    language; `link` is a path in the web workspace (e.g. "/alliances/tea/health"); `key` groups
    repeats (e.g. the warning rule's id): the same (alliance, event, key) while undelivered is one."""

    event: EventKind
    alliance_id: int
    audience: Audience
    title: Message
    body: Message
    link: str = ""
    member: str | None = None
    key: str = ""

    def __post_init__(self) -> None:
        if self.audience in (Audience.MEMBER, Audience.MEMBER_ONLY) and not self.member:
            raise ValueError("a notice for a member names the member")
