"""Weighted vote: each member votes with its weight as frozen when voting opens (investment share,
settled contribution, or an explicit table), with optional vetoes.

Support = yes weight / (yes + no weight) must be strictly above the threshold (one half by default);
participation, against the quorum, is weight cast / all eligible weight. A member holding a veto
stops the proposal by voting no (status vetoed, naming it); abstaining or not voting is not a veto.
`must_total`, when set ("1" or "100"), refuses a weight table that does not add up to it, so a
typo in a share table is caught rather than silently renormalised.
`weights` names where the weights come from when voting opens (governance/weight_sources/: the
alliance's explicit table, settled contribution, or one vote each); the tally itself only ever
reads the frozen electorate.

Beside a weighted vote, governance/power.py shows the voting power the weights really give.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.governance.ballots import Choice
from alliance.governance.electorate import Electorate
from alliance.governance.errors import RuleInvalid, WeightsInvalid
from alliance.governance.numbers import fraction_text
from alliance.governance.weight_sources import DEFAULT_SOURCE, WEIGHT_SOURCES
from alliance.governance.rules.base import (
    QUORUM,
    Count,
    DecisionRule,
    Kind,
    Parameter,
    Status,
    Verdict,
    compare,
    threshold_parameter,
)


@dataclass(frozen=True)
class WeightedVote(DecisionRule):
    kind = "weighted"
    title = Message("Weighted vote")
    summary = Message("Each member votes with its weight, frozen when voting opens; passes when the yes weight is "
                      "above the threshold of the yes and no weight, unless a veto holder votes no.")
    choices = frozenset({Choice.YES, Choice.NO, Choice.ABSTAIN})
    parameters = (
        QUORUM,
        threshold_parameter(Fraction(1, 2)),
        Parameter("vetoes", Message("Members holding a veto"), Kind.MEMBERS, ()),
        Parameter("must_total", Message("The weights must add up to (empty: any total)"), Kind.TOTAL, None),
        Parameter("weights", Message("Where the weights come from"), Kind.CHOICE, DEFAULT_SOURCE,
                  options=tuple(WEIGHT_SOURCES)),
        # Shown beside the vote, never part of its count (governance/power.py).
        Parameter("power_margin", Message("Warn when a member's voting power differs from its weight share by more "
                                          "than"), Kind.FRACTION, Fraction(1, 10)),
    )
    weighted = True

    threshold: Fraction = Fraction(1, 2)
    vetoes: tuple[str, ...] = ()
    must_total: Fraction | None = None
    weights: str = DEFAULT_SOURCE  # a key of WEIGHT_SOURCES
    power_margin: Fraction = Fraction(1, 10)

    def check(self) -> list[Problem]:
        if self.threshold == 1:
            # Support can never be strictly above 100%: such a rule could never pass.
            return [Problem("rule.threshold", "", Message("a 100% threshold can never be passed (support must be "
                                                          "strictly above it); use unanimity instead"))]
        return []

    def check_electorate(self, electorate: Electorate) -> None:
        strangers = [m for m in self.vetoes if m not in electorate]
        if strangers:
            problems = [Problem("rule.vetoes", "", Message("veto holder {member!r} is not an eligible voter in this vote",
                                                          member=m)) for m in strangers]
            raise RuleInvalid(Message("{rule}: {problem}", rule=self.title, problem=problems[0].text()), problems)
        if self.must_total is not None and electorate.total != self.must_total:
            reason = Message("the weights add up to {total}, not {expected} as the rule requires",
                             total=fraction_text(electorate.total), expected=fraction_text(self.must_total))
            raise WeightsInvalid(Message("the weight table cannot be used: {problem}", problem=reason),
                                 [Problem("weights", "", reason)])

    def judge(self, count: Count) -> Verdict:
        vetoed = tuple(m for m in count.who(Choice.NO) if m in self.vetoes)
        if vetoed:
            return Verdict(Status.VETOED, (Message("vetoed by {members}", members=", ".join(vetoed)),),
                           count.support, self.threshold, vetoed)
        return compare(count.support, Message("support (yes of yes and no)"), self.threshold)
