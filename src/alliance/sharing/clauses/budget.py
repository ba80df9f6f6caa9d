"""Budget: what the agreement may commit its parties to pay whatever is sold (milestone tranches, shared costs)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alliance.core.messages import Message
from alliance.core.money import Money
from alliance.sharing.clauses.base import ClauseContext, ClauseKind, ClauseKindSpec, Template
from alliance.sharing.reader import Reader
from alliance.sharing.rules.form import N_, FormField, Widget


@dataclass(frozen=True, slots=True)
class Params:
    amount: Money


def parse(r: Reader, raw: Mapping[str, Any], where: str, ctx: ClauseContext) -> Params | None:
    amount = r.required_money(raw, "amount", where, ctx.currency)
    if amount is not None and amount.minor <= 0:
        r.add(where, "amount", Message("a budget is more than zero"))
        return None
    return Params(amount) if amount is not None else None


def describe(p: Params) -> list[tuple[str, str]]:
    return [(Message("Budget"), f"{p.amount.amount_text()} {p.amount.currency}")]


SPEC = ClauseKindSpec(
    kind=ClauseKind.BUDGET, label=N_("Budget"),
    explanation=N_("The most the agreement commits its parties to pay whatever is sold: its milestone tranches and shared costs together stay within it."),
    Params=Params, parse=parse, describe=describe,
    fields=(FormField("amount", N_("Budget"), Widget.MONEY, required=True, hint=N_("e.g. 600000.00")),),
    template=Template(
        zh="本项目预算总额如下；各里程碑付款及共担成本合计不得超过预算。",
        en="The project's budget is the amount below; its milestone tranches and shared costs together stay within it.",
        fields={"amount": "600000.00"}),
)
