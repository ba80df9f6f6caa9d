"""Review: a won bid's lead proposes a new version of ANY agreement of the alliance by naming its code
(proposing agreements is the coordinator's act, MANAGE_ALLIANCE); the consortium then signs a version of
the alliance's main agreement that drops every other member, without them."""

from __future__ import annotations

from datetime import date

import pytest

from alliance.core.errors import AllianceError
from alliance.operations.bids import service
from alliance.sharing import service as sharing
from alliance.store.database import Store
from tests.integration.test_bids_service import A, B, C, NOW, facts, won  # noqa: F401

MAIN = """
agreement: main
effective_from: 2026-12-01
parties: [A, B, C, D]
rules:
  - {id: all, kind: fixed_split, select: {channel: store}, shares: {A: 0.25, B: 0.25, C: 0.25, D: 0.25}}
"""


def test_a_bid_cannot_propose_a_version_of_another_agreement(store: Store, facts) -> None:  # noqa: F811
    sharing.propose_version(store, "bid", MAIN, "秘书长", NOW)
    won(store)
    try:
        _, version = service.create_agreement(store, "bid", A, 1, NOW, code="main", effective_from=date(2026, 12, 2))
    except AllianceError:
        return  # refused: as it should be
    for who in (A, B, C):
        sharing.sign(store, "bid", "main", version.version, who.member, "", NOW, principal=who)  # type: ignore[arg-type]
    in_force = sharing.version_in_force(store, "bid", "main", date(2026, 12, 3))
    pytest.fail(f"the bid rewrote agreement 'main': version {version.version} in force "
                f"{in_force is not None and in_force.version}, parties {list(version.parties)} (D dropped, unasked)")
