"""Unanimity: nobody votes no, and at least one votes yes.

Two readings, as bodies write them:
- votes_cast (default): every vote cast for a side is yes; abstentions do not break it (as in the
  EU Council, where abstaining does not prevent unanimity);
- all_members: every eligible member votes yes; an abstention or a missing vote breaks it.
There is no threshold to be above: support must be exactly all.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from alliance.core.messages import Message
from alliance.governance.ballots import Choice
from alliance.governance.numbers import shown
from alliance.governance.rules.base import (
    QUORUM,
    Base,
    Count,
    DecisionRule,
    Kind,
    Parameter,
    Status,
    Verdict,
)


@dataclass(frozen=True)
class Unanimity(DecisionRule):
    kind = "unanimity"
    title = Message("Unanimity")
    summary = Message("Passes when nobody votes no and at least one votes yes (or, if configured, when every "
                      "eligible member votes yes).")
    choices = frozenset({Choice.YES, Choice.NO, Choice.ABSTAIN})
    parameters = (
        QUORUM,
        Parameter("base", Message("Unanimity of"), Kind.BASE, Base.VOTES_CAST, (Base.VOTES_CAST, Base.ALL_MEMBERS)),
    )

    base: Base = Base.VOTES_CAST

    def judge(self, count: Count) -> Verdict:
        measure, name = count.measured(self.base)
        against = count.who(Choice.NO)
        if measure == 1:
            return Verdict(Status.PASSED, (Message("{name} is {measure}: unanimous", name=name,
                                                   measure=shown(measure)),), measure, Fraction(1))
        if against:
            reason = Message("not unanimous: {members} voted no", members=", ".join(against))
        elif measure is None:
            reason = Message("nobody voted yes")
        else:
            reason = Message("not unanimous: {name} is {measure}", name=name, measure=shown(measure))
        return Verdict(Status.FAILED, (reason,), measure, Fraction(1))
