"""Screening use cases that need the store: ranking an alliance's own members."""

from __future__ import annotations

from alliance.registry import service as registry
from alliance.screening.candidates import CandidateTable, table_from_members
from alliance.screening.criteria import CriteriaSpec
from alliance.store.database import Store


def member_candidates(store: Store, alliance_code: str, spec: CriteriaSpec) -> CandidateTable:
    """The alliance's current members as candidates, valued by their stored profile metrics."""
    return table_from_members(spec, registry.list_members(store, alliance_code))
