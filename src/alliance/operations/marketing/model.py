"""A joint marketing campaign and its costs: kinds, attribution rules, the draft checked all at once
(cost-share ratios are exact decimals that sum to exactly 1), the errors. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from alliance.core.errors import Conflict, InvalidInput, NotFound, Problem
from alliance.core.messages import Message
from alliance.core.money import Money
from alliance.core.text import check_text

TITLE_LIMIT = 120
DESCRIPTION_LIMIT = 200
VALUE_LIMIT = 64       # one channel or SKU
VALUES_LIMIT = 200     # channels or SKUs of one campaign
PARTICIPANTS_LIMIT = 50
RATIO_PLACES = 6       # a ratio has at most this many decimals
PERIOD_LIMIT_DAYS = 366
CODE_PREFIX = "mkt-"   # a campaign's code, "mkt-<number>": its charges' reference
_VALUE = re.compile(r"[^\x00-\x1f;]+")


class Kind(StrEnum):
    EVENT = "event"
    WHITE_PAPER = "white_paper"
    CO_BRANDING = "co_branding"
    PROMOTION = "promotion"
    OTHER = "other"


class Attribution(StrEnum):
    """How order lines are attributed to a campaign (docs/shared-operations.md, "Joint marketing
    campaigns"): always lines sold by a participant whose business day lies in the period, and
    CHANNEL: whose channel is one of the campaign's channels; SKU: whose SKU is one of its SKUs;
    ATTRIBUTED: whose `attributed_to` names one of the campaign's listed members (by default its lead:
    the sales a member's campaign work is credited with). `attributed_to` holds member codes only (the
    import refuses others, and contribution rules share a line among the codes it names), so a
    campaign's own code cannot be written there."""

    CHANNEL = "channel"
    SKU = "sku"
    ATTRIBUTED = "attributed"


class State(StrEnum):
    PROPOSED = "proposed"  # waiting for participants' consents; no cost is recorded
    ACTIVE = "active"      # every participant consented: costs are recorded and shared


class CampaignNotFound(NotFound):
    code = "marketing_campaign_not_found"
    title = Message("No such marketing campaign")

    def __init__(self, number: int) -> None:
        super().__init__(Message("no marketing campaign {number} in this alliance", number=number))


class CampaignInvalid(InvalidInput):
    code = "marketing_campaign_invalid"
    title = Message("Marketing campaign not valid")


class RatiosDoNotSumToOne(InvalidInput):
    code = "marketing_ratios_sum"
    title = Message("Cost-share ratios do not sum to 1")


class CostInvalid(InvalidInput):
    code = "marketing_cost_invalid"
    title = Message("Campaign cost not valid")


class OverBudget(Conflict):
    """A cost that would take the campaign's costs above its budget: refused (the budget is what every
    participant consented to; a larger one is a new campaign they consent to again)."""

    code = "marketing_over_budget"
    title = Message("Over the campaign's budget")


class CampaignStateConflict(Conflict):
    code = "marketing_campaign_state"
    title = Message("Not possible in this state")


@dataclass(frozen=True, slots=True)
class Participant:
    member: str
    ratio: Decimal              # its share of every cost, exact
    consented_at: datetime | None = None
    consented_by: str | None = None

    @property
    def consented(self) -> bool:
        return self.consented_at is not None


@dataclass(frozen=True, slots=True)
class Draft:
    """What the coordinator or the lead member's admin proposes."""

    title: str
    kind: Kind
    lead: str
    first_day: date
    last_day: date
    budget_minor: int | str     # minor units, or the amount as typed ("10,000.00"), read in the alliance's currency
    ratios: dict[str, Decimal]  # member -> ratio
    attribution: Attribution
    values: tuple[str, ...] = ()  # channels (CHANNEL), SKUs (SKU) or member codes (ATTRIBUTED; none: the lead)
    baseline: bool = False        # also compare with the same number of days just before


@dataclass(frozen=True, slots=True)
class Cost:
    number: int                   # 1, 2, ... within the campaign
    payer: str                    # a participant's code or an outside account (ext:<slug>)
    amount_minor: int             # > 0; a correction of an earlier cost is negative
    description: str
    day: date
    corrects: int | None          # the cost this one corrects
    charge_id: int | None         # the charge it scheduled (None: nothing moved, every share was the payer's)
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    number: int
    title: str
    kind: Kind
    lead: str
    first_day: date
    last_day: date
    currency: str
    budget_minor: int
    attribution: Attribution
    values: tuple[str, ...]
    baseline: bool
    participants: tuple[Participant, ...]
    costs: tuple[Cost, ...]
    created_at: datetime
    created_by: str

    @property
    def code(self) -> str:
        return f"{CODE_PREFIX}{self.number}"

    @property
    def state(self) -> State:
        return State.ACTIVE if all(p.consented for p in self.participants) else State.PROPOSED

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(p.member for p in self.participants)

    @property
    def ratios(self) -> dict[str, Decimal]:
        return {p.member: p.ratio for p in self.participants}

    @property
    def spent_minor(self) -> int:
        return sum(c.amount_minor for c in self.costs)

    def participant(self, member: str) -> Participant | None:
        return next((p for p in self.participants if p.member == member), None)


def parse_ratio(text: str) -> Decimal | None:
    """An exact ratio from text ("0.4", "1/3" is not one: ratios are decimals), or None."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None
    return value if value.is_finite() else None


def check_ratios(ratios: dict[str, Decimal]) -> list[Problem]:
    """Every problem of the cost-share ratios: each above 0 with at most 6 decimals, and all together
    exactly 1 (the message names the sum)."""
    problems: list[Problem] = []
    for member, ratio in ratios.items():
        exponent = ratio.as_tuple().exponent if ratio.is_finite() else None
        if not isinstance(exponent, int) or exponent < -RATIO_PLACES or not Decimal(0) < ratio <= Decimal(1):
            problems.append(Problem("campaign", f"ratio {member}", Message(
                "a ratio above 0 and at most 1 with at most {places} decimals (0.4 = 40%)", places=RATIO_PLACES)))
    if ratios and not problems:  # summed only once each is a plain decimal in (0, 1]: no signal can fire
        total = sum(ratios.values(), Decimal(0))
        if total != 1:
            problems.append(Problem("campaign", "ratios", Message(
                "the cost-share ratios sum to {total}, not 1", total=total.normalize())))
    return problems


def amount_of(value: int | str, currency: str, where: str, field: str, problems: list[Problem]) -> int:
    """Minor units of an amount given as minor units or typed text; a problem (and 0) if it is not one."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return Money.parse(str(value), currency).minor
    except InvalidInput as exc:
        problems.append(Problem(where, field, exc.message))
        return 0


def check_draft(draft: Draft, members: set[str], currency: str) -> Draft:
    """The draft cleaned, or RatiosDoNotSumToOne (when that is the only problem) or CampaignInvalid
    with every problem at once. `members`: the alliance's active members."""
    problems: list[Problem] = []
    budget = amount_of(draft.budget_minor, currency, "campaign", "budget", problems)
    budget_read = not problems
    title = draft.title
    try:
        title = check_text(draft.title, "title", TITLE_LIMIT)
    except InvalidInput as exc:
        problems.append(Problem("campaign", "title", exc.message))
    if draft.first_day > draft.last_day:
        problems.append(Problem("campaign", "last_day", Message("the last day {last} is before the first day {first}",
                                                                last=draft.last_day, first=draft.first_day)))
    elif (draft.last_day - draft.first_day).days + 1 > PERIOD_LIMIT_DAYS:
        problems.append(Problem("campaign", "last_day", Message("a campaign runs at most {days} days",
                                                                days=PERIOD_LIMIT_DAYS)))
    if budget_read and budget <= 0:
        problems.append(Problem("campaign", "budget", Message("the budget must be more than zero")))
    if len(draft.ratios) < 2:
        problems.append(Problem("campaign", "participants", Message("a joint campaign needs at least two members")))
    if len(draft.ratios) > PARTICIPANTS_LIMIT:
        problems.append(Problem("campaign", "participants", Message("at most {limit} members take part",
                                                                    limit=PARTICIPANTS_LIMIT)))
    for member in draft.ratios:
        if member not in members:
            problems.append(Problem("campaign", "participants", Message("no active member {member!r} in this alliance",
                                                                        member=member)))
    if draft.lead not in draft.ratios:
        problems.append(Problem("campaign", "lead", Message("the lead member {member!r} must take part",
                                                            member=draft.lead)))
    values = tuple(dict.fromkeys(v.strip() for v in draft.values if v.strip()))
    if draft.attribution is Attribution.ATTRIBUTED:
        values = values or (draft.lead,)
        for code in values:
            if code not in members:
                problems.append(Problem("campaign", "values", Message(
                    "no active member {member!r} in this alliance", member=code)))
    elif not values:
        problems.append(Problem("campaign", "values", Message(
            "name the {what} whose sales are attributed to the campaign",
            what=Message("channels") if draft.attribution is Attribution.CHANNEL else Message("SKUs"))))
    elif len(values) > VALUES_LIMIT or any(len(v) > VALUE_LIMIT or not _VALUE.fullmatch(v) for v in values):
        problems.append(Problem("campaign", "values", Message(
            "at most {count} values of at most {limit} characters each, without ';' or control characters",
            count=VALUES_LIMIT, limit=VALUE_LIMIT)))
    ratio_problems = check_ratios(draft.ratios)
    if ratio_problems and not problems and ratio_problems[-1].field == "ratios":
        raise RatiosDoNotSumToOne(Message("the campaign was not saved: {reason}", reason=ratio_problems[-1].reason),
                                  ratio_problems)
    problems += ratio_problems
    if problems:
        raise CampaignInvalid(Message("the campaign has {count} problem(s); nothing was saved", count=len(problems)),
                              problems)
    return Draft(title, draft.kind, draft.lead, draft.first_day, draft.last_day, budget,
                 dict(sorted(draft.ratios.items())), draft.attribution, values, draft.baseline)


def check_cost(campaign: Campaign, payer: str, amount_minor: int, description: str, day: date,
               corrects: int | None) -> str:
    """The description cleaned, if the cost may be recorded: the campaign is active, the payer takes
    part or is an outside account, the amount is not zero (negative only to correct an earlier cost,
    by no more than it), and the costs stay within the budget (OverBudget) and at or above zero."""
    from alliance.operations.charges import is_outside

    if campaign.state is not State.ACTIVE:
        waiting = ", ".join(p.member for p in campaign.participants if not p.consented)
        raise CampaignStateConflict(Message("campaign {number} waits for the consent of {members}: no cost is "
                                            "recorded before every participant consented",
                                            number=campaign.number, members=waiting))
    problems: list[Problem] = []
    cleaned = description
    try:
        cleaned = check_text(description, "description", DESCRIPTION_LIMIT)
    except InvalidInput as exc:
        problems.append(Problem("cost", "description", exc.message))
    if payer not in campaign.members and not is_outside(payer):
        problems.append(Problem("cost", "payer", Message(
            "{payer!r} neither takes part in the campaign nor is an outside account (ext:…)", payer=payer)))
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor == 0:
        problems.append(Problem("cost", "amount", Message("the amount must not be zero")))
    elif corrects is None and amount_minor < 0:
        problems.append(Problem("cost", "amount", Message("a cost is more than zero; to take back part of an "
                                                          "earlier cost, record a correction of it")))
    elif corrects is not None:
        earlier = [c for c in campaign.costs if c.number == corrects or c.corrects == corrects]
        original = next((c for c in earlier if c.number == corrects and c.corrects is None), None)
        if original is None:
            problems.append(Problem("cost", "corrects", Message("no cost {number} of this campaign to correct",
                                                                number=corrects)))
        elif payer != original.payer:  # else the correction would move the cost onto another member's account
            problems.append(Problem("cost", "payer", Message(
                "a correction of cost {number} is paid back to its payer {payer}", number=corrects,
                payer=original.payer)))
        elif sum(c.amount_minor for c in earlier) + amount_minor < 0:
            problems.append(Problem("cost", "amount", Message("the correction takes back more than cost {number} "
                                                              "still stands at", number=corrects)))
        elif amount_minor > 0:
            problems.append(Problem("cost", "amount", Message("a correction takes back (a negative amount); a "
                                                              "further cost is recorded as a cost")))
    if problems:
        raise CostInvalid(Message("the cost has {count} problem(s); nothing was recorded", count=len(problems)),
                          problems)
    if campaign.spent_minor + amount_minor > campaign.budget_minor:
        raise OverBudget(Message(
            "the campaign's costs would be {total} of a budget of {budget} ({spent} recorded so far): refused; "
            "a larger budget is a new campaign every participant consents to",
            total=Money(campaign.spent_minor + amount_minor, campaign.currency).amount_text(),
            budget=Money(campaign.budget_minor, campaign.currency).amount_text(),
            spent=Money(campaign.spent_minor, campaign.currency).amount_text()))
    return cleaned
