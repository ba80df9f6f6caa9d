"""`three_level` (三级利益分配): a pool drawn from the base is split in three parts: by each member's
sales, by its growth over its baseline, and by a period metric for the long term.

Settlement: a pool of pool_rate x B, funded by the sellers in proportion to their base, split
into its parts; the base part by the members' sales (as seller) today, the incremental part by
the growth over baseline the day added (by sales if the day changed nobody's growth), the
long-term part by the period metric; a part whose weights sum to zero falls back to equal
shares. Each member's exact quotas of the three parts are added up and the pool is apportioned
once over those sums (one statement line per member, rounded once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.core.money import Money, apportion
from alliance.sharing.reader import ONE, Reader
from alliance.sharing.rules.base import (Builder, Need, ParseContext, RuleKindSpec, RuleTotals, SettlementInputMissing,
                                         Settling, Wording, by_weight, fmt, round_half_even)
from alliance.sharing.rules.form import EVERY_PARTY_HINT, METRIC_HINT, N_, FormField, KindForm, Widget
from alliance.sharing.terms import RuleKind

PARTS = ("base", "incremental", "long_term")


@dataclass(frozen=True, slots=True)
class Params:
    pool_rate: Decimal
    parts: Mapping[str, Decimal]  # base / incremental / long_term -> share of the pool, summing to 1
    members: tuple[str, ...]
    baseline: Mapping[str, Money]  # member -> monthly sales before the agreement
    long_term_metric: str


def _parts(r: Reader, raw: Mapping[str, Any] | None, where: str) -> dict[str, Decimal]:
    if raw is None:
        return {}
    parts: dict[str, Decimal] = {}
    for key in raw:
        if key not in PARTS:
            r.add(where, f"parts.{key}", Message("unknown part (use {parts})", parts=', '.join(PARTS)))
    for name in PARTS:
        if name not in raw:
            r.add(where, f"parts.{name}", Message("is required"))
            continue
        value = r.decimal(raw[name], where, f"parts.{name}", low=Decimal(0), high=ONE)
        if value is not None:
            parts[name] = value
    if len(parts) == 3 and sum(parts.values(), Decimal(0)) != ONE:
        r.add(where, "parts", Message("parts sum to {total}, not 1", total=sum(parts.values(), Decimal(0))))
    return parts


def _part_rate(pool: int, quotas: Mapping[str, Fraction]) -> str:
    """A member's exact share of the pool, and of it, what each part gave."""
    if pool == 0:
        return ""
    whole = fmt(sum(quotas.values(), Fraction(0)) / pool)
    return f"{whole} of pool: " + " + ".join(f"{name} {fmt(q / pool)}" for name, q in quotas.items())


class ThreeLevel(RuleKindSpec):
    kind = RuleKind.THREE_LEVEL
    label = N_("Three-level pool")
    Params = Params
    keys = ("pool_rate", "parts", "members", "baseline", "long_term_metric")
    form = KindForm("three_level", N_("Three-level"), N_(
        "A pool drawn from the base is split in three parts: by each member's sales, by its growth over "
        "its baseline, and by a period metric for the long term."), (
        FormField("pool_rate", N_("Pool rate"), Widget.DECIMAL, hint=N_("The part of the base put in the pool; empty: all of it.")),
        FormField("parts", N_("Parts"), Widget.PARTS, required=True, hint=N_("Three decimals that add up to 1."), options=(
            ("base", N_("Base (sales)")), ("incremental", N_("Incremental (growth)")),
            ("long_term", N_("Long term (period metric)")))),
        FormField("members", N_("Members"), Widget.MEMBERS, hint=EVERY_PARTY_HINT, none_is_every=True),
        FormField("baseline", N_("Baseline"), Widget.MEMBER_MONEY, required=True,
                  hint=N_("Each member's monthly sales before the agreement, e.g. 100000.00.")),
        FormField("long_term_metric", N_("Long-term metric"), Widget.NAME, required=True, hint=METRIC_HINT),
    ))

    def parse(self, r: Reader, raw: Mapping[str, Any], where: str, ctx: ParseContext) -> Params:
        pool_rate = r.decimal(raw.get("pool_rate", 1), where, "pool_rate", low=Decimal(0), high=ONE)
        parts = _parts(r, r.mapping(raw, "parts", where), where)
        members = r.members(raw.get("members", sorted(ctx.parties)), where, "members", ctx.parties)
        raw_baseline = r.mapping(raw, "baseline", where)
        baseline = {} if raw_baseline is None else {
            str(k): m for k, v in raw_baseline.items()
            if (m := r.member_money(k, v, ctx.currency, where, "baseline", set(members))) is not None
        }
        return Params(pool_rate, parts, members, baseline, r.text(raw, "long_term_metric", where))  # type: ignore[arg-type]

    def needs(self, params: Params, *, adjusting: bool = False) -> frozenset[Need]:
        return frozenset({Need.SELLER, Need.SELLER_BEFORE})

    def settle(self, b: Builder, t: RuleTotals, params: Params, s: Settling) -> None:
        members: Sequence[str] = params.members
        by_seller = t.by_seller
        base_total = sum(by_seller.values())
        pool = round_half_even(Fraction(base_total) * Fraction(params.pool_rate))
        for seller, part in apportion(b.money(pool), by_weight(pool, by_seller)).items():
            b.post(seller, -part.minor, by_seller[seller], f"funds pool at {fmt(params.pool_rate)}")
        parts = {name: pool * Fraction(share) for name, share in params.parts.items()}  # exact, never rounded
        sales_today = {m: by_seller.get(m, 0) for m in members}
        sales_before = {m: t.before_by_seller.get(m, 0) for m in members}
        baseline = {m: (params.baseline[m].minor if m in params.baseline else 0) for m in members}
        growth = {
            m: max(0, sales_before[m] + sales_today[m] - baseline[m]) - max(0, sales_before[m] - baseline[m])
            for m in members
        }
        metric_name = params.long_term_metric
        values = s.inputs.metrics.get(metric_name, {})
        missing = [m for m in members if m not in values]
        if missing and parts["long_term"]:
            raise SettlementInputMissing(
                Message("rule {rule!r} needs the period metric {metric!r} for {members}",
                        rule=b.rule_id, metric=metric_name, members=", ".join(missing)),
                [Problem(Message("rule {rule!r}", rule=b.rule_id), metric_name, Message("no value for {member}", member=m))
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
        by_part = {name: by_weight(parts[name], weights[name]) if parts[name] else {} for name in parts}
        quotas = {m: sum((by_part[name].get(m, Fraction(0)) for name in parts), Fraction(0)) for m in members}
        rates = {m: _part_rate(pool, {name: by_part[name].get(m, Fraction(0)) for name in parts}) for m in members}
        b.share_out(pool, quotas, pool, rates)

    def describe(self, params: Params, say: Wording) -> Message:
        baseline = ", ".join(f"{m} {say.money(v)}" for m, v in params.baseline.items())
        return Message("A pool of {pool_rate} of the base is shared among {members}: {base} by their sales, {incremental} "
                       "by their growth over their monthly baseline ({baseline}), {long_term} by the period metric "
                       "{metric}.", pool_rate=say.share(params.pool_rate), members=say.names(params.members),
                       base=say.share(params.parts["base"]), incremental=say.share(params.parts["incremental"]),
                       long_term=say.share(params.parts["long_term"]), baseline=baseline or "-",
                       metric=params.long_term_metric)


SPEC = ThreeLevel()
