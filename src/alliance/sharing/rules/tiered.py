"""`tiered` (阶梯式分成): on each member's volume in the month, the payer pays the rate of the tier
reached.

Settlement: for each member (as seller or product owner, `volume_of`), f(volume month to date
incl. today) - f(volume before today), each rounded half-even to the minor unit, so a month's
payments add up to f(month volume) exactly; the payer owes their sum. f is marginal (each slice
at its tier's rate) or whole (all of it at the rate of the tier reached); volumes at or below
zero earn nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from alliance.core.messages import Message, joined
from alliance.sharing.reader import ONE, Reader, tier_where
from alliance.sharing.rules.base import (Builder, Need, ParseContext, RuleKindSpec, RuleTotals, Settling, Wording,
                                         round_half_even)
from alliance.sharing.rules.form import N_, FormField, KindForm, Widget
from alliance.sharing.terms import RuleKind, Tier, TierMode, VolumeOf


@dataclass(frozen=True, slots=True)
class Params:
    volume_of: VolumeOf
    mode: TierMode
    payer: str
    tiers: tuple[Tier, ...]


# How a description names whose volume counts.
_VOLUME_OF = {VolumeOf.SELLER: Message("seller"), VolumeOf.PRODUCT_OWNER: Message("product owner")}


class Note(StrEnum):
    PAYS = N_("pays tier incentives")


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


def _tiers(r: Reader, raw: Any, where: str, currency: str | None) -> tuple[Tier, ...]:
    if not isinstance(raw, list) or not raw:
        r.add(where, "tiers", Message("must be a non-empty list of {up_to, rate}"))
        return ()
    tiers: list[Tier] = []
    for i, item in enumerate(raw, start=1):
        spot = tier_where(where, i)
        if not isinstance(item, Mapping):
            r.add(spot, "", Message("must be a mapping {up_to, rate}"))
            continue
        rate = r.decimal(item.get("rate"), spot, "rate", low=Decimal(0), high=ONE) if "rate" in item else None
        if "rate" not in item:
            r.add(spot, "rate", Message("is required"))
        up_to = r.money(item["up_to"], currency, spot, "up_to") if item.get("up_to") is not None else None
        if rate is not None:
            tiers.append(Tier(up_to, rate))
    if len(tiers) == len(raw):
        for i, (lower, upper) in enumerate(zip(tiers, tiers[1:]), start=1):
            if lower.up_to is None:
                r.add(tier_where(where, i), "up_to", Message("only the last tier may be open-ended"))
            elif upper.up_to is not None and upper.up_to <= lower.up_to:
                r.add(tier_where(where, i + 1), "up_to",
                      Message("tiers overlap or are out of order: {up_to} is not above {previous}",
                              up_to=upper.up_to.amount_text(), previous=lower.up_to.amount_text()))
        if tiers and tiers[-1].up_to is not None:
            r.add(tier_where(where, len(tiers)), "up_to", Message("the last tier must be open-ended (no up_to)"))
    return tuple(tiers)


class Tiered(RuleKindSpec):
    kind = RuleKind.TIERED
    label = N_("Tiered incentive")
    Params = Params
    keys = ("volume_of", "mode", "payer", "tiers")
    Note = Note
    form = KindForm("tiered", N_("Tiered"), N_(
        "On each member's volume in the month, the payer pays the rate of the tier reached."), (
        FormField("volume_of", N_("Volume of"), Widget.CHOICE, options=(
            ("seller", N_("the seller")), ("product_owner", N_("the product owner")))),
        FormField("payer", N_("Paid by"), Widget.MEMBER, required=True),
        FormField("mode", N_("Tier mode"), Widget.CHOICE, required=True, options=(
            ("marginal", N_("marginal: each slice of volume at its own tier's rate")),
            ("whole", N_("whole: all of the volume at the rate of the tier reached")))),
        FormField("tiers", N_("Tiers"), Widget.TIERS, required=True, hint=N_(
            "Ascending monthly volumes; leave the last tier's upper bound empty (no limit).")),
    ))

    def parse(self, r: Reader, raw: Mapping[str, Any], where: str, ctx: ParseContext) -> Params:
        volume_of = r.choice(raw, "volume_of", where, VolumeOf, VolumeOf.SELLER)
        mode = r.choice(raw, "mode", where, TierMode, None)
        payer = r.party(raw, "payer", where, ctx.parties)
        return Params(volume_of, mode, payer, _tiers(r, raw.get("tiers"), where, ctx.currency))  # type: ignore[arg-type]

    def needs(self, params: Params, *, adjusting: bool = False) -> frozenset[Need]:
        by_seller = params.volume_of is VolumeOf.SELLER
        return frozenset({Need.SELLER, Need.SELLER_BEFORE} if by_seller else {Need.OWNER, Need.OWNER_BEFORE})

    def settle(self, b: Builder, t: RuleTotals, params: Params, s: Settling) -> None:
        by_seller = params.volume_of is VolumeOf.SELLER
        today = t.by_seller if by_seller else t.by_owner
        before = t.before_by_seller if by_seller else t.before_by_owner
        tiers, mode = params.tiers, params.mode
        paid = 0
        for member in sorted(today):
            v0 = before.get(member, 0)
            amount = round_half_even(tier_amount(tiers, mode, v0 + today[member])) - round_half_even(tier_amount(tiers, mode, v0))
            b.post(member, amount, today[member],
                   f"tiers ({mode.value}) on {b.money(v0 + today[member]).amount_text()} month to date")
            paid += amount
        if paid:
            b.post(params.payer, -paid, paid, Note.PAYS.value)

    def describe(self, params: Params, say: Wording) -> Message:
        slices = []
        for tier in params.tiers:
            rate = say.share(tier.rate)
            slices.append(Message("above that: {rate}", rate=rate) if tier.up_to is None
                          else Message("below {limit}: {rate}", limit=say.money(tier.up_to), rate=rate))
        role, tiers = _VOLUME_OF[params.volume_of], joined(slices)
        if params.mode is TierMode.WHOLE:
            return Message("{payer} pays each member on its month's volume as {role} the rate of the tier reached, on "
                           "all of it: {tiers}.", payer=params.payer, role=role, tiers=tiers)
        return Message("{payer} pays each member on its month's volume as {role}, each slice at its tier's rate: "
                       "{tiers}.", payer=params.payer, role=role, tiers=tiers)


SPEC = Tiered()
