"""Decision rules, one module each, and the registry that finds a rule by its kind.

Adding a rule is one module with a `DecisionRule` subclass (its parameters, choices, title,
summary and `judge`) and one line in RULES; tests/unit/test_governance_rules.py fails if a
registered rule lacks any part. Nothing elsewhere branches on the kind.
"""

from __future__ import annotations

from collections.abc import Mapping

from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.governance.errors import RuleInvalid
from alliance.governance.rules.absolute_majority import AbsoluteMajority
from alliance.governance.rules.base import (
    Base,
    Count,
    DecisionRule,
    Parameter,
    Status,
    Verdict,
    from_params,
)
from alliance.governance.rules.consensus import Consensus
from alliance.governance.rules.consent import Consent
from alliance.governance.rules.simple_majority import SimpleMajority
from alliance.governance.rules.two_thirds import TwoThirds
from alliance.governance.rules.unanimity import Unanimity
from alliance.governance.rules.weighted import WeightedVote

RULES: dict[str, type[DecisionRule]] = {rule.kind: rule for rule in (
    Consensus, Consent, SimpleMajority, AbsoluteMajority, TwoThirds, Unanimity, WeightedVote)}


def rule_from_params(kind: str, params: Mapping[str, object] | None = None) -> DecisionRule:
    """The rule of `kind` configured from `params` (text or typed values); RuleInvalid naming the
    problem for an unknown kind, setting or value out of range."""
    rule = RULES.get(kind)
    if rule is None:
        reason = Message("unknown decision rule {kind!r}; the rules are {known}", kind=kind, known=", ".join(RULES))
        raise RuleInvalid(reason, [Problem("rule.kind", "", reason)])
    return from_params(rule, params or {})


__all__ = ["RULES", "Base", "Count", "DecisionRule", "Parameter", "Status", "Verdict", "rule_from_params"]
