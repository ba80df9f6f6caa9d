"""The clause kinds of an agreement, one module each, and the registry that finds a kind's module.

A clause kind module holds everything a kind means (see `base.ClauseKindSpec`): its typed fields,
their checks, its form, its clause-library template in Chinese and English, how it reads in words
and how a project's clause may not contradict its framework's. The document parser, the layer
checks, the builder and the pages go through `clause_spec(kind)`; nothing outside this package
tests a clause's kind. tests/unit/test_clauses.py fails if a kind lacks a part.
"""

from __future__ import annotations

from alliance.sharing.clauses import (confidentiality, data_use, disputes, duties, exit, ip, non_compete, scope,
                                      term)
from alliance.sharing.clauses.base import Clause, ClauseContext, ClauseKind, ClauseKindSpec

CLAUSE_KINDS: dict[ClauseKind, ClauseKindSpec] = {module.SPEC.kind: module.SPEC for module in (
    scope, term, duties, data_use, exit, disputes, confidentiality, non_compete, ip)}


def clause_spec(kind: ClauseKind) -> ClauseKindSpec:
    return CLAUSE_KINDS[kind]


__all__ = ["CLAUSE_KINDS", "Clause", "ClauseContext", "ClauseKind", "ClauseKindSpec", "clause_spec"]
