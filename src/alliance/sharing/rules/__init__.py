"""The sharing rule kinds, one module each, and the registry that finds a kind's module.

A kind module holds everything a kind means (see `base.RuleKindSpec`): its typed parameters,
their validation messages, the totals it needs from the fact store, its settlement arithmetic,
its fixed statement notes, its form fields and what a rule of it does in words (`describe`, for
the signature-ready PDF). The document parser, the settlement engine, the rule form, the web's
labels and the PDF all go through `spec(kind)`; nothing outside this package tests a rule's kind.
Adding a kind is one module, one line below, its tests and its section in
docs/formats/agreement.md; tests/unit/test_rule_kinds.py fails if a kind lacks any part.
"""

from __future__ import annotations

from alliance.sharing.rules import (contribution, cost_share, dynamic, fixed_split, growth_fund, milestone_release,
                                    rebate, three_level, tiered)
from alliance.sharing.rules.base import COLLECTED, RuleKindSpec
from alliance.sharing.terms import RuleKind

KINDS: dict[RuleKind, RuleKindSpec] = {module.SPEC.kind: module.SPEC for module in (
    fixed_split, tiered, three_level, dynamic, growth_fund, rebate, cost_share, contribution, milestone_release)}


def spec(kind: RuleKind) -> RuleKindSpec:
    """The module of a rule kind (every `RuleKind` has one: tests/unit/test_rule_kinds.py)."""
    return KINDS[kind]


def statement_notes() -> tuple[str, ...]:
    """Every fixed note a settlement writes as a statement line's rate (msgids the web translates)."""
    return (COLLECTED, *(note.value for s in KINDS.values() for note in s.Note))


__all__ = ["KINDS", "RuleKindSpec", "spec", "statement_notes"]
