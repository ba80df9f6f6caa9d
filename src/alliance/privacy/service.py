"""The platform's side of private set intersection: sharing levels, sessions, consent, the relay of
blinded messages, and each member's access log.

The platform never sees an identifier: members' clients (`alliance psi`) normalise, salt and blind
their lists on their own machines and post only the library's protocol messages, which the platform
stores as opaque bytes (reading from them only how many blinded elements they hold, to enforce the
minimum list size) and empties once the session is done.

Sequence of a session (the initiator runs the protocol's server role, the partner its client role):

1. the initiator opens it, naming the partner, the mode and the identifier kind; the platform draws
   the salt; 2. the partner consents (or refuses); 3. message 1, the partner's blinded request;
4. message 2, the initiator's setup; 5. message 3, the initiator's response; 6. the partner's client
   posts the overlap's size. Each step is written to both members' access logs.

In list mode the overlap list with chosen fields follows message 3, before the result (see
`privacy.fields`): 4 the partner's session public key, 5 the initiator's, 6 the partner's tokens and
encrypted fields of its shared rows, 7 the initiator's encrypted fields for the tokens it matched;
then the partner's client reports the overlap's size, which must be the number of rows it sent.

A session not done `SESSION_LIFETIME` after it was opened expires: decided lazily, on every read and
step (the clock decides, no background job), in a transaction of its own, so that the step that
finds it expired is refused (409 `psi_session_expired`) while the expiry itself is kept.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alliance.core.clock import Clock, local_today
from alliance.core.errors import AllianceError, Conflict, InvalidInput, MemberNotFound, NotFound
from alliance.core.messages import Message
from alliance.privacy import fields as shared_fields
from alliance.privacy import protocol
from alliance.privacy.levels import DEFAULT, SHARES_FIELDS, Level, Mode, allows, effective, level_of, mode_of
from alliance.privacy.limits import MAX_LIST_SIZE, MIN_LIST_SIZE, SESSION_LIFETIME, SESSIONS_PER_PAIR_PER_DAY
from alliance.privacy.normalise import RULES, kind_of
from alliance.registry.lifecycle import Write
from alliance.registry.model import has_left
from alliance.registry.service import require_writable
from alliance.store.database import Store
from alliance.store.privacy_repository import LogEntry, StoredSession
from alliance.store.unit_of_work import UnitOfWork

REQUEST, SETUP, RESPONSE = 1, 2, 3
PARTNER_KEY, INITIATOR_KEY, PARTNER_FIELDS, INITIATOR_FIELDS = 4, 5, 6, 7
MESSAGES = (REQUEST, SETUP, RESPONSE)
LIST_MESSAGES = (*MESSAGES, PARTNER_KEY, INITIATOR_KEY, PARTNER_FIELDS, INITIATOR_FIELDS)
_PARTNER_SENDS = (REQUEST, PARTNER_KEY, PARTNER_FIELDS)
_OVER = ("done", "refused", "cancelled", "expired")


class SessionNotFound(NotFound):
    code = "psi_session_not_found"
    title = Message("No such PSI session")


class NotShared(Conflict):
    code = "psi_not_shared"
    title = Message("The sharing levels do not allow this")


class RateLimited(AllianceError):
    code = "psi_rate_limited"
    title = Message("Too many PSI sessions for this pair today")
    status = 429


class WrongState(Conflict):
    code = "psi_wrong_state"
    title = Message("The PSI session is not at that step")


class Replayed(Conflict):
    code = "psi_replayed"
    title = Message("That PSI message was already posted")


class OutOfOrder(Conflict):
    code = "psi_out_of_order"
    title = Message("That PSI message comes later")


class SessionExpired(Conflict):
    code = "psi_session_expired"
    title = Message("The PSI session has expired")


class ListTooSmall(InvalidInput):
    code = "psi_list_too_small"
    title = Message("The list is too small for a PSI session")


def _departed(uow: UnitOfWork, alliance_id: int, timezone: str, clock: Clock) -> set[str]:
    return {code for code, left_on in uow.members.departures(alliance_id).items() if has_left(left_on, timezone, clock)}


def _require_member(uow: UnitOfWork, alliance: Any, code: str, member: str, clock: Clock) -> None:
    if member not in set(uow.members.existing_keys(alliance.id).values()):
        raise MemberNotFound(code, member)
    if member in _departed(uow, alliance.id, alliance.timezone, clock):
        raise Conflict(Message("{member!r} has left the alliance: it shares nothing any more", member=member))


def _level(uow: UnitOfWork, alliance_id: int, member: str, partner: str) -> Level:
    found = uow.privacy.level(alliance_id, member, partner)
    return DEFAULT if found is None else Level(found)


def set_level(store: Store, code: str, member: str, partner: str, level: str, actor: str, clock: Clock,
              fields: Sequence[str] | None = None) -> Level:
    """Set `member`'s sharing level toward `partner` (the member's own act). At `list` it may name the
    fields (column names of its own file) it shares for overlapping customers; `full` shares every
    column, so it names none; `hidden` and `count` share no field."""
    chosen = level_of(level)
    names = shared_fields.field_names(fields or ())
    if names and chosen is Level.FULL:
        raise InvalidInput(Message("level full shares every column of your file but the identifier: name fields "
                                   "with level list only"))
    if names and chosen is not Level.LIST:
        raise InvalidInput(Message("level {level} shares no field: name fields with level list only",
                                   level=chosen.value))
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(code)
        _require_member(uow, alliance, code, member, clock)
        if partner == member:
            raise InvalidInput(Message("a member has no sharing level toward itself"))
        if partner not in set(uow.members.existing_keys(alliance.id).values()):
            raise MemberNotFound(code, partner)
        uow.privacy.set_level(alliance.id, member, partner, chosen.value, actor, clock.now(),
                              names if chosen is Level.LIST else None)
        uow.commit()
    return chosen


def levels(store: Store, code: str, member: str) -> list[dict[str, Any]]:
    """`member`'s level toward each partner, the partner's toward it, and the one in force (the stricter)."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(code)
        partners = sorted(set(uow.members.existing_keys(alliance.id).values()) - {member})
        if member not in set(uow.members.existing_keys(alliance.id).values()):
            raise MemberNotFound(code, member)
        mine, theirs = uow.privacy.levels(alliance.id, member), uow.privacy.levels_toward(alliance.id, member)
        my_fields, their_fields = uow.privacy.fields(alliance.id, member), uow.privacy.fields_toward(alliance.id, member)
    rows: list[dict[str, Any]] = []
    for partner in partners:
        own, other = Level(mine.get(partner, DEFAULT)), Level(theirs.get(partner, DEFAULT))
        rows.append({"partner": partner, "mine": own.value, "theirs": other.value,
                     "effective": effective(own, other).value,
                     "my_fields": _shares(own, my_fields.get(partner)),
                     "their_fields": _shares(other, their_fields.get(partner))})
    return rows


def _shares(level: Level, names: list[str] | None) -> list[str] | str | None:
    """What a side shares of its rows in list mode: field names at `list`, "all" at `full`, else none."""
    if level is Level.FULL:
        return shared_fields.EVERY_COLUMN
    return list(names or []) if level in SHARES_FIELDS else None


def _expire_due(store: Store, code: str, clock: Clock, member: str | None = None,
                session_id: int | None = None) -> None:
    """Expire, in a transaction of its own, the sessions (of `member`, or just `session_id`) that are
    not done `SESSION_LIFETIME` after they were opened: status `expired`, messages emptied, both logs."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(code)
        due = uow.privacy.unfinished_before(alliance.id, clock.now() - SESSION_LIFETIME, member, session_id)
        for found in due:
            uow.privacy.update(alliance.id, found.id, status="expired", finished_at=clock.now())
            uow.privacy.purge(alliance.id, found.id)
            _both_logs(uow, alliance.id, found, "platform", clock, "expired",
                       {"after_hours": int(SESSION_LIFETIME.total_seconds() // 3600)})
        if due:
            uow.commit()


def _not_expired(found: StoredSession) -> None:
    if found.status == "expired":
        raise SessionExpired(Message("session {id} expired {hours} hours after it was opened; open a new one",
                                     id=found.id, hours=int(SESSION_LIFETIME.total_seconds() // 3600)))


def _both_logs(uow: UnitOfWork, alliance_id: int, session: StoredSession, actor: str, clock: Clock, event: str,
               detail: dict[str, Any]) -> None:
    at = clock.now()
    uow.privacy.log(alliance_id, session.initiator, session.id, session.partner, actor, at, event, detail)
    uow.privacy.log(alliance_id, session.partner, session.id, session.initiator, actor, at, event, detail)


def open_session(store: Store, code: str, initiator: str, partner: str, mode: str, kind: str, actor: str,
                 clock: Clock) -> StoredSession:
    """Open a session toward `partner`: both levels must allow the mode, and the pair must be under
    its daily limit. The platform draws the per-session salt, shown to both sides."""
    require_writable(store, code, Write.SHARING)
    chosen, id_kind = mode_of(mode), kind_of(kind)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(code)
        _require_member(uow, alliance, code, initiator, clock)
        if partner == initiator:
            raise InvalidInput(Message("a member cannot compare its list with itself"))
        _require_member(uow, alliance, code, partner, clock)
        level = effective(_level(uow, alliance.id, initiator, partner), _level(uow, alliance.id, partner, initiator))
        if not allows(level, chosen):
            raise NotShared(Message("the sharing level between {a} and {b} is {level}: a {mode} session needs at "
                                    "least {needed} on both sides", a=initiator, b=partner, level=level.value,
                                    mode=chosen.value, needed="count" if chosen is Mode.COUNT else "list"))
        today = local_today(clock, alliance.timezone)
        if uow.privacy.opened_on(alliance.id, initiator, partner, today) >= SESSIONS_PER_PAIR_PER_DAY:
            raise RateLimited(Message("{a} and {b} have opened {n} sessions today, the most a pair may; try again "
                                      "tomorrow", a=initiator, b=partner, n=SESSIONS_PER_PAIR_PER_DAY))
        salt = secrets.token_hex(16)
        session_id = uow.privacy.open(alliance.id, initiator, partner, chosen.value, id_kind.value, salt, actor,
                                      clock.now(), today)
        session = uow.privacy.session(alliance.id, session_id)
        assert session is not None
        _both_logs(uow, alliance.id, session, actor, clock, "proposed",
                   {"mode": chosen.value, "kind": id_kind.value, "by": initiator})
        uow.commit()
    return session


def _session_for(uow: UnitOfWork, code: str, alliance_id: int, session_id: int, member: str, *,
                 lock: bool = False) -> StoredSession:
    """A session `member` takes part in; any other (another alliance's, other members') is not found."""
    found = uow.privacy.session(alliance_id, session_id, lock=lock)
    if found is None or member not in (found.initiator, found.partner):
        raise SessionNotFound(Message("alliance {code!r} has no PSI session {id} of {member}", code=code,
                                      id=session_id, member=member))
    return found


def session(store: Store, code: str, session_id: int, member: str, clock: Clock) -> StoredSession:
    _expire_due(store, code, clock, member, session_id)
    with store.unit_of_work() as uow:
        return _session_for(uow, code, uow.alliances.require(code).id, session_id, member)


def sessions(store: Store, code: str, member: str, clock: Clock) -> list[StoredSession]:
    """The member's sessions, newest first."""
    _expire_due(store, code, clock, member=member)
    with store.unit_of_work() as uow:
        return uow.privacy.sessions(uow.alliances.require(code).id, member, 1_000_000, 0)


def answer(store: Store, code: str, session_id: int, member: str, consent: bool, actor: str,
           clock: Clock) -> StoredSession:
    """The partner's consent (or refusal); the levels are checked again, as either side may have lowered its own.
    In list mode, what each side shares (its field names, or every column) is fixed at consent."""
    _expire_due(store, code, clock, member, session_id)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(code)
        found = _session_for(uow, code, alliance.id, session_id, member, lock=True)
        _not_expired(found)
        if member != found.partner:
            raise WrongState(Message("only {partner} answers session {id}", partner=found.partner, id=session_id))
        if found.status != "proposed":
            raise WrongState(Message("session {id} was already answered ({status})", id=session_id,
                                     status=found.status))
        _require_member(uow, alliance, code, member, clock)
        if consent:
            level = effective(_level(uow, alliance.id, found.initiator, member),
                              _level(uow, alliance.id, member, found.initiator))
            if not allows(level, Mode(found.mode)):
                raise NotShared(Message("the sharing level between {a} and {b} is now {level}", a=found.initiator,
                                        b=member, level=level.value))
        status = "consented" if consent else "refused"
        changes: dict[str, Any] = {}
        if consent and found.mode == Mode.LIST.value:
            for side, other, column in ((found.initiator, member, "initiator_fields"),
                                        (member, found.initiator, "partner_fields")):
                changes[column] = _shares(_level(uow, alliance.id, side, other),
                                          uow.privacy.fields(alliance.id, side).get(other))
        uow.privacy.update(alliance.id, session_id, status=status, answered_at=clock.now(), **changes)
        _both_logs(uow, alliance.id, found, actor, clock, status, {"by": member})
        uow.commit()
        done = uow.privacy.session(alliance.id, session_id)
    assert done is not None
    return done


def _sender(found: StoredSession, seq: int) -> str:
    return found.partner if seq in _PARTNER_SENDS else found.initiator


def _seqs(found: StoredSession) -> tuple[int, ...]:
    return LIST_MESSAGES if found.mode == Mode.LIST.value else MESSAGES


def post_message(store: Store, code: str, session_id: int, seq: int, member: str, body: bytes, actor: str,
                 clock: Clock) -> dict[str, int]:
    """Relay one blinded message. Each has its place (1 request by the partner, 2 setup and 3 response
    by the initiator; in list mode 4 and 6 by the partner, 5 and 7 by the initiator): a replay or a
    message before its turn is refused and nothing is stored."""
    if seq not in LIST_MESSAGES:
        raise InvalidInput(Message("a session has messages 1 (request), 2 (setup) and 3 (response), and in list "
                                   "mode 4 to 7 (session keys and fields)"))
    _expire_due(store, code, clock, member, session_id)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(code)
        found = _session_for(uow, code, alliance.id, session_id, member, lock=True)
        _not_expired(found)
        if seq not in _seqs(found):
            raise InvalidInput(Message("a count session has messages 1 to 3 only"))
        if member != _sender(found, seq):
            raise WrongState(Message("message {seq} of session {id} is {sender}'s to send", seq=seq, id=session_id,
                                     sender=_sender(found, seq)))
        if found.status not in ("consented", "running"):
            raise WrongState(Message("session {id} is {status}: no message can be posted", id=session_id,
                                     status=found.status))
        last = uow.privacy.last_seq(alliance.id, session_id)
        if seq <= last:
            raise Replayed(Message("message {seq} of session {id} was already posted", seq=seq, id=session_id))
        if seq != last + 1:
            raise OutOfOrder(Message("message {seq} of session {id} comes after message {next}", seq=seq,
                                     id=session_id, next=last + 1))
        changes: dict[str, Any] = {}
        if seq == REQUEST:
            size, reveals = protocol.request_facts(body)
            if reveals != (found.mode == Mode.LIST.value):
                raise protocol.BadMessage(Message("the request asks for another mode than the session's"))
            _check_size(size, found.partner)
            changes = {"client_size": size, "status": "running"}
        elif seq == SETUP:
            size = protocol.setup_size(body)
            _check_size(size, found.initiator)
            changes = {"server_size": size}
        elif seq == RESPONSE:
            if protocol.response_size(body) != found.client_size:
                raise protocol.BadMessage(Message("the response does not answer every element of the request"))
        else:
            _check_fields_message(uow, alliance.id, found, seq, body)
        uow.privacy.post(alliance.id, session_id, seq, member, body, clock.now())
        if changes:
            uow.privacy.update(alliance.id, session_id, **changes)
        _both_logs(uow, alliance.id, found, actor, clock, "message", {"seq": seq, "bytes": len(body), "by": member})
        uow.commit()
    return {"seq": seq, "bytes": len(body)}


def _check_fields_message(uow: UnitOfWork, alliance_id: int, found: StoredSession, seq: int, body: bytes) -> None:
    """Messages 4-7 as far as the platform can see them: a public key of the right length; rows no
    more than the smaller list; the initiator's tokens among the partner's (it answers matches only)."""
    if seq in (PARTNER_KEY, INITIATOR_KEY):
        shared_fields.check_public_key(body)
        return
    rows = shared_fields.decode(body)
    bound = min(found.client_size or 0, found.server_size or 0)
    if len(rows) > bound:
        raise protocol.BadMessage(Message("{n} shared rows is more than the smaller list ({bound})", n=len(rows),
                                          bound=bound))
    if seq == INITIATOR_FIELDS:
        asked = {row.token for row in shared_fields.decode(uow.privacy.message(alliance_id, found.id,
                                                                               PARTNER_FIELDS) or b"")}
        if any(row.token not in asked for row in rows):
            raise protocol.BadMessage(Message("the answer holds a row the partner did not send"))


def _check_size(size: int, whose: str) -> None:
    if size < MIN_LIST_SIZE:
        raise ListTooSmall(Message("{whose}'s list holds {size} identifiers; a session needs at least {minimum} on "
                                   "each side", whose=whose, size=size, minimum=MIN_LIST_SIZE))
    if size > MAX_LIST_SIZE:
        raise ListTooSmall(Message("{whose}'s list holds {size} identifiers; a session takes at most {maximum}",
                                   whose=whose, size=size, maximum=MAX_LIST_SIZE))


def message(store: Store, code: str, session_id: int, seq: int, member: str, clock: Clock) -> bytes:
    """A relayed message, for either side of the session, once posted (and until the session is done)."""
    _expire_due(store, code, clock, member, session_id)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(code)
        found = _session_for(uow, code, alliance.id, session_id, member)
        _not_expired(found)
        body = uow.privacy.message(alliance.id, session_id, seq) if seq in _seqs(found) else None
    if body is None:
        raise SessionNotFound(Message("session {id} has no message {seq} to read (not yet posted, or the session "
                                      "is {status})", id=session_id, seq=seq, status=found.status))
    return body


def report(store: Store, code: str, session_id: int, member: str, overlap: int, actor: str,
           clock: Clock) -> StoredSession:
    """The partner's client reports the overlap's size; the messages are emptied and both logs get the count.
    In list mode it comes after the fields were exchanged, and is the number of rows the partner sent."""
    _expire_due(store, code, clock, member, session_id)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(code)
        found = _session_for(uow, code, alliance.id, session_id, member, lock=True)
        _not_expired(found)
        if member != found.partner:
            raise WrongState(Message("only {partner} reports the result of session {id}", partner=found.partner,
                                     id=session_id))
        last = _seqs(found)[-1]
        if found.status != "running" or uow.privacy.last_seq(alliance.id, session_id) != last:
            raise WrongState(Message("session {id} has no message {seq} yet, or is already done", id=session_id,
                                     seq=last))
        if last == INITIATOR_FIELDS:
            sent = len(shared_fields.decode(uow.privacy.message(alliance.id, session_id, PARTNER_FIELDS) or b""))
            if overlap != sent:
                raise InvalidInput(Message("the overlap reported ({overlap}) is not the number of shared rows sent "
                                           "({sent})", overlap=overlap, sent=sent))
        bound = min(found.client_size or 0, found.server_size or 0)
        if not 0 <= overlap <= bound:
            raise InvalidInput(Message("an overlap of {overlap} is not possible: it is between 0 and {bound}",
                                       overlap=overlap, bound=bound))
        uow.privacy.update(alliance.id, session_id, status="done", overlap=overlap, finished_at=clock.now())
        uow.privacy.purge(alliance.id, session_id)
        _both_logs(uow, alliance.id, found, actor, clock, "result", {"overlap": overlap, "by": member})
        uow.commit()
        done = uow.privacy.session(alliance.id, session_id)
    assert done is not None
    return done


def cancel(store: Store, code: str, session_id: int, member: str, actor: str, clock: Clock) -> StoredSession:
    """Either side stops a session that is not done: no step can follow, the relayed messages are emptied."""
    _expire_due(store, code, clock, member, session_id)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(code)
        found = _session_for(uow, code, alliance.id, session_id, member, lock=True)
        _not_expired(found)
        if found.status in _OVER:
            raise WrongState(Message("session {id} is {status}: it cannot be cancelled", id=session_id,
                                     status=found.status))
        uow.privacy.update(alliance.id, session_id, status="cancelled", finished_at=clock.now())
        uow.privacy.purge(alliance.id, session_id)
        _both_logs(uow, alliance.id, found, actor, clock, "cancelled", {"by": member})
        uow.commit()
        done = uow.privacy.session(alliance.id, session_id)
    assert done is not None
    return done


def access_log(store: Store, code: str, member: str, limit: int, offset: int) -> list[LogEntry]:
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(code)
        if member not in set(uow.members.existing_keys(alliance.id).values()):
            raise MemberNotFound(code, member)
        return uow.privacy.entries(alliance.id, member, limit, offset)


@dataclass(frozen=True)
class Described:
    """A session as either side sees it (no key, no identifier: there is none to show)."""

    session: StoredSession

    def as_json(self, sizes: dict[int, int] | None = None) -> dict[str, Any]:
        s = self.session
        return {"id": s.id, "initiator": s.initiator, "partner": s.partner, "mode": s.mode, "kind": s.kind,
                "normalisation": str(RULES[kind_of(s.kind)]), "salt": s.salt, "status": s.status,
                "opened_by": s.opened_by, "opened_at": s.opened_at.isoformat(),
                "answered_at": s.answered_at.isoformat() if s.answered_at else None,
                "partner_list_size": s.client_size, "initiator_list_size_at_most": s.server_size,
                "overlap": s.overlap, "finished_at": s.finished_at.isoformat() if s.finished_at else None,
                "library": protocol.LIBRARY, "false_positive_rate": protocol.FALSE_POSITIVE_RATE,
                "minimum_list_size": MIN_LIST_SIZE,
                "expires_at": (s.opened_at + SESSION_LIFETIME).isoformat(),
                "initiator_fields": s.initiator_fields, "partner_fields": s.partner_fields}
