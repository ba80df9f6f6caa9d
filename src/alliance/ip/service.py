"""IP register use cases (one unit of work each): register background and foreground IP, change an
asset (a new version), read the register.

Who may act (docs/ip.md "Who may act"):
- background IP is its owner's: registering it, or changing it (its licence, or handing it to another
  member), is an act for the owning member (`Action.ACT_FOR_MEMBER`): only that member's own accounts;
  a coordinator is refused (403), another member's account answered as not found (404). Bringing it
  into the alliance as foreground IP (registering foreground IP under its number) is the owner's act
  too: anyone else is refused (403, `_handed_by_owner`);
- foreground IP is the alliance's: the coordinator (or a platform admin, `Action.MANAGE_ALLIANCE`)
  registers and changes it, and so may a member admin of one of its contributors (for a change: a
  contributor of the version in force), acting for its own member;
- everyone of the alliance reads the register (`Action.READ_RECORDS`).
The alliance must accept IP register entries (forming or active: `registry.lifecycle`). Each
registration or change is recorded in the ledger in the same transaction; refused input stores nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from alliance.access.policy import Action, Forbidden, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.core.errors import AllianceError
from alliance.core.messages import Message
from alliance.ip.checks import Entry, IpAssetNotFound, IpInvalid, check_entry, parse_kind
from alliance.ip.exit import ExitPolicy, Usable, joint_patents, usable_after_exit
from alliance.ip.model import (Asset, Licence, Origin, Version, number_key, share_percent, share_text,
                               version_fields)
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.ledger.coverage import value_digest
from alliance.registry.lifecycle import Write, check_writable
from alliance.registry.model import has_left
from alliance.store.database import Store
from alliance.store.ip_repository import IpRepository
from alliance.store.unit_of_work import UnitOfWork

__all__ = ["ExitPolicy", "Usable", "joint_patents", "usable_after_exit"]


def as_json(asset: Asset) -> dict[str, Any]:
    """An asset with all its versions, shares as exact text."""
    return {"asset": asset.asset, "origin": asset.origin.value, "kind": asset.kind.value,
            "current": _version_json(asset.current), "versions": [_version_json(v) for v in asset.versions]}


def _version_json(v: Version) -> dict[str, Any]:
    return {"version": v.version, "title": v.title, "number": v.number, "owner": v.owner,
            "licence": None if v.licence is None else v.licence.as_json(),
            "contributors": [{"member": s.member, "share": share_text(s.share), "percent": share_percent(s.share)}
                             for s in v.contributors],
            "project": v.project, "note": v.note, "recorded_by": v.recorded_by,
            "recorded_at": events.utc_text(v.recorded_at)}


def _current_members(uow: UnitOfWork, alliance: Any, clock: Clock) -> set[str]:
    everyone = uow.members.of_alliance(alliance.id, alliance.code, alliance.currency, include_left=True)
    departures = uow.members.departures(alliance.id)
    return {m.code for m in everyone if not has_left(departures.get(m.code), alliance.timezone, clock)}


def _act_on_foreground(principal: Principal, alliance_code: str, contributors: Sequence[str]) -> None:
    """The coordinator (or platform admin), or a member admin of one of `contributors` for its member."""
    if principal.member is None:
        authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
        return
    authorize(principal, Action.ACT_FOR_MEMBER, alliance_code, principal.member)
    if principal.member not in contributors:
        raise Forbidden(Message("only the coordinator or a contributor's own account registers or changes "
                                "foreground IP; {member} is not among its contributors", member=principal.member))


def _handed_by_owner(principal: Principal, entry: Entry, register: Sequence[Asset], asset: Asset | None = None) -> None:
    """Foreground IP under the number of a member's background IP hands that IP over to the alliance
    (and its contributors): the owning member's own act, never the coordinator's or another member's
    alone. Numbers compare as the duplicate check compares them (`number_key`), whatever the kind, so
    neither a respaced number nor another kind gets around it. A change that keeps the number (e.g.
    of shares) hands nothing over again."""
    if entry.origin is not Origin.FOREGROUND or entry.number is None:
        return
    key = number_key(entry.number)
    if asset is not None and asset.current.number is not None and number_key(asset.current.number) == key:
        return
    for other in register:
        now = other.current
        if (other.origin is Origin.BACKGROUND and now.number is not None and number_key(now.number) == key
                and principal.member != now.owner):
            raise Forbidden(Message("{number} is {member}'s background IP (asset {asset}): only {member}'s own account "
                                    "may bring it into the alliance as foreground IP", number=entry.number,
                                    member=now.owner, asset=other.asset))


def _store(uow: UnitOfWork, alliance: Any, principal: Principal, clock: Clock, entry: Entry,
           asset: Asset | None) -> Asset:
    """Append the entry as the next version of `asset` (None: a new asset) and record it in the ledger."""
    repo = IpRepository(uow.connection)
    now = clock.now()
    if asset is None:
        number = repo.next_asset(alliance.id)
        asset_id = repo.add_asset(alliance.id, number, entry.origin, entry.kind, now)
        previous: tuple[Version, ...] = ()
        event = events.IP_REGISTERED
    else:
        number, previous, event = asset.asset, asset.versions, events.IP_CHANGED
        found = repo.asset_id(alliance.id, asset.asset)
        assert found is not None
        asset_id = found
    version = Version(len(previous) + 1, entry.title, entry.number, entry.owner, entry.licence, entry.contributors,
                      entry.project, entry.note, principal.actor, now)
    stored = Asset(number, entry.origin, entry.kind, (*previous, version))
    repo.add_version(alliance.id, asset_id, version)
    ledger.record(uow, alliance.id, alliance.code, event, principal.actor, now, {
        "asset": number, "version": version.version, "origin": entry.origin.value, "kind": entry.kind.value,
        "holders": [s.as_json() for s in version.contributors] or [[version.owner, "1"]],
        "sha256": value_digest(version_fields(stored, version))})
    return stored


def register_background(store: Store, alliance_code: str, principal: Principal, clock: Clock, *, owner: str,
                        kind: str, title: str, number: str | None, licence: Licence, note: str = "") -> Asset:
    """Register a member's background IP with the licence it grants the alliance: an act for `owner`."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        authorize(principal, Action.ACT_FOR_MEMBER, alliance_code, owner.strip())
        check_writable(alliance.code, alliance.status, Write.IP)
        repo = IpRepository(uow.connection)
        repo.hold(alliance.id)
        entry = check_entry(origin=Origin.BACKGROUND, kind=kind, title=title, number=number, owner=owner,
                            licence=licence, contributors=(), project=None, note=note,
                            members=_current_members(uow, alliance, clock), register=repo.register(alliance.id))
        stored = _store(uow, alliance, principal, clock, entry, None)
        uow.commit()
        return stored


def register_foreground(store: Store, alliance_code: str, principal: Principal, clock: Clock, *, kind: str,
                        title: str, number: str | None, contributors: Sequence[tuple[str, str]],
                        project: str | None = None, note: str = "") -> Asset:
    """Register foreground IP with its contributors' exact shares (summing to 1)."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        _act_on_foreground(principal, alliance_code, [str(m).strip() for m, _ in contributors])
        check_writable(alliance.code, alliance.status, Write.IP)
        repo = IpRepository(uow.connection)
        repo.hold(alliance.id)
        register = repo.register(alliance.id)
        entry = check_entry(origin=Origin.FOREGROUND, kind=kind, title=title, number=number, owner=None,
                            licence=None, contributors=contributors, project=project, note=note,
                            members=_current_members(uow, alliance, clock), register=register,
                            agreements=uow.sharing.codes(alliance.id))
        _handed_by_owner(principal, entry, register)
        stored = _store(uow, alliance, principal, clock, entry, None)
        uow.commit()
        return stored


def change(store: Store, alliance_code: str, asset: int, principal: Principal, clock: Clock, *,
           title: str | None = None, number: str | None = None, owner: str | None = None,
           licence: Licence | None = None, contributors: Sequence[tuple[str, str]] | None = None,
           project: str | None = None, note: str = "") -> Asset:
    """A new version of `asset`: what is given replaces the version in force, the rest is kept (None
    keeps it; an empty `number` or `project` clears it). The earlier versions stay as they were; a
    change that changes nothing is refused.

    Background: an act for its current owner (who may hand it to another member with `owner`);
    foreground: the coordinator, or a current contributor's own account."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        authorize(principal, Action.READ_RECORDS, alliance_code)
        repo = IpRepository(uow.connection)
        repo.hold(alliance.id)
        register = repo.register(alliance.id)
        found = next((a for a in register if a.asset == asset), None)
        if found is None:
            raise IpAssetNotFound(Message("alliance {alliance!r} has no IP asset {asset}", alliance=alliance_code,
                                          asset=asset))
        now = found.current
        if found.origin is Origin.BACKGROUND:
            authorize(principal, Action.ACT_FOR_MEMBER, alliance_code, now.owner)
        else:
            _act_on_foreground(principal, alliance_code, now.members)
        check_writable(alliance.code, alliance.status, Write.IP)
        entry = check_entry(
            origin=found.origin, kind=found.kind, title=now.title if title is None else title,
            number=now.number if number is None else number, owner=owner or now.owner,
            licence=licence or now.licence,
            contributors=[(s.member, s.share) for s in now.contributors] if contributors is None else contributors,
            project=now.project if project is None else project, note=note,
            members=_current_members(uow, alliance, clock), register=register, asset=asset,
            agreements=uow.sharing.codes(alliance.id))
        _handed_by_owner(principal, entry, register, found)
        if found.origin is not Origin.BACKGROUND and principal.member is not None:
            # A contributor acting alone may not take from the others: lowering or removing another
            # member's share is the coordinator's change (or that member's own, for its share).
            before = {s.member: s.share for s in now.contributors}
            after = {s.member: s.share for s in entry.contributors}
            taken = sorted(m for m, share in before.items() if m != principal.member and after.get(m, 0) < share)
            if taken:
                raise Forbidden(Message("{member} may not lower or remove the share of {others}: ask the coordinator "
                                        "(or each of them) to make that change", member=principal.member,
                                        others=", ".join(taken)))
        if replace(entry, note="") == replace(_entry_of(found), note=""):
            raise IpInvalid(Message("nothing to change: the new version would say what version {version} says",
                                    version=now.version))
        stored = _store(uow, alliance, principal, clock, entry, found)
        uow.commit()
        return stored


def _entry_of(asset: Asset) -> Entry:
    v = asset.current
    return Entry(asset.origin, asset.kind, v.title, v.number, v.owner, v.licence, v.contributors, v.project, v.note)


@dataclass(frozen=True)
class RegisterView:
    alliance: str
    assets: list[Asset]
    members: list[str]   # the alliance's current members (for the forms and filters)


def read_register(store: Store, alliance_code: str, principal: Principal, clock: Clock, *, member: str | None = None,
                  kind: str | None = None, origin: str | None = None) -> RegisterView:
    """The register, filtered by a member (its background IP and the foreground IP it holds a share of),
    a kind and an origin."""
    authorize(principal, Action.READ_RECORDS, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        assets = IpRepository(uow.connection).register(alliance.id)
        members = sorted(_current_members(uow, alliance, clock))
    if kind:
        wanted = parse_kind(kind)
        assets = [a for a in assets if a.kind is wanted]
    if origin:
        assets = [a for a in assets if a.origin.value == origin]
    if member:
        assets = [a for a in assets if member in a.current.members]
    return RegisterView(alliance_code, assets, members)


def show(store: Store, alliance_code: str, asset: int, principal: Principal) -> Asset:
    authorize(principal, Action.READ_RECORDS, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        found = next((a for a in IpRepository(uow.connection).register(alliance.id) if a.asset == asset), None)
    if found is None:
        raise IpAssetNotFound(Message("alliance {alliance!r} has no IP asset {asset}", alliance=alliance_code,
                                      asset=asset))
    return found


def may_register_background(principal: Principal, alliance_code: str) -> bool:
    """Whether the account acts for a member of the alliance (it registers that member's background IP)."""
    return principal.member is not None and principal.alliance == alliance_code and not principal.departed


def may_act_on(principal: Principal, alliance_code: str, asset: Asset) -> bool:
    """Whether the account may change `asset` (the pages show the change form only then)."""
    try:
        if asset.origin is Origin.BACKGROUND:
            authorize(principal, Action.ACT_FOR_MEMBER, alliance_code, asset.current.owner)
        else:
            _act_on_foreground(principal, alliance_code, asset.current.members)
    except AllianceError:  # any refusal: no form
        return False
    return True
