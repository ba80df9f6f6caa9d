"""Consent: the proposal passes unless someone objects (sociocracy's consent, lazy consensus).

Silence is consent: with no objection the proposal passes, even if few took part, so a body that
wants a minimum turnout sets a quorum. An objection stops it (status blocked, naming who objected)
until the proposal is amended and put again. There is no "no" here: one consents, stands aside
(abstain) or objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from alliance.core.messages import Message
from alliance.governance.ballots import Choice
from alliance.governance.rules.base import QUORUM, Count, DecisionRule, Status, Verdict


@dataclass(frozen=True)
class Consent(DecisionRule):
    kind = "consent"
    title = Message("Consent (no objection)")
    summary = Message("Passes unless someone objects; silence is consent.")
    choices = frozenset({Choice.YES, Choice.ABSTAIN, Choice.OBJECTION})
    parameters = (QUORUM,)

    def judge(self, count: Count) -> Verdict:
        objectors = count.who(Choice.OBJECTION)
        if objectors:
            return Verdict(Status.BLOCKED, (Message("objection by {members}", members=", ".join(objectors)),),
                           stopped_by=objectors)
        return Verdict(Status.PASSED, (Message("nobody objected"),))
