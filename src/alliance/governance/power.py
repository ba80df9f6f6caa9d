"""Voting power beside a weighted vote: what the weights really give, and warnings where it differs.

Weights are not power. With weights 49, 49 and 2 and a simple majority, each of the three can
make a majority with either other one, so each has a third of the power, not 2%. The games
capability computes the Shapley-Shubik index and the (normalised) Banzhaf index of a weighted
voting game exactly for hundreds of voters (games/voting.py); this module only builds that game
from a weighted rule and the frozen electorate, and reads warnings off the result:

- power differs from weight share by more than the margin (either index);
- a member can block any proposal alone: it holds a veto, or the others together cannot pass
  the threshold without it;
- a member can pass any proposal alone (its weight alone is above the threshold);
- a member with weight but no power (it can never change an outcome).

The game: a proposal passes when the yes weight is strictly above threshold x all weight, every
member taking a side (power is about yes and no; abstentions only shrink the base). With weights
in units of 1/D, "strictly above t*W" is "at least floor(t*W*D) + 1 units", an exact quota.
Veto holders must be in every winning coalition, as in the games capability's veto.
The cost is bounded there: a table too fine to count raises GameTooLarge (422, naming the limit;
round the weights to fewer decimal places). Indices are floats exact to about 1e-12; they are
kept here as Decimals rounded to 9 places.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.games.game import WeightedVotingGame
from alliance.games.voting import voting_power
from alliance.governance.electorate import Electorate
from alliance.governance.errors import RuleInvalid
from alliance.governance.numbers import exact, fraction_text, shown
from alliance.governance.rules.weighted import WeightedVote

DEFAULT_MARGIN = Fraction(1, 10)  # ten percentage points between power and weight share
PLACES = Decimal("1e-9")


class WarningKind(StrEnum):
    POWER_DIFFERS = "power_differs"
    BLOCKS_ALONE = "blocks_alone"
    DECIDES_ALONE = "decides_alone"
    POWERLESS = "powerless"


@dataclass(frozen=True)
class PowerWarning:
    kind: WarningKind
    member: str
    message: Message


@dataclass(frozen=True)
class MemberPower:
    member: str
    weight: Fraction
    weight_share: Fraction
    shapley_shubik: Decimal
    banzhaf: Decimal          # normalised: the indices of all members add up to 1
    veto: bool
    blocks_alone: bool
    decides_alone: bool


@dataclass(frozen=True)
class PowerReport:
    quota: Fraction           # the yes weight that passes, every member taking a side
    total: Fraction
    margin: Fraction
    members: tuple[MemberPower, ...]
    warnings: tuple[PowerWarning, ...]


def power_game(rule: WeightedVote, electorate: Electorate) -> WeightedVotingGame:
    """The weighted voting game of `rule` over the frozen weights (see the module docstring)."""
    rule.check_electorate(electorate)
    above = rule.threshold * electorate.total
    denominator = math.lcm(electorate.denominator, above.denominator)
    quota = Fraction(math.floor(above * denominator) + 1, denominator)
    index = electorate.index()
    return WeightedVotingGame(electorate.members,
                              weights=tuple(Fraction(u, electorate.denominator) for u in electorate.units),
                              quota=quota, veto=frozenset(index[m] for m in rule.vetoes))


def power_report(rule: WeightedVote, electorate: Electorate, margin: object = DEFAULT_MARGIN) -> PowerReport:
    """Shapley-Shubik and Banzhaf power of every member beside its weight share, with warnings.

    Raises RuleInvalid for a margin outside [0, 1], GameTooLarge (from the games capability) when
    the weights are too fine to count within its bounds."""
    gap = exact(margin, "margin", RuleInvalid)
    if not 0 <= gap <= 1:
        reason = Message("the margin must be between 0 and 100% (got {value})", value=shown(gap))
        raise RuleInvalid(reason, [Problem("margin", "", reason)])
    game = power_game(rule, electorate)
    power = voting_power(game)
    shapley, banzhaf = power.shapley_shubik, power.banzhaf_index
    total = electorate.total
    members: list[MemberPower] = []
    warnings: list[PowerWarning] = []
    for i, member in enumerate(electorate.members):
        weight = game.weights[i]
        share = weight / total
        veto = i in game.veto
        others = total - weight
        blocks = veto or others < game.quota
        decides = weight >= game.quota and all(j == i for j in game.veto)
        row = MemberPower(member, weight, share, _decimal(shapley[i]), _decimal(banzhaf[i]), veto, blocks, decides)
        members.append(row)
        warnings.extend(_warnings(row, gap, others, game.quota))
    return PowerReport(game.quota, total, gap, tuple(members), tuple(warnings))


def _decimal(value: float) -> Decimal:
    return Decimal(max(float(value), 0.0)).quantize(PLACES)  # never a "-0E-9" from rounding noise


def _warnings(row: MemberPower, margin: Fraction, others: Fraction, quota: Fraction) -> list[PowerWarning]:
    out: list[PowerWarning] = []
    if row.decides_alone:
        out.append(PowerWarning(WarningKind.DECIDES_ALONE, row.member, Message(
            "{member!r} can pass any proposal alone: its weight {weight} reaches the {quota} needed",
            member=row.member, weight=fraction_text(row.weight), quota=fraction_text(quota))))
    if row.veto:
        out.append(PowerWarning(WarningKind.BLOCKS_ALONE, row.member, Message(
            "{member!r} can block any proposal alone: it holds a veto", member=row.member)))
    elif row.blocks_alone:
        out.append(PowerWarning(WarningKind.BLOCKS_ALONE, row.member, Message(
            "{member!r} can block any proposal alone: the others together weigh {others}, short of the {quota} "
            "needed", member=row.member, others=fraction_text(others), quota=fraction_text(quota))))
    if row.weight > 0 and row.shapley_shubik == 0 and row.banzhaf == 0:
        out.append(PowerWarning(WarningKind.POWERLESS, row.member, Message(
            "{member!r} has {share} of the weight but no voting power: its vote never changes an outcome",
            member=row.member, share=shown(row.weight_share))))
        return out
    for name, index in ((Message("Shapley-Shubik"), row.shapley_shubik), (Message("Banzhaf"), row.banzhaf)):
        if abs(Fraction(index) - row.weight_share) > margin:
            out.append(PowerWarning(WarningKind.POWER_DIFFERS, row.member, Message(
                "{member!r} has {power} of the voting power ({index}) but {share} of the weight: more than {margin} "
                "apart", member=row.member, power=f"{(index * 100).quantize(Decimal('0.01'))}%", index=name,
                share=shown(row.weight_share), margin=shown(margin))))
    return out
