"""Consensus with block: the proposal passes when nobody blocks and support is above the threshold.

A block is the strongest no ("I cannot live with this"): one block stops the proposal, whatever the
others say (status blocked, naming who blocked). Without a block, most of those who took a side
must agree: support strictly above the threshold, one half by default (a proposal most of the room
disagrees with is not a consensus even if nobody blocks). A block counts as a no in the shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from alliance.core.messages import Message
from alliance.governance.ballots import Choice
from alliance.governance.rules.base import (
    QUORUM,
    Count,
    DecisionRule,
    Status,
    Verdict,
    compare,
    threshold_parameter,
)


@dataclass(frozen=True)
class Consensus(DecisionRule):
    kind = "consensus"
    title = Message("Consensus with block")
    summary = Message("Passes when nobody blocks and support is above the threshold; one block stops it.")
    choices = frozenset({Choice.YES, Choice.NO, Choice.ABSTAIN, Choice.BLOCK})
    parameters = (QUORUM, threshold_parameter(Fraction(1, 2)))

    threshold: Fraction = Fraction(1, 2)

    def judge(self, count: Count) -> Verdict:
        blockers = count.who(Choice.BLOCK)
        if blockers:
            return Verdict(Status.BLOCKED, (Message("blocked by {members}", members=", ".join(blockers)),),
                           count.support, self.threshold, blockers)
        return compare(count.support, Message("support (yes of yes and no)"), self.threshold)
