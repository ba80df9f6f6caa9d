"""`cost_share` (成本分摊): a cost paid by one member (a joint campaign) is shared by ratio.

Settlement: on `incurred_on`, the members owe `paid_by` the cost by their ratios. The cost is in
the agreement, not in any line: it needs no totals, a first run may have to start on its day
(`settles_on`), and an adjustment of that day (late lines) does not share it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from alliance.core.money import Money, apportion
from alliance.core.messages import Message
from alliance.sharing.reader import Reader
from alliance.sharing.rules.base import (Builder, Need, ParseContext, RuleKindSpec, RuleTotals, Settling, Wording, fmt)
from alliance.sharing.rules.form import N_, SHARE_HINT, FormField, KindForm, Widget
from alliance.sharing.terms import RuleKind


@dataclass(frozen=True, slots=True)
class Params:
    amount: Money
    incurred_on: date
    paid_by: str
    ratios: Mapping[str, Decimal]  # member -> ratio, summing to 1


class Note(StrEnum):
    PAID = N_("paid the cost")


class CostShare(RuleKindSpec):
    kind = RuleKind.COST_SHARE
    label = N_("Cost share")
    Params = Params
    keys = ("amount", "incurred_on", "paid_by", "ratios")
    Note = Note
    form = KindForm("cost_share", N_("Cost share"), N_(
        "A cost paid by one member (e.g. a joint campaign) is shared by ratio."), (
        FormField("amount", N_("Amount"), Widget.MONEY, required=True, hint=N_("e.g. 120000.00")),
        FormField("incurred_on", N_("Incurred on"), Widget.DATE, required=True),
        FormField("paid_by", N_("Paid by"), Widget.MEMBER, required=True),
        FormField("ratios", N_("Ratios"), Widget.MEMBER_DECIMALS, required=True, hint=SHARE_HINT),
    ))

    def parse(self, r: Reader, raw: Mapping[str, Any], where: str, ctx: ParseContext) -> Params:
        amount = r.required_money(raw, "amount", where, ctx.currency)
        incurred_on = r.day(raw, "incurred_on", where, required=True)
        paid_by = r.party(raw, "paid_by", where, ctx.parties)
        ratios = r.shares(r.mapping(raw, "ratios", where), where, "ratios", ctx.parties)
        return Params(amount, incurred_on, paid_by, ratios)  # type: ignore[arg-type]

    def needs(self, params: Params, *, adjusting: bool = False) -> frozenset[Need]:
        return frozenset()  # its amount is in the agreement

    def settle(self, b: Builder, t: RuleTotals, params: Params, s: Settling) -> None:
        if s.adjustment or params.incurred_on != s.day:
            return
        amount = params.amount.minor
        b.post(params.paid_by, amount, amount, Note.PAID.value)
        quotas = {m: amount * Fraction(x) for m, x in params.ratios.items()}
        for member, part in apportion(b.money(amount), quotas).items():
            b.post(member, -part.minor, amount, fmt(params.ratios[member]))

    def settles_on(self, params: Params) -> date:
        return params.incurred_on

    def commits(self, params: Params) -> Money:
        return params.amount

    def describe(self, params: Params, say: Wording) -> Message:
        return Message("A cost of {amount} paid by {paid_by} on {day} is shared: {ratios}.", amount=say.money(params.amount),
                       paid_by=params.paid_by, day=say.day(params.incurred_on), ratios=say.shares(params.ratios))


SPEC = CostShare()
