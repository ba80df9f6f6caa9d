"""Two-thirds: yes must exceed two-thirds, measured against one of three bases, as Robert's Rules
of Order (RONR, 12th ed., section 44) distinguish them:

- votes_cast (the default, RONR's "two-thirds vote"): yes / (yes + no); abstentions do not count;
- members_present: yes / the weight of the members present (from the meeting's attendance);
  an abstention or a present member who does not vote counts as a no;
- all_members: yes / all eligible members; absence counts as a no.

Comparison. The issue asks for every share to be strictly above its threshold, so 20 yes to 10 no
(exactly two-thirds) fails by default. RONR defines a two-thirds vote as "at least two-thirds", so
20 to 10 carries there; a body that follows RONR sets `at_least` (a configuration, stored with the
proposal and shown in the outcome, never a silent rounding).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from alliance.core.messages import Message
from alliance.governance.ballots import Choice
from alliance.governance.rules.base import (
    QUORUM,
    Base,
    Count,
    DecisionRule,
    Kind,
    Parameter,
    Verdict,
    compare,
)

TWO_THIRDS = Fraction(2, 3)


@dataclass(frozen=True)
class TwoThirds(DecisionRule):
    kind = "two_thirds"
    title = Message("Two-thirds majority")
    summary = Message("Passes when yes is more than two-thirds of the votes cast, of the members present or of "
                      "all members, as configured.")
    choices = frozenset({Choice.YES, Choice.NO, Choice.ABSTAIN})
    parameters = (
        QUORUM,
        Parameter("base", Message("Two-thirds of"), Kind.BASE, Base.VOTES_CAST,
                  (Base.VOTES_CAST, Base.MEMBERS_PRESENT, Base.ALL_MEMBERS)),
        Parameter("at_least", Message("Exactly two-thirds is enough (Robert's Rules)"), Kind.BOOL, False),
    )

    base: Base = Base.VOTES_CAST
    at_least: bool = False

    @property
    def needs_attendance(self) -> bool:
        return self.base is Base.MEMBERS_PRESENT

    def judge(self, count: Count) -> Verdict:
        measure, name = count.measured(self.base)
        return compare(measure, name, TWO_THIRDS, at_least=self.at_least)
