"""Differential privacy budgets of shared views: queries spending at once never overspend a party's
budget (the spend is written in the unit of work that found it affordable, the view held meanwhile),
on SQLite and PostgreSQL; a refusal writes nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceError
from alliance.datashare import service
from alliance.datashare.service import ViewBudgetExceeded
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.datashare_repository import DataShareRepository
from tests.support.factories import make_alliance, member_values

NOW = FrozenClock(datetime(2027, 1, 20, 3, tzinfo=UTC))
PRIVACY = {"budget": "1", "period": "week", "query_epsilon": "0.3", "bounds": {"amount": {"upper": "100"}}}


@pytest.fixture
def view(store: Store, clock: FrozenClock) -> int:
    make_alliance(store, clock, code="dp")
    for n in (1, 2):
        registry.add_member(store, "dp", member_values(n), clock)
    return service.publish(store, "dp", "M0001", "DP", "sales", {"channel": "aggregate", "amount": "aggregate"}, 5,
                           "t", NOW, privacy=PRIVACY).id


def _spent(store: Store, view_id: int, party: str) -> Decimal:
    return Decimal(service.budget(store, "dp", view_id, party, NOW)["spent"])


def test_queries_spending_at_once_never_exceed_the_budget(store: Store, view: int,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    found = service.shared_view(store, "dp", view, NOW)
    met = threading.Barrier(4, timeout=1)
    original = DataShareRepository.spent

    def spent(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        value = original(self, *args, **kwargs)
        try:  # every writer waits for the others to have read what was spent: without the hold all would pass
            met.wait()
        except threading.BrokenBarrierError:
            pass
        return value

    monkeypatch.setattr(DataShareRepository, "spent", spent)
    outcomes: list[object] = []

    def run() -> None:
        try:
            outcomes.append(service.charge(store, "dp", [found], "M0002", Decimal("0.3"), "t", NOW))
        except AllianceError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    monkeypatch.setattr(DataShareRepository, "spent", original)
    refused = [o for o in outcomes if isinstance(o, AllianceError)]
    assert len(outcomes) == 4 and len(refused) == 1 and all(isinstance(o, ViewBudgetExceeded) for o in refused), outcomes
    assert _spent(store, view, "M0002") == Decimal("0.9")


def test_a_joint_charge_spends_on_every_view_or_on_none(store: Store, view: int) -> None:
    other = service.publish(store, "dp", "M0002", "DP 2", "sales", {"channel": "aggregate", "amount": "aggregate"}, 5,
                            "t", NOW, privacy={**PRIVACY, "budget": "0.5"})
    views = [service.shared_view(store, "dp", v, NOW) for v in (view, other.id)]
    standing = service.charge(store, "dp", views, "M0001", Decimal("0.3"), "t", NOW)
    assert standing.remaining == 200_000  # the strictest: 0.5 - 0.3 on the second view
    with pytest.raises(ViewBudgetExceeded):
        service.charge(store, "dp", views, "M0001", Decimal("0.3"), "t", NOW)
    assert _spent(store, view, "M0001") == Decimal("0.3") and _spent(store, other.id, "M0001") == Decimal("0.3")
