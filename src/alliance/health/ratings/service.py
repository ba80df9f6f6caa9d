"""Star rating use cases: settings, review import, innovation scores, rating runs, approvals, the
member's view, the elimination procedure. Each opens its own unit of work.

Who may do what (access.policy, no new actions):
- the table of stars and tiers (`READ_DIRECTORY`): every role of the alliance. It shows stars, tier
  and trend only, never another member's inputs;
- one member's rating with its explanation, advice and procedure (`READ_MEMBER_DATA` for that
  member): the member's own roles, the coordinator and the auditor; another member gets 404;
- settings, imports, runs, approvals, procedures (`MANAGE_ALLIANCE`): the coordinator;
- an appeal (`ACT_FOR_MEMBER` for that member): the member's admin.

A rating takes effect at once unless the risk rule holds it for approval (engine.needs_approval);
then a coordinator other than the account that ran it approves or rejects it. Taking effect writes
`rating.took_effect` (and `rating.tier_changed` when the stars change) to the ledger, records the
new tier's entitlements, publishes `rating.changed` to the member, and opens the elimination
procedure for a one-star member outside its grace period.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

from alliance.access.policy import Action, Forbidden, authorize
from alliance.access.roles import Principal, Role
from alliance.core.clock import Clock, local_today
from alliance.core.errors import Conflict, InvalidInput, MemberNotFound, NotFound, Problem
from alliance.core.messages import Message
from alliance.health.ratings import benefits as tier_benefits, engine
from alliance.health.ratings.engine import Rated, Settings
from alliance.health.ratings.inputs import INPUTS, Period
from alliance.health.ratings.inputs.disputes import RuledDispute, count_lost
from alliance.health.ratings.reviews import check_reviews
from alliance.ledger import events
from alliance.ledger.coverage import value_digest
from alliance.registry.lifecycle import Write, check_writable
from alliance.registry.model import Alliance
from alliance.store.database import Store
from alliance.store.ratings_repository import RatingsRepository, StoredProcedure, StoredRating
from alliance.store.unit_of_work import UnitOfWork


class RatingNotFound(NotFound):
    code = "rating_not_found"
    title = Message("Rating not found")


class ProcedureNotFound(NotFound):
    code = "rating_procedure_not_found"
    title = Message("Elimination procedure not found")


class RatingDecisionRefused(Conflict):
    """An approval the rule does not allow: by the account that ran the rating, or of a rating that
    is not pending."""

    code = "rating_decision_refused"
    title = Message("Rating decision refused")


class AppealRefused(Conflict):
    code = "rating_appeal_refused"
    title = Message("Appeal refused")


class PeriodInvalid(InvalidInput):
    code = "rating_period_invalid"
    title = Message("Rating period is invalid")


def _repo(uow: UnitOfWork) -> RatingsRepository:
    return RatingsRepository(uow.connection)


def _settings(uow: UnitOfWork, alliance_id: int) -> Settings:
    stored = _repo(uow).settings(alliance_id)
    if stored is None:
        return Settings(benefits=tier_benefits.DEFAULT_BENEFITS)
    return engine.settings_from_json(stored)


def parse_period(text: str) -> Period:
    try:
        first, last = engine.quarter_bounds(text)
    except ValueError:
        raise PeriodInvalid(Message("{period!r} is not a period: write a quarter as 2027Q1", period=text),
                            [Problem(Message("period"), "period", Message("write a quarter as 2027Q1"))]) from None
    return Period(engine.quarter_of(first), first, last)


def _today(alliance: Alliance, clock: Clock) -> date:
    return local_today(clock, alliance.timezone)


# -- settings -------------------------------------------------------------------------------------------

def settings_of(store: Store, alliance_code: str, principal: Principal) -> Settings:
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with store.unit_of_work() as uow:
        return _settings(uow, uow.alliances.require(alliance_code).id)


def _change_settings(store: Store, alliance_code: str, principal: Principal, clock: Clock, **changes: Any) -> Settings:
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        check_writable(alliance.code, alliance.status, Write.DETAILS)
        current = _settings(uow, alliance.id)
        updated = Settings(**{**{f: getattr(current, f) for f in ("weights", "thresholds", "risk", "policy",
                                                                  "benefits")}, **changes})
        _repo(uow).save_settings(alliance.id, updated.as_json(), principal.account, clock.now())
        uow.commit()
        return updated


def set_weights(store: Store, alliance_code: str, principal: Principal, groups: Mapping[str, object],
                parts: Mapping[str, object], clock: Clock) -> Settings:
    """RatingWeightsInvalid (naming the sum) when either table does not sum to 1: nothing stored."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    weights = engine.check_weights(groups, parts)
    return _change_settings(store, alliance_code, principal, clock, weights=weights)


def set_thresholds(store: Store, alliance_code: str, principal: Principal, values: Sequence[object],
                   clock: Clock) -> Settings:
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    return _change_settings(store, alliance_code, principal, clock, thresholds=engine.check_thresholds(values))


def set_policy(store: Store, alliance_code: str, principal: Principal, clock: Clock, *, improvement_days: object,
               grace_days: object, appeal_days: object, move: object, floor: object) -> Settings:
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    policy, risk = engine.check_policy(improvement_days, grace_days, appeal_days, move, floor)
    return _change_settings(store, alliance_code, principal, clock, policy=policy, risk=risk)


def set_benefits(store: Store, alliance_code: str, principal: Principal, items: Sequence[Mapping[str, Any]],
                 clock: Clock) -> Settings:
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        currency = uow.alliances.require(alliance_code).currency
    return _change_settings(store, alliance_code, principal, clock,
                            benefits=tier_benefits.check_benefits(items, currency))


# -- inputs ---------------------------------------------------------------------------------------------

def _current_members(uow: UnitOfWork, alliance: Alliance, on: date) -> dict[str, Any]:
    everyone = uow.members.of_alliance(alliance.id, alliance.code, alliance.currency, include_left=True)
    return {m.code: m for m in everyone if m.joined_on <= on and (m.left_on is None or on < m.left_on)}


def import_reviews(store: Store, alliance_code: str, principal: Principal, header: Sequence[str],
                   rows: Iterable[Sequence[str]], clock: Clock, *, header_row: int = 1) -> int:
    """Store every review or none (ReviewImportInvalid lists each bad row); the number stored."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        check_writable(alliance.code, alliance.status, Write.METRICS)
        today = _today(alliance, clock)
        everyone = uow.members.of_alliance(alliance.id, alliance.code, alliance.currency, include_left=True)
        found = check_reviews(header, rows, {m.code for m in everyone}, today, header_row)
        _repo(uow).add_reviews(alliance.id, found, uuid.uuid4().hex, principal.account, clock.now())
        uow.commit()
    return len(found)


def enter_innovation(store: Store, alliance_code: str, principal: Principal, member: str, period: str, score: str,
                     clock: Clock) -> Fraction:
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    named = parse_period(period)
    value = engine._decimal(score)
    if value is None or not 0 <= value <= 100:
        raise InvalidInput(Message("{value!r} is not a score from 0 to 100", value=str(score)),
                           [Problem(Message("innovation"), "score", Message("a score from 0 to 100"))])
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        if uow.members.get(alliance.id, alliance.code, alliance.currency, member) is None:
            raise MemberNotFound(alliance_code, member)
        _repo(uow).add_innovation(alliance.id, member, named.name, str(value), principal.account, clock.now())
        uow.commit()
    return Fraction(value)


@dataclass
class _Source:
    """What the inputs read (inputs.base.Source), over the store."""

    store: Store
    alliance_code: str
    alliance: Alliance

    def review_stars(self, member: str, first: date, last: date) -> list[int]:
        with self.store.unit_of_work() as uow:
            return _repo(uow).review_stars(self.alliance.id, member, first, last)

    def disputes(self, member: str, first: date, last: date) -> tuple[int, int]:
        from zoneinfo import ZoneInfo

        from alliance.store.correction_repository import CorrectionRepository

        with self.store.unit_of_work() as uow:
            ruled = _repo(uow).ruled_disputes(self.alliance.id)
            payers: dict[int, set[str]] = {}
            for correction in CorrectionRepository(uow.connection).of_alliance(self.alliance.id):
                payers.setdefault(correction.dispute_number, set()).update(t.payer for t in correction.transfers)
        zone = ZoneInfo(self.alliance.timezone)
        found = [RuledDispute(d.number, d.claimant, tuple(d.respondents or ()), d.closed_at.astimezone(zone).date())
                 for d in ruled if d.closed_at is not None]
        return count_lost(found, payers, member, first, last)

    def innovation_entry(self, member: str, period: str) -> Fraction | None:
        with self.store.unit_of_work() as uow:
            text = _repo(uow).innovation(self.alliance.id, member, period)
        return None if text is None else Fraction(text)


def compute(store: Store, alliance: Alliance, member: str, period: Period, settings: Settings) -> Rated:
    source = _Source(store, alliance.code, alliance)
    scores = {code: INPUTS[code].score(source, member, period) for code in engine.input_codes()}
    return engine.rate(scores, settings.weights, settings.thresholds)


# -- running and deciding ratings ------------------------------------------------------------------------

def _effective(repo: RatingsRepository, alliance_id: int, member: str) -> StoredRating | None:
    found = [r for r in repo.ratings(alliance_id, member) if r.status == "effective"]
    return max(found, key=lambda r: (r.effective_at, r.id)) if found else None


def _take_effect(uow: UnitOfWork, alliance: Alliance, rating: StoredRating, principal: Principal, now: datetime,
                 settings: Settings) -> None:
    from alliance.ledger import service as ledger
    from alliance.notify.notice import Audience, EventKind, Notice
    from alliance.notify.outbox import publish

    repo = _repo(uow)
    previous = _effective(repo, alliance.id, rating.member)
    previous_stars = None if previous is None else previous.stars
    decided_by = rating.decided_by
    repo.set_status(alliance.id, rating.id, status="effective", effective_at=now, previous_stars=previous_stars)
    entries: list[tuple[str, dict[str, Any]]] = [(events.RATING_EFFECTIVE, {
        # The score and the inputs are the member's own (others see its stars): only their digest.
        "rating": rating.id, "member": rating.member, "period": rating.period, "stars": rating.stars, "explanation_sha256": value_digest(rating.explanation), "decided_by": decided_by})]
    tier = tier_benefits.of_tier(settings.benefits, rating.stars)
    if previous_stars != rating.stars:
        entries.append((events.TIER_CHANGED, {"rating": rating.id, "member": rating.member, "from": previous_stars,
                                              "to": rating.stars, "benefits": [dict(b) for b in tier]}))
        for benefit in tier:
            if tier_benefits.entitlement(benefit) is not None:
                repo.add_entitlement(alliance.id, rating.member, rating.id, benefit, now)
    for event_type, payload in entries:  # one entry (and checkpoint) each, as every write of the ledger
        ledger.record(uow, alliance.id, alliance.code, event_type, principal.actor, now, payload)
    publish(uow, Notice(EventKind.RATING_CHANGED, alliance.id, Audience.MEMBER,
                        Message("Rating for {period}: {stars} stars", period=rating.period, stars=rating.stars),
                        Message("{member} is rated {stars} stars for {period} (before: {before}).",
                                member=rating.member, stars=rating.stars, period=rating.period,
                                before=previous_stars if previous_stars is not None else "-"),
                        link=f"/alliances/{alliance.code}/ratings/{rating.member}", member=rating.member,
                        key=f"rating:{rating.member}"), now)
    if rating.stars == 1:
        _open_procedure(uow, alliance, rating, now, settings)


def _open_procedure(uow: UnitOfWork, alliance: Alliance, rating: StoredRating, now: datetime,
                    settings: Settings) -> None:
    from alliance.notify.notice import Audience, EventKind, Notice
    from alliance.notify.outbox import publish

    repo = _repo(uow)
    if any(p.open for p in repo.procedures(alliance.id, rating.member)):
        return
    today = now.astimezone(__import__("zoneinfo").ZoneInfo(alliance.timezone)).date()
    member = uow.members.get(alliance.id, alliance.code, alliance.currency, rating.member)
    if member is None or engine.in_grace(member.joined_on, today, settings.policy):
        return  # a new member gets its grace period: rated, but no procedure
    until = today + timedelta(days=settings.policy.improvement_days)
    repo.add_procedure(alliance.id, member_code=rating.member, rating_id=rating.id, stage=engine.Stage.IMPROVEMENT.value,
                       opened_on=today, opened_at=now, improvement_until=until)
    # The notice: published to the member (and the coordinators) in this transaction.
    publish(uow, Notice(EventKind.RATING_CHANGED, alliance.id, Audience.MEMBER,
                        Message("Elimination procedure: improve by {until}", until=until.isoformat()),
                        Message("{member} is rated one star. It has until {until} to improve; then a new rating "
                                "reviews it. It may appeal within {days} days.", member=rating.member,
                                until=until.isoformat(), days=settings.policy.appeal_days),
                        link=f"/alliances/{alliance.code}/ratings/{rating.member}", member=rating.member,
                        key=f"procedure:{rating.member}"), now)


def _tell(uow: UnitOfWork, alliance: Alliance, member: str, title: Message, body: Message, now: datetime) -> None:
    """A `rating.changed` notice about the member's procedure, to it and the coordinators."""
    from alliance.notify.notice import Audience, EventKind, Notice
    from alliance.notify.outbox import publish

    publish(uow, Notice(EventKind.RATING_CHANGED, alliance.id, Audience.MEMBER, title, body,
                        link=f"/alliances/{alliance.code}/ratings/members/{member}", member=member,
                        key=f"procedure:{member}"), now)


def _store_rating(uow: UnitOfWork, alliance: Alliance, member: str, period: Period, rated: Rated, settings: Settings,
                  principal: Principal, now: datetime) -> StoredRating:
    repo = _repo(uow)
    previous = _effective(repo, alliance.id, member)
    pending = engine.needs_approval(None if previous is None else previous.stars, rated.stars, settings.risk)
    repo.supersede_pending(alliance.id, member, period.name)
    rating_id = repo.add_rating(alliance.id, member_code=member, period=period.name,
                                score=engine.exact_text(rated.score), stars=rated.stars,
                                previous_stars=None if previous is None else previous.stars,
                                explanation=rated.as_json(), status="pending", needs_approval=pending,
                                run_by=principal.account, run_at=now)
    stored = repo.rating(alliance.id, rating_id)
    assert stored is not None
    if not pending:
        _take_effect(uow, alliance, stored, principal, now, settings)
        stored = repo.rating(alliance.id, rating_id)
        assert stored is not None
    return stored


def run(store: Store, alliance_code: str, principal: Principal, period: str, clock: Clock, *,
        members: Sequence[str] | None = None) -> list[StoredRating]:
    """Rate every current member (or `members`) for `period`; each rating takes effect or waits for
    approval (the risk rule). A pending rating of the same member and period is superseded."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    named = parse_period(period)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        check_writable(alliance.code, alliance.status, Write.OTHER)
        settings = _settings(uow, alliance.id)
        current = _current_members(uow, alliance, _today(alliance, clock))
    chosen = list(members) if members else sorted(current)
    for code in chosen:
        if code not in current:
            raise MemberNotFound(alliance_code, code)
    # The inputs read first (the scorecard opens its own units of work), then one transaction writes.
    computed = {code: compute(store, alliance, code, named, settings) for code in chosen}
    now = clock.now()
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        uow.alliances.lock(alliance.id)
        stored = [_store_rating(uow, alliance, code, named, computed[code], settings, principal, now)
                  for code in chosen]
        uow.commit()
    return stored


def decide(store: Store, alliance_code: str, principal: Principal, rating_id: int, approve: bool,
           clock: Clock) -> StoredRating:
    """Approve (it takes effect) or reject a pending rating: a coordinator, not the account that ran it."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    now = clock.now()
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        uow.alliances.lock(alliance.id)
        repo = _repo(uow)
        rating = repo.rating(alliance.id, rating_id)
        if rating is None:
            raise RatingNotFound(Message("alliance {alliance!r} has no rating {rating}", alliance=alliance_code,
                                         rating=rating_id))
        if rating.status != "pending":
            raise RatingDecisionRefused(Message("rating {rating} is {status}, not pending approval",
                                                rating=rating_id, status=rating.status))
        if rating.run_by == principal.account:
            raise RatingDecisionRefused(Message("rating {rating} was run by your account; another person must "
                                                "approve or reject it", rating=rating_id))
        repo.set_status(alliance.id, rating_id, decided_by=principal.account, decided_at=now,
                        status="pending" if approve else "rejected")
        if approve:
            check_writable(alliance.code, alliance.status, Write.OTHER)
            decided = repo.rating(alliance.id, rating_id)
            assert decided is not None
            _take_effect(uow, alliance, decided, principal, now, _settings(uow, alliance.id))
        uow.commit()
        found = repo.rating(alliance.id, rating_id)
    assert found is not None
    return found


# -- reading ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TableRow:
    """One member in the table of stars: no inputs, only stars, tier and trend."""

    member: str
    name: str
    stars: int | None          # the effective rating's
    period: str | None
    trend: list[int]           # the stars of the last effective ratings, oldest first
    pending: bool              # a rating of it waits for approval (shown to the coordinator only)
    procedure: str | None      # the stage of its open procedure (coordinator only)


TREND = 6


def table(store: Store, alliance_code: str, principal: Principal, clock: Clock) -> list[TableRow]:
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    coordinator = _may_manage(principal, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = _repo(uow)
        everyone = repo.ratings(alliance.id)
        procedures = repo.procedures(alliance.id)
        current = _current_members(uow, alliance, _today(alliance, clock))
    rows = []
    for code, member in sorted(current.items()):
        own = [r for r in everyone if r.member == code]
        effective = sorted((r for r in own if r.status == "effective"), key=lambda r: (r.effective_at, r.id))
        latest = effective[-1] if effective else None
        open_procedure = next((p.stage for p in procedures if p.member == code and p.open), None)
        rows.append(TableRow(code, member.legal_name, latest.stars if latest else None, latest.period if latest else None,
                             [r.stars for r in effective[-TREND:]],
                             coordinator and any(r.status == "pending" for r in own),
                             open_procedure if coordinator else None))
    return rows


def _may_manage(principal: Principal, alliance_code: str) -> bool:
    try:
        authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    except (Forbidden, NotFound):
        return False
    return True


@dataclass(frozen=True)
class MemberRating:
    member: str
    name: str
    current: StoredRating | None
    advice: engine.Advice | None
    benefits: list[Message]
    next_benefits: list[Message]
    entitlements: list[Message]
    procedure: StoredProcedure | None
    may_appeal: bool
    history: list[StoredRating]      # effective ratings, the latest first
    pending: list[StoredRating]      # awaiting approval (shown to the member too: it is about it)
    settings: Settings


def _rated_of(stored: StoredRating) -> Rated:
    lines = tuple(engine.Line(ln["input"], ln["group"], ln["raw"], ln["note"], Fraction(ln["score"]),
                              Fraction(ln["weight"]), Fraction(ln["contribution"]))
                  for ln in stored.explanation["lines"])
    return Rated(lines, Fraction(stored.score), stored.stars)


def member_rating(store: Store, alliance_code: str, member: str, principal: Principal, clock: Clock) -> MemberRating:
    authorize(principal, Action.READ_MEMBER_DATA, alliance_code, member)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        found = uow.members.get(alliance.id, alliance.code, alliance.currency, member)
        if found is None:
            raise MemberNotFound(alliance_code, member)
        repo = _repo(uow)
        settings = _settings(uow, alliance.id)
        own = repo.ratings(alliance.id, member)
        procedures = repo.procedures(alliance.id, member)
        entitled = repo.entitlements(alliance.id, member)
        today = _today(alliance, clock)
    effective = sorted((r for r in own if r.status == "effective"), key=lambda r: (r.effective_at, r.id))
    current = effective[-1] if effective else None
    advice = engine.next_tier(_rated_of(current), settings.thresholds) if current else None
    stars = current.stars if current else 0
    procedure = next((p for p in reversed(procedures) if p.open), procedures[-1] if procedures else None)
    appealable = (procedure is not None and procedure.stage == engine.Stage.IMPROVEMENT.value
                  and procedure.appeal_reason is None
                  and engine.may_appeal(procedure.opened_on, today, settings.policy))
    return MemberRating(member, found.legal_name, current, advice,
                        [tier_benefits.describe(b) for b in tier_benefits.of_tier(settings.benefits, stars)],
                        [tier_benefits.describe(b) for b in tier_benefits.of_tier(settings.benefits, stars + 1)]
                        if stars < 5 else [],
                        [m for m in (tier_benefits.entitlement(e.benefit) for e in entitled) if m is not None],
                        procedure, appealable, list(reversed(effective)),
                        [r for r in own if r.status == "pending"], settings)


def pending(store: Store, alliance_code: str, principal: Principal) -> list[StoredRating]:
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        return _repo(uow).ratings(uow.alliances.require(alliance_code).id, status="pending")


def procedures(store: Store, alliance_code: str, principal: Principal) -> list[StoredProcedure]:
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        return list(reversed(_repo(uow).procedures(uow.alliances.require(alliance_code).id)))


def entitlements(store: Store, alliance_code: str, principal: Principal) -> list[tuple[str, Message]]:
    """(member, what to do) for every recorded entitlement, the latest first (the coordinator's to-do)."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        rows = _repo(uow).entitlements(uow.alliances.require(alliance_code).id)
    return [(r.member_code, m) for r in rows if (m := tier_benefits.entitlement(r.benefit)) is not None]


@dataclass(frozen=True)
class Panel:
    """What the health dashboard shows of ratings (the fragment health/_ratings_panel.html)."""

    by_stars: dict[int, int]      # stars -> members
    unrated: int
    pending: int                  # for the coordinator; 0 for others
    open_procedures: int          # for the coordinator; 0 for others


def panel(store: Store, alliance_code: str, principal: Principal, clock: Clock) -> Panel:
    rows = table(store, alliance_code, principal, clock)
    by_stars = {s: sum(1 for r in rows if r.stars == s) for s in engine.STARS}
    return Panel(by_stars, sum(1 for r in rows if r.stars is None), sum(1 for r in rows if r.pending),
                 sum(1 for r in rows if r.procedure))


# -- the elimination procedure ------------------------------------------------------------------------------

def _procedure(repo: RatingsRepository, alliance: Alliance, procedure_id: int) -> StoredProcedure:
    found = repo.procedure(alliance.id, procedure_id)
    if found is None:
        raise ProcedureNotFound(Message("alliance {alliance!r} has no elimination procedure {procedure}",
                                        alliance=alliance.code, procedure=procedure_id))
    return found


def appeal(store: Store, alliance_code: str, member: str, reason: str, principal: Principal,
           clock: Clock) -> StoredProcedure:
    """The member appeals its open procedure with a reason, within the appeal days: the procedure
    pauses until the coordinator decides."""
    authorize(principal, Action.ACT_FOR_MEMBER, alliance_code, member)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(Message("give the reason of the appeal"),
                           [Problem(Message("appeal"), "reason", Message("give the reason of the appeal"))])
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = _repo(uow)
        settings = _settings(uow, alliance.id)
        today = _today(alliance, clock)
        procedure = next((p for p in repo.procedures(alliance.id, member) if p.open), None)
        if procedure is None or procedure.stage != engine.Stage.IMPROVEMENT.value:
            raise AppealRefused(Message("{member} has no elimination procedure in its improvement period to appeal",
                                        member=member))
        if procedure.appeal_reason is not None:
            raise AppealRefused(Message("{member} has already appealed this procedure", member=member))
        if not engine.may_appeal(procedure.opened_on, today, settings.policy):
            raise AppealRefused(Message("the appeal period ended on {day}", day=(
                procedure.opened_on + timedelta(days=settings.policy.appeal_days)).isoformat()))
        repo.update_procedure(alliance.id, procedure.id, stage=engine.Stage.APPEALED.value, paused_on=today,
                              appeal_reason=reason[:4000], appealed_by=principal.account)
        uow.commit()
        return _procedure(repo, alliance, procedure.id)


def decide_appeal(store: Store, alliance_code: str, procedure_id: int, grant: bool, principal: Principal,
                  clock: Clock) -> StoredProcedure:
    """Granted: the procedure closes. Refused: it resumes, its end moved by the days it was paused."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = _repo(uow)
        procedure = _procedure(repo, alliance, procedure_id)
        if procedure.stage != engine.Stage.APPEALED.value or procedure.paused_on is None:
            raise AppealRefused(Message("procedure {procedure} has no appeal waiting for a decision",
                                        procedure=procedure_id))
        today = _today(alliance, clock)
        if grant:
            repo.update_procedure(alliance.id, procedure_id, stage=engine.Stage.CLOSED.value,
                                  appeal_decision="granted", appeal_decided_by=principal.account,
                                  outcome=engine.Outcome.APPEAL_GRANTED.value, closed_at=clock.now())
        else:
            until = engine.resumed_until(procedure.improvement_until, procedure.paused_on, today)
            repo.update_procedure(alliance.id, procedure_id, stage=engine.Stage.IMPROVEMENT.value,
                                  appeal_decision="refused", appeal_decided_by=principal.account,
                                  improvement_until=until, paused_on=None)
        _tell(uow, alliance, procedure.member,
              Message("Appeal granted: the elimination procedure is closed") if grant
              else Message("Appeal refused: improve by {until}", until=until.isoformat()),
              Message("The coordinator decided the appeal of {member}.", member=procedure.member), clock.now())
        uow.commit()
        return _procedure(repo, alliance, procedure_id)


@dataclass(frozen=True)
class Reviewed:
    procedure: StoredProcedure
    rating: StoredRating
    outcome: engine.Outcome
    problem: Message | None = None     # why no proposal could be drafted (no body), if so


def review_due(store: Store, alliance_code: str, principal: Principal, clock: Clock) -> list[Reviewed]:
    """Review every procedure whose improvement period has ended: a new rating for the current
    quarter; above one star the procedure closes, still one star an exclusion proposal is drafted
    (by `principal`, the coordinator) to the alliance's joint committee (or its first body)."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        today = _today(alliance, clock)
        due = [p for p in _repo(uow).procedures(alliance.id)
               if engine.review_due(engine.Stage(p.stage), p.improvement_until, today)]
    done = []
    for procedure in due:
        rating = run(store, alliance_code, principal, engine.quarter_of(today), clock, members=[procedure.member])[0]
        outcome = engine.review_outcome(rating.stars)
        problem = None
        number = None
        if outcome is engine.Outcome.EXCLUSION_PROPOSED:
            number, problem = _draft_exclusion(store, alliance_code, principal, procedure, rating, clock)
        with store.unit_of_work() as uow:
            alliance = uow.alliances.require(alliance_code)
            repo = _repo(uow)
            if outcome is engine.Outcome.IMPROVED:
                repo.update_procedure(alliance.id, procedure.id, stage=engine.Stage.CLOSED.value,
                                      review_rating_id=rating.id, outcome=outcome.value, closed_at=clock.now())
                _tell(uow, alliance, procedure.member, Message("Elimination procedure closed: the rating improved"),
                      Message("{member} is rated {stars} stars at the review.", member=procedure.member,
                              stars=rating.stars), clock.now())
            elif number is not None:
                repo.update_procedure(alliance.id, procedure.id, stage=engine.Stage.PROPOSED.value,
                                      review_rating_id=rating.id, proposal_number=number, outcome=outcome.value)
                _tell(uow, alliance, procedure.member, Message("Exclusion proposed"),
                      Message("{member} is still rated one star at the review: proposal {number} to exclude it is "
                              "drafted for the alliance's body.", member=procedure.member, number=number), clock.now())
            else:
                repo.update_procedure(alliance.id, procedure.id, review_rating_id=rating.id)
            uow.commit()
            done.append(Reviewed(_procedure(repo, alliance, procedure.id), rating, outcome, problem))
    return done


def _draft_exclusion(store: Store, alliance_code: str, principal: Principal, procedure: StoredProcedure,
                     rating: StoredRating, clock: Clock) -> tuple[int | None, Message | None]:
    from alliance.governance import service_meetings, service_proposals

    bodies = service_meetings.list_bodies(store, alliance_code, principal)
    if not bodies:
        return None, Message("the alliance has no body to decide the exclusion: create one, then review again")
    body = next((b for b in bodies if b.kind == "joint_committee"), bodies[0])
    proposal = service_proposals.draft(store, alliance_code, principal, service_proposals.Draft(
        body_id=body.id, type="exclude_member",
        title=f"Exclude {procedure.member} (elimination procedure {procedure.id})",
        text=(f"{procedure.member} was rated one star (rating {procedure.rating_id}) and, after the improvement period "
              f"ending {procedure.improvement_until.isoformat()}, again one star (rating {rating.id}, score "
              f"{engine.shown(Fraction(rating.score))}). Under the alliance's rating policy its membership ends."),
        params={"member": procedure.member, "procedure": procedure.id, "reason": f"elimination procedure {procedure.id}"},
        # A discussion week and a voting week by default; the coordinator revises the draft at will.
        discussion_until=clock.now() + timedelta(days=7), voting_until=clock.now() + timedelta(days=14)), clock)
    return proposal.number, None


def procedure_of(store: Store, alliance_id: int, procedure_id: int) -> StoredProcedure | None:
    """One elimination procedure of the alliance, unchecked by role: what an exclusion proposal's
    `procedure` parameter names is checked against it (governance/effects/exclude_member.py)."""
    with store.unit_of_work() as uow:
        return _repo(uow).procedure(alliance_id, procedure_id)


def review_all_due(store: Store, clock: Clock, actor: str = "scheduler") -> list[tuple[str, Reviewed]]:
    """`review_due` for every alliance with a procedure whose improvement period has ended, run by the
    platform's scheduler as the alliance's coordinator would (the drafted exclusion proposal names the
    scheduler as its author; the coordinators see, revise and submit it). One alliance's failure does
    not stop the others."""
    from alliance.core.errors import AllianceError

    with store.unit_of_work() as uow:
        alliances = {a.id: a for a in uow.alliances.all()}
        waiting = _repo(uow).open_procedures()
    # A procedure reviewed already but left waiting (no body to put the exclusion to) is the
    # coordinator's to review again: the scheduler would otherwise rate it again every minute.
    due_codes = sorted({alliances[aid].code for aid, p in waiting if aid in alliances and p.review_rating_id is None
                        and engine.review_due(engine.Stage(p.stage), p.improvement_until,
                                              _today(alliances[aid], clock))})
    done: list[tuple[str, Reviewed]] = []
    for code in due_codes:
        try:
            done += [(code, r) for r in review_due(store, code, Principal(actor, Role.COORDINATOR, code, kind="scheduler"),
                                                   clock)]
        except AllianceError:
            continue  # e.g. a dissolved alliance: its procedures stand where they were
    return done
