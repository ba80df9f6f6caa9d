"""The resource map's use cases: declaring resources and needs, an alliance's own kinds, its directory
of outside holders, and the holders the engines score. The one entry point for the CLI, the API and
the pages.

Who may do what (access.policy): everyone of the alliance reads the members' declarations (the member
directory shows them); a member admin declares its own member's (another member's are not there for
it: 404); never the coordinator (authorize_member_step); the outside directory and prospects' profiles are the partner
pipeline's (read: READ_PIPELINE; change: MANAGE_ALLIANCE), as screening's prospects are; an alliance's
own kinds are added by the coordinator. Every write checks the declaration with `model.check` and
stores nothing when anything is wrong; rows keep who changed them last and when.

A holder is named by its code: a member's code, else a directory entry's code (a directory code
may not be a member's, so a code names one holder).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.core.errors import AllianceError, Conflict, InvalidInput, NotFound, Problem
from alliance.core.messages import Message
from alliance.matching import importing
from alliance.matching.entries import CODE_LIMIT, NAME_LIMIT, DirectoryEntry, EntryDraft, StoredDeclaration
from alliance.matching.model import Declaration, Holder, HolderKind, Side, Window, check
from alliance.matching.taxonomy import Kind, Taxonomy
from alliance.registry.lifecycle import Write, check_writable
from alliance.registry.model import Alliance
from alliance.sharing import attorneys
from alliance.store.database import Store
from alliance.store.matching_repository import MatchingRepository, Owner, declaration_of
from alliance.store.unit_of_work import UnitOfWork


CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # a directory entry's code, as a member's


class HolderNotFound(NotFound):
    code = "holder_not_found"
    title = Message("No such holder")

    def __init__(self, code: str) -> None:
        super().__init__(Message("no member or directory entry {code!r} in this alliance", code=code))


class DeclarationNotFound(NotFound):
    code = "declaration_not_found"
    title = Message("No such resource or need")

    def __init__(self, holder: str, number: int) -> None:
        super().__init__(Message("{holder} has no resource or need {number}", holder=holder, number=number))


class EntryInvalid(InvalidInput):
    code = "directory_entry_invalid"
    title = Message("Directory entry not valid")


class EntryExists(Conflict):
    code = "directory_entry_exists"
    title = Message("Already in the directory")


# -- reading -------------------------------------------------------------------------------------------

def taxonomy(store: Store, alliance_code: str, principal: Principal) -> Taxonomy:
    """The kinds the alliance may use: the default taxonomy and its own sub-kinds."""
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with store.unit_of_work() as uow:
        return _taxonomy(uow, uow.alliances.require(alliance_code).id)


def declarations(store: Store, alliance_code: str, principal: Principal, holder: str | None = None,
                 side: Side | None = None) -> list[StoredDeclaration]:
    """One holder's declarations, or (holder None) every member's and, for who reads the pipeline,
    every outside holder's; of one side if given. Members first, by code; resources before needs."""
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        if holder is not None:
            found = _declarations_of(uow, alliance, principal, holder)
        else:
            found = _all_declarations(uow, alliance, outside=_reads_pipeline(principal, alliance_code))
        return [d for d in found if side is None or d.declaration.side is side]


def holders(store: Store, alliance_code: str, principal: Principal, *, outside: bool = True) -> list[Holder]:
    """Every holder the engines score: the active members, and (outside) the prospects' profiles and the
    candidates of the directory (READ_PIPELINE). Members first, then the directory, each by code."""
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    if outside:
        authorize(principal, Action.READ_PIPELINE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = MatchingRepository(uow.connection)
        members = uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)
        rows = repo.declarations(Owner.MEMBER, alliance.id, [m.id for m in members])
        found = [Holder(HolderKind.MEMBER, m.code, m.legal_name, m.region,
                        tuple(declaration_of(r) for r in rows.get(m.id, ()))) for m in members]
        if outside:
            entries = repo.entries(alliance.id)
            rows = repo.declarations(Owner.ENTRY, alliance.id)
            found += [Holder(e.holder_kind, e.code, e.name, e.region,
                             tuple(declaration_of(r) for r in rows.get(e.id, ()))) for e in entries]
        return found


def directory(store: Store, alliance_code: str, principal: Principal) -> list[DirectoryEntry]:
    authorize(principal, Action.READ_PIPELINE, alliance_code)
    with store.unit_of_work() as uow:
        return MatchingRepository(uow.connection).entries(uow.alliances.require(alliance_code).id)


# -- declaring -------------------------------------------------------------------------------------------

def declare(store: Store, alliance_code: str, principal: Principal, holder: str, declaration: Declaration,
            clock: Clock) -> StoredDeclaration:
    """Add one resource or need to `holder` (DeclarationInvalid with every problem; nothing stored then)."""
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        owner, owner_id, kind = _may_change(uow, alliance, principal, holder, clock)
        check(declaration, _taxonomy(uow, alliance.id))
        repo = MatchingRepository(uow.connection)
        [made] = repo.add_declarations(owner, alliance.id, [(owner_id, declaration)], clock.now(), principal.actor)
        uow.commit()
        return _stored(repo, owner, alliance.id, made, kind, holder)


def edit_declaration(store: Store, alliance_code: str, principal: Principal, holder: str, number: int,
                     changes: Mapping[str, Any], clock: Clock) -> StoredDeclaration:
    """Change the fields in `changes` (side, kind, description, capacity, unit, region, starts_on, ends_on,
    priority) of `holder`'s declaration `number`; the result is checked whole, nothing stored on error."""
    unknown = set(changes) - set(importing.DECLARATION_FIELDS)
    assert not unknown, f"not fields of a declaration: {unknown}"
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        owner, owner_id, kind = _may_change(uow, alliance, principal, holder, clock)
        repo = MatchingRepository(uow.connection)
        before = _own_row(repo, owner, alliance.id, owner_id, holder, number)
        window = changes_window(before.window, changes)
        plain = {k: v for k, v in changes.items() if k not in ("starts_on", "ends_on")}
        after = check(replace(before, window=window, **plain), _taxonomy(uow, alliance.id))
        repo.update_declaration(owner, alliance.id, number, after, clock.now(), principal.actor)
        uow.commit()
        return _stored(repo, owner, alliance.id, number, kind, holder)


def changes_window(window: Window, changes: Mapping[str, Any]) -> Window:
    return Window(changes.get("starts_on", window.starts_on), changes.get("ends_on", window.ends_on))


def remove_declaration(store: Store, alliance_code: str, principal: Principal, holder: str, number: int,
                       clock: Clock | None = None) -> None:
    """Remove `holder`'s declaration `number` (`clock`: today, for whether a member that gave a power of
    attorney has left; without it any recorded departure counts)."""
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        owner, owner_id, _kind = _may_change(uow, alliance, principal, holder, clock)
        repo = MatchingRepository(uow.connection)
        _own_row(repo, owner, alliance.id, owner_id, holder, number)
        repo.delete_declaration(owner, alliance.id, number)
        uow.commit()


# -- the alliance's own kinds -------------------------------------------------------------------------------

def add_kind(store: Store, alliance_code: str, principal: Principal, key: str, name_en: str, name_zh: str,
             clock: Clock) -> Kind:
    """Add a sub-kind of the alliance's own under one of the groups (KindInvalid otherwise)."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        kind = _taxonomy(uow, alliance.id).check_new_kind(key.strip(), name_en, name_zh)
        MatchingRepository(uow.connection).add_kind(alliance.id, kind, clock.now(), principal.actor)
        uow.commit()
        return kind


# -- the directory of outside holders -------------------------------------------------------------------------

def add_entry(store: Store, alliance_code: str, principal: Principal, draft: EntryDraft,
              clock: Clock) -> DirectoryEntry:
    """Add an outside company to the directory (EntryInvalid, EntryExists; nothing stored then)."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        repo = MatchingRepository(uow.connection)
        draft = _checked_entry(uow, alliance, draft, Message("entry"))
        if repo.entry(alliance.id, draft.code) is not None:
            raise EntryExists(Message("{code} is already in the directory", code=draft.code))
        repo.add_entry(alliance.id, draft, clock.now(), principal.actor)
        uow.commit()
        made = repo.entry(alliance.id, draft.code)
        assert made is not None
        return made


def edit_entry(store: Store, alliance_code: str, principal: Principal, code: str, changes: Mapping[str, Any],
               clock: Clock) -> DirectoryEntry:
    """Change an entry's fields (name, credit_code, region, industry, contact, note, source, prospect_id)."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        repo = MatchingRepository(uow.connection)
        entry = _entry(repo, alliance.id, code)
        current = EntryDraft(entry.code, entry.name, entry.credit_code, entry.region, entry.industry, entry.contact,
                             entry.note, entry.source, entry.prospect_id)
        draft = _checked_entry(uow, alliance, replace(current, **changes), Message("entry"), entry.id)
        repo.update_entry(alliance.id, entry.id, draft, clock.now(), principal.actor)
        uow.commit()
        return _entry(repo, alliance.id, code)


def remove_entry(store: Store, alliance_code: str, principal: Principal, code: str) -> None:
    """Remove an entry and its declarations (its prospect, if any, stays in the pipeline)."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code)
        repo = MatchingRepository(uow.connection)
        repo.delete_entry(alliance.id, _entry(repo, alliance.id, code).id)
        uow.commit()


# -- beside the declarations: what was pledged and what was used ------------------------------------------------

@dataclass(frozen=True, slots=True)
class Beside:
    """What a member pledged (health.kpis pledges, with their deliveries) and what it actually used of
    the alliance's shared resources. `uses` stays empty until operations/ records warehouse bookings
    and shared campaigns: `USES` is the seam they plug into."""

    pledges: tuple[Any, ...]  # health.kpis.pledges.Pledge
    uses: tuple[Any, ...] = ()


# Sources of "resources actually used", each `(uow, alliance_id, member_code) -> Sequence[...]`: the
# shared warehouse's bookings (operations.warehouse.service.uses_of, imported when asked: matching does
# not depend on operations at import time); shared campaigns may add theirs.
USES: tuple[Any, ...] = ("alliance.operations.warehouse.service:uses_of",)


def beside(store: Store, alliance_code: str, principal: Principal, member: str) -> Beside:
    """The member's pledges and uses, to show beside its declarations (READ_MEMBER_DATA: its own for a
    member role, as the pledges' list decides)."""
    from alliance.health.kpis import loader

    authorize(principal, Action.READ_MEMBER_DATA, alliance_code, member)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        if uow.members.get(alliance.id, alliance.code, alliance.currency, member) is None:
            raise HolderNotFound(member)
        uses = tuple(u for source in USES for u in _source(source)(uow, alliance.id, member))
        return Beside(tuple(loader.pledges(uow, alliance.id, member)), uses)


# -- helpers ---------------------------------------------------------------------------------------------------------

def _source(source: Any) -> Any:
    """A USES source: a callable, or "module:function" imported on first use."""
    if isinstance(source, str):
        from importlib import import_module

        module, _, name = source.partition(":")
        return getattr(import_module(module), name)
    return source


def _writable(uow: UnitOfWork, alliance_code: str) -> Alliance:
    """The alliance, if its lifecycle allows partner search (not while winding down or after)."""
    alliance = uow.alliances.require(alliance_code)
    check_writable(alliance.code, alliance.status, Write.SCREENING)
    return alliance


def _taxonomy(uow: UnitOfWork, alliance_id: int) -> Taxonomy:
    return Taxonomy.default().extended(MatchingRepository(uow.connection).kinds(alliance_id))


def _reads_pipeline(principal: Principal, alliance_code: str) -> bool:
    try:
        authorize(principal, Action.READ_PIPELINE, alliance_code)
    except AllianceError:  # any refusal means: members' declarations only
        return False
    return True


def _holder(uow: UnitOfWork, alliance: Alliance, code: str) -> tuple[Owner, int, HolderKind]:
    """Which table holds `code`'s declarations and its row there (HolderNotFound)."""
    repo = MatchingRepository(uow.connection)
    member_id = repo.member_id(alliance.id, code)
    if member_id is not None:
        return Owner.MEMBER, member_id, HolderKind.MEMBER
    entry = repo.entry(alliance.id, code)
    if entry is None:
        raise HolderNotFound(code)
    return Owner.ENTRY, entry.id, entry.holder_kind


def _may_read(uow: UnitOfWork, alliance: Alliance, principal: Principal, code: str) -> tuple[Owner, int, HolderKind]:
    found = _holder(uow, alliance, code)
    if found[0] is Owner.ENTRY:
        try:
            authorize(principal, Action.READ_PIPELINE, alliance.code)
        except AllianceError:  # the directory is not there for who may not read the pipeline
            raise HolderNotFound(code) from None
    return found


def _may_change(uow: UnitOfWork, alliance: Alliance, principal: Principal, code: str,
                clock: Clock | None) -> tuple[Owner, int, HolderKind]:
    """The holder, if `principal` may change its declarations: a member's by its own admins or an account
    holding its `operate` power of attorney (never the coordinator or the platform operator without one); a
    directory entry's by who manages the pipeline."""
    if (principal.member is not None and code != principal.member
            and attorneys.operating_power(uow, alliance, principal, code, clock) is None):
        authorize(principal, Action.DECLARE_RESOURCES, alliance.code, code)  # 404: another's is not there
    found = _may_read(uow, alliance, principal, code)
    if found[0] is Owner.MEMBER:  # a member's own step: the platform operator does not declare for it, unless
        # it holds the member's `operate` power of attorney (looked up in this unit of work)
        attorneys.authorize_operating(uow, alliance, principal, Action.DECLARE_RESOURCES, code, clock)
    else:
        authorize(principal, Action.MANAGE_ALLIANCE, alliance.code)
    return found


def _declarations_of(uow: UnitOfWork, alliance: Alliance, principal: Principal, code: str) -> list[StoredDeclaration]:
    owner, owner_id, kind = _may_read(uow, alliance, principal, code)
    rows = MatchingRepository(uow.connection).declarations(owner, alliance.id, [owner_id]).get(owner_id, [])
    return [_stored_of(r, kind, code) for r in rows]


def _all_declarations(uow: UnitOfWork, alliance: Alliance, *, outside: bool) -> list[StoredDeclaration]:
    repo = MatchingRepository(uow.connection)
    members = uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)
    rows = repo.declarations(Owner.MEMBER, alliance.id, [m.id for m in members])
    found = [_stored_of(r, HolderKind.MEMBER, m.code) for m in members for r in rows.get(m.id, ())]
    if outside:
        rows = repo.declarations(Owner.ENTRY, alliance.id)
        found += [_stored_of(r, e.holder_kind, e.code) for e in repo.entries(alliance.id) for r in rows.get(e.id, ())]
    return found


def _stored_of(row: Any, kind: HolderKind, code: str) -> StoredDeclaration:
    return StoredDeclaration(row.id, kind, code, declaration_of(row), row.updated_at, row.updated_by)


def _stored(repo: MatchingRepository, owner: Owner, alliance_id: int, number: int, kind: HolderKind,
            code: str) -> StoredDeclaration:
    row = repo.declaration(owner, alliance_id, number)
    assert row is not None
    return _stored_of(row, kind, code)


def _own_row(repo: MatchingRepository, owner: Owner, alliance_id: int, owner_id: int, holder: str,
             number: int) -> Declaration:
    row = repo.declaration(owner, alliance_id, number)
    column = "member_id" if owner is Owner.MEMBER else "entry_id"
    if row is None or row._mapping[column] != owner_id:
        raise DeclarationNotFound(holder, number)
    return declaration_of(row)


def _entry(repo: MatchingRepository, alliance_id: int, code: str) -> DirectoryEntry:
    entry = repo.entry(alliance_id, code)
    if entry is None:
        raise HolderNotFound(code)
    return entry


def _checked_entry(uow: UnitOfWork, alliance: Alliance, draft: EntryDraft, where: str,
                   entry_id: int | None = None, labels: Mapping[str, str] | None = None) -> EntryDraft:
    """The draft trimmed, or EntryInvalid with every problem: a code and a name within their limits, a
    code no member has, a prospect of this alliance not linked to another entry."""
    labels = labels or {}
    draft = replace(draft, code=draft.code.strip(), name=draft.name.strip(), region=draft.region.strip(),
                    credit_code=(draft.credit_code or "").strip() or None)
    problems: list[Problem] = []

    def bad(field: str, reason: str) -> None:
        problems.append(Problem(where, labels.get(field, field), reason))

    if not draft.code or len(draft.code) > CODE_LIMIT or not CODE.fullmatch(draft.code):
        bad("code", Message("a code of 1 to {n} letters, digits, '.', '_' or '-'", n=CODE_LIMIT))
    elif MatchingRepository(uow.connection).member_id(alliance.id, draft.code) is not None:
        bad("code", Message("{code} is a member's code: give the outside company another", code=draft.code))
    if not draft.name or len(draft.name) > NAME_LIMIT:
        bad("name", Message("a name of 1 to {n} characters", n=NAME_LIMIT))
    if draft.credit_code is not None and len(draft.credit_code) != 18:
        bad("credit_code", Message("a unified social credit code has 18 characters"))
    for field, limit in (("region", 64), ("industry", 100), ("contact", 200), ("source", 24), ("note", 2000)):
        if len(getattr(draft, field)) > limit:
            bad(field, Message("at most {n} characters", n=limit))
    if draft.prospect_id is not None:
        if uow.screening.prospect(alliance.id, draft.prospect_id) is None:
            bad("prospect", Message("no prospect {id} in this alliance", id=draft.prospect_id))
        else:
            linked = MatchingRepository(uow.connection).entry_of_prospect(alliance.id, draft.prospect_id)
            if linked is not None and linked.id != entry_id:
                bad("prospect", Message("prospect {id} already has its profile {code}", id=draft.prospect_id,
                                        code=linked.code))
    if problems:
        raise EntryInvalid(Message("The directory entry is not valid"), problems)
    return draft
