"""The reference rule engine: one business day's order lines under one agreement version.

Pure and exact: amounts are integer minor units, intermediate quotas are Fractions, and every amount
is rounded once, per rule, run (a day, or a closed day's late lines) and member, by
`core.money.apportion` (largest remainder), so a rule's amounts add back to what it shares. Each
rule yields **postings** (account -> amount) that sum to zero: money owed to an account is positive,
money it owes negative. Members' accounts are their codes; non-member accounts (a growth fund) their
declared codes. After all rules, the day's postings are checked to balance; this check is never
skipped.

Every rule depends on the lines only through a few sums of its base over the lines it selects
(`RuleTotals`: by seller, by product owner, by the members a line is shared among, today and
earlier in the month). The engine is therefore split in two: gathering those totals, and the money
arithmetic on them. `totals_from_lines` gathers them line by line in Python (the specification and
test oracle); the fact store gathers them with one SQL aggregate per need over millions of lines
(`settlement.totals.rule_totals`). Both feed the same `settle_totals`, so rounding is identical whatever
gathered the totals.

What each kind needs and how it settles lives in its own module (`alliance.sharing.rules`, one
per kind; docs/settlement.md "Per kind" and "Rule kinds"): this module only walks the day's rules
and asks each one's kind. The types the kinds share are defined in `sharing.rules.base` and are
re-exported here, where settlement code and tests have always imported them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from alliance.core.errors import InvalidInput
from alliance.core.money import Money
from alliance.core.messages import Message
from alliance.settlement.fx.conversion import convert, rate_on
from alliance.settlement.lines import OrderLine
from alliance.sharing.agreement import Agreement, Base, Rule, Selector
from alliance.sharing.rules import contribution, spec
from alliance.sharing.rules.base import (COLLECTED, Accounts, Builder, DayContext, JournalUnbalanced, Need, RuleOutcome,
                                         RuleTotals, SettlementInputMissing, Settling, StatementLine, by_weight, fmt,
                                         round_half_even)
from alliance.sharing.rules.dynamic import reweight
from alliance.sharing.rules.tiered import tier_amount

__all__ = [
    "COLLECTED", "Accounts", "Builder", "DayContext", "DaySettlement", "JournalUnbalanced", "Need", "RuleOutcome",
    "RuleTotals", "SettlementInputMissing", "StatementLine", "base_of", "business_day", "by_weight", "fmt", "needs",
    "reweight", "round_half_even", "selects", "settle_day", "settle_totals", "sharers", "tier_amount",
    "totals_from_lines",
]

K = TypeVar("K", str, tuple[str, ...])


def needs(rule: Rule, *, adjusting: bool = False) -> frozenset[Need]:
    """The totals `settle_totals` reads for this rule (the columnar path gathers only these).

    When `adjusting` (late lines of a closed day), a growth fund with a daily target also needs the
    day's lines accounted before the late ones."""
    return spec(rule.kind).needs(rule.params, adjusting=adjusting)


def sharers(rule: Rule, attributed_to: Sequence[str], seller: str) -> tuple[str, ...]:
    """The members a contribution rule shares a line's base among: its attributed members (those
    the rule lists, if it lists any), or its seller when there are none."""
    return contribution.sharers(rule.params, attributed_to, seller)


def totals_from_lines(rule: Rule, lines: Iterable[OrderLine], earlier: Iterable[OrderLine] = (),
                      converted: Callable[[OrderLine, int], int] | None = None) -> RuleTotals:
    """The reference way to gather a rule's totals: line by line, in Python. `converted` turns a
    line's base in its own currency into the settlement currency (lines in other currencies)."""
    wanted = needs(rule)
    selected = [l for l in lines if selects(rule.select, l)]
    before = [l for l in earlier if selects(rule.select, l)] if wanted & {Need.SELLER_BEFORE, Need.OWNER_BEFORE} else []

    def base(line: OrderLine) -> int:
        return base_of(rule, line) if converted is None else converted(line, base_of(rule, line))

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


def _sum_by(lines: Iterable[OrderLine], key: Callable[[OrderLine], K], value: Callable[[OrderLine], int]) -> dict[K, int]:
    totals: dict[K, int] = defaultdict(int)
    for line in lines:
        totals[key(line)] += value(line)
    return dict(totals)


# -- the day ---------------------------------------------------------------------------------------
def business_day(line: OrderLine, timezone: str) -> date:
    return line.occurred_at.astimezone(ZoneInfo(timezone)).date()


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
    settling = Settling(day, agreement.effective_from, ctx or DayContext(), adjustment)
    outcomes: list[RuleOutcome] = []
    for rule in agreement.rules:
        t = _in_key_order(totals.get(rule.id, RuleTotals()))
        b = Builder(rule.id, rule.kind, agreement.currency, sum((t.by_seller or t.by_owner).values()))
        spec(rule.kind).settle(b, t, rule.params, settling)
        outcomes.append(b.outcome())
    settlement = DaySettlement(day, tuple(outcomes))
    # Never skipped: the whole day balances per currency (one currency per agreement).
    if sum(m.minor for m in settlement.net().values()) != 0:
        raise JournalUnbalanced(f"postings of {day} do not sum to zero")
    return settlement


def settle_day(agreement: Agreement, day: date, lines: Sequence[OrderLine], ctx: DayContext | None = None, *,
               rates: Mapping[tuple[date, str], Decimal] | None = None) -> DaySettlement:
    """The reference engine: apply every rule of `agreement` to the `lines` of `day`.

    `lines` are the day's lines (refunds included, as negative amounts); `ctx.earlier` the month's
    lines before the day. A line in another currency than the agreement's counts converted: its
    base for each rule, once, at the rate of its business day in `rates` ((day, currency) -> rate,
    as `fx.conversion.rate_table` gives), rounded half-even (`fx.conversion.convert`); without
    `rates`, or without its day's rate, it is an error.
    """
    ctx = ctx or DayContext()
    foreign = sorted({l.amount.currency for l in [*lines, *ctx.earlier] if l.amount.currency != agreement.currency})
    if foreign and rates is None:
        raise InvalidInput(Message("lines in {currencies} cannot settle under a {currency} agreement",
                                   currencies=", ".join(foreign), currency=agreement.currency))

    def converted(line: OrderLine, base: int) -> int:
        code = line.amount.currency
        if code == agreement.currency:
            return base
        assert rates is not None
        rate = rate_on(rates, business_day(line, agreement.timezone), code, agreement.currency)
        return convert(base, code, agreement.currency, rate).minor

    totals = {rule.id: totals_from_lines(rule, lines, ctx.earlier, converted if foreign else None)
              for rule in agreement.rules}
    return settle_totals(agreement, day, totals, ctx)
