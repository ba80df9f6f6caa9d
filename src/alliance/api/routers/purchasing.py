"""Joint purchasing over HTTP (operations.purchasing.service): campaigns with their supplier quotes,
members' commitments, closing, the order, deliveries, closing short and cancelling. The answers are the
records the CLI's `--format json` prints (operations.purchasing.records). A member's key sees only its
own member's commitment, payment and savings; the coordinator's and the organiser's see every member's
(the service decides). Money is text in the alliance's currency ("0.50"), prices and rates decimal text.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from alliance.api.schemas import Body
from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.core.money import Money
from alliance.edge.deps import ClockDep, Code, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.operations.purchasing import parsing, records, service
from alliance.operations.purchasing.model import CampaignDraft, CampaignInvalid, CampaignState
from alliance.operations.purchasing.split import SplitRule
from alliance.operations.purchasing.tiers import MAX_QUOTES, MAX_TIERS, Quote, Tier, tier_problems

router = APIRouter(tags=["purchasing"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "forbidden"), (404, "not found"), (409, "conflict"), (422, "invalid input"))
}
Number = Annotated[int, Path(ge=1, le=10**9)]
MemberCode = Annotated[str, Path(min_length=1, max_length=32)]
Short = Annotated[str, Field(max_length=500)]
BASE = "/alliances/{code}/purchasing/campaigns"


class TierIn(Body):
    min_quantity: Annotated[int, Field(ge=1, le=10**9)]
    unit_price: Annotated[str, Field(min_length=1, max_length=24)]  # decimal text, at most 4 places


class QuoteIn(Body):
    supplier: Annotated[str, Field(min_length=1, max_length=120)]
    account: Annotated[str, Field(max_length=32)] = ""  # ext:<slug>; made from the supplier's name if empty
    tiers: Annotated[list[TierIn], Field(min_length=1, max_length=MAX_TIERS)]


class CampaignIn(Body):
    title: Annotated[str, Field(max_length=200)]
    item: Annotated[str, Field(max_length=200)]
    spec: Annotated[str, Field(max_length=200)] = ""
    unit: Annotated[str, Field(max_length=16)] = "件"
    organiser: Annotated[str, Field(max_length=32)]
    deadline: Annotated[str, Field(max_length=40)]  # ISO 8601; without an offset, the alliance's local time
    minimum: Annotated[int, Field(ge=0, le=10**12)]
    quotes: Annotated[list[QuoteIn], Field(min_length=1, max_length=MAX_QUOTES)]
    split_rule: SplitRule = SplitRule.PRO_RATA
    fee_rate: Annotated[str, Field(max_length=24)] = "0"
    deposit_per_unit: Annotated[str, Field(max_length=24)] = "0"   # in the alliance's currency
    purchasing_share: Annotated[str | None, Field(max_length=24)] = None  # %
    threshold: Annotated[str, Field(max_length=24)] = "15"  # %


class CommitmentIn(Body):
    quantity: Annotated[int, Field(ge=0, le=10**12)]


class NoteIn(Body):
    note: Short = ""


class ReasonIn(Body):
    reason: Short


class DeliveryIn(Body):
    total: Annotated[int | None, Field(ge=0, le=10**12)] = None
    per_member: dict[Annotated[str, Field(max_length=32)], Annotated[int, Field(ge=0, le=10**12)]] | None = None
    note: Short = ""


def _quote(body: QuoteIn, number: int, problems: list[Problem], failed: set[int] | None = None) -> Quote:
    """The quote, or (a price that is not a number: its problem added) a placeholder whose own checks the
    caller leaves out, so that every row keeps its number in what is said."""
    tiers, rows = [], []
    before = len(problems)
    for row, tier in enumerate(body.tiers, start=1):
        price = parsing.parse_price_or_none(tier.unit_price)
        if price is None:
            problems.append(Problem(Message("{where} row {row}", where=Message("quote {number}", number=number),
                                            row=row), "unit_price", Message("{text!r} is not a number",
                                                                            text=tier.unit_price)))
            continue
        tiers.append(Tier(tier.min_quantity, price))
        rows.append(row)
    if len(problems) > before:
        # the rows that are numbers are still checked, named by their place in the table as entered
        where = Message("quote {number}", number=number)
        problems += [p for p in tier_problems(tiers, where, rows) if p.field != "tiers"] if tiers else []
        if failed is not None:
            failed.add(number)
        return Quote(body.supplier, body.account, parsing.PLACEHOLDER_TIERS)
    return Quote(body.supplier, body.account, tuple(tiers))


def _draft(body: CampaignIn, currency: str, timezone: str) -> tuple[CampaignDraft, list[Problem], set[int]]:
    problems: list[Problem] = []
    failed: set[int] = set()
    quotes = tuple(_quote(q, n, problems, failed) for n, q in enumerate(body.quotes, start=1))
    values: dict[str, Any] = {}
    for field, parse, fallback in (
            ("deadline", lambda t: parsing.parse_deadline(t, timezone), None),
            ("fee_rate", lambda t: parsing.parse_decimal(t, "fee_rate"), None),
            ("deposit_per_unit", lambda t: Money.parse(t, currency).minor, 0),
            ("threshold", lambda t: parsing.parse_decimal(t, "threshold"), None),
            ("purchasing_share", lambda t: None if t is None else parsing.parse_decimal(t, "purchasing_share"), None)):
        try:
            values[field] = parse(getattr(body, field))
        except InvalidInput as exc:
            problems += exc.problems or [Problem(Message("campaign"), field, exc.message)]
            values[field] = fallback
    from datetime import UTC, datetime
    from decimal import Decimal

    placeholders = {"deadline": datetime.max.replace(tzinfo=UTC), "fee_rate": Decimal(0), "threshold": Decimal(15)}
    for name, value in placeholders.items():
        if values[name] is None:
            values[name] = value
    draft = CampaignDraft(title=body.title, item=body.item, spec=body.spec, unit=body.unit, organiser=body.organiser,
                          minimum=body.minimum, quotes=quotes, split_rule=body.split_rule, **values)
    return draft, problems, failed


@router.get(BASE, responses=ERRORS)
async def list_campaigns(code: Code, store: StoreDep, principal: PrincipalDep, clock: ClockDep,
                         state: Annotated[CampaignState | None, Query()] = None) -> list[dict[str, Any]]:
    """The alliance's campaigns, newest first: terms, quotes, the aggregate quantity and the price it
    reaches now; never a member's commitment."""
    found = await run_in_threadpool(lambda: service.campaigns(store, code, principal, state=state, clock=clock))
    return [records.campaign_json(v) for v in found]


@router.post(BASE, status_code=201, responses=ERRORS)
async def open_campaign(code: Code, body: CampaignIn, store: StoreDep, principal: PrincipalDep,
                        clock: ClockDep) -> dict[str, Any]:
    """Open a campaign (the coordinator). Every problem is named at once (a tier table out of order names
    its row) and nothing is stored then."""
    def run() -> dict[str, Any]:
        currency, timezone = service.alliance_terms(store, code, principal)
        draft, problems, failed = _draft(body, currency, timezone)
        if problems:
            problems = parsing.merged_problems(problems, service.draft_problems(store, code, principal, draft, clock),
                                               failed)
            raise CampaignInvalid(Message("the campaign has {count} problem(s); nothing was stored",
                                          count=len(problems)), problems)
        return records.campaign_json(service.open_campaign(store, code, principal, draft, clock))

    return await run_in_threadpool(run)


@router.get(BASE + "/{number}", responses=ERRORS)
async def get_campaign(code: Code, number: Number, store: StoreDep, principal: PrincipalDep,
                       clock: ClockDep) -> dict[str, Any]:
    """One campaign with what the key may see: its own member's commitment, history, deliveries and
    charge lines (the coordinator and the organiser: every member's)."""
    return records.detail_json(await run_in_threadpool(service.campaign, store, code, principal, number, clock))


@router.post(BASE + "/{number}/quotes", status_code=201, responses=ERRORS)
async def add_quote(code: Code, number: Number, body: QuoteIn, store: StoreDep, principal: PrincipalDep,
                    clock: ClockDep) -> dict[str, Any]:
    """Add a supplier quote to an open campaign (before its deadline)."""
    problems: list[Problem] = []
    quote = _quote(body, 1, problems)
    if problems:
        raise CampaignInvalid(Message("the quote is not valid; nothing was stored"), problems)
    return records.campaign_json(await run_in_threadpool(service.add_quote, store, code, principal, number, quote,
                                                         clock))


@router.put(BASE + "/{number}/commitments/{member}", responses=ERRORS)
async def commit(code: Code, number: Number, member: MemberCode, body: CommitmentIn, store: StoreDep,
                 principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    """Set the member's committed quantity (0 withdraws), strictly before the deadline; a member's key
    for its own member only."""
    def run() -> dict[str, Any]:
        position = service.commit(store, code, principal, number, member, body.quantity, clock)
        currency, _ = service.alliance_terms(store, code, principal)
        return records.position_json(position, currency)

    return await run_in_threadpool(run)


@router.get(BASE + "/{number}/commitments/{member}", responses=ERRORS)
async def position(code: Code, number: Number, member: MemberCode, store: StoreDep,
                   principal: PrincipalDep) -> dict[str, Any]:
    """One member's commitment, deposit, payment and savings (its own keys, the coordinator, the organiser)."""
    def run() -> dict[str, Any]:
        found = service.position(store, code, principal, number, member)
        currency, _ = service.alliance_terms(store, code, principal)
        return records.position_json(found, currency)

    return await run_in_threadpool(run)


@router.post(BASE + "/{number}/close", responses=ERRORS)
async def close(code: Code, number: Number, store: StoreDep, principal: PrincipalDep,
                clock: ClockDep) -> dict[str, Any]:
    """Close the campaign after its deadline: succeeded, or expired (deposits returned)."""
    return records.campaign_json(await run_in_threadpool(service.close_campaign, store, code, principal, number,
                                                         clock))


@router.post(BASE + "/{number}/order", responses=ERRORS)
async def order(code: Code, number: Number, body: NoteIn, store: StoreDep, principal: PrincipalDep,
                clock: ClockDep) -> dict[str, Any]:
    """Confirm the order was placed with the chosen supplier (the coordinator or the organiser)."""
    return records.campaign_json(await run_in_threadpool(service.mark_ordered, store, code, principal, number, clock,
                                                         body.note))


@router.post(BASE + "/{number}/deliveries", status_code=201, responses=ERRORS)
async def deliver(code: Code, number: Number, body: DeliveryIn, store: StoreDep, principal: PrincipalDep,
                  clock: ClockDep) -> dict[str, Any]:
    """Record a delivery: a `total` spread over members by their open quantity, or `per_member`."""
    found = await run_in_threadpool(lambda: service.record_delivery(store, code, principal, number, clock,
                                                                    total=body.total, per_member=body.per_member,
                                                                    note=body.note))
    return records.delivery_json(found)


@router.post(BASE + "/{number}/close-short", responses=ERRORS)
async def close_short(code: Code, number: Number, body: ReasonIn, store: StoreDep, principal: PrincipalDep,
                      clock: ClockDep) -> dict[str, Any]:
    """End an ordered campaign with what was delivered; deposits returned."""
    return records.campaign_json(await run_in_threadpool(service.close_short, store, code, principal, number, clock,
                                                         body.reason))


@router.post(BASE + "/{number}/cancel", responses=ERRORS)
async def cancel(code: Code, number: Number, body: ReasonIn, store: StoreDep, principal: PrincipalDep,
                 clock: ClockDep) -> dict[str, Any]:
    """Cancel a campaign before any delivery; deposits returned."""
    return records.campaign_json(await run_in_threadpool(service.cancel, store, code, principal, number, clock,
                                                         body.reason))
