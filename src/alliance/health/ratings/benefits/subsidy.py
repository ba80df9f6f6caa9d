"""Marketing subsidy: an amount of money per period, in the alliance's currency (exact)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.core.money import Money
from alliance.health.ratings.benefits.base import Benefit


class MarketingSubsidy(Benefit):
    kind = "marketing_subsidy"
    title = Message("marketing subsidy")
    params = ("amount",)

    def check(self, params: Mapping[str, Any], currency: str, where: str) -> tuple[dict[str, Any], list[Problem]]:
        text = params.get("amount")
        try:
            if isinstance(text, float):
                raise InvalidInput(Message("not exact"))
            money = Money.parse(str(text or ""), currency)
        except InvalidInput:
            return {}, [Problem(where, "amount", Message("{value!r} is not an amount of {currency}",
                                                         value=str(text or ""), currency=currency))]
        if money.minor <= 0:
            return {}, [Problem(where, "amount", Message("the subsidy must be more than nothing"))]
        return {"amount": money.amount_text(), "currency": currency}, []

    def describe(self, params: Mapping[str, Any]) -> Message:
        return Message("marketing subsidy of {amount} {currency} a period", amount=params.get("amount", ""),
                       currency=params.get("currency", ""))

    def entitlement(self, params: Mapping[str, Any]) -> Message | None:
        return Message("pay a marketing subsidy of {amount} {currency} for the period", amount=params.get("amount", ""),
                       currency=params.get("currency", ""))
