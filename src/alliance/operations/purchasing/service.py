"""Joint purchasing's use cases: the one entry point for the CLI, the API and the pages.

Who may do what (access.policy): everyone of the alliance reads campaigns (READ_DIRECTORY) but sees
only its own member's commitment and money (`Position`); a member admin commits for its own member
(COMMIT_PURCHASE), the coordinator for any member; the coordinator opens campaigns and adds quotes
(RUN_CAMPAIGNS); the coordinator or the organiser's member admin closes a due campaign, confirms the
order, records deliveries, closes short and cancels. Every write checks its input whole and stores
nothing when anything is wrong (InvalidInput with every Problem); money goes to settlement as charges
(`operations.charge_service.schedule_charge`) inside the same unit of work, each titled
"Campaign N: <title> — <what>" with the reference "campaign-N".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from alliance.access.policy import Action, Forbidden, authorize
from alliance.access.roles import Principal, Role
from alliance.core.clock import Clock
from alliance.core.limits import LINE_LIMIT_MINOR
from alliance.core.errors import AllianceError, Conflict, MemberNotFound, NotFound, Problem
from alliance.core.messages import Message, joined
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.ledger.coverage import decimal_text, purchase_pairs_sha256, purchase_quotes_sha256
from alliance.ledger.digests import value_digest
from alliance.operations import charge_service
from alliance.operations.charges import ChargeLine, outside_account
from alliance.operations.purchasing.delivery import (
    Line, allocation, delivery_lines, deposit_change, money_text, spread,
)
from alliance.operations.purchasing.model import (
    CANCELLABLE, NOTE_LIMIT, CampaignInvalid, STATE_NAMES, TEXT_LIMIT, TITLE_LIMIT, UNIT_LIMIT, CampaignDetail, CampaignDraft,
    CampaignState, CampaignView, ChargeRef, CommitmentChange, DeliveryView, Outcome, Position, QuoteView,
)
from alliance.operations.purchasing.split import (
    SHAPLEY_LIMIT, Resolution, SplitRule, cost_minor, half_even, minor_factor, resolve,
)
from alliance.operations.purchasing.tiers import MAX_QUANTITY, MAX_QUOTES, PriceTable, Quote, TiersInvalid, check_quotes
from alliance.registry.lifecycle import ALLOWED as LIFECYCLE_ALLOWED
from alliance.registry.lifecycle import Write, check_writable
from alliance.registry.model import Alliance
from alliance.sharing import attorneys
from alliance.store.database import Store
from alliance.store.purchasing_repository import PurchasingRepository, tiers_json
from alliance.store.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

SOURCE = "joint_purchase"  # the charges' source (statement line kind)
SCHEDULER = "scheduler (campaign deadline)"
# What a campaign's charge is, the end of its reference ("campaign-12/delivery-2").
DEPOSIT, DELIVERY, DEPOSIT_RETURN = "deposit", "delivery", "deposit-return"


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    title = Message("No such campaign")

    def __init__(self, number: int) -> None:
        super().__init__(Message("no campaign {number} in this alliance", number=number))


class PositionNotFound(NotFound):
    code = "campaign_position_not_found"
    title = Message("No such commitment")

    def __init__(self, number: int, member: str) -> None:
        super().__init__(Message("no commitment of {member} to campaign {number} for this account",
                                 member=member, number=number))


class CommitmentClosed(Conflict):
    code = "commitment_closed"
    title = Message("Commitments closed")


class CampaignStateConflict(Conflict):
    code = "campaign_state"
    title = Message("Not possible in this state")


@dataclass(frozen=True, slots=True)
class ClosedCampaign:
    """One campaign `close_due_campaigns` closed."""

    alliance: str
    number: int
    state: CampaignState


# -- reading -------------------------------------------------------------------------------------------

def campaigns(store: Store, alliance_code: str, principal: Principal, *,
              state: CampaignState | None = None, clock: Clock | None = None) -> list[CampaignView]:
    """Every campaign of the alliance (newest first), of one state if given. Alliance-level figures only."""
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        repo = PurchasingRepository(uow.connection)
        now = clock.now() if clock is not None else None
        return [_view(row, repo.quotes(row.id), repo.commitments(row.id), now)
                for row in repo.campaigns(alliance.id, None if state is None else state.value)]


def campaign(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock) -> CampaignDetail:
    """One campaign with the positions, commitment history, deliveries and charges the reader may see
    (CampaignNotFound)."""
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        loaded = _load(uow, alliance, number)
        view = _view(loaded.row, loaded.quotes, loaded.commitments, clock.now())
        sees_all = _sees_all(principal, loaded.row.organiser)
        visible = None if sees_all else ({principal.member} if principal.member else set())
        positions = tuple(p for p in _positions(loaded) if visible is None or p.member in visible)
        history = tuple(CommitmentChange(r.member, r.at, r.by, int(r.old), int(r.new))
                        for r in loaded.repo.changes(loaded.row.id)
                        if visible is None or r.member in visible)
        deliveries = tuple(_delivery_view(r, principal.member, sees_all) for r in loaded.repo.deliveries(loaded.row.id))
        may_commit_for: tuple[str, ...] = ()
        if view.state is CampaignState.OPEN and not view.due:
            # its own member, and the members whose `operate` power of attorney it holds
            # (not for a member whose step would deal with the account's own member, the organiser: art. 168)
            candidates = {m for m in attorneys.operated_in(uow, alliance, principal, clock)
                          if not attorneys.deals_with_itself(principal, m, {loaded.row.organiser})} | {principal.member}
            may_commit_for = tuple(sorted((m.code for m in uow.members.of_alliance(alliance.id, alliance.code,
                                                                                  alliance.currency)
                                           if m.code in candidates
                                           and _commits_for(uow, alliance, principal, m.code, clock)),
                                          key=lambda code: (code != principal.member, code)))
        may_manage = _holds(principal, Action.COMMIT_PURCHASE, alliance.code) and (
            principal.member is None or principal.member == loaded.row.organiser)
        return CampaignDetail(view, positions, history, deliveries, sees_all, bool(may_commit_for), may_manage,
                              may_commit_for, _charges(uow, alliance, loaded.row, visible))


def alliance_terms(store: Store, alliance_code: str, principal: Principal) -> tuple[str, str]:
    """The alliance's currency and time zone (what campaign terms are entered in)."""
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        return alliance.currency, alliance.timezone


def position(store: Store, alliance_code: str, principal: Principal, number: int, member: str) -> Position:
    """One member's position (its own accounts, the coordinator, the organiser; others: 404)."""
    authorize(principal, Action.READ_DIRECTORY, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        loaded = _load(uow, alliance, number)
        if not _sees_all(principal, loaded.row.organiser) and principal.member != member:
            raise PositionNotFound(number, member)
        found = next((p for p in _positions(loaded) if p.member == member), None)
        if found is None:
            raise PositionNotFound(number, member)
        return found


# -- writing -------------------------------------------------------------------------------------------

def open_campaign(store: Store, alliance_code: str, principal: Principal, draft: CampaignDraft,
                  clock: Clock) -> CampaignView:
    """Open a campaign (number = next of the alliance). CampaignInvalid / TiersInvalid with every
    problem; nothing stored then. The deadline must be in the future."""
    authorize(principal, Action.RUN_CAMPAIGNS, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code, Write.OPERATIONS)
        members = {m.code for m in uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)}
        quotes = tuple(_with_account(q) for q in draft.quotes)
        problems = check_draft(draft, members, clock) + check_quotes(quotes)
        if problems:
            raise CampaignInvalid(Message("the campaign has {count} problem(s); nothing was stored",
                                          count=len(problems)), problems)
        repo = PurchasingRepository(uow.connection)
        now = clock.now()
        number = repo.next_number(alliance.id)
        campaign_id = repo.add_campaign(alliance.id, {
            "number": number, "title": draft.title.strip(), "item": draft.item.strip(), "spec": draft.spec.strip(),
            "unit": draft.unit.strip(), "organiser": draft.organiser, "deadline": draft.deadline,
            "minimum": draft.minimum, "split_rule": SplitRule(draft.split_rule).value, "fee_rate": draft.fee_rate,
            "deposit_per_unit": draft.deposit_per_unit, "purchasing_share": draft.purchasing_share,
            "threshold": draft.threshold, "currency": alliance.currency, "state": CampaignState.OPEN.value,
            "state_note": "", "created_at": now, "created_by": principal.actor, "updated_at": now,
            "updated_by": principal.actor})
        for quote in quotes:
            repo.add_quote(alliance.id, campaign_id, quote, now, principal.actor)
        row = repo.campaign(alliance.id, number)
        assert row is not None
        ledger.record(uow, alliance.id, alliance.code, events.PURCHASE_CAMPAIGN_OPENED, principal.actor, now, {
            "campaign": number, "title": row.title, "organiser": row.organiser,
            "deadline": events.utc_text(row.deadline), "minimum": int(row.minimum), "split_rule": row.split_rule,
            "fee_rate": decimal_text(row.fee_rate), "deposit_per_unit": int(row.deposit_per_unit),
            "quotes": len(quotes), "quotes_sha256": _quotes_sha256(quotes),
            "flagged": _flagged(row.purchasing_share, row.threshold)})
        uow.commit()
        return _view(row, list(quotes), {}, now)


def draft_problems(store: Store, alliance_code: str, principal: Principal, draft: CampaignDraft,
                   clock: Clock) -> list[Problem]:
    """Every problem `open_campaign` would name for `draft`, without storing anything (for an edge that
    also found problems of its own parsing and names them all at once)."""
    authorize(principal, Action.RUN_CAMPAIGNS, alliance_code)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        members = {m.code for m in uow.members.of_alliance(alliance.id, alliance.code, alliance.currency)}
    return check_draft(draft, members, clock) + check_quotes([_with_account(q) for q in draft.quotes])


def add_quote(store: Store, alliance_code: str, principal: Principal, number: int, quote: Quote,
              clock: Clock) -> CampaignView:
    """Add a supplier quote to an open campaign (TiersInvalid naming the row)."""
    authorize(principal, Action.RUN_CAMPAIGNS, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code, Write.OPERATIONS)
        loaded = _load(uow, alliance, number, lock=True)
        _require_state(loaded.row, {CampaignState.OPEN})
        now = clock.now()
        if now >= loaded.row.deadline:
            raise CommitmentClosed(Message("campaign {number} closed for changes at its deadline {deadline}",
                                           number=number, deadline=_local(loaded.row.deadline, alliance)))
        quote = _with_account(quote)
        problems = check_quotes([quote])
        if problems:
            where = Message("quote {number}", number=len(loaded.quotes) + 1)
            renamed = [Problem(_renumbered(p.where, len(loaded.quotes) + 1) or where, p.field, p.reason)
                       for p in problems]
            raise TiersInvalid(Message("the quote is not valid; nothing was stored"), renamed)
        if len(loaded.quotes) >= MAX_QUOTES:
            raise TiersInvalid(Message("at most {limit} quotes", limit=MAX_QUOTES),
                               [Problem(Message("quotes"), "", Message("at most {limit} quotes", limit=MAX_QUOTES))])
        loaded.repo.add_quote(alliance.id, loaded.row.id, quote, now, principal.actor)
        quotes = [*loaded.quotes, quote]
        ledger.record(uow, alliance.id, alliance.code, events.PURCHASE_QUOTE_ADDED, principal.actor, now, {
            "campaign": number, "quote": len(quotes), "supplier": quote.supplier, "quotes_sha256": _quotes_sha256(quotes)})
        uow.commit()
        return _view(loaded.row, quotes, loaded.commitments, now)


def commit(store: Store, alliance_code: str, principal: Principal, number: int, member: str, quantity: int,
           clock: Clock) -> Position:
    """Set `member`'s committed quantity (0 withdraws). Strictly before the deadline, else
    CommitmentClosed. The change is kept (who, when, old → new); a deposit difference is scheduled as a
    charge (member → organiser). A member's own step: the platform operator does not commit for it."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        # its own account, or one holding its `operate` power of attorney (looked up here: a revoked one fails)
        attorneys.authorize_operating(uow, alliance, principal, Action.COMMIT_PURCHASE, member, clock)
        alliance = _writable(uow, alliance_code, Write.OPERATIONS)
        loaded = _load(uow, alliance, number, lock=True)
        row = loaded.row
        # under a power: not in a campaign the attorney's own member organises (it receives the deposits)
        attorneys.refuse_self_dealing(principal, member, {row.organiser}, Message("campaign {number}", number=number))
        now = clock.now()
        if CampaignState(row.state) is not CampaignState.OPEN or now >= row.deadline:
            raise CommitmentClosed(Message(
                "campaign {number} took commitments until {deadline}; it is {state} now and nothing was changed",
                number=number, deadline=_local(row.deadline, alliance), state=STATE_NAMES[CampaignState(row.state)]))
        known = uow.members.get(alliance.id, alliance.code, alliance.currency, member)
        if known is None or known.left_on is not None:
            raise MemberNotFound(alliance.code, member)
        problems = []
        if type(quantity) is not int or not 0 <= quantity <= MAX_QUANTITY:
            problems.append(Problem(Message("commitment"), "quantity",
                                    Message("a whole number from 0 to {limit}", limit=MAX_QUANTITY)))
        else:
            others = sum(1 for m, c in loaded.commitments.items() if m != member and c.quantity > 0)
            # Σ alone_i bounds every line the campaign will ever book (the invoice, each member's payment,
            # the savings and so the fee): above what one statement line may move, the close or a delivery
            # would be refused for good, so the commitment that would get there is refused now.
            table, factor = PriceTable(loaded.quotes), minor_factor(row.currency)
            alone = sum(half_even(cost_minor(q, table.price(q).unit_price, factor)) for q in (
                [int(c.quantity) for m, c in loaded.commitments.items() if m != member and c.quantity > 0]
                + [quantity]) if q > 0)
            if alone > LINE_LIMIT_MINOR:
                problems.append(Problem(Message("commitment"), "quantity", Message(
                    "the campaign's commitments would cost {amount} at their own tiers, more than one statement "
                    "line may move ({limit})", amount=money_text(alone, row.currency),
                    limit=money_text(LINE_LIMIT_MINOR, row.currency))))
            if SplitRule(row.split_rule) is SplitRule.SHAPLEY and quantity > 0 and others + 1 > SHAPLEY_LIMIT:
                problems.append(Problem(Message("commitment"), "quantity", Message(
                    "the campaign splits by the Shapley value, computed exactly for at most {limit} members, and "
                    "{limit} have committed", limit=SHAPLEY_LIMIT)))
        if problems:
            raise CampaignInvalid(Message("the commitment is not valid; nothing was changed"), problems)
        before = loaded.commitments.get(member)
        old = int(before.quantity) if before is not None else 0
        held = int(before.deposit_minor) if before is not None else 0
        wanted = 0 if member == row.organiser else quantity * int(row.deposit_per_unit)
        if quantity != old or wanted != held:
            lines = deposit_change(member, row.organiser, held, wanted, alliance.currency)
            if lines:
                _schedule(uow, alliance, row, DEPOSIT, lines, principal.actor, clock)
            loaded.repo.save_commitment(alliance.id, row.id, member, old, quantity, wanted, now, principal.actor)
            pairs = [(m, int(c.quantity)) for m, c in loaded.commitments.items() if m != member] + [(member, quantity)]
            ledger.record(uow, alliance.id, alliance.code, events.PURCHASE_COMMITMENT_SAVED, principal.actor, now, {
                "campaign": number, "commitment_sha256": value_digest([member, quantity]),
                "commitments_sha256": purchase_pairs_sha256(pairs)})
            uow.commit()
        reloaded = _load(uow, alliance, number)
        return next(p for p in _positions(reloaded) if p.member == member)


def close_campaign(store: Store, alliance_code: str, principal: Principal, number: int,
                   clock: Clock) -> CampaignView:
    """Close a campaign whose deadline has passed: succeeded (aggregate ≥ minimum) or expired (deposits
    returned). CampaignStateConflict before the deadline or when not open."""
    authorize(principal, Action.COMMIT_PURCHASE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code, Write.SETTLEMENT)
        loaded = _load(uow, alliance, number, lock=True)
        _may_manage(principal, loaded.row)
        _require_state(loaded.row, {CampaignState.OPEN})
        if clock.now() < loaded.row.deadline:
            raise CampaignStateConflict(Message(
                "campaign {number} takes commitments until {deadline}: it can be closed only after that",
                number=number, deadline=_local(loaded.row.deadline, alliance)))
        _close(uow, alliance, loaded, principal.actor, clock)
        uow.commit()
        return _view(_load(uow, alliance, number).row, loaded.quotes, loaded.commitments, clock.now())


def close_due_campaigns(store: Store, clock: Clock) -> list[ClosedCampaign]:
    """The scheduler's job (an `also` job of the daily loop): close every open campaign whose deadline
    has passed, in every alliance. Each in its own transaction; one that fails is logged and left open."""
    with store.unit_of_work() as uow:
        due = PurchasingRepository(uow.connection).due(clock.now())
        alliances = {a.id: a for a in uow.alliances.all()} if due else {}
    closed = []
    for alliance_id, number in due:
        found = alliances.get(alliance_id)
        if found is None or Write.SETTLEMENT not in LIFECYCLE_ALLOWED[found.status]:
            continue  # a dissolved alliance's campaigns stand where they were
        try:
            with store.unit_of_work() as uow:
                alliance = uow.alliances.require(found.code)
                loaded = _load(uow, alliance, number, lock=True)
                if CampaignState(loaded.row.state) is not CampaignState.OPEN:
                    continue
                state = _close(uow, alliance, loaded, SCHEDULER, clock)
                uow.commit()
            closed.append(ClosedCampaign(alliance.code, number, state))
        except AllianceError:  # e.g. a ledger that cannot be opened: tried again at the next tick
            logger.exception("closing campaign %s of alliance %s failed", number, found.code)
    return closed


def mark_ordered(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock,
                 note: str = "") -> CampaignView:
    """The coordinator or the organiser confirms the order was placed with the chosen supplier."""
    authorize(principal, Action.COMMIT_PURCHASE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code, Write.SETTLEMENT)
        loaded = _load(uow, alliance, number, lock=True)
        _may_manage(principal, loaded.row)
        _require_state(loaded.row, {CampaignState.SUCCEEDED})
        note = _note(note, required=False)
        now = clock.now()
        loaded.repo.update_campaign(loaded.row.id, {"state": CampaignState.ORDERED.value, "state_note": note,
                                                    "updated_at": now, "updated_by": principal.actor})
        quote = loaded.quotes[int(loaded.row.quote_number) - 1]
        ledger.record(uow, alliance.id, alliance.code, events.PURCHASE_CAMPAIGN_ORDERED, principal.actor, now, {
            "campaign": number, "state": CampaignState.ORDERED.value, "supplier": quote.supplier,
            "account": quote.account})
        uow.commit()
        return _view(_load(uow, alliance, number).row, loaded.quotes, loaded.commitments, now)


def record_delivery(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock, *,
                    total: int | None = None, per_member: Mapping[str, int] | None = None,
                    note: str = "") -> DeliveryView:
    """Record a delivery of an ordered campaign: a `total` spread over members in proportion to their
    open quantity (largest remainder), or `per_member` quantities. Schedules the delivery's charge
    (alloc(after) − alloc(before)); the last one makes the campaign delivered and returns deposits."""
    authorize(principal, Action.COMMIT_PURCHASE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code, Write.SETTLEMENT)
        loaded = _load(uow, alliance, number, lock=True)
        _may_manage(principal, loaded.row)
        _require_state(loaded.row, {CampaignState.ORDERED})
        note = _note(note, required=False)
        before = {m: int(c.delivered) for m, c in loaded.commitments.items() if c.quantity > 0}
        open_ = {m: int(c.quantity) - before[m] for m, c in loaded.commitments.items() if c.quantity > 0}
        got = _delivered_now(open_, total, per_member)
        after = {m: before[m] + got.get(m, 0) for m in before}
        resolution = _resolution(loaded)
        quote = loaded.quotes[int(loaded.row.quote_number) - 1]
        lines = delivery_lines(resolution, before, after, supplier_account=quote.account,
                               organiser=loaded.row.organiser, supplier_name=quote.supplier)
        count = len(loaded.repo.deliveries(loaded.row.id)) + 1
        charge_id = _schedule(uow, alliance, loaded.row, f"{DELIVERY}-{count}", lines, principal.actor,
                              clock) if lines else None
        now = clock.now()
        delivered_number = loaded.repo.add_delivery(alliance.id, loaded.row.id, sum(got.values()),
                                                    {m: q for m, q in got.items() if q}, note, charge_id, now,
                                                    principal.actor)
        loaded.repo.set_delivered(loaded.row.id, after)
        complete = all(after[m] == int(loaded.commitments[m].quantity) for m in after)
        state = CampaignState.DELIVERED if complete else CampaignState.ORDERED
        if complete:
            _return_deposits(uow, alliance, loaded, principal.actor, clock)
            loaded.repo.update_campaign(loaded.row.id, {"state": state.value, "closed_at": loaded.row.closed_at,
                                                        "updated_at": now, "updated_by": principal.actor})
        ledger.record(uow, alliance.id, alliance.code, events.PURCHASE_DELIVERY_RECORDED, principal.actor, now, {
            "campaign": number, "delivery": delivered_number, "total": sum(got.values()), "state": state.value,
            "delivered_sha256": purchase_pairs_sha256(after.items()), "charge": charge_id})
        uow.commit()
        stored = _load(uow, alliance, number).repo.deliveries(loaded.row.id)[-1]
        return _delivery_view(stored, principal.member, _sees_all(principal, loaded.row.organiser))


def close_short(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock,
                reason: str) -> CampaignView:
    """End an ordered campaign with what was delivered: the rest is cancelled, deposits returned."""
    return _end(store, alliance_code, principal, number, clock, reason, CampaignState.CLOSED_SHORT)


def cancel(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock,
           reason: str) -> CampaignView:
    """Cancel a campaign that is open, succeeded or ordered, before any delivery; deposits returned."""
    return _end(store, alliance_code, principal, number, clock, reason, CampaignState.CANCELLED)


# -- the checks ----------------------------------------------------------------------------------------

def check_draft(draft: CampaignDraft, members: set[str], clock: Clock) -> list[Problem]:
    """Every problem of a campaign's terms (the quotes are checked by `tiers.check_quotes`)."""
    where = Message("campaign")
    problems: list[Problem] = []

    def text(name: str, value: str, limit: int, required: bool = True) -> None:
        if not isinstance(value, str) or (required and not value.strip()) or len(value.strip()) > limit:
            problems.append(Problem(where, name, Message("1 to {limit} characters", limit=limit) if required
                                    else Message("at most {limit} characters", limit=limit)))

    text("title", draft.title, TITLE_LIMIT)
    text("item", draft.item, TEXT_LIMIT)
    text("spec", draft.spec, TEXT_LIMIT, required=False)
    text("unit", draft.unit, UNIT_LIMIT)
    if draft.organiser not in members:
        problems.append(Problem(where, "organiser", Message("{member!r} is not a member of the alliance",
                                                            member=draft.organiser)))
    if not isinstance(draft.deadline, datetime) or draft.deadline.tzinfo is None:
        problems.append(Problem(where, "deadline", Message("a date and time with its time zone")))
    elif draft.deadline <= clock.now():
        problems.append(Problem(where, "deadline", Message("must be in the future")))
    if type(draft.minimum) is not int or not 1 <= draft.minimum <= MAX_QUANTITY:
        problems.append(Problem(where, "minimum", Message("a whole number from 1 to {limit}", limit=MAX_QUANTITY)))
    try:
        SplitRule(draft.split_rule)
    except ValueError:
        problems.append(Problem(where, "split_rule", Message("one of {rules}", rules=", ".join(SplitRule))))
    if not _decimal_in(draft.fee_rate, Decimal(0), Decimal(1), upper_open=True, places=6):
        problems.append(Problem(where, "fee_rate", Message("a share of the savings from 0 up to (not including) 1, "
                                                           "at most 6 decimals")))
    if type(draft.deposit_per_unit) is not int or not 0 <= draft.deposit_per_unit <= 10**12:
        problems.append(Problem(where, "deposit_per_unit", Message("a whole number of minor units, 0 or more")))
    if draft.purchasing_share is not None and not _decimal_in(draft.purchasing_share, Decimal(0), Decimal(100),
                                                              places=4):
        problems.append(Problem(where, "purchasing_share", Message("a percentage from 0 to 100")))
    if not _decimal_in(draft.threshold, Decimal(0), Decimal(100), places=4):
        problems.append(Problem(where, "threshold", Message("a percentage from 0 to 100")))
    return problems


def _decimal_in(value: object, low: Decimal, high: Decimal, *, upper_open: bool = False, places: int) -> bool:
    if not isinstance(value, Decimal) or not value.is_finite():
        return False
    if not (low <= value < high if upper_open else low <= value <= high):
        return False  # first: quantizing 1E+999999999 raises InvalidOperation (a 500 once)
    return value == value.quantize(Decimal(1).scaleb(-places), rounding="ROUND_DOWN")


def _flagged(share: Decimal | None, threshold: Decimal) -> bool:
    return share is not None and Decimal(share) > Decimal(threshold)


def _with_account(quote: Quote) -> Quote:
    """The quote with its outside account: as given, else made from the supplier's name."""
    if quote.account.strip():
        return quote
    return replace(quote, account=supplier_account(quote.supplier))


def supplier_account(name: str) -> str:
    """`ext:` and a safe slug of the supplier's name (the charges' outside account)."""
    return outside_account(name)


def _renumbered(where: str, number: int) -> str | None:
    """A problem of a single quote checked alone names "quote 1": name its place in the campaign."""
    template = getattr(where, "template", None)
    params = dict(getattr(where, "params", {}) or {})
    if template == "quote {number}":
        return Message("quote {number}", number=number)
    if template == "{where} row {row}":
        return Message("{where} row {row}", where=Message("quote {number}", number=number), row=params.get("row"))
    return None


def _note(text: str, *, required: bool) -> str:
    text = (text or "").strip()
    if (required and not text) or len(text) > NOTE_LIMIT:
        raise CampaignInvalid(Message("the reason is not valid"), [Problem(Message("campaign"), "reason", Message(
            "1 to {limit} characters", limit=NOTE_LIMIT) if required else Message(
            "at most {limit} characters", limit=NOTE_LIMIT))])
    return text


def _delivered_now(open_: Mapping[str, int], total: int | None, per_member: Mapping[str, int] | None) -> dict[str, int]:
    where = Message("delivery")
    if (total is None) == (per_member is None):
        raise CampaignInvalid(Message("give a delivered total or quantities per member, not both"),
                              [Problem(where, "total", Message("give a total or per-member quantities"))])
    remaining = sum(open_.values())
    if total is not None:
        if type(total) is not int or not 1 <= total <= remaining:
            raise CampaignInvalid(Message("the delivery is not valid; nothing was stored"), [Problem(
                where, "total", Message("a whole number from 1 to {open} (what is still to deliver)", open=remaining))])
        return spread(total, open_)
    assert per_member is not None
    problems = []
    for member, quantity in per_member.items():
        if member not in open_:
            problems.append(Problem(where, member, Message("not a member with a commitment in this campaign")))
        elif type(quantity) is not int or not 0 <= quantity <= open_[member]:
            problems.append(Problem(where, member, Message("a whole number from 0 to {open} (what is still to "
                                                           "deliver to it)", open=open_[member])))
    if not problems and sum(per_member.values()) == 0:
        problems.append(Problem(where, "total", Message("nothing delivered")))
    if problems:
        raise CampaignInvalid(Message("the delivery has {count} problem(s); nothing was stored", count=len(problems)),
                              problems)
    return {m: int(per_member.get(m, 0)) for m in open_}


# -- inside a unit of work -------------------------------------------------------------------------------

@dataclass
class _Loaded:
    repo: PurchasingRepository
    row: Any
    quotes: list[Quote]
    commitments: dict[str, Any]


def _load(uow: UnitOfWork, alliance: Alliance, number: int, *, lock: bool = False) -> _Loaded:
    """The campaign with its quotes and commitments; writers pass `lock` (the row FOR UPDATE) before reading
    the state they book from."""
    repo = PurchasingRepository(uow.connection)
    row = repo.campaign(alliance.id, number, lock=lock)
    if row is None:
        raise CampaignNotFound(number)
    return _Loaded(repo, row, repo.quotes(row.id), repo.commitments(row.id))


def _writable(uow: UnitOfWork, alliance_code: str, write: Write) -> Alliance:
    alliance = uow.alliances.require(alliance_code)
    check_writable(alliance.code, alliance.status, write)
    return alliance


def _require_state(row: Any, allowed: set[CampaignState]) -> None:
    state = CampaignState(row.state)
    if state not in allowed:
        raise CampaignStateConflict(Message("campaign {number} is {state}: this needs it {allowed}", number=row.number,
                                            state=STATE_NAMES[state],
                                            allowed=joined([STATE_NAMES[s] for s in CampaignState if s in allowed])))


def _commits_for(uow: UnitOfWork, alliance: Alliance, principal: Principal, member: str, clock: Clock) -> bool:
    try:
        # a read (which members the form offers): no lock on the powers
        attorneys.authorize_operating(uow, alliance, principal, Action.COMMIT_PURCHASE, member, clock, lock=False)
    except AllianceError:
        return False
    return True


def _holds(principal: Principal, action: Action, alliance_code: str) -> bool:
    try:
        authorize(principal, action, alliance_code)
    except AllianceError:
        return False
    return True


def _sees_all(principal: Principal, organiser: str) -> bool:
    """The coordinator, the platform, the auditor (who checks the books) and the organiser's accounts see every
    member's position; a member's accounts their own only."""
    if principal.member is None:
        return principal.role in (Role.COORDINATOR, Role.PLATFORM_ADMIN, Role.AUDITOR)
    return principal.member == organiser


def _may_manage(principal: Principal, row: Any) -> None:
    if principal.member is not None and principal.member != row.organiser:
        raise Forbidden(Message("only the coordinator or the organiser ({organiser}) manages campaign {number}",
                                organiser=row.organiser, number=row.number))
    if principal.member is None and principal.role not in (Role.COORDINATOR, Role.PLATFORM_ADMIN):
        raise Forbidden(Message("only the coordinator or the organiser ({organiser}) manages campaign {number}",
                                organiser=row.organiser, number=row.number))


def _quantities(loaded: _Loaded) -> dict[str, int]:
    return {m: int(c.quantity) for m, c in loaded.commitments.items() if c.quantity > 0}


def _resolution(loaded: _Loaded) -> Resolution:
    return resolve(_quantities(loaded), PriceTable(loaded.quotes), currency=loaded.row.currency,
                   rule=SplitRule(loaded.row.split_rule), fee_rate=Decimal(loaded.row.fee_rate))


def _close(uow: UnitOfWork, alliance: Alliance, loaded: _Loaded, actor: str, clock: Clock) -> CampaignState:
    row, now = loaded.row, clock.now()
    quantities = _quantities(loaded)
    Q = sum(quantities.values())
    payload: dict[str, Any] = {"campaign": row.number, "quantity": Q}
    if Q > 0 and Q >= row.minimum:
        res = _resolution(loaded)
        state = CampaignState.SUCCEEDED
        values = {"quantity": Q, "unit_price": res.price.unit_price, "quote_number": res.price.quote + 1,
                  "invoice_minor": res.invoice, "savings_minor": res.savings_minor, "fee_minor": res.fee}
        payload.update({"unit_price": decimal_text(res.price.unit_price), "invoice_minor": res.invoice,
                        "savings": str(res.savings), "fee_minor": res.fee, "members": len(res.shares),
                        "supplier": loaded.quotes[res.price.quote].supplier,
                        "split_sha256": value_digest(res.digest_items())})
    else:
        state = CampaignState.EXPIRED
        values = {"quantity": Q}
        payload.update({"unit_price": None, "invoice_minor": None, "fee_minor": None})
        _return_deposits(uow, alliance, loaded, actor, clock)
    payload["state"] = state.value
    loaded.repo.update_campaign(row.id, {**values, "state": state.value, "closed_at": now, "updated_at": now,
                                         "updated_by": actor})
    ledger.record(uow, alliance.id, alliance.code, events.PURCHASE_CAMPAIGN_CLOSED, actor, now, payload)
    return state


def _end(store: Store, alliance_code: str, principal: Principal, number: int, clock: Clock, reason: str,
         state: CampaignState) -> CampaignView:
    authorize(principal, Action.COMMIT_PURCHASE, alliance_code)
    with store.unit_of_work() as uow:
        alliance = _writable(uow, alliance_code, Write.SETTLEMENT)
        loaded = _load(uow, alliance, number, lock=True)
        _may_manage(principal, loaded.row)
        delivered = any(c.delivered for c in loaded.commitments.values())
        if state is CampaignState.CANCELLED:
            _require_state(loaded.row, set(CANCELLABLE))
            if delivered:
                raise CampaignStateConflict(Message(
                    "campaign {number} has deliveries: close it short instead of cancelling it", number=number))
            event = events.PURCHASE_CAMPAIGN_CANCELLED
        else:
            _require_state(loaded.row, {CampaignState.ORDERED})
            event = events.PURCHASE_CAMPAIGN_CLOSED_SHORT
        reason = _note(reason, required=True)
        now = clock.now()
        _return_deposits(uow, alliance, loaded, principal.actor, clock)
        loaded.repo.update_campaign(loaded.row.id, {"state": state.value, "state_note": reason,
                                                    "closed_at": loaded.row.closed_at or now,
                                                    "updated_at": now, "updated_by": principal.actor})
        ledger.record(uow, alliance.id, alliance.code, event, principal.actor, now, {
            "campaign": number, "state": state.value, "reason": reason,
            "delivered": sum(int(c.delivered) for c in loaded.commitments.values())})
        uow.commit()
        return _view(_load(uow, alliance, number).row, loaded.quotes, loaded.commitments, now)


def _return_deposits(uow: UnitOfWork, alliance: Alliance, loaded: _Loaded, actor: str, clock: Clock) -> None:
    """One charge giving every deposit held back (organiser → members), and the deposits set to 0."""
    lines: list[Line] = []
    for member, c in loaded.commitments.items():
        if c.deposit_minor:
            lines += deposit_change(member, loaded.row.organiser, int(c.deposit_minor), 0, alliance.currency)
            loaded.repo.set_deposit(loaded.row.id, member, 0)
    if lines:
        _schedule(uow, alliance, loaded.row, DEPOSIT_RETURN, _net(lines, alliance.currency), actor, clock)


def _net(lines: list[Line], currency: str) -> list[Line]:
    """One line per account: the organiser's returns summed ("159.00 → 0.00": what it held, given back)."""
    by: dict[str, Line] = {}
    for line in lines:
        was = by.get(line.account)
        if was is not None:
            amount = was.amount_minor + line.amount_minor
            by[line.account] = Line(line.account, amount, was.base_minor + line.base_minor,
                                    f"{money_text(-amount, currency)} → {money_text(0, currency)}")
        else:
            by[line.account] = line
    return [line for line in by.values() if line.amount_minor]


def reference(number: int, kind: str = "") -> str:
    """A charge's reference: "campaign-12/deposit", "campaign-12/delivery-2", "campaign-12/deposit-return"
    (the statement line's rule; `charges_of(reference_prefix="campaign-12/")` finds them all)."""
    return f"campaign-{number}/{kind}" if kind else f"campaign-{number}/"


def charge_title(row: Any) -> str:
    """"#12 A4纸 70g": the number and the title as typed (no English words: statements show it in either
    language, their kind column says 集采)."""
    return f"#{row.number} {row.title}"[:200]


def _schedule(uow: UnitOfWork, alliance: Alliance, row: Any, kind: str, lines: list[Line], actor: str,
              clock: Clock) -> int:
    """Schedule one charge of the campaign (booked by the next settlement run that closes a day)."""
    return charge_service.schedule_charge(
        uow, alliance, source=SOURCE, reference=reference(row.number, kind), title=charge_title(row),
        lines=[ChargeLine(x.account, x.amount_minor, x.base_minor, x.rate) for x in lines], actor=actor, clock=clock)


def _charges(uow: UnitOfWork, alliance: Alliance, row: Any, visible: set[str] | None) -> tuple[ChargeRef, ...]:
    found = []
    prefix = reference(row.number)
    for charge in charge_service.charges_of(uow, alliance.id, source=SOURCE, reference_prefix=prefix):
        lines = tuple(Line(x.account, x.amount_minor, x.base_minor, x.rate) for x in charge.lines
                      if visible is None or x.account in visible)
        if visible is not None and not lines:
            continue
        kind = charge.reference[len(prefix):]
        delivery = int(kind.rpartition("-")[2]) if kind.startswith(DELIVERY + "-") else None
        found.append(ChargeRef(charge.id, charge.title, charge.created_at, charge.booked_on, lines,
                               DELIVERY if delivery is not None else kind, delivery, charge.reference))
    return tuple(found)


# -- views -----------------------------------------------------------------------------------------------

def _view(row: Any, quotes: list[Quote], commitments: Mapping[str, Any], now: datetime | None) -> CampaignView:
    table = PriceTable(quotes)
    state = CampaignState(row.state)
    live = sum(int(c.quantity) for c in commitments.values())
    Q = int(row.quantity) if row.quantity is not None else live
    members = sum(1 for c in commitments.values() if c.quantity > 0)
    price = table.price(Q)
    chosen = int(row.quote_number) - 1 if row.quote_number is not None else price.quote
    quote_views = tuple(QuoteView(i + 1, q.supplier, q.account,
                                  tuple(q.tiers), i == chosen) for i, q in enumerate(quotes))
    outcome = None
    if row.invoice_minor is not None:
        outcome = Outcome(Q, Decimal(row.unit_price), quotes[chosen].price_at(Q).min_quantity, quotes[chosen].supplier,
                          int(row.invoice_minor), int(row.savings_minor), int(row.fee_minor), members)
    flagged = _flagged(row.purchasing_share, row.threshold)
    reason = Message(
        "the members' combined purchasing share entered ({share}%) is above the {threshold}% threshold (the EU safe "
        "harbour for joint purchasing): have the campaign reviewed under competition law; members never see one "
        "another's commitments or selling prices through it",
        share=decimal_text(row.purchasing_share), threshold=decimal_text(row.threshold)) if flagged else None
    next_tier = table.next_tier(Q) if state is CampaignState.OPEN else None
    return CampaignView(
        number=row.number, title=row.title, item=row.item, spec=row.spec, unit=row.unit, organiser=row.organiser,
        deadline=row.deadline, minimum=int(row.minimum), split_rule=SplitRule(row.split_rule),
        fee_rate=Decimal(row.fee_rate), deposit_per_unit=int(row.deposit_per_unit), currency=row.currency,
        state=state, quotes=quote_views, quantity=Q, members=members, unit_price=price.unit_price,
        next_tier=None if next_tier is None else (next_tier[0], next_tier[1].unit_price),
        purchasing_share=None if row.purchasing_share is None else Decimal(row.purchasing_share),
        threshold=Decimal(row.threshold), flagged=flagged, flag_reason=reason,
        delivered=sum(int(c.delivered) for c in commitments.values()), outcome=outcome, created_at=row.created_at,
        created_by=row.created_by, closed_at=row.closed_at, state_note=row.state_note,
        due=state is CampaignState.OPEN and now is not None and now >= row.deadline)


def _positions(loaded: _Loaded) -> list[Position]:
    row = loaded.row
    table = PriceTable(loaded.quotes)
    factor = minor_factor(row.currency)
    resolution = _resolution(loaded) if row.invoice_minor is not None and _quantities(loaded) else None
    delivered = {m: int(c.delivered) for m, c in loaded.commitments.items()}
    booked = allocation(resolution, delivered) if resolution is not None else {}
    found = []
    for member, c in loaded.commitments.items():
        q = int(c.quantity)
        alone_price = table.price(q)
        alone = half_even(cost_minor(q, alone_price.unit_price, factor))
        share = resolution.share_of(member) if resolution is not None else None
        savings = half_even(share.savings) if share is not None else None
        pays = share.pays if share is not None else None
        found.append(Position(
            member=member, quantity=q, deposit_minor=int(c.deposit_minor), delivered=int(c.delivered),
            alone_unit_price=alone_price.unit_price, alone_minor=alone, pays_minor=pays,
            saved_minor=None if pays is None else alone - pays, savings_minor=savings,
            fee_minor=None if pays is None or savings is None else pays - alone + savings,
            booked_minor=-booked.get(member, 0)))
    return found


def _delivery_view(row: Any, member: str | None, sees_all: bool) -> DeliveryView:
    per_member = {str(m): int(q) for m, q in (row.per_member or {}).items()}
    return DeliveryView(int(row.number), row.at, row.by, int(row.total), row.note,
                        per_member if sees_all else None, per_member.get(member, 0) if member is not None else None)


def _local(moment: datetime, alliance: Alliance) -> str:
    return moment.astimezone(ZoneInfo(alliance.timezone)).strftime("%Y-%m-%d %H:%M %Z")


def _quotes_sha256(quotes: list[Quote] | tuple[Quote, ...]) -> str:
    return purchase_quotes_sha256([{"supplier": q.supplier, "account": q.account, "tiers": tiers_json(q)}
                                   for q in quotes])
