"""The traces of recorded journey metrics (datashare.journeys): table `journey_metric_sources`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select

from alliance.store.tables import journey_metric_sources


@dataclass(frozen=True, slots=True)
class MetricSource:
    """Where one recorded journey metric came from."""

    period: str
    member: str
    metric: str
    value: Decimal
    numerator: int
    denominator: int | None
    events: int
    member_digest: str
    month_digest: str
    computed_at: datetime
    recorded_by: str


class JourneyRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, alliance_id: int, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._c.execute(insert(journey_metric_sources), [{"alliance_id": alliance_id, **r} for r in rows])

    def sources(self, alliance_id: int, period: str) -> dict[tuple[str, str], MetricSource]:
        """(member, metric) -> its trace, for one month."""
        t = journey_metric_sources
        rows = self._c.execute(select(t).where(t.c.alliance_id == alliance_id, t.c.period == period))
        return {(r.member_code, r.metric): MetricSource(r.period, r.member_code, r.metric, r.value, r.numerator,
                                                        r.denominator, r.events, r.member_digest, r.month_digest,
                                                        r.computed_at, r.recorded_by) for r in rows}

    def recorded_at(self, alliance_id: int, period: str) -> datetime | None:
        """When the month's journey metrics were last recorded, if ever."""
        t = journey_metric_sources
        return self._c.execute(select(func.max(t.c.computed_at)).where(
            t.c.alliance_id == alliance_id, t.c.period == period)).scalar_one_or_none()
