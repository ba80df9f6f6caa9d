"""`dynamic` (动态分成): the initial split in the first month, then re-weighted every month from
period metrics, each share moving by at most `max_change`.

Settlement: as `fixed_split`, with the shares of the day's month. Those are `initial` in the
agreement's first month; later, `reweight` of the previous month's shares by the previous month's
metrics, replayed from the first month (`period_shares`), so nothing but the metrics is stored and
a month's shares can always be recomputed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from alliance.core.messages import Message
from alliance.sharing.reader import ONE, Reader
from alliance.sharing.rules.base import (Builder, Need, ParseContext, RuleKindSpec, RuleTotals, SettlementInputMissing,
                                         Settling, Wording)
from alliance.sharing.rules.fixed_split import share_base
from alliance.sharing.rules.form import N_, SHARE_HINT, FormField, KindForm, Widget
from alliance.sharing.terms import RuleKind


@dataclass(frozen=True, slots=True)
class Params:
    initial: Mapping[str, Decimal]  # member -> share in the first month, summing to 1
    metrics: Mapping[str, Decimal]  # period metric -> weight, summing to 1
    max_change: Decimal  # the most a share moves in a month


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


def _months(first: date, last: date) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _weights(r: Reader, raw: Mapping[str, Any] | None, where: str, field_: str) -> dict[str, Decimal]:
    if raw is None:
        return {}
    weights: dict[str, Decimal] = {}
    for name, value in raw.items():
        weight = r.decimal(value, where, f"{field_}.{name}", low=Decimal(0), high=ONE)
        if weight is not None:
            weights[str(name)] = weight
    if len(weights) == len(raw) and sum(weights.values(), Decimal(0)) != ONE:
        r.add(where, field_, Message("weights sum to {total}, not 1", total=sum(weights.values(), Decimal(0))))
    return weights


class Dynamic(RuleKindSpec):
    kind = RuleKind.DYNAMIC
    label = N_("Dynamic split")
    Params = Params
    keys = ("initial", "metrics", "max_change")
    form = KindForm("dynamic", N_("Dynamic"), N_(
        "The initial split in the first month, then re-weighted every month from period metrics, each share "
        "moving by at most the given change."), (
        FormField("initial", N_("Initial shares"), Widget.MEMBER_DECIMALS, required=True, hint=SHARE_HINT),
        FormField("metrics", N_("Period metrics and their weights"), Widget.WEIGHTS, required=True, hint=N_(
            "Names of period metrics recorded each month, each with a weight; the weights add up to 1.")),
        FormField("max_change", N_("Largest change per month"), Widget.DECIMAL, required=True, hint=N_("e.g. 0.05")),
    ))

    def parse(self, r: Reader, raw: Mapping[str, Any], where: str, ctx: ParseContext) -> Params:
        initial = r.shares(r.mapping(raw, "initial", where), where, "initial", ctx.parties)
        metrics = _weights(r, r.mapping(raw, "metrics", where), where, "metrics")
        return Params(initial, metrics, r.required_decimal(raw, "max_change", where))  # type: ignore[arg-type]

    def needs(self, params: Params, *, adjusting: bool = False) -> frozenset[Need]:
        return frozenset({Need.SELLER})

    def settle(self, b: Builder, t: RuleTotals, params: Params, s: Settling) -> None:
        first_period = (s.day.year, s.day.month) == (s.first_day.year, s.first_day.month)
        if b.rule_id in s.inputs.dynamic_shares:
            shares = dict(s.inputs.dynamic_shares[b.rule_id])
        elif first_period:
            shares = {m: Fraction(x) for m, x in params.initial.items()}
        else:
            raise SettlementInputMissing(Message("dynamic rule {rule!r} needs its shares for {month:%Y-%m} (see "
                                                 "reweight)", rule=b.rule_id, month=s.day))
        share_base(b, t, shares)

    def period_shares(self, rule_id: str, params: Params, first_day: date, day: date,
                      metrics: Mapping[str, Mapping[str, Mapping[str, Decimal]]]) -> dict[str, Fraction]:
        current = {m: Fraction(x) for m, x in params.initial.items()}
        for previous in _months(first_day, day)[:-1]:
            try:
                current = reweight(current, metrics.get(previous, {}), params.metrics, params.max_change)
            except SettlementInputMissing as exc:
                raise SettlementInputMissing(Message("rule {rule!r}, {month}: {reason}",
                                                     rule=rule_id, month=previous, reason=exc.message)) from None
        return current

    def describe(self, params: Params, say: Wording) -> Message:
        return Message("In the first month the base is shared {initial}; then the shares are re-weighted every "
                       "month by the period metrics {metrics}, each moving by at most {max_change} a month.",
                       initial=say.shares(params.initial), metrics=say.shares(params.metrics),
                       max_change=say.share(params.max_change))


SPEC = Dynamic()
