"""The names of the period metrics an alliance has recorded: what a three-level or dynamic rule
may weigh by, offered by the agreement builder as the user types a metric's name."""

from __future__ import annotations

from alliance.store.database import Store


def metric_names(store: Store, alliance_code: str) -> list[str]:
    """Every metric name recorded for any period of the alliance, sorted."""
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        recorded = uow.settlement.metrics(alliance.id)
    return sorted({metric for period in recorded.values() for metric in period})
