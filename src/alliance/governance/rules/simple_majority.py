"""Simple majority: more yes than no among those who took a side (RONR's "majority vote").

Support = yes / (yes + no) must be strictly above one half: a tie fails, and abstentions count
neither way. One vote per member.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from alliance.core.messages import Message
from alliance.governance.ballots import Choice
from alliance.governance.rules.base import QUORUM, Count, DecisionRule, Verdict, compare


@dataclass(frozen=True)
class SimpleMajority(DecisionRule):
    kind = "simple_majority"
    title = Message("Simple majority")
    summary = Message("Passes when more than half of the yes and no votes are yes; abstentions do not count.")
    choices = frozenset({Choice.YES, Choice.NO, Choice.ABSTAIN})
    parameters = (QUORUM,)

    def judge(self, count: Count) -> Verdict:
        return compare(count.support, Message("support (yes of yes and no)"), Fraction(1, 2))
