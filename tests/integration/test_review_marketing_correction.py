"""Review: a correction of a campaign cost must be paid back by the member that paid the cost."""

from __future__ import annotations

from datetime import date

import pytest

from alliance.core.errors import AllianceError
from alliance.operations.charge_service import charges_of
from alliance.operations.marketing import service
from alliance.store.database import Store
from tests.integration.test_marketing_service import A, NOW, _active, facts  # noqa: F401


def test_a_correction_cannot_move_a_cost_onto_another_payer(store: Store, facts) -> None:  # noqa: F811
    _active(store)
    service.add_cost(store, "mkt", A, 1, payer="A", amount_minor=100_000, description="场地", day=date(2026, 11, 3),
                     clock=NOW)
    # the lead "corrects" its own cost of 1000.00 with B as the payer: B now owes 1000.00 for A's invoice
    with pytest.raises(AllianceError):
        service.add_cost(store, "mkt", A, 1, payer="B", amount_minor=-100_000, description="更正",
                         day=date(2026, 11, 3), clock=NOW, corrects=1)
    with store.unit_of_work() as uow:
        found = charges_of(uow, uow.alliances.require("mkt").id, source="marketing")
    assert len(found) == 1
