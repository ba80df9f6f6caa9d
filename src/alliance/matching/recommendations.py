"""Recommendations (智能匹配) over an alliance's holders: the heat map of its members, the best
partners for one holder's needs, the best coalition of partners, and sending a recommended outside
company into the partner pipeline. The engines are pure (score, directory, heatmap, coalition); this
module reads the holders through `matching.service` (which checks who may read whom) and adds what
a user needs around the numbers: clear errors, notes when fewer candidates exist than asked, the
competition-law objection to a coalition of competitors, the explanation kept with a prospect.

Who sees what: every role of the alliance reads the members' heat map and their recommendations
among members (their declarations are the directory's facts); the outside directory and prospects
join the candidates only for those who read the partner pipeline (READ_PIPELINE), as in
`service.holders`. Sending a candidate to the pipeline is the pipeline's own write (MANAGE_ALLIANCE).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock
from alliance.core.errors import AllianceError, Conflict, InvalidInput, NotFound, Problem
from alliance.core.messages import Message
from alliance.matching import service
from alliance.matching.coalition import best_coalition
from alliance.matching.coalition_problem import CoalitionProblem, Constraints
from alliance.matching.coalition_result import CoalitionResult
from alliance.matching.columns import coverage
from alliance.matching.directory import Directory
from alliance.matching.heatmap import HeatMap, heat_map
from alliance.matching.model import Declaration, Holder, HolderKind
from alliance.matching.score import MutualScore, PairScore, context_index, directed_score, mutual_score
from alliance.matching.taxonomy import Taxonomy
from alliance.matching.entries import EntryDraft
from alliance.registry.model import Alliance
from alliance.store.database import Store
from alliance.store.matching_repository import MatchingRepository
from alliance.store.unit_of_work import UnitOfWork

K_LIMIT = 100  # at most this many partners are listed or allowed in a coalition
# A coalition's costs are summed exactly (Decimal's 28 digits): bounded so that no sum is rounded.
COST_LIMIT = Decimal(10) ** 12


def _believable(cost: Decimal) -> bool:
    return cost.is_finite() and 0 < cost <= COST_LIMIT and -cost.as_tuple().exponent <= 6  # type: ignore[operator]


class NothingToMatch(Conflict):
    """The holder has declared no needs: there is nothing to recommend partners for."""

    code = "matching_no_needs"
    title = Message("No needs declared")


class MatchingInvalid(InvalidInput):
    code = "matching_invalid"
    title = Message("Matching request not valid")


@dataclass(frozen=True, slots=True)
class Partner:
    holder: Holder
    score: float  # S(asker <- partner)
    mutual: float  # M(asker, partner)
    why: PairScore  # per group and per need


@dataclass(frozen=True, slots=True)
class Partners:
    asker: Holder
    partners: list[Partner]
    candidates: int  # how many were considered
    notes: list[Message] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CoalitionAnswer:
    asker: Holder
    result: CoalitionResult
    need_labels: tuple[str, ...]
    partners: list[Holder]  # the chosen ones, in the result's order
    notes: list[Message] = field(default_factory=list)


def _holders(store: Store, alliance_code: str, principal: Principal, outside: bool) -> list[Holder]:
    sees_outside = outside and _may(principal, Action.READ_PIPELINE, alliance_code)
    return service.holders(store, alliance_code, principal, outside=sees_outside)


def _may(principal: Principal, action: Action, alliance_code: str) -> bool:
    try:
        authorize(principal, action, alliance_code)
    except AllianceError:
        return False
    return True


def _asker(holders: Sequence[Holder], code: str) -> Holder:
    for h in holders:
        if h.code == code:
            if not h.needs:
                raise NothingToMatch(Message("{holder} has declared no needs: declare what it lacks first "
                                             "(`alliance need add`, or its resources page)", holder=code))
            return h
    raise service.HolderNotFound(Message("no member or directory entry {holder!r} here", holder=code))


def _check_k(k: int) -> None:
    if not 1 <= k <= K_LIMIT:
        raise MatchingInvalid(Message("k is a whole number from 1 to {most}", most=K_LIMIT))


def members_heat_map(store: Store, alliance_code: str, principal: Principal) -> HeatMap:
    """The heat map of the alliance's active members (directed and mutual scores, clustered)."""
    members = [h for h in service.holders(store, alliance_code, principal, outside=False)
               if h.kind is HolderKind.MEMBER]
    return heat_map(members)


@dataclass(frozen=True)
class PairExplained:
    """Two members and why they score as they do on the heat map (both directions)."""

    first: Holder
    second: Holder
    why: MutualScore


def explain_pair(store: Store, alliance_code: str, principal: Principal, a: str, b: str) -> PairExplained:
    """Why members `a` and `b` score as their heat-map cell says, without computing the whole map: the
    reference score (score.py) against the same description index the map uses (all active members'),
    so the figures are the cell's."""
    members = [h for h in service.holders(store, alliance_code, principal, outside=False)
               if h.kind is HolderKind.MEMBER]
    found = {h.code: h for h in members}
    if a not in found or b not in found or a == b:
        raise NotFound(Message("no pair of two members {a} and {b} here", a=a, b=b))
    return PairExplained(found[a], found[b], mutual_score(found[a], found[b], context_index(members)))


def best_partners(store: Store, alliance_code: str, principal: Principal, asker: str, k: int = 10, *,
                  outside: bool = True) -> Partners:
    """The k holders whose resources best cover `asker`'s needs, best first, each with why; members
    and (for pipeline readers) the directory. Fewer than k when fewer candidates exist (a note says so)."""
    _check_k(k)
    holders = _holders(store, alliance_code, principal, outside)
    me = _asker(holders, asker)
    candidates = [h for h in holders if h.code != me.code]
    directory = Directory.build(candidates, context_index([me, *candidates]))
    ranked = directory.top_k(me, k)
    notes: list[Message] = []
    if k > len(candidates):
        notes.append(Message("only {count} candidates exist; all are listed", count=len(candidates)))
    found = []
    for r in ranked:
        partner = candidates[r.candidate]
        why = directed_score(me, partner, directory.text)
        back = directed_score(partner, me, directory.text)
        found.append(Partner(partner, r.score, (r.score + back.score) / 2, why))
    if found and all(p.score == 0 for p in found):
        notes.append(Message("no candidate covers any of {holder}'s needs: the list is in code order",
                             holder=me.code))
    return Partners(me, found, len(candidates), notes)


def need_label(index: int, need: Declaration, taxonomy: Taxonomy, language: str = "en") -> str:
    """A need as a coalition names it: its number, its kind's name and its description."""
    name = taxonomy.get(need.kind).name(language) if need.kind in taxonomy else need.kind
    text = need.description.strip()
    return f"{index + 1}. {name}" + (f": {text[:60]}" if text else "")


def best_coalition_for(store: Store, alliance_code: str, principal: Principal, asker: str, *, k: int = 3,
                       costs: Mapping[str, Decimal] | None = None, must_include: Collection[str] = (),
                       must_exclude: Collection[str] = (), one_per_region: bool = False,
                       screen_competition: bool = True, outside: bool = True,
                       language: str = "en") -> CoalitionAnswer:
    """The least-cost set of at most k partners covering every need of `asker` (coalition.py), with
    the greedy answer beside it; when no set can, which needs nobody covers and the best partial set.
    `costs` by code (default 1 each: the fewest partners). With `screen_competition`, a coalition
    that puts together companies of the asker's own industry is flagged for competition-law
    screening (`alliance competition run`) before it is formed."""
    _check_k(k)
    holders = _holders(store, alliance_code, principal, outside)
    me = _asker(holders, asker)
    candidates = [h for h in holders if h.code != me.code]
    unknown = sorted(set(costs or {}) - {c.code for c in candidates})
    if unknown:  # refused before anything is solved
        raise MatchingInvalid(Message("costs name holders that are not candidates: {codes}", codes=", ".join(unknown)))
    absurd = sorted(code for code, cost in (costs or {}).items() if not _believable(cost))
    if absurd:
        raise MatchingInvalid(Message("a cost is a number above 0 and at most {most}, with at most 6 decimals: {codes}",
                                      most=COST_LIMIT, codes=", ".join(absurd)))
    taxonomy = service.taxonomy(store, alliance_code, principal)
    needs = me.needs
    labels = tuple(need_label(i, n, taxonomy, language) for i, n in enumerate(needs))
    cover = coverage(needs, candidates, context_index([me, *candidates]))
    problem = CoalitionProblem(
        cover=cover, needs=labels, weights=[n.weight for n in needs], candidates=[c.code for c in candidates],
        k=k, costs=None if not costs else [costs.get(c.code, Decimal(1)) for c in candidates],
        regions=[c.region for c in candidates],
        constraints=Constraints(frozenset(must_include), frozenset(must_exclude), one_per_region))
    industries = _industries(store, alliance_code, principal) if screen_competition else {}
    screen = _competitors(me.code, industries) if screen_competition else None
    result = best_coalition(problem, screen=screen)
    by_code = {c.code: c for c in candidates}
    return CoalitionAnswer(me, result, labels, [by_code[c] for c in result.codes], [])


def _industries(store: Store, alliance_code: str, principal: Principal) -> dict[str, str]:
    """Each holder's industry (members from the registry, outside companies from the directory)."""
    from alliance.registry import service as registry

    found = {m.code: m.industry for m in registry.list_members(store, alliance_code)}
    if _may(principal, Action.READ_PIPELINE, alliance_code):
        found.update({e.code: e.industry for e in service.directory(store, alliance_code, principal)})
    return found


def _competitors(asker: str, industries: Mapping[str, str]):  # type: ignore[no-untyped-def]
    """The coalition screen: partners in the asker's own industry are its competitors, and an
    agreement among competitors is what competition law looks at first (horizontal). The screen
    does not decide legality (market shares do: `alliance competition run` against the threshold
    sets); it says which partners make the coalition one to screen."""
    own = industries.get(asker, "").strip().casefold()

    def screen(codes: Sequence[str]) -> list[Problem] | None:
        if not own:
            return None
        rivals = [c for c in codes if industries.get(c, "").strip().casefold() == own]
        if not rivals:
            return None
        return [Problem(Message("coalition"), "", Message(
            "{partners} work in {holder}'s own industry ({industry}): an agreement among competitors is to be "
            "screened under competition law before it is formed (the competition screening page, or "
            "`alliance competition run`)", partners=", ".join(rivals), holder=asker,
            industry=industries.get(asker, "")))]

    return screen


def send_to_pipeline(store: Store, alliance_code: str, principal: Principal, asker: str, candidate: str,
                     clock: Clock) -> int:
    """Make a recommended outside company a prospect (source "matching"), its directory entry its
    profile, the recommendation's explanation noted on the prospect. Returns the prospect's id.
    Refused: a member (already in the alliance), an entry already linked to a prospect."""
    from alliance.screening import service as screening
    from alliance.screening.pipeline import Source

    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    holders = service.holders(store, alliance_code, principal, outside=True)
    me = _asker(holders, asker)
    target = next((h for h in holders if h.code == candidate), None)
    if target is None:
        raise service.HolderNotFound(Message("no member or directory entry {holder!r} here", holder=candidate))
    if target.kind is not HolderKind.CANDIDATE:
        raise Conflict(Message("{holder} is a {kind} already, not an outside candidate: only a directory's candidates "
                               "go into the pipeline", holder=candidate, kind=target.kind.value))
    why = directed_score(me, target, context_index([me, target]))
    parts = ", ".join(f"{group} {value:.2f}" for group, value in sorted(why.contributions.items(), key=lambda x: -x[1])
                      if value > 0)
    note = f"matching: S({me.code} <- {target.code}) = {why.score:.3f}" + (f" ({parts})" if parts else "")
    entry = next(e for e in service.directory(store, alliance_code, principal) if e.code == candidate)
    if entry.prospect_id is not None:
        raise Conflict(Message("{holder} is in the partner pipeline already (prospect {prospect})",
                               holder=candidate, prospect=entry.prospect_id))

    def link(uow: UnitOfWork, alliance: Alliance, prospect_id: int) -> None:
        # The entry becomes the prospect's resource profile, in the prospect's own transaction.
        repo = MatchingRepository(uow.connection)
        draft = EntryDraft(entry.code, entry.name, entry.credit_code, entry.region, entry.industry, entry.contact,
                           entry.note, entry.source or "matching", prospect_id)
        repo.update_entry(alliance.id, entry.id, draft, clock.now(), principal.actor)

    prospect = screening.add_prospect(store, alliance_code, entry.name, Source.MATCHING, principal.actor, clock,
                                      entry.credit_code, note=note, score=why.score, then=link)
    return prospect.id


__all__ = ["CoalitionAnswer", "MatchingInvalid", "NothingToMatch", "Partner", "Partners", "best_coalition_for",
           "best_partners", "members_heat_map", "need_label", "send_to_pipeline"]
