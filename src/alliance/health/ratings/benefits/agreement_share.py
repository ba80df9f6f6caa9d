"""A higher share in a named rule of an agreement. Agreements are signed documents: the platform
never changes one by itself, so reaching the tier records an entitlement the coordinator puts into
the next agreement version (docs/health.md)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.health.ratings.benefits.base import Benefit


class AgreementShare(Benefit):
    kind = "agreement_share"
    title = Message("higher share in an agreement rule")
    params = ("agreement", "rule", "points")

    def check(self, params: Mapping[str, Any], currency: str, where: str) -> tuple[dict[str, Any], list[Problem]]:
        problems: list[Problem] = []
        agreement, rule = str(params.get("agreement") or "").strip(), str(params.get("rule") or "").strip()
        if not agreement:
            problems.append(Problem(where, "agreement", Message("name the agreement")))
        if not rule:
            problems.append(Problem(where, "rule", Message("name the rule of the agreement")))
        points = params.get("points")
        try:
            value = Decimal(str(points).strip()) if not isinstance(points, float) else None
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or not Decimal(0) < value <= Decimal(100):
            problems.append(Problem(where, "points", Message("{value!r} is not a number of percentage points above 0 "
                                                             "and at most 100", value=str(points))))
        if problems:
            return {}, problems
        return {"agreement": agreement, "rule": rule, "points": str(value)}, []

    def describe(self, params: Mapping[str, Any]) -> Message:
        return Message("{points} percentage points more in rule {rule} of agreement {agreement} (from its next version)",
                       points=params.get("points", ""), rule=params.get("rule", ""),
                       agreement=params.get("agreement", ""))

    def entitlement(self, params: Mapping[str, Any]) -> Message | None:
        return Message("put {points} percentage points more for the member in rule {rule} into the next version of "
                       "agreement {agreement}", points=params.get("points", ""), rule=params.get("rule", ""),
                       agreement=params.get("agreement", ""))
