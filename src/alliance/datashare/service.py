"""Publish, list, revoke and query shared views; every query is written to the publisher's access log.

A member that has left the alliance shares nothing any more: its views drop out of the list and
answer as not found, and it cannot publish (its own access log stays readable to it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alliance.core.clock import Clock
from alliance.core.errors import Conflict, InvalidInput, MemberNotFound, NotFound
from alliance.core.messages import Message
from alliance.datashare.views import (DATASETS, MAX_PAGE, NUMERIC, Policy, ViewSpec, check_spec, decode_cursor,
                                      encode_cursor, parse_filters, parse_group_by, parse_sort)
from alliance.registry.lifecycle import Write
from alliance.registry.model import Alliance, has_left
from alliance.registry.service import require_writable
from alliance.store.database import Store
from alliance.store.datashare_repository import Access, StoredView
from alliance.datashare.facts import floor
from alliance.store.stores import Stores
from alliance.store.unit_of_work import UnitOfWork


class ViewNotFound(NotFound):
    code = "view_not_found"
    title = Message("No such shared view")


def publish(store: Store, alliance_code: str, member: str, name: str, dataset: str, policies: dict[str, str], k: int,
            actor: str, clock: Clock) -> StoredView:
    require_writable(store, alliance_code, Write.SHARING)  # withdrawing a view stays possible in every state
    spec = check_spec(name, dataset, policies, k)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        if member not in set(uow.members.existing_keys(alliance.id).values()):
            raise MemberNotFound(alliance_code, member)
        if member in _departed(uow, alliance, clock):
            raise Conflict(Message("{member!r} has left the alliance: it shares nothing any more", member=member))
        view_id = uow.datashare.add(alliance.id, member, spec.name, spec.dataset,
                                    {f: p.value for f, p in spec.policies.items()}, spec.k, actor, clock.now())
        uow.commit()
        view = uow.datashare.view(alliance.id, view_id)
    assert view is not None
    return view


def views(store: Store, alliance_code: str, clock: Clock) -> list[StoredView]:
    """The views shared now: neither revoked nor published by a member that has left."""
    return [v for v, gone in _with_departure(store, alliance_code, clock) if not gone]


def withdrawn_views(store: Store, alliance_code: str, clock: Clock) -> list[StoredView]:
    """Views no longer shared because their member left (not revoked): their access logs stay
    readable to that member and to the alliance's coordinator and auditors."""
    return [v for v, gone in _with_departure(store, alliance_code, clock) if gone]


def _with_departure(store: Store, alliance_code: str, clock: Clock) -> list[tuple[StoredView, bool]]:
    """The unrevoked views, each with whether its member has left."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        gone = _departed(uow, alliance, clock)
        return [(v, v.member in gone) for v in uow.datashare.views(alliance.id)]


def _departed(uow: UnitOfWork, alliance: Alliance, clock: Clock) -> set[str]:
    """The codes of the alliance's members that have left by today (in its time zone)."""
    return {code for code, left_on in uow.members.departures(alliance.id).items()
            if has_left(left_on, alliance.timezone, clock)}


def shared_view(store: Store, alliance_code: str, view_id: int, clock: Clock) -> StoredView:
    """A view that is shared now: not revoked, and its publisher still a member (one read)."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        found = uow.datashare.view(alliance.id, view_id)
        if found is None or found.revoked_at is not None:
            raise ViewNotFound(Message("alliance {alliance_code!r} shares no view {view_id}",
                                       alliance_code=alliance_code, view_id=view_id))
        if found.member in _departed(uow, alliance, clock):
            raise ViewNotFound(Message("alliance {alliance_code!r} shares no view {view_id}: its member has left",
                                       alliance_code=alliance_code, view_id=view_id))
    return found


def view(store: Store, alliance_code: str, view_id: int, *, revoked_ok: bool = False) -> StoredView:
    with store.unit_of_work() as uow:
        found = uow.datashare.view(uow.alliances.require(alliance_code).id, view_id)
    if found is None or (found.revoked_at is not None and not revoked_ok):
        raise ViewNotFound(Message("alliance {alliance_code!r} shares no view {view_id}",
                                   alliance_code=alliance_code, view_id=view_id))
    return found


def revoke(store: Store, alliance_code: str, view_id: int, clock: Clock) -> None:
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        if not uow.datashare.revoke(alliance.id, view_id, clock.now()):
            if uow.datashare.view(alliance.id, view_id) is None:
                raise ViewNotFound(Message("alliance {alliance_code!r} shares no view {view_id}",
                                           alliance_code=alliance_code, view_id=view_id))
            raise Conflict(Message("view {view_id} is already revoked", view_id=view_id))
        uow.commit()


def spec_of(found: StoredView) -> ViewSpec:
    return ViewSpec(found.name, found.dataset, {f: Policy(p) for f, p in found.policies.items()}, found.k)


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def rows(stores: Stores, alliance_code: str, view_id: int, *, filters: list[str], sort: str | None,
         limit: int, cursor: str | None, actor: str, clock: Clock) -> Page:
    """Rows of a view: visible fields only, filtered and sorted on visible fields, a page at a time."""
    store, facts = stores.records, stores.facts
    found = shared_view(store, alliance_code, view_id, clock)
    spec = spec_of(found)
    fields = spec.fields(Policy.VISIBLE)
    if not fields:
        raise InvalidInput(Message("this view shares only aggregates: ask for groups"))
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(Message("limit is 1 to {max_page}", max_page=MAX_PAGE))
    checked, order, offset = parse_filters(spec, filters), parse_sort(spec, sort), decode_cursor(cursor)
    currency = _currency(store, alliance_code)
    items = facts.view_rows(alliance_code, found.member, currency, fields, checked, order, limit + 1, offset,
                            dataset=spec.dataset)
    more = len(items) > limit
    items = items[:limit]
    _log(store, alliance_code, found, actor, clock, "rows",
         {"filter": filters, "sort": sort, "limit": limit, "offset": offset}, len(items))
    return Page(items, encode_cursor(offset + limit) if more else None)


def groups(stores: Stores, alliance_code: str, view_id: int, *, group_by: list[str],
           actor: str, clock: Clock) -> dict[str, Any]:
    """Group counts and sums over at most one field, only for groups of at least k lines, with
    complementary suppression (see `datashare.facts.floor`); no filters, so that two answers
    cannot be subtracted to isolate a few lines."""
    store, facts = stores.records, stores.facts
    found = shared_view(store, alliance_code, view_id, clock)
    spec = spec_of(found)
    keys = parse_group_by(spec, group_by)
    if len(keys) > 1:
        raise InvalidInput(Message("group by one field at a time: finer groupings could be subtracted from coarser "
                                   "ones"))
    sums = [f for f in spec.fields(Policy.VISIBLE, Policy.AGGREGATE) if DATASETS[spec.dataset][f] in NUMERIC]
    shown, withheld = floor(facts.view_groups(alliance_code, found.member, _currency(store, alliance_code), keys, sums,
                                              dataset=spec.dataset), spec.k)
    items = [{**g.keys, "count": g.count, **{f"sum_{f}": v for f, v in g.sums.items()}} for g in shown]
    _log(store, alliance_code, found, actor, clock, "groups", {"group_by": keys}, len(items))
    return {"view": found.id, "k": spec.k, "group_by": keys, "groups": items, "withheld_groups": withheld}


def access_log(store: Store, alliance_code: str, view_id: int, limit: int, offset: int) -> list[Access]:
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        if uow.datashare.view(alliance.id, view_id) is None:
            raise ViewNotFound(Message("alliance {alliance_code!r} shares no view {view_id}",
                                       alliance_code=alliance_code, view_id=view_id))
        return uow.datashare.accesses(alliance.id, view_id, limit, offset)


def _currency(store: Store, alliance_code: str) -> str:
    with store.unit_of_work() as uow:
        return uow.alliances.require(alliance_code).currency


def _log(store: Store, alliance_code: str, found: StoredView, actor: str, clock: Clock, kind: str,
         query: dict[str, Any], returned: int) -> None:
    with store.unit_of_work() as uow:
        uow.datashare.log(uow.alliances.require(alliance_code).id, found, actor, clock.now(), kind, query, returned)
        uow.commit()
