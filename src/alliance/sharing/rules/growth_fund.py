"""`growth_fund` (成长基金): a rate of the profit above a target in the period goes to a fund account.

Settlement: rate x (profit of the period so far above target) accrues to the fund; the day's
change is funded by the day's sellers in proportion to their base. A monthly target counts the
month's lines before the day; a daily one, when adjusting a closed day, the day's lines accounted
before its late ones (on time, nothing of the day comes before the day).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from alliance.core.messages import Message
from alliance.core.money import Money, apportion
from alliance.sharing.reader import Reader
from alliance.sharing.rules.base import (Builder, Need, ParseContext, RuleKindSpec, RuleTotals, Settling, Wording,
                                         by_weight, fmt, round_half_even)
from alliance.sharing.rules.form import N_, FormField, KindForm, Widget
from alliance.sharing.terms import Period, RuleKind


@dataclass(frozen=True, slots=True)
class Params:
    rate: Decimal
    target: Money
    period: Period
    fund: str  # one of the agreement's accounts


class Note(StrEnum):
    FUNDS = N_("funds the growth fund")


class GrowthFund(RuleKindSpec):
    kind = RuleKind.GROWTH_FUND
    label = N_("Growth fund")
    Params = Params
    keys = ("rate", "target", "period", "fund")
    Note = Note
    form = KindForm("growth_fund", N_("Growth fund"), N_(
        "A rate of the profit above a target in the period goes to a fund account."), (
        FormField("rate", N_("Rate"), Widget.DECIMAL, required=True, hint=N_("e.g. 0.15")),
        FormField("target", N_("Target"), Widget.MONEY, required=True),
        FormField("period", N_("Period"), Widget.CHOICE, options=(("month", N_("month")), ("day", N_("day")))),
        FormField("fund", N_("Fund account"), Widget.NAME, required=True,
                  hint=N_("One of the agreement's accounts (see Accounts above).")),
    ))

    def parse(self, r: Reader, raw: Mapping[str, Any], where: str, ctx: ParseContext) -> Params:
        rate = r.required_decimal(raw, "rate", where)
        target = r.required_money(raw, "target", where, ctx.currency)
        period = r.choice(raw, "period", where, Period, Period.MONTH)
        fund = r.text(raw, "fund", where)
        if fund is not None and fund not in ctx.accounts:
            r.add(where, "fund", Message("{fund!r} is not one of the agreement's accounts ({accounts})", fund=fund,
                                         accounts=', '.join(sorted(ctx.accounts)) or Message("none declared")))
        return Params(rate, target, period, fund)  # type: ignore[arg-type]

    def needs(self, params: Params, *, adjusting: bool = False) -> frozenset[Need]:
        if params.period is Period.MONTH:
            return frozenset({Need.SELLER, Need.SELLER_BEFORE})
        return frozenset({Need.SELLER, Need.SELLER_DAY_BEFORE} if adjusting else {Need.SELLER})

    def settle(self, b: Builder, t: RuleTotals, params: Params, s: Settling) -> None:
        by_seller = t.by_seller
        # The period's profit accounted before these lines: the month's before the day (monthly
        # targets), or, when adjusting a closed day, the day's lines settled before its late ones.
        before = sum(t.before_by_seller.values())
        target, rate = params.target.minor, Fraction(params.rate)

        def accrued(profit: int) -> int:
            return round_half_even(max(Fraction(0), Fraction(profit - target)) * rate)

        amount = accrued(before + sum(by_seller.values())) - accrued(before)
        if amount == 0:
            return
        b.post(params.fund, amount, sum(by_seller.values()),
               f"{fmt(params.rate)} of profit above {params.target.amount_text()}")
        for seller, part in apportion(b.money(amount), by_weight(amount, by_seller)).items():
            b.post(seller, -part.minor, by_seller[seller], Note.FUNDS.value)

    def describe(self, params: Params, say: Wording) -> Message:
        rate, target = say.share(params.rate), say.money(params.target)
        if params.period is Period.MONTH:
            return Message("{rate} of the profit above {target} a month goes to the fund {fund}.", rate=rate,
                           target=target, fund=params.fund)
        return Message("{rate} of the profit above {target} a day goes to the fund {fund}.", rate=rate,
                       target=target, fund=params.fund)

SPEC = GrowthFund()
