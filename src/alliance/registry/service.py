"""Registry use cases. Each opens a unit of work, loads, calls the pure logic, and saves.

The CLI, the API and the web UI call these functions and nothing below them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, NoReturn


from alliance.core.clock import Clock, local_today
from alliance.core.errors import AllianceNotFound, Conflict, InvalidInput, MemberNotFound, Problem
from alliance.core.messages import Message, joined
from alliance.registry import lifecycle as lifecycle_rules
from alliance.registry.lifecycle import Write
from alliance.registry.model import (
    Alliance, AllianceChange, AllianceSpec, AllianceStatus, Member, MemberDraft, check_alliance_spec,
)
from alliance.ledger import events
from alliance.store.database import Store, on_duplicate
from alliance.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from alliance.registry.importing import ProblemLog

# The ledger's service and the member import's parsing are imported by the functions that write or
# import (each a tenth of a second): listing and showing alliances and members needs neither.

# Who the ledger names for registry changes until users and API keys exist (issue 7).
PLATFORM = "platform"


def create_alliance(
    store: Store, spec: AllianceSpec, clock: Clock, members: Sequence[MemberDraft] = (),
    then: Callable[[UnitOfWork, Alliance], None] | None = None,
) -> Alliance:
    """Found an alliance, with its first `members` if given, in one transaction; `then` does more
    in that transaction (appointing its coordinator: access.people.appoint_coordinator), so an
    alliance is never founded without the coordinator chosen for it.

    Raises InvalidInput, Conflict (code taken, or duplicate members) or AllianceNotFound (parent).
    """
    reasons = check_alliance_spec(spec)
    if reasons:
        raise InvalidInput(
            Message("cannot create alliance {code!r}: {reasons}", code=spec.code, reasons=joined(reasons)),
            [Problem("alliance", "", r) for r in reasons],
        )
    spec = replace(spec, currency=spec.currency.strip().upper())
    if spec.planned_end is not None:
        lifecycle_rules.check_planned_end(spec.code, spec.planned_end, local_today(clock, spec.timezone))
    with store.unit_of_work() as uow:
        if uow.alliances.id_of(spec.code) is not None:
            raise Conflict(Message("an alliance with code {code!r} already exists", code=spec.code))
        parent_id = None
        if spec.parent_code is not None:
            parent_id = uow.alliances.id_of(spec.parent_code)
            if parent_id is None:
                raise AllianceNotFound(spec.parent_code)
        with on_duplicate(Conflict(Message("an alliance with code {code!r} already exists", code=spec.code))):
            uow.alliances.add(spec, parent_id, clock.now())
        created = uow.alliances.require(spec.code)
        from alliance.ledger import service as ledger

        ledger.open_log(uow, created.id, created.code, store.ledger_passphrase, clock.now())
        ledger.record(uow, created.id, created.code, events.ALLIANCE_CREATED, PLATFORM, clock.now(), {
            "code": created.code, "name": created.name, "kind": created.kind.value, "structure": created.structure.value,
            "currency": created.currency, "timezone": created.timezone, "parent": spec.parent_code,
            "status": created.status.value,
            "planned_end": created.planned_end.isoformat() if created.planned_end else None})
        if members:
            _add_drafts(uow, created, members, clock)
        if then is not None:
            then(uow, created)
        uow.commit()
        created = uow.alliances.require(spec.code)
    return created


def list_alliances(store: Store) -> list[Alliance]:
    with store.unit_of_work() as uow:
        return uow.alliances.all()


def directory(store: Store) -> list[tuple[Alliance, list[Member]]]:
    """Every alliance with its current members, read in one transaction (one consistent picture)."""
    with store.unit_of_work() as uow:
        return [(a, uow.members.of_alliance(a.id, a.code, a.currency)) for a in uow.alliances.all()]


def get_alliance(store: Store, code: str) -> Alliance:
    with store.unit_of_work() as uow:
        return uow.alliances.require(code)


def list_members(store: Store, alliance_code: str, *, include_left: bool = False) -> list[Member]:
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        return uow.members.of_alliance(alliance.id, alliance.code, alliance.currency, include_left=include_left)


@dataclass(frozen=True, slots=True)
class MemberPage:
    items: list[Member]
    total: int
    limit: int
    offset: int


def page_members(store: Store, alliance_code: str, *, limit: int, offset: int) -> MemberPage:
    """One page of an alliance's current members, ordered by code."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        items = uow.members.of_alliance(alliance.id, alliance.code, alliance.currency, limit=limit, offset=offset)
        total = uow.members.count(alliance.id)
    return MemberPage(items, total, limit, offset)


def get_member(store: Store, alliance_code: str, member_code: str) -> Member:
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        member = uow.members.get(alliance.id, alliance.code, alliance.currency, member_code)
    if member is None:
        raise MemberNotFound(alliance_code, member_code)
    return member


def add_member(store: Store, alliance_code: str, values: Mapping[str, str], clock: Clock) -> Member:
    """Add one member from `{field: text}` (see `records.MEMBER_COLUMNS`)."""
    import_members(store, alliance_code, list(values), [list(values.values())], clock, where="member")
    return get_member(store, alliance_code, values["code"].strip())


def end_membership(store: Store, alliance_code: str, member_code: str, left_on: date | None, clock: Clock) -> Member:
    """Record that a member left the alliance (default: today in the alliance's time zone).

    The record stays (history, settlements and its code keep their meaning); the member no longer
    counts as current, and its keys and users keep only what the exit needs (access.policy). Leaving
    twice, before joining, or on a day still ahead is refused: a departure is recorded when it
    happens, so that every part of the platform agrees on who is a member today.
    """
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        member = uow.members.get(alliance.id, alliance.code, alliance.currency, member_code)
        if member is None:
            raise MemberNotFound(alliance_code, member_code)
        lifecycle_rules.check_writable(alliance.code, alliance.status, Write.MEMBER_EXIT)
        if member.left_on is not None:
            raise Conflict(Message("{member_code!r} already left {alliance_code!r} on {left_on}",
                                   member_code=member_code, alliance_code=alliance_code, left_on=member.left_on))
        today = local_today(clock, alliance.timezone)
        day = left_on or today
        if day > today:
            raise InvalidInput(Message("{member_code!r} cannot leave on {day}, a day still ahead (today is {today} "
                                       "in {timezone}): record the departure on its day",
                                       member_code=member_code, day=day, today=today, timezone=alliance.timezone))
        if day < member.joined_on:
            raise InvalidInput(Message("{member_code!r} joined on {joined_on}; it cannot leave on {day}",
                                       member_code=member_code, joined_on=member.joined_on, day=day))
        uow.members.end_membership(alliance.id, member_code, day)
        from alliance.ledger import service as ledger

        ledger.record(uow, alliance.id, alliance.code, events.MEMBER_LEFT, PLATFORM, clock.now(),
                      {"member": member_code, "left_on": day.isoformat()})
        uow.commit()
        left = uow.members.get(alliance.id, alliance.code, alliance.currency, member_code)
    assert left is not None
    return left


@dataclass(frozen=True, slots=True)
class ImportResult:
    alliance_code: str
    added: int


IMPORT_BATCH = 10_000  # members written (and recorded in the ledger) at a time, within the one transaction


def import_members(
    store: Store,
    alliance_code: str,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    clock: Clock,
    *,
    where: str | None = None,
    header_row: int = 1,
    problems: ProblemLog | None = None,
) -> ImportResult:
    """Add every row as a member, or none: any bad row raises InvalidInput listing the bad rows
    (the first `SHOWN_PROBLEMS` problems, and how many there are; `problems` may also write them all).

    `rows` is consumed once, as it comes, inside the one transaction: good rows are written a
    batch at a time while none was bad, so memory stays bounded whatever the file's size; after the
    first bad row nothing more is written, the rest is only checked (to count its problems), and
    the transaction is rolled back.
    """
    from alliance.registry.importing import ProblemLog, check_member_rows
    from alliance.registry.records import ParseContext

    log = problems or ProblemLog()
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        lifecycle_rules.check_writable(alliance.code, alliance.status, Write.ADMIT_MEMBER)
        existing = uow.members.existing_keys(alliance.id)
        ctx = ParseContext(currency=alliance.currency, today=local_today(clock, alliance.timezone))
        batch: list[MemberDraft] = []
        added = 0

        def take(draft: MemberDraft) -> None:
            nonlocal added
            if log.count:
                return  # a row was bad: nothing will be stored, the rows are only checked
            batch.append(draft)
            if len(batch) >= IMPORT_BATCH:
                added += _save_members(uow, alliance, batch, clock)
                batch.clear()

        try:
            check_member_rows(header, rows, ctx, existing, log, take, header_row)
        except InvalidInput as exc:  # the header
            _single_record(exc, where)
        if log.count:
            _single_record(log.error(), where)
        if batch:
            added += _save_members(uow, alliance, batch, clock)
        uow.commit()
    return ImportResult(alliance.code, added)


def _single_record(exc: InvalidInput, where: str | None) -> NoReturn:
    if where is None:
        raise exc
    # A single record, not a file: "row 2" would mislead.
    problems = [replace(p, where=where) for p in exc.problems]
    message = joined([Message("{field}: {reason}", field=p.field, reason=p.reason) for p in problems])
    raise InvalidInput(message, problems) from None


def check_member_import(store: Store, alliance_code: str, header: Sequence[str], rows: Iterable[Sequence[str]],
                        clock: Clock, *, header_row: int = 1) -> list[MemberDraft]:
    """What `import_members` would add, without adding it: the drafts, or InvalidInput listing
    every bad row (a preview; the import itself checks everything again)."""
    from alliance.registry.importing import plan_member_import
    from alliance.registry.records import ParseContext

    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        existing = uow.members.existing_keys(alliance.id)
        ctx = ParseContext(currency=alliance.currency, today=local_today(clock, alliance.timezone))
        return plan_member_import(header, rows, ctx, existing, header_row)


def add_member_drafts(store: Store, alliance_code: str, drafts: Sequence[MemberDraft], clock: Clock) -> int:
    """Add already-validated drafts (demo data, other services); duplicates raise Conflict."""
    with store.unit_of_work() as uow:
        added = _add_drafts(uow, uow.alliances.require(alliance_code), drafts, clock)
        uow.commit()
    return added


def _add_drafts(uow: UnitOfWork, alliance: Alliance, drafts: Sequence[MemberDraft], clock: Clock) -> int:
    lifecycle_rules.check_writable(alliance.code, alliance.status, Write.ADMIT_MEMBER)
    existing = uow.members.existing_keys(alliance.id)
    codes = set(existing.values())
    seen_codes: set[str] = set()
    seen_credit: set[str] = set()
    clashes = []
    for d in drafts:
        if d.code in codes or d.credit_code in existing or d.code in seen_codes or d.credit_code in seen_credit:
            clashes.append(d.code)
        seen_codes.add(d.code)
        seen_credit.add(d.credit_code)
    if clashes:
        raise Conflict(Message("duplicate members for {code!r}: {clashes}",
                               code=alliance.code, clashes=', '.join(clashes)))
    today = local_today(clock, alliance.timezone)
    dated = [d if d.joined_on else replace(d, joined_on=today) for d in drafts]
    return _save_members(uow, alliance, dated, clock)


def _save_members(uow: UnitOfWork, alliance: Alliance, drafts: Sequence[MemberDraft], clock: Clock) -> int:
    from alliance.competition.service import check_admission
    from alliance.ledger import service as ledger

    # A company whose pre-join competition screening crossed a threshold needs the coordinator's
    # justification before it is admitted (docs/competition.md).
    check_admission(uow, alliance, [(d.legal_name, d.credit_code) for d in drafts])
    # The ledger records who joined and when, not contact details: it can never be edited.
    ledger.record_many(uow, alliance.id, alliance.code, PLATFORM, clock.now(), [
        (events.MEMBER_JOINED, {"member": d.code, "legal_name": d.legal_name, "credit_code": d.credit_code,
                                "role": d.role.value, "joined_on": d.joined_on.isoformat() if d.joined_on else None})
        for d in drafts])
    # Another writer added the same code between our check and our insert.
    with on_duplicate(Conflict(
        Message("members were added to {code!r} at the same time; nothing was imported, try again",
                code=alliance.code)
    )):
        return uow.members.add_many(alliance.id, drafts, clock.now())





# -- the lifecycle: details and status after founding (registry/lifecycle.py) ------------------------


CHARTER_LIMIT = 100_000  # characters: a charter (章程) of a few dozen pages


@dataclass(frozen=True, slots=True)
class AllianceEdit:
    """What to change of an alliance's details; None leaves a field as it is. `planned_end`:
    a date sets it, `clear_planned_end` removes it (the alliance is no longer a project alliance)."""

    name: str | None = None
    charter: str | None = None
    planned_end: date | None = None
    clear_planned_end: bool = False


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def edit_alliance(store: Store, alliance_code: str, edit: AllianceEdit, actor: str, clock: Clock, *,
                  status: AllianceStatus | str | None = None, decided_by: str | None = None,
                  reason: str = "") -> Alliance:
    """Change an alliance's details (name, charter, planned end) and, if `status` is given, its
    state (see `change_status`), all in one transaction: everything or, on any error, nothing.
    Each changed field is logged (who, when, old -> new) and recorded in the ledger. Asking for
    what is already there changes and logs nothing. Raises InvalidInput (a blank or too long name,
    a planned end before today in the alliance's time zone, an unknown state), AllianceNotWritable
    (a dissolved alliance is not edited any more) and TransitionRefused."""
    from alliance.registry.model import NAME_LIMIT

    from alliance.core.text import check_text

    target = lifecycle_rules.parse_status(status) if isinstance(status, str) else status
    reasons: list[Message] = []

    def checked(value: str | None, what: Message, limit: int, **how: bool) -> str | None:
        if value is None:
            return None
        try:
            return check_text(value, what, limit, **how)
        except InvalidInput as exc:
            reasons.append(exc.message)
            return None

    name = checked(edit.name, Message("name"), NAME_LIMIT)
    charter = checked(edit.charter, Message("the charter"), CHARTER_LIMIT, required=False, multiline=True)
    decided_by = checked(decided_by, Message("the decision's reference"), 200, required=False) or None
    reason = checked(reason, Message("the reason"), 1000, required=False) or ""
    if edit.planned_end is not None and edit.clear_planned_end:
        reasons.append(Message("give a planned end date or remove it, not both"))
    edit = replace(edit, name=name if edit.name is not None else None,
                   charter=charter if edit.charter is not None else None)
    if reasons:
        raise InvalidInput(Message("cannot change alliance {code!r}: {reasons}", code=alliance_code,
                                   reasons=joined(reasons)), [Problem("alliance", "", r) for r in reasons])
    with store.unit_of_work() as uow:
        # Locked first, then read: the writes that checked the state before this change finish
        # first, and those after wait and see the new state (AllianceRepository.status_of).
        uow.alliances.lock(uow.alliances.require(alliance_code).id)
        alliance = uow.alliances.require(alliance_code)
        if target is not None:  # asked first: a refused change of state leaves the details as they are
            lifecycle_rules.check_transition(alliance.code, alliance.status, target)
            lifecycle_rules.check_decided(alliance.code, alliance.status, target, decided_by)
            if (alliance.status, target) == (AllianceStatus.FORMING, AllianceStatus.ACTIVE):
                # A screening that crossed a competition-law threshold needs the coordinator's
                # justification first (docs/competition.md).
                from alliance.competition.service import check_activation

                check_activation(uow, alliance)
        wanted: dict[str, object] = {}
        if edit.name is not None and edit.name.strip() != alliance.name:
            wanted["name"] = edit.name.strip()
        if edit.charter is not None and edit.charter != alliance.charter:
            wanted["charter"] = edit.charter
        if edit.planned_end is not None and edit.planned_end != alliance.planned_end:
            lifecycle_rules.check_planned_end(alliance.code, edit.planned_end, local_today(clock, alliance.timezone))
            wanted["planned_end"] = edit.planned_end
        if edit.clear_planned_end and alliance.planned_end is not None:
            wanted["planned_end"] = None
        if not wanted and target is None:
            lifecycle_rules.check_writable(alliance.code, alliance.status, Write.DETAILS)
            return alliance
        from alliance.ledger import service as ledger

        now = clock.now()
        if wanted:
            lifecycle_rules.check_writable(alliance.code, alliance.status, Write.DETAILS)
            from alliance.ledger.coverage import text_digest

            payload: dict[str, object] = {"code": alliance.code}
            for name, value in wanted.items():
                # The charter by its digest: the text is long, and the database keeps it.
                payload["charter_sha256" if name == "charter" else name] = (
                    text_digest(str(value)) if name == "charter" else _text(value))
            ledger.record(uow, alliance.id, alliance.code, events.ALLIANCE_EDITED, actor, now, payload)
            uow.alliances.update(alliance.id, dict(wanted))
            uow.alliances.add_changes(alliance.id, [
                {"changed_at": now, "actor": actor, "field": name, "old_value": _text(getattr(alliance, name)),
                 "new_value": _text(value), "decided_by": None, "reason": ""} for name, value in wanted.items()])
        if target is not None:
            # Recorded before the row changes: the ledger checks the change against the state it leaves.
            ledger.record(uow, alliance.id, alliance.code, events.ALLIANCE_STATUS_CHANGED, actor, now, {
                "code": alliance.code, "from": alliance.status.value, "to": target.value, "decided_by": decided_by,
                **({"reason": reason} if reason else {})})
            uow.alliances.update(alliance.id, {"status": target.value})
            uow.alliances.add_changes(alliance.id, [{
                "changed_at": now, "actor": actor, "field": "status", "old_value": alliance.status.value,
                "new_value": target.value, "decided_by": decided_by, "reason": reason}])
        uow.commit()
        return uow.alliances.require(alliance_code)


def change_status(store: Store, alliance_code: str, target: AllianceStatus | str, actor: str, clock: Clock, *,
                  decided_by: str | None = None, reason: str = "") -> Alliance:
    """Move the alliance to another state of its lifecycle (registry/lifecycle.py TRANSITIONS),
    logged (who, when, old -> new, the decision) and recorded in the ledger in one transaction.

    `decided_by` names the decision that made the change (a proposal's reference): every change but
    forming -> active is decided by a proposal (issue 19); the proposal's outcome calls this with
    its reference (e.g. "proposal 12"), and until then the coordinator or the platform admin calls
    it (the edges check who may). Raises InvalidInput (an unknown state), TransitionRefused (409:
    a change the lifecycle does not allow, such as dissolved -> active)."""
    return edit_alliance(store, alliance_code, AllianceEdit(), actor, clock, status=target, decided_by=decided_by,
                         reason=reason)


def alliance_history(store: Store, alliance_code: str, limit: int = 200) -> list[AllianceChange]:
    """The logged changes of the alliance's details and status, the latest first."""
    with store.unit_of_work() as uow:
        return uow.alliances.changes(uow.alliances.require(alliance_code).id, limit)


def require_writable(store: Store, alliance_code: str, write: Write) -> Alliance:
    """The alliance, if its state accepts `write`; AllianceNotWritable (409) otherwise. For services
    to refuse early, before work or writes outside the ledger's transaction (order lines)."""
    alliance = get_alliance(store, alliance_code)
    lifecycle_rules.check_writable(alliance.code, alliance.status, write)
    return alliance
