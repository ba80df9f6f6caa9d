"""The reference rule engine: one business day's order lines under one agreement version.

Pure and exact: amounts are integer minor units, intermediate quotas are Fractions, and every
amount is rounded once, per rule, day and member, by `core.money.apportion` (largest remainder),
so a rule's amounts add back to what it shares. Each rule yields **postings** (account -> amount)
that sum to zero: money owed to an account is positive, money it owes negative. Members' accounts
are their codes; non-member accounts (a growth fund) their declared codes. After all rules, the
day's postings are checked to balance; this check is never skipped.

Every rule depends on the lines only through a few sums of its base over the lines it selects
(`RuleTotals`: by seller, by product owner, by the members a line is shared among, today and
earlier in the month). The engine is therefore split in two: gathering those totals, and the money
arithmetic on them. `totals_from_lines` gathers them line by line in Python (the specification and
test oracle); the fact store gathers them with one SQL aggregate per need over millions of lines
(`FactStore.rule_totals`). Both feed the same `settle_totals`, so rounding is identical whatever
gathered the totals.

Per kind (see docs/formats/agreement.md for the fields):

- fixed_split / dynamic: the day's base B of the selected lines is owed to the members by shares;
  each line's seller, who collected it, owes its base.
- tiered: for each member, f(volume month-to-date incl. today) - f(volume before today), each
  rounded half-even to the minor unit (so a month's payments add up to f(month volume) exactly),
  paid by the payer. f is marginal (each slice at its tier's rate) or whole (all at the rate
  reached); volumes at or below zero earn nothing.
- three_level: a pool of pool_rate x B, funded by the sellers in proportion to their base, split
  into its parts; base part by the members' sales (as seller) today, incremental part by the
  growth over baseline the day added, long-term part by the period metric; a part whose weights
  sum to zero falls back to equal shares. Each member's exact quotas of the three parts are added
  up and the pool is apportioned once over those sums (one statement line per member).
- growth_fund: rate x (profit month-to-date above target) accrues to the fund; the day's change is
  funded by the day's sellers in proportion to their base.
- rebate: rate x B, paid by the payer to the recipients in proportion to their sales (as product
  owner) among the selected lines; equal shares when none sold.
- cost_share: on its day, the cost is owed to the member who paid it, by ratios.
- contribution: each line's base is shared equally among the members attributed on it (those
  listed in the rule, if it lists any), or goes to the seller when none is: the Shapley value of
  the day's attribution game; with `method: banzhaf`, the normalised Banzhaf value of that game
  instead. Sellers owe their base.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from typing import TypeVar
from zoneinfo import ZoneInfo

from alliance.core.errors import InvalidInput, Problem
from alliance.core.money import Money, apportion
from alliance.core.messages import Message
from alliance.settlement.lines import OrderLine
from alliance.sharing.agreement import Agreement, Base, Rule, RuleKind, Selector, Tier, TierMode

Accounts = dict[str, int]  # account -> minor units
K = TypeVar("K", str, tuple[str, ...])


# The rate text of the statement lines by which sellers owe the base they collected.
COLLECTED = "collected"


class SettlementInputMissing(InvalidInput):
    code = "settlement_input_missing"
    title = Message("Settlement input missing")


class JournalUnbalanced(AssertionError):
    """Postings of a day do not sum to zero: a defect, never a user error."""


@dataclass(frozen=True, slots=True)
class StatementLine:
    rule_id: str
    kind: RuleKind
    account: str
    base: Money  # what the rule worked on for this account (its pool, volume or own base)
    rate: str  # the share, rate or basis applied, as text ("0.30", "2% marginal", "equal")
    amount: Money  # + owed to the account, - owed by it


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    rule_id: str
    kind: RuleKind
    base: Money  # the day's base of the rule's selected lines
    postings: Mapping[str, Money]
    lines: tuple[StatementLine, ...]


@dataclass(frozen=True, slots=True)
class DayContext:
    """Inputs besides the day's own lines.

    `earlier` are the selected period's lines before the day (the month so far), for monthly
    volumes and targets. `metrics` are period metrics by name and member (user assets, repurchase
    rate...). `dynamic_shares` are the shares of each dynamic rule for the day's period when it
    is not the agreement's first period (see `reweight`).
    """

    earlier: Sequence[OrderLine] = ()
    metrics: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)
    dynamic_shares: Mapping[str, Mapping[str, Fraction]] = field(default_factory=dict)


class Need(Enum):
    """A sum a rule needs: of its base over the lines it selects, grouped by a key."""

    SELLER = "seller"  # today's lines, by seller
    OWNER = "product_owner"  # today's lines, by product owner
    SHARERS = "sharers"  # today's lines, by the members each line's base is shared among (contribution)
    SELLER_BEFORE = "seller_before"  # the month's lines before today, by seller
    OWNER_BEFORE = "product_owner_before"  # the month's lines before today, by product owner
    # Adjusting a closed day only: its lines accounted before its late ones, by seller (a daily
    # growth-fund target counts them; on time, nothing of the day comes before the day).
    SELLER_DAY_BEFORE = "seller_day_before"


@dataclass(frozen=True, slots=True)
class RuleTotals:
    """One rule's sums of base (minor units) over the lines it selects: all a rule needs of them."""

    by_seller: Mapping[str, int] = field(default_factory=dict)
    by_owner: Mapping[str, int] = field(default_factory=dict)
    by_sharers: Mapping[tuple[str, ...], int] = field(default_factory=dict)
    before_by_seller: Mapping[str, int] = field(default_factory=dict)
    before_by_owner: Mapping[str, int] = field(default_factory=dict)


def needs(rule: Rule, *, adjusting: bool = False) -> frozenset[Need]:
    """The totals `settle_totals` reads for this rule (the columnar path gathers only these).

    When `adjusting` (late lines of a closed day), a growth fund with a daily target also needs the
    day's lines accounted before the late ones."""
    kind = rule.kind
    if kind in (RuleKind.FIXED_SPLIT, RuleKind.DYNAMIC):
        return frozenset({Need.SELLER})
    if kind is RuleKind.TIERED:
        by_seller = rule.params["volume_of"].value == "seller"
        return frozenset({Need.SELLER, Need.SELLER_BEFORE} if by_seller else {Need.OWNER, Need.OWNER_BEFORE})
    if kind is RuleKind.THREE_LEVEL:
        return frozenset({Need.SELLER, Need.SELLER_BEFORE})
    if kind is RuleKind.GROWTH_FUND:
        monthly = rule.params["period"].value == "month"
        return frozenset({Need.SELLER, Need.SELLER_BEFORE} if monthly else
                         {Need.SELLER, Need.SELLER_DAY_BEFORE} if adjusting else {Need.SELLER})
    if kind is RuleKind.REBATE:
        return frozenset({Need.SELLER, Need.OWNER})
    if kind is RuleKind.CONTRIBUTION:
        return frozenset({Need.SELLER, Need.SHARERS})
    return frozenset()  # cost_share: its amount is in the agreement


def sharers(rule: Rule, attributed_to: Sequence[str], seller: str) -> tuple[str, ...]:
    """The members a contribution rule shares a line's base among: its attributed members (those
    the rule lists, if it lists any), or its seller when there are none."""
    listed = rule.params.get("members") or ()
    return tuple(m for m in attributed_to if not listed or m in listed) or (seller,)


def totals_from_lines(rule: Rule, lines: Iterable[OrderLine], earlier: Iterable[OrderLine] = ()) -> RuleTotals:
    """The reference way to gather a rule's totals: line by line, in Python."""
    wanted = needs(rule)
    selected = [l for l in lines if selects(rule.select, l)]
    before = [l for l in earlier if selects(rule.select, l)] if wanted & {Need.SELLER_BEFORE, Need.OWNER_BEFORE} else []

    def base(line: OrderLine) -> int:
        return base_of(rule, line)

    return RuleTotals(
        by_seller=_sum_by(selected, lambda l: l.seller, base) if Need.SELLER in wanted else {},
        by_owner=_sum_by(selected, lambda l: l.product_owner, base) if Need.OWNER in wanted else {},
        by_sharers=_sum_by(selected, lambda l: sharers(rule, l.attributed_to, l.seller), base) if Need.SHARERS in wanted else {},
        before_by_seller=_sum_by(before, lambda l: l.seller, base) if Need.SELLER_BEFORE in wanted else {},
        before_by_owner=_sum_by(before, lambda l: l.product_owner, base) if Need.OWNER_BEFORE in wanted else {},
    )


@dataclass(frozen=True, slots=True)
class DaySettlement:
    day: date
    outcomes: tuple[RuleOutcome, ...]

    def net(self) -> dict[str, Money]:
        """Each account's net amount for the day over all rules (+ receives, - pays)."""
        totals: dict[str, Money] = {}
        for outcome in self.outcomes:
            for account, money in outcome.postings.items():
                totals[account] = totals[account] + money if account in totals else money
        return dict(sorted(totals.items()))


# -- helpers -------------------------------------------------------------------------------------

def selects(selector: Selector, line: OrderLine) -> bool:
    return (
        (not selector.seller or line.seller in selector.seller)
        and (not selector.product_owner or line.product_owner in selector.product_owner)
        and (not selector.channel or line.channel in selector.channel)
        and (not selector.sku_prefix or any(line.sku.startswith(p) for p in selector.sku_prefix))
    )


def base_of(rule: Rule, line: OrderLine) -> int:
    """The line's base in minor units: its amount, or amount - cost (a missing cost counts as 0)."""
    if rule.base is Base.PROFIT and line.cost is not None:
        return line.amount.minor - line.cost.minor
    return line.amount.minor


def _round(value: Fraction) -> int:
    """Half-even rounding of an exact amount in minor units (the one rounding rule)."""
    whole, rest = divmod(value.numerator, value.denominator)
    twice = 2 * rest
    if twice > value.denominator or (twice == value.denominator and whole % 2 == 1):
        whole += 1
    return whole


def _by_weight(total: int, weights: Mapping[str, int | Fraction]) -> dict[str, Fraction]:
    """Exact quotas of `total` in proportion to `weights` (any sign); equal shares if they sum to 0."""
    keys = list(weights)
    weight_sum = sum((Fraction(w) for w in weights.values()), Fraction(0))
    if not keys:
        return {}
    if weight_sum == 0:
        return {k: Fraction(total, len(keys)) for k in keys}
    return {k: Fraction(total) * Fraction(weights[k]) / weight_sum for k in keys}


def _sum_by(lines: Iterable[OrderLine], key: Callable[[OrderLine], K], value: Callable[[OrderLine], int]) -> dict[K, int]:
    totals: dict[K, int] = defaultdict(int)
    for line in lines:
        totals[key(line)] += value(line)
    return dict(totals)


class _Builder:
    """Collects one rule's postings and statement lines, in minor units."""

    def __init__(self, rule: Rule, currency: str, base: int) -> None:
        self.rule, self.currency, self.base = rule, currency, base
        self.postings: Accounts = defaultdict(int)
        self.lines: list[StatementLine] = []

    def money(self, minor: int) -> Money:
        return Money(minor, self.currency)

    def post(self, account: str, minor: int, base: int, rate: str) -> None:
        if minor == 0 and base == 0:
            return
        self.postings[account] += minor
        self.lines.append(StatementLine(self.rule.id, self.rule.kind, account, self.money(base), rate, self.money(minor)))

    def share_out(self, total: int, quotas: Mapping[str, Fraction], base: int, rates: Mapping[str, str]) -> None:
        if total == 0 and all(q == 0 for q in quotas.values()):
            return
        for account, part in apportion(self.money(total), quotas).items():
            self.post(account, part.minor, base, rates.get(account, ""))

    def collect_from_sellers(self, by_seller: Mapping[str, int], note: str = COLLECTED) -> None:
        for seller, amount in sorted(by_seller.items()):
            self.post(seller, -amount, amount, note)

    def outcome(self) -> RuleOutcome:
        postings = {a: self.money(m) for a, m in sorted(self.postings.items()) if m != 0}
        # Never skipped: each rule's postings balance on their own.
        if sum(self.postings.values()) != 0:
            raise JournalUnbalanced(f"rule {self.rule.id!r} postings sum to {sum(self.postings.values())}")
        return RuleOutcome(self.rule.id, self.rule.kind, self.money(self.base), postings, tuple(self.lines))


def _fmt(share: Fraction | Decimal) -> str:
    value = Decimal(share.numerator) / Decimal(share.denominator) if isinstance(share, Fraction) else share
    return f"{value.normalize():f}" if value == value.quantize(Decimal("0.000001")) else f"{value:.6f}"


# -- per kind ------------------------------------------------------------------------------------

def _shares_rule(b: _Builder, t: RuleTotals, shares: Mapping[str, Fraction]) -> None:
    pool = sum(t.by_seller.values())
    b.collect_from_sellers(t.by_seller)
    b.share_out(pool, {m: pool * s for m, s in shares.items()}, pool, {m: _fmt(s) for m, s in shares.items()})


def tier_amount(tiers: Sequence[Tier], mode: TierMode, volume: int) -> Fraction:
    """Exact amount earned on a cumulative volume (minor units) under the tiers."""
    if volume <= 0:
        return Fraction(0)
    if mode is TierMode.WHOLE:
        for tier in tiers:
            if tier.up_to is None or volume < tier.up_to.minor:
                return Fraction(volume) * Fraction(tier.rate)
        raise AssertionError("the last tier is open-ended")  # guaranteed by validation
    earned, lower = Fraction(0), 0
    for tier in tiers:
        upper = volume if tier.up_to is None else min(volume, tier.up_to.minor)
        if upper > lower:
            earned += Fraction(upper - lower) * Fraction(tier.rate)
        if tier.up_to is None or volume <= tier.up_to.minor:
            break
        lower = tier.up_to.minor
    return earned


def _tiered(b: _Builder, t: RuleTotals) -> None:
    by_seller = b.rule.params["volume_of"].value == "seller"
    today = t.by_seller if by_seller else t.by_owner
    before = t.before_by_seller if by_seller else t.before_by_owner
    tiers, mode, payer = b.rule.params["tiers"], b.rule.params["mode"], b.rule.params["payer"]
    paid = 0
    for member in sorted(today):
        v0 = before.get(member, 0)
        amount = _round(tier_amount(tiers, mode, v0 + today[member])) - _round(tier_amount(tiers, mode, v0))
        b.post(member, amount, today[member], f"tiers ({mode.value}) on {b.money(v0 + today[member]).amount_text()} month to date")
        paid += amount
    if paid:
        b.post(payer, -paid, paid, "pays tier incentives")


def _three_level(b: _Builder, t: RuleTotals, ctx: DayContext) -> None:
    p = b.rule.params
    members: Sequence[str] = p["members"]
    by_seller = t.by_seller
    base_total = sum(by_seller.values())
    pool = _round(Fraction(base_total) * Fraction(p["pool_rate"]))
    for seller, part in apportion(b.money(pool), _by_weight(pool, by_seller)).items():
        b.post(seller, -part.minor, by_seller[seller], f"funds pool at {_fmt(p['pool_rate'])}")
    parts = {name: pool * Fraction(share) for name, share in p["parts"].items()}  # exact, never rounded
    sales_today = {m: by_seller.get(m, 0) for m in members}
    sales_before = {m: t.before_by_seller.get(m, 0) for m in members}
    baseline = {m: (p["baseline"][m].minor if m in p["baseline"] else 0) for m in members}
    growth = {
        m: max(0, sales_before[m] + sales_today[m] - baseline[m]) - max(0, sales_before[m] - baseline[m])
        for m in members
    }
    metric_name = p["long_term_metric"]
    values = ctx.metrics.get(metric_name, {})
    missing = [m for m in members if m not in values]
    if missing and parts["long_term"]:
        raise SettlementInputMissing(
            Message("rule {rule!r} needs the period metric {metric!r} for {members}",
                    rule=b.rule.id, metric=metric_name, members=", ".join(missing)),
            [Problem(Message("rule {rule!r}", rule=b.rule.id), metric_name, Message("no value for {member}", member=m))
             for m in missing],
        )
    weights: dict[str, Mapping[str, int | Fraction]] = {
        "base": sales_today,
        "incremental": growth if any(growth.values()) else sales_today,
        "long_term": {m: Fraction(values.get(m, Decimal(0))) for m in members},
    }
    # Each member's exact quota is the sum of its quotas of the three parts; the pool is then
    # apportioned once over those sums, so a member's amount is rounded once (rounding each part
    # first and then each member's part would round twice and could be a cent off).
    by_part = {name: _by_weight(parts[name], weights[name]) if parts[name] else {} for name in parts}
    quotas = {m: sum((by_part[name].get(m, Fraction(0)) for name in parts), Fraction(0)) for m in members}
    rates = {m: _part_rate(pool, {name: by_part[name].get(m, Fraction(0)) for name in parts}) for m in members}
    b.share_out(pool, quotas, pool, rates)


def _part_rate(pool: int, quotas: Mapping[str, Fraction]) -> str:
    """A three-level member's exact share of the pool, and of it, what each part gave."""
    if pool == 0:
        return ""
    whole = _fmt(sum(quotas.values(), Fraction(0)) / pool)
    return f"{whole} of pool: " + " + ".join(f"{name} {_fmt(q / pool)}" for name, q in quotas.items())


def _growth_fund(b: _Builder, t: RuleTotals) -> None:
    p = b.rule.params
    by_seller = t.by_seller
    # The period's profit accounted before these lines: the month's before the day (monthly
    # targets), or, when adjusting a closed day, the day's lines settled before its late ones.
    before = sum(t.before_by_seller.values())
    target, rate = p["target"].minor, Fraction(p["rate"])

    def accrued(profit: int) -> int:
        return _round(max(Fraction(0), Fraction(profit - target)) * rate)

    amount = accrued(before + sum(by_seller.values())) - accrued(before)
    if amount == 0:
        return
    b.post(p["fund"], amount, sum(by_seller.values()), f"{_fmt(p['rate'])} of profit above {p['target'].amount_text()}")
    for seller, part in apportion(b.money(amount), _by_weight(amount, by_seller)).items():
        b.post(seller, -part.minor, by_seller[seller], "funds the growth fund")


def _rebate(b: _Builder, t: RuleTotals) -> None:
    p = b.rule.params
    total_base = sum(t.by_seller.values())
    amount = _round(Fraction(total_base) * Fraction(p["rate"]))
    if amount == 0:
        return
    weights = {r: t.by_owner.get(r, 0) for r in p["recipients"]}
    b.post(p["payer"], -amount, total_base, f"pays {_fmt(p['rate'])} rebate")
    b.share_out(amount, _by_weight(amount, weights), amount, {r: "pro rata to sales" for r in weights})


def _cost_share(b: _Builder, day: date) -> None:
    p = b.rule.params
    if p["incurred_on"] != day:
        return
    amount = p["amount"].minor
    b.post(p["paid_by"], amount, amount, "paid the cost")
    for member, part in apportion(b.money(amount), {m: amount * Fraction(r) for m, r in p["ratios"].items()}).items():
        b.post(member, -part.minor, amount, _fmt(p["ratios"][member]))


def _contribution(b: _Builder, t: RuleTotals) -> None:
    """The day's lines form an attribution game, a sum of unanimity games (one per set of members
    a line is shared among, worth that set's base). Its Shapley value gives each member of a set
    an equal part of the set's base; the normalised Banzhaf value weights a set of k members by
    1 / 2^(k-1) per member, then scales to the pool. Both exact, in fractions."""
    pool = sum(t.by_seller.values())
    shapley: dict[str, Fraction] = defaultdict(Fraction)
    raw: dict[str, Fraction] = defaultdict(Fraction)
    for members, base in t.by_sharers.items():
        for member in members:
            shapley[member] += Fraction(base, len(members))
            raw[member] += Fraction(base, 2 ** (len(members) - 1))
    quotas, note = dict(shapley), "Shapley value (equal per attributed line)"
    if b.rule.params.get("method") == "banzhaf":
        total = sum(raw.values(), Fraction(0))
        if total != 0:
            quotas, note = {m: pool * r / total for m, r in raw.items()}, "normalised Banzhaf value"
        elif pool != 0:
            note = "Shapley value (Banzhaf undefined: raw values sum to zero)"
    b.collect_from_sellers(t.by_seller)
    b.share_out(pool, quotas, pool, {m: note for m in quotas})


# -- the day ---------------------------------------------------------------------------------------
def business_day(line: OrderLine, timezone: str) -> date:
    return line.occurred_at.astimezone(ZoneInfo(timezone)).date()


def reweight(previous: Mapping[str, Fraction], metrics: Mapping[str, Mapping[str, Decimal]],
             weights: Mapping[str, Decimal], max_change: Decimal) -> dict[str, Fraction]:
    """A dynamic rule's next-period shares.

    Target share = sum over metrics of weight x (member's value / all members' total). Every share
    moves from its previous value towards its target at the same pace, scaled down so that none
    moves by more than `max_change`; shares keep summing to 1 exactly.
    """
    members = list(previous)
    target = {m: Fraction(0) for m in members}
    for name, weight in weights.items():
        values = metrics.get(name, {})
        missing = [m for m in members if m not in values]
        if missing:
            raise SettlementInputMissing(Message("metric {metric!r} has no value for {members}",
                                                 metric=name, members=", ".join(missing)))
        total = sum((Fraction(values[m]) for m in members), Fraction(0))
        for m in members:
            target[m] += Fraction(weight) * (Fraction(values[m]) / total if total else Fraction(1, len(members)))
    deltas = {m: target[m] - previous[m] for m in members}
    largest = max((abs(d) for d in deltas.values()), default=Fraction(0))
    pace = min(Fraction(1), Fraction(max_change) / largest) if largest else Fraction(1)
    return {m: previous[m] + pace * deltas[m] for m in members}


def _in_key_order(t: RuleTotals) -> RuleTotals:
    """The same totals with keys sorted, so statement lines come out in one order whatever gathered them."""
    return RuleTotals(*(dict(sorted(part.items())) for part in (
        t.by_seller, t.by_owner, t.by_sharers, t.before_by_seller, t.before_by_owner)))


def settle_totals(agreement: Agreement, day: date, totals: Mapping[str, RuleTotals],
                  ctx: DayContext | None = None, *, adjustment: bool = False) -> DaySettlement:
    """Apply every rule of `agreement` to the day, given each rule's totals (by rule id).

    An `adjustment` settles late lines of a day already closed: only what they change, so a cost
    shared on that day (which no line carries) was settled with the day and is not shared again.

    The postings of each rule and of the whole day balance, or JournalUnbalanced is raised.
    Raises SettlementInputMissing when a rule needs an input not given.
    """
    ctx = ctx or DayContext()
    outcomes: list[RuleOutcome] = []
    for rule in agreement.rules:
        t = _in_key_order(totals.get(rule.id, RuleTotals()))
        b = _Builder(rule, agreement.currency, sum((t.by_seller or t.by_owner).values()))
        if rule.kind is RuleKind.FIXED_SPLIT:
            _shares_rule(b, t, {m: Fraction(s) for m, s in rule.params["shares"].items()})
        elif rule.kind is RuleKind.DYNAMIC:
            first_period = (day.year, day.month) == (agreement.effective_from.year, agreement.effective_from.month)
            if rule.id in ctx.dynamic_shares:
                shares = dict(ctx.dynamic_shares[rule.id])
            elif first_period:
                shares = {m: Fraction(s) for m, s in rule.params["initial"].items()}
            else:
                raise SettlementInputMissing(Message("dynamic rule {rule!r} needs its shares for {month:%Y-%m} (see "
                                                     "reweight)", rule=rule.id, month=day))
            _shares_rule(b, t, shares)
        elif rule.kind is RuleKind.TIERED:
            _tiered(b, t)
        elif rule.kind is RuleKind.THREE_LEVEL:
            _three_level(b, t, ctx)
        elif rule.kind is RuleKind.GROWTH_FUND:
            _growth_fund(b, t)
        elif rule.kind is RuleKind.REBATE:
            _rebate(b, t)
        elif rule.kind is RuleKind.COST_SHARE:
            if not adjustment:
                _cost_share(b, day)
        elif rule.kind is RuleKind.CONTRIBUTION:
            _contribution(b, t)
        outcomes.append(b.outcome())
    settlement = DaySettlement(day, tuple(outcomes))
    # Never skipped: the whole day balances per currency (one currency per agreement).
    if sum(m.minor for m in settlement.net().values()) != 0:
        raise JournalUnbalanced(f"postings of {day} do not sum to zero")
    return settlement


def settle_day(agreement: Agreement, day: date, lines: Sequence[OrderLine], ctx: DayContext | None = None) -> DaySettlement:
    """The reference engine: apply every rule of `agreement` to the `lines` of `day`.

    `lines` are the day's lines (refunds included, as negative amounts); `ctx.earlier` the month's
    lines before the day. Lines of another currency are an error.
    """
    ctx = ctx or DayContext()
    foreign = sorted({l.amount.currency for l in [*lines, *ctx.earlier] if l.amount.currency != agreement.currency})
    if foreign:
        raise InvalidInput(Message("lines in {currencies} cannot settle under a {currency} agreement",
                                   currencies=", ".join(foreign), currency=agreement.currency))
    totals = {rule.id: totals_from_lines(rule, lines, ctx.earlier) for rule in agreement.rules}
    return settle_totals(agreement, day, totals, ctx)
