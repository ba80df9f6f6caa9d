"""Errors of the governance engines: a rule, a weight table, a proxy or a ballot the tally refuses.

Each is `InvalidInput` (422 on the API, one line and exit 2 on the CLI) with a stable code and
every problem found listed as `Problem`s, so a form shows them all at once and nothing is counted
from input that was partly wrong.
"""

from __future__ import annotations

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message


class RuleInvalid(InvalidInput):
    """A decision rule's configuration is not usable: unknown kind, a threshold or quorum out of range."""

    code = "decision_rule_invalid"
    title = Message("Decision rule is invalid")


class WeightsInvalid(InvalidInput):
    """A weight table that cannot be voted with: a negative or non-exact weight, all zero, or not
    adding up to the total the rule requires."""

    code = "vote_weights_invalid"
    title = Message("Voting weights are invalid")


class ProxyRefused(InvalidInput):
    """A proxy the rules of a vote do not allow: to oneself, along a chain, or to a non-voter."""

    code = "proxy_refused"
    title = Message("Proxy refused")


class BallotRefused(InvalidInput):
    """A ballot the tally cannot count: from a non-voter, a choice the rule does not have, cast for
    someone whose proxy the caster does not hold."""

    code = "ballot_refused"
    title = Message("Ballot refused")
