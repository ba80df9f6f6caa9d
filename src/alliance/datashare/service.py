"""Publish, list, revoke and query shared views; every query is written to the publisher's access log.

A member that has left the alliance shares nothing any more: its views drop out of the list and
answer as not found, and it cannot publish (its own access log stays readable to it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, TypeVar

from alliance.core.clock import Clock, local_today
from alliance.core.errors import Conflict, InvalidInput, MemberNotFound, NotFound
from alliance.core.messages import Message
from alliance.core.money import Money, minor_digits
from alliance.datashare import noise
from alliance.datashare.budget import (PERIOD_WORDS, Privacy, Standing, check_privacy, from_micro, parse_epsilon, period_start,
                                       strictest, to_micro)
from alliance.datashare.views import (DATASETS, DEFAULT_FUNCTIONS, MAX_PAGE, NUMERIC, Kind, Policy, ViewSpec, check_spec,
                                      decode_cursor, encode_cursor, parse_filters, parse_group_by, parse_sort)
from alliance.registry.lifecycle import Write
from alliance.registry.model import Alliance, has_left
from alliance.registry.service import require_writable
from alliance.store.database import Store
from alliance.store.datashare_repository import Access, StoredView
from alliance.datashare.facts import Group, floor
from alliance.store.stores import Stores
from alliance.store.unit_of_work import UnitOfWork


class ViewNotFound(NotFound):
    code = "view_not_found"
    title = Message("No such shared view")


class ViewAggregatesOnly(Conflict):
    code = "view_aggregates_only"
    title = Message("This view answers aggregates only")


class ViewBudgetExceeded(Conflict):
    code = "view_budget_exceeded"
    title = Message("The privacy budget does not allow this query")


class ViewNotPrivate(Conflict):
    code = "view_not_private"
    title = Message("This view is not differentially private")


def _summed(spec: ViewSpec) -> list[str]:
    """The fields a group answer sums: the shared numeric ones."""
    return [f for f in spec.fields(Policy.VISIBLE, Policy.AGGREGATE) if DATASETS[spec.dataset][f] in NUMERIC]


def _places(spec: ViewSpec, currency: str) -> dict[str, int]:
    """Each field's decimal places as stored: the currency's for money (minor units), none otherwise."""
    return {f: minor_digits(currency) if kind is Kind.MONEY else 0 for f, kind in DATASETS[spec.dataset].items()}


def _stored(found: StoredView, currency: str, field: str, value: Decimal) -> int:
    """A bound of `field` in stored units (minor units for money), as the fact store sums it."""
    return int(value.scaleb(_places(spec_of(found), currency)[field]))


def _check_privacy(spec: ViewSpec, raw: Mapping[str, Any], currency: str) -> Privacy:
    return check_privacy(str(raw.get("budget", "")), str(raw.get("period", "")), raw.get("query_epsilon"),
                         raw.get("bounds") or {}, _summed(spec), _places(spec, currency))


def publish(store: Store, alliance_code: str, member: str, name: str, dataset: str, policies: dict[str, str], k: int,
            actor: str, clock: Clock, *, functions: Sequence[str] = DEFAULT_FUNCTIONS,
            privacy: Mapping[str, Any] | None = None) -> StoredView:
    """Publish a view; with `privacy` (budget, period, query_epsilon, bounds: field -> {lower, upper})
    its group answers are differentially private and it shares no rows (datashare.budget)."""
    require_writable(store, alliance_code, Write.SHARING)  # withdrawing a view stays possible in every state
    spec = check_spec(name, dataset, policies, k, functions)
    if privacy is not None and spec.dataset != "sales":  # the clamped sums are read from order lines only
        raise InvalidInput(Message("differential privacy is offered for views of sales only, not of {dataset}",
                                   dataset=spec.dataset))
    declared = None if privacy is None else _check_privacy(spec, privacy, _currency(store, alliance_code))
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        if member not in set(uow.members.existing_keys(alliance.id).values()):
            raise MemberNotFound(alliance_code, member)
        if member in _departed(uow, alliance, clock):
            raise Conflict(Message("{member!r} has left the alliance: it shares nothing any more", member=member))
        view_id = uow.datashare.add(alliance.id, member, spec.name, spec.dataset,
                                    {f: p.value for f, p in spec.policies.items()}, spec.k, actor, clock.now(),
                                    functions=spec.functions,
                                    privacy=None if declared is None else declared.as_json())
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
    return ViewSpec(found.name, found.dataset, {f: Policy(p) for f, p in found.policies.items()}, found.k,
                    DEFAULT_FUNCTIONS if found.functions is None else found.functions)


G = TypeVar("G")


def release(views: Sequence[StoredView], groups: Sequence[G], k: int,
            sizes: Callable[[G], tuple[int, ...]]) -> tuple[list[G], int]:
    """THE one way exact groups of shared views leave the platform (a single view's groups and joint
    queries alike): the groups that may be shown, and how many were withheld, by the group-size floor
    with complementary suppression (`datashare.facts.floor`), where `sizes` gives each measure that
    must reach k.

    A differentially private view never answers exactly: its own group queries are noised and charged
    to its budget (`_private_groups`, `noise.release`), and it takes part in no joint query (the
    strictest rule: an exact joint answer would bypass its budget), refused here."""
    private = [v.id for v in views if v.privacy is not None]
    if private:
        raise ViewAggregatesOnly(Message(
            "view {view_id} is differentially private: it answers only its own group queries, each charged to "
            "its privacy budget, and takes part in no joint query", view_id=private[0]))
    return floor(groups, k, sizes=sizes)


def average(total: int, lines: int, kind: Kind, currency: str) -> str:
    """A sum over lines as the mean per line, exactly rounded (half to even) to the currency's
    minor unit for money, to hundredths for quantities."""
    if kind is Kind.MONEY:
        digits = minor_digits(currency)
        value = Decimal(total) / Decimal(10) ** digits / lines
    else:
        digits, value = 2, Decimal(total) / lines
    return str(value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def rows(stores: Stores, alliance_code: str, view_id: int, *, filters: list[str], sort: str | None,
         limit: int, cursor: str | None, actor: str, clock: Clock) -> Page:
    """Rows of a view: visible fields only, filtered and sorted on visible fields, a page at a time."""
    store, facts = stores.records, stores.facts
    found = shared_view(store, alliance_code, view_id, clock)
    if found.privacy is not None:
        raise ViewAggregatesOnly(Message("view {view_id} is differentially private: it answers group queries only, "
                                         "never rows", view_id=view_id))
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
           actor: str, clock: Clock, party: str | None = None, epsilon: str | Decimal | None = None) -> dict[str, Any]:
    """Group counts and sums over at most one field, only for groups of at least k lines, with
    complementary suppression (see `datashare.facts.floor`); no filters, so that two answers
    cannot be subtracted to isolate a few lines. On a differentially private view the answer is
    noised and spends `epsilon` (default: the view's per-query ε) of `party`'s budget."""
    store, facts = stores.records, stores.facts
    found = shared_view(store, alliance_code, view_id, clock)
    spec = spec_of(found)
    keys = parse_group_by(spec, group_by)
    if len(keys) > 1:
        raise InvalidInput(Message("group by one field at a time: finer groupings could be subtracted from coarser "
                                   "ones"))
    if found.privacy is not None:
        if party is None:
            raise InvalidInput(Message("a differentially private view is queried by a party: a member or a role"))
        return _private_groups(stores, alliance_code, found, keys, party, epsilon, actor, clock)
    sums = [f for f in spec.fields(Policy.VISIBLE, Policy.AGGREGATE) if DATASETS[spec.dataset][f] in NUMERIC]
    currency = _currency(store, alliance_code)
    shown, withheld = release([found], facts.view_groups(alliance_code, found.member, currency, keys, sums,
                                                                     dataset=spec.dataset), spec.k,
                              lambda g: (g.count,))
    items = [{**g.keys, "count": g.count, **_aggregates(spec, g, currency)} for g in shown]
    _log(store, alliance_code, found, actor, clock, "groups", {"group_by": keys}, len(items))
    return {"view": found.id, "k": spec.k, "group_by": keys, "groups": items, "withheld_groups": withheld}


def _aggregates(spec: ViewSpec, group: Group, currency: str) -> dict[str, Any]:
    """The functions the view allows of each summed field: `sum_<field>`, `avg_<field>`."""
    out: dict[str, Any] = {}
    for field, total in group.sums.items():
        if "sum" in spec.functions:
            out[f"sum_{field}"] = total
        if "avg" in spec.functions:
            kind = DATASETS[spec.dataset][field]
            minor = None if total is None else int(Decimal(total).scaleb(minor_digits(currency))) \
                if kind is Kind.MONEY else int(total)
            out[f"avg_{field}"] = None if minor is None else average(minor, group.count, kind, currency)
    return out


def dp_spec(found: StoredView, currency: str) -> noise.DpSpec:
    """A DP view's rule for the noise: its floor k and each summed field's sensitivity in stored units."""
    assert found.privacy is not None
    declared = Privacy.from_json(found.privacy)
    return noise.DpSpec(found.k, {f: _stored(found, currency, f, b.sensitivity) for f, b in declared.bounds.items()})


def clamps(found: StoredView, currency: str) -> dict[str, tuple[int, int]]:
    """A DP view's per-line clamps in stored units (minor units for money), as `view_groups(clamp=)` takes them."""
    assert found.privacy is not None
    return {f: (_stored(found, currency, f, b.lower), _stored(found, currency, f, b.upper))
            for f, b in Privacy.from_json(found.privacy).bounds.items()}


def charge(store: Store, alliance_code: str, found: Sequence[StoredView], party: str, epsilon: Decimal, actor: str,
           clock: Clock) -> Standing:
    """Spend `epsilon` of `party`'s budget on every one of the views (a joint query reads them all),
    in one unit of work that first holds the views (no concurrent spend in between), then checks
    that each view affords it, then writes the spends: all or none. Refused (`ViewBudgetExceeded`:
    nothing written) when any view's remaining budget this period is smaller, or when ε exceeds a
    view's per-period budget. Returns the strictest standing after the spend (least remaining)."""
    micro = to_micro(epsilon)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        today = local_today(clock, alliance.timezone)
        uow.datashare.hold(alliance.id, [v.id for v in found])
        standings: list[Standing] = []
        for view_ in found:
            current = uow.datashare.view(alliance.id, view_.id)  # the declaration as it is now, held
            if current is None or current.privacy is None:
                raise ViewNotFound(Message("alliance {alliance_code!r} shares no view {view_id}",
                                           alliance_code=alliance_code, view_id=view_.id))
            declared = Privacy.from_json(current.privacy)
            start = period_start(today, declared.period)
            standing = Standing(start, to_micro(declared.budget_for(start)),
                                uow.datashare.spent(alliance.id, view_.id, party, start))
            if not standing.affords(micro):
                raise ViewBudgetExceeded(Message(
                    "view {view_id}: this query spends ε {epsilon} but {party} has {remaining} of {budget} left "
                    "this {period} (from {start})", view_id=view_.id, epsilon=epsilon, party=party,
                    remaining=from_micro(standing.remaining), budget=from_micro(standing.budget),
                    period=PERIOD_WORDS[declared.period], start=start.isoformat()))
            standings.append(standing)
        for view_, standing in zip(found, standings, strict=True):
            uow.datashare.spend(alliance.id, view_.id, party, standing.period_start, micro, clock.now(), actor)
        uow.commit()
    return strictest([Standing(s.period_start, s.budget, s.spent + micro) for s in standings])


def _private_groups(stores: Stores, alliance_code: str, found: StoredView, keys: list[str], party: str,
                    epsilon: str | Decimal | None, actor: str, clock: Clock) -> dict[str, Any]:
    """A DP view's group answer: exact clamped groups read, ε charged (or refused: nothing stored,
    nothing released), then noised (`noise.release`) and shown."""
    store, facts = stores.records, stores.facts
    assert found.privacy is not None
    declared = Privacy.from_json(found.privacy)
    spend = declared.query_epsilon if epsilon in (None, "") else parse_epsilon(epsilon, Message("ε"))  # type: ignore[arg-type]
    currency = _currency(store, alliance_code)
    exact = facts.view_groups(alliance_code, found.member, currency, keys, list(declared.bounds),
                              clamp=clamps(found, currency))
    standing = charge(store, alliance_code, [found], party, spend, actor, clock)
    released = noise.release(exact, [dp_spec(found, currency)], spend)
    money = {f for f in declared.bounds if DATASETS[found.dataset][f] is Kind.MONEY}

    def shown(field: str, value: int) -> Any:
        return Money(value, currency).amount_text() if field in money else value

    items = [{**g.keys, "count": g.count, **{f"sum_{f}": shown(f, v) for f, v in g.sums.items()}}
             for g in released.groups]
    plan = released.plan
    _log(store, alliance_code, found, actor, clock, "groups", {"group_by": keys, "epsilon": str(spend)}, len(items))
    return {"view": found.id, "k": found.k, "group_by": keys, "groups": items, "withheld_groups": released.withheld,
            "privacy": {"epsilon_spent": str(spend), "epsilon_remaining": str(from_micro(standing.remaining)),
                        "budget": str(from_micro(standing.budget)), "period": declared.period.value,
                        "period_start": standing.period_start.isoformat(), "delta": plan.delta,
                        "confidence": noise.CONFIDENCE, "threshold": plan.threshold,
                        "epsilon_per_statistic": str(plan.epsilon_each),
                        "error_bounds": {"count": plan.count_bound,
                                         **{f"sum_{f}": shown(f, b) for f, b in plan.sum_bounds.items()}}}}


def budget(store: Store, alliance_code: str, view_id: int, party: str, clock: Clock, *,
           publisher: bool = False) -> dict[str, Any]:
    """A DP view's budget this period for `party`: budget, spent, remaining; for the publisher also
    every party's spend (`by_party`). A view without differential privacy has none (409)."""
    found = shared_view(store, alliance_code, view_id, clock)
    if found.privacy is None:
        raise ViewNotPrivate(Message("view {view_id} has no privacy budget: it is not differentially private",
                               view_id=view_id))
    declared = Privacy.from_json(found.privacy)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        start = period_start(local_today(clock, alliance.timezone), declared.period)
        total = to_micro(declared.budget_for(start))
        spent = uow.datashare.spent(alliance.id, view_id, party, start)
        by_party = uow.datashare.spent_by_party(alliance.id, view_id, start) if publisher else None
    standing = Standing(start, total, spent)
    answer: dict[str, Any] = {
        "view": view_id, "party": party, "period": declared.period.value, "period_start": start.isoformat(),
        "budget": str(from_micro(total)), "spent": str(from_micro(spent)),
        "remaining": str(from_micro(standing.remaining)), "query_epsilon": str(declared.query_epsilon),
        "raised_to": None if declared.raised_to is None else str(declared.raised_to),
        "raised_from": None if declared.raised_from is None else declared.raised_from.isoformat()}
    if by_party is not None:
        answer["by_party"] = [{"party": p, "spent": str(from_micro(m)), "remaining": str(from_micro(max(total - m, 0)))}
                              for p, m in by_party.items()]
    return answer


def change_privacy(store: Store, alliance_code: str, view_id: int, raw: Mapping[str, Any], clock: Clock) -> StoredView:
    """The publisher changes a DP view's declaration: a lowering applies at once, a raise waits for
    the next period when anything was spent in this one (`Privacy.change`); a view without
    differential privacy cannot take it on afterwards (its rows may have been read)."""
    found = shared_view(store, alliance_code, view_id, clock)
    if found.privacy is None:
        raise ViewNotPrivate(Message("view {view_id} was published without differential privacy: publish a new view",
                               view_id=view_id))
    new = _check_privacy(spec_of(found), raw, _currency(store, alliance_code))
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        uow.datashare.hold(alliance.id, [view_id])
        current = uow.datashare.view(alliance.id, view_id)
        assert current is not None and current.privacy is not None
        declared = Privacy.from_json(current.privacy)
        today = local_today(clock, alliance.timezone)
        spent = uow.datashare.spent_by_party(alliance.id, view_id, period_start(today, declared.period))
        uow.datashare.set_privacy(alliance.id, view_id, declared.change(new, today, bool(spent)).as_json())
        uow.commit()
        changed = uow.datashare.view(alliance.id, view_id)
    assert changed is not None
    return changed


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
