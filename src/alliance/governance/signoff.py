"""Signing off a meeting's minutes (pure: no I/O).

"Minutes and attendance export ... as a document members can sign off": once a meeting has been
held, each member with a voting seat in the body (chair, secretary, member: not an observer) signs
the minutes through its own account, the seat's named person where the seat names one. What it
signs is the SHA-256 of a **canonical document** of the meeting's minutes and attendance: RFC 8785
canonical JSON (as the disputes' neutral data report), built here from the stored agenda, minutes,
attendance and the action items decided, so anyone can rebuild it from what the meeting's page
shows and compare digests.

The minutes stay editable after a sign-off (a typo is corrected, an item completed): a sign-off
whose digest is no longer the document's is then shown as "signed an earlier version", and the
member may sign the new version too. The same member signing the same version twice is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alliance.access.policy import Forbidden
from alliance.core.errors import Conflict
from alliance.core.messages import Message
from alliance.governance.bodies import Body, SeatRole
from alliance.governance.meetings import ActionItem, AgendaItem, Attendance, Meeting
from alliance.ledger.events import canonical, utc_text

FORMAT = "alliance.meeting.minutes/1"
# The seats whose members sign the minutes: those that vote. An observer attends without a vote.
SIGNING_ROLES = frozenset({SeatRole.CHAIR, SeatRole.SECRETARY, SeatRole.MEMBER})


class MeetingNotHeld(Conflict):
    code = "meeting_not_held"
    title = Message("Meeting not held yet")


class AlreadySigned(Conflict):
    code = "minutes_already_signed"
    title = Message("Minutes already signed")


@dataclass(frozen=True, slots=True)
class SignOff:
    id: int
    meeting_id: int
    member: str
    sha256: str        # of the canonical minutes document as it was when signed
    account: str       # the user name that signed
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class SignOffState:
    """A sign-off beside the minutes as they are now."""

    signoff: SignOff
    current: bool      # False: the minutes changed after it was given ("signed an earlier version")


def minutes_document(alliance: str, body: Body, meeting: Meeting, agenda: Sequence[AgendaItem],
                     attendance: Mapping[str, Attendance], actions: Iterable[ActionItem]) -> dict[str, Any]:
    """What a sign-off covers: the meeting, its attendance, the agenda with each item's minutes, and the
    action items decided (title, owner, due day, item: not their later status, which is not the minutes)."""
    return {
        "format": FORMAT,
        "alliance": alliance,
        "body": {"id": body.id, "name": body.name},
        "meeting": {"id": meeting.id, "title": meeting.title, "starts_at": utc_text(meeting.starts_at),
                    "location": meeting.location},
        "attendance": [{"member": a.member, "presence": a.presence.value, "proxy": a.proxy}
                       for _, a in sorted(attendance.items())],
        "agenda": [{"position": i.position, "title": i.title, "time_box": i.time_box, "owner": i.owner or None,
                    "proposal": i.proposal, "minutes": i.minutes} for i in agenda],
        "actions": [{"title": a.title, "owner": a.owner, "due_on": a.due_on.isoformat(),
                     "agenda_item": next((i.position for i in agenda if i.id == a.agenda_item_id), None),
                     "decision": a.decision} for a in sorted(actions, key=lambda a: a.id)],
    }


def encode(document: Mapping[str, Any]) -> bytes:
    """The document's canonical bytes (RFC 8785): the same document always gives the same bytes."""
    return canonical(dict(document))


def digest(document: Mapping[str, Any]) -> str:
    return hashlib.sha256(encode(document)).hexdigest()


def check_signer(body: Body, member: str, account: str | None, meeting: Meeting, now: datetime,
                 signed: Iterable[SignOff], sha256: str) -> None:
    """Raise unless `account`, acting for `member`, may sign the minutes of `meeting` whose digest is
    now `sha256`: a voting seat, its named person (if any), a meeting already held, not twice the same."""
    seat = body.seat_of(member)
    if seat is None or seat.role not in SIGNING_ROLES:
        raise Forbidden(Message("{member} has no voting seat in {body}: only the chair, the secretary and the "
                                "members sign the minutes (an observer does not)", member=member, body=body.name))
    if seat.person is not None and seat.person != account:
        raise Forbidden(Message("{member}'s seat in {body} is held by {person}: only that account signs the minutes "
                                "for {member}", member=member, body=body.name, person=seat.person))
    if meeting.starts_at >= now:
        raise MeetingNotHeld(Message("the meeting of {start} has not been held yet: minutes are signed after the "
                                     "meeting", start=utc_text(meeting.starts_at)))
    if any(s.member == member and s.sha256 == sha256 for s in signed):
        raise AlreadySigned(Message("{member} already signed this version of the minutes (SHA-256 {sha256})",
                                    member=member, sha256=sha256))


def states(signed: Iterable[SignOff], sha256: str) -> list[SignOffState]:
    """Every sign-off, marked current or of an earlier version of the minutes, in the order given."""
    return [SignOffState(s, s.sha256 == sha256) for s in signed]
