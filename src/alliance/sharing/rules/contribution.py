"""`contribution` (贡献分配): each line's base is shared among the members attributed on it (those
the rule lists, if it lists any), or goes to its seller when none is.

The day's lines form an attribution game, a sum of unanimity games (one per set of members a
line is shared among, worth that set's base). `equal` = `shapley` pays its Shapley value (each
member of a set an equal part of the set's base); `banzhaf` the normalised Banzhaf value
(docs/games.md). Sellers owe their base. A dispute report recomputes and explains the same game
(`game_value`, `settlement.disputes`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from alliance.core.messages import Message
from alliance.sharing.reader import Reader
from alliance.sharing.rules.base import (Builder, Need, ParseContext, RuleKindSpec, RuleTotals, Settling, Wording)
from alliance.sharing.rules.form import EVERY_PARTY_HINT, N_, FormField, KindForm, Widget
from alliance.sharing.terms import RuleKind

# How a contribution rule values members on the day's attribution game: "equal" and "shapley" are
# the same thing (the Shapley value of a sum of unanimity games shares each line equally among
# its attributed members); "banzhaf" is the normalised Banzhaf value (docs/games.md).
CONTRIBUTION_METHODS = ("equal", "shapley", "banzhaf")


@dataclass(frozen=True, slots=True)
class Params:
    members: tuple[str, ...]  # () : every member attributed on a line
    method: str  # one of CONTRIBUTION_METHODS


# How a description names the value a rule pays.
_METHODS = {"equal": Message("equal parts per line"), "shapley": Message("the Shapley value: equal parts per line"),
            "banzhaf": Message("the normalised Banzhaf value")}


class Note(StrEnum):
    SHAPLEY = N_("Shapley value (equal per attributed line)")
    BANZHAF = N_("normalised Banzhaf value")
    BANZHAF_UNDEFINED = N_("Shapley value (Banzhaf undefined: raw values sum to zero)")


def sharers(params: Params, attributed_to: Sequence[str], seller: str) -> tuple[str, ...]:
    """The members a contribution rule shares a line's base among: its attributed members (those
    the rule lists, if it lists any), or its seller when there are none."""
    listed = params.members or ()
    return tuple(m for m in attributed_to if not listed or m in listed) or (seller,)


class Contribution(RuleKindSpec):
    kind = RuleKind.CONTRIBUTION
    label = N_("Contribution pool")
    Params = Params
    keys = ("members", "method")
    Note = Note
    form = KindForm("contribution", N_("Contribution pool"), N_(
        "Each line's base is shared among the members attributed on it (or its seller)."), (
        FormField("members", N_("Members"), Widget.MEMBERS, hint=EVERY_PARTY_HINT, none_is_every=True),
        FormField("method", N_("Method"), Widget.CHOICE, options=(
            ("equal", N_("Equal among the attributed members")), ("shapley", N_("Shapley")),
            ("banzhaf", N_("Banzhaf")))),
    ))

    def parse(self, r: Reader, raw: Mapping[str, Any], where: str, ctx: ParseContext) -> Params:
        members = r.members(raw["members"], where, "members", ctx.parties) if "members" in raw else ()
        method = str(raw.get("method", "equal"))
        if method not in CONTRIBUTION_METHODS:
            r.add(where, "method", Message("{method!r} is not a contribution method ({methods})", method=method,
                                           methods=', '.join(CONTRIBUTION_METHODS)))
        return Params(members, method)

    def needs(self, params: Params, *, adjusting: bool = False) -> frozenset[Need]:
        return frozenset({Need.SELLER, Need.SHARERS})

    def settle(self, b: Builder, t: RuleTotals, params: Params, s: Settling) -> None:
        """Both values exact, in fractions: the Shapley value gives each member of a set an equal
        part of the set's base; the normalised Banzhaf value weights a set of k members by
        1 / 2^(k-1) per member, then scales to the pool."""
        pool = sum(t.by_seller.values())
        shapley: dict[str, Fraction] = defaultdict(Fraction)
        raw: dict[str, Fraction] = defaultdict(Fraction)
        for members, base in t.by_sharers.items():
            for member in members:
                shapley[member] += Fraction(base, len(members))
                raw[member] += Fraction(base, 2 ** (len(members) - 1))
        quotas, note = dict(shapley), Note.SHAPLEY
        if params.method == "banzhaf":
            total = sum(raw.values(), Fraction(0))
            if total != 0:
                quotas, note = {m: pool * x / total for m, x in raw.items()}, Note.BANZHAF
            elif pool != 0:
                note = Note.BANZHAF_UNDEFINED
        b.collect_from_sellers(t.by_seller)
        b.share_out(pool, quotas, pool, {m: note.value for m in quotas})

    def game_value(self, params: Params) -> str:
        return "banzhaf" if params.method == "banzhaf" else "shapley"  # equal = shapley

    def describe(self, params: Params, say: Wording) -> Message:
        value = _METHODS[params.method]
        if params.members:
            return Message("Each line's base is shared among the members attributed on it, of {members} ({value}); a "
                           "line attributed to none of them goes to its seller.", members=say.names(params.members),
                           value=value)
        return Message("Each line's base is shared among the members attributed on it ({value}); a line attributed to "
                       "nobody goes to its seller.", value=value)


SPEC = Contribution()
