"""`rebate` (生态返利): a rate of the selected (platform) revenue is returned by the payer to the
recipients, in proportion to their sales.

Settlement: rate x B, owed by the payer to the recipients in proportion to their sales as product
owner among the selected lines; equal shares when those sum to zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from alliance.core.messages import Message
from alliance.sharing.reader import Reader
from alliance.sharing.rules.base import (Builder, Need, ParseContext, RuleKindSpec, RuleTotals, Settling, Wording,
                                         by_weight, fmt, round_half_even)
from alliance.sharing.rules.form import N_, FormField, KindForm, Widget
from alliance.sharing.terms import RuleKind


@dataclass(frozen=True, slots=True)
class Params:
    rate: Decimal
    payer: str
    recipients: tuple[str, ...]


class Note(StrEnum):
    PRO_RATA = N_("pro rata to sales")


class Rebate(RuleKindSpec):
    kind = RuleKind.REBATE
    label = N_("Rebate")
    Params = Params
    keys = ("rate", "payer", "recipients")
    Note = Note
    form = KindForm("rebate", N_("Rebate"), N_(
        "A rate of the selected revenue is returned by the payer to the recipients, in proportion to their sales."), (
        FormField("rate", N_("Rate"), Widget.DECIMAL, required=True, hint=N_("e.g. 0.15")),
        FormField("payer", N_("Paid by"), Widget.MEMBER, required=True),
        FormField("recipients", N_("Recipients"), Widget.MEMBERS, required=True),
    ))

    def parse(self, r: Reader, raw: Mapping[str, Any], where: str, ctx: ParseContext) -> Params:
        rate = r.required_decimal(raw, "rate", where)
        payer = r.party(raw, "payer", where, ctx.parties)
        return Params(rate, payer, r.members(raw.get("recipients"), where, "recipients", ctx.parties))  # type: ignore[arg-type]

    def needs(self, params: Params, *, adjusting: bool = False) -> frozenset[Need]:
        return frozenset({Need.SELLER, Need.OWNER})

    def settle(self, b: Builder, t: RuleTotals, params: Params, s: Settling) -> None:
        total_base = sum(t.by_seller.values())
        amount = round_half_even(Fraction(total_base) * Fraction(params.rate))
        if amount == 0:
            return
        weights = {r: t.by_owner.get(r, 0) for r in params.recipients}
        b.post(params.payer, -amount, total_base, f"pays {fmt(params.rate)} rebate")
        b.share_out(amount, by_weight(amount, weights), amount, {r: Note.PRO_RATA.value for r in weights})

    def describe(self, params: Params, say: Wording) -> Message:
        return Message("{payer} returns {rate} of the base to {recipients}, in proportion to their sales.",
                       payer=params.payer, rate=say.share(params.rate), recipients=say.names(params.recipients))


SPEC = Rebate()
