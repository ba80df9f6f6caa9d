"""Joint marketing campaigns over HTTP (operations.marketing): the campaigns a key may see (a member's:
those it takes part in), proposing one, a participant's consent, recording a cost (shared as a charge
settlement books), and the attributed revenue and ROI per member. Routes are authorised by edge.routes
and again by the service."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from alliance.api.schemas import Body, Day
from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, PrincipalDep, StoreDep, StoresDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.operations.marketing import records, service
from alliance.operations.marketing.model import Attribution, CampaignInvalid, Draft, Kind

router = APIRouter(tags=["marketing"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "forbidden"), (404, "not found"), (409, "conflict"), (422, "invalid input"))
}
Number = Annotated[int, Path(ge=1, le=2_147_483_647)]
Amount = Annotated[str, Field(min_length=1, max_length=32, description="An amount such as \"12000.00\".")]
MemberCode = Annotated[str, Field(min_length=1, max_length=32)]


class CampaignIn(Body):
    title: Annotated[str, Field(max_length=2000)]
    kind: Literal["event", "white_paper", "co_branding", "promotion", "other"] = "event"
    lead: MemberCode
    first_day: Day
    last_day: Day
    budget: Amount
    # member -> cost-share ratio as a decimal string ("0.4"); they sum to exactly 1
    ratios: Annotated[dict[MemberCode, Annotated[str, Field(max_length=32)]], Field(min_length=1, max_length=50)]
    attribution: Literal["channel", "sku", "attributed"] = "channel"
    values: Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=200)] = []
    baseline: bool = False


class CostIn(Body):
    payer: Annotated[str, Field(min_length=1, max_length=32, description="A participant, or ext:<supplier>.")]
    amount: Amount
    description: Annotated[str, Field(max_length=2000)]
    day: Day
    corrects: Annotated[int, Field(ge=1, le=2_147_483_647)] | None = None


def ratios_of(given: dict[str, str]) -> dict[str, Decimal]:
    """The ratios as exact decimals, or CampaignInvalid naming every one that is not a number."""
    found: dict[str, Decimal] = {}
    problems = []
    for member, text in given.items():
        try:
            found[member] = Decimal(text.strip())
        except InvalidOperation:
            problems.append(Problem("campaign", f"ratio {member}", Message("{text!r} is not a decimal such as 0.4",
                                                                           text=text)))
    if problems:
        raise CampaignInvalid(Message("the campaign has {count} problem(s); nothing was saved", count=len(problems)),
                              problems)
    return found


def _seen_json(seen: service.Seen) -> dict[str, Any]:
    return {**records.campaign_json(seen.campaign), "may_consent": seen.may_consent,
            "may_add_cost": seen.may_add_cost}


@router.get("/alliances/{code}/marketing/campaigns", responses=ERRORS)
async def list_campaigns(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """The joint marketing campaigns the key may see, by number (a member's: those it takes part in)."""
    found = await run_in_threadpool(service.campaigns, store, code, principal)
    return {"campaigns": [_seen_json(s) for s in found]}


@router.post("/alliances/{code}/marketing/campaigns", status_code=201, responses=ERRORS)
async def create(code: Code, body: CampaignIn, store: StoreDep, clock: ClockDep,
                 principal: PrincipalDep) -> dict[str, Any]:
    """Propose a campaign: the coordinator, or the lead member's admin (whose consent comes with it)."""
    draft = Draft(body.title, Kind(body.kind), body.lead, body.first_day, body.last_day, body.budget,
                  ratios_of(body.ratios), Attribution(body.attribution), tuple(body.values), body.baseline)
    made = await run_in_threadpool(service.create, store, code, principal, draft, clock)
    return records.campaign_json(made)


@router.get("/alliances/{code}/marketing/campaigns/{number}", responses=ERRORS)
async def get_campaign(code: Code, number: Number, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    return _seen_json(await run_in_threadpool(service.campaign, store, code, principal, number))


@router.post("/alliances/{code}/marketing/campaigns/{number}/members/{member}/consent", responses=ERRORS)
async def consent(code: Code, number: Number, member: Annotated[str, Path(min_length=1, max_length=32)],
                  store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """`member` consents to take part and share the costs by its ratio: its own admin only."""
    made = await run_in_threadpool(service.consent, store, code, principal, number, clock, member=member)
    return records.campaign_json(made)


@router.post("/alliances/{code}/marketing/campaigns/{number}/costs", status_code=201, responses=ERRORS)
async def add_cost(code: Code, number: Number, body: CostIn, store: StoreDep, clock: ClockDep,
                   principal: PrincipalDep) -> dict[str, Any]:
    """Record an actual cost; it is split by the ratios to the cent and scheduled as a charge."""
    made = await run_in_threadpool(lambda: service.add_cost(
        store, code, principal, number, payer=body.payer, amount_minor=body.amount, description=body.description,
        day=body.day, clock=clock, corrects=body.corrects))
    return records.campaign_json(made)


@router.get("/alliances/{code}/marketing/campaigns/{number}/roi", responses=ERRORS)
def campaign_roi(code: Code, number: Number, stores: StoresDep, principal: PrincipalDep) -> dict[str, Any]:
    """Attributed revenue, cost share and ROI per participant and for the alliance."""
    found = service.returns_of(stores, code, principal, number)
    document = records.returns_json(found.campaign, found.rows)
    document["baseline_period"] = None if found.baseline_first is None else {
        "first_day": found.baseline_first.isoformat(), "last_day": str(found.baseline_last)}
    return document
