"""Review: the platform operator (CLI `--as`) confirmed a member's price share and submitted its bid without
being that member's account or holding its power of attorney; the service now refuses it
(policy.authorize_member_step), so no edge can."""

from __future__ import annotations

import pytest

from alliance.core.errors import AllianceError
from alliance.operations.bids import service
from alliance.store.database import Store
from tests.integration.test_bids_service import NOW, OPERATOR, consortium, facts  # noqa: F401


def test_the_operator_cannot_confirm_a_members_share(store: Store, facts) -> None:  # noqa: F811
    consortium(store)
    with pytest.raises(AllianceError):
        service.confirm(store, "bid", OPERATOR, 1, NOW, as_member="B")
