"""Where warning rules read indicator series from.

`SeriesSource` is what the warning service needs; `KpiSeries` is the platform's (the KPI catalogue
of health.kpis, imported when first used, so this package does not depend on it being installed);
`MemorySeries` holds series given to it (tests, the benchmark, a replay).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from alliance.health.warnings.bands import Bands

SeriesKey = tuple[str, str | None]  # (KPI code, member code or None for the alliance as a whole)
Series = dict[SeriesKey, list[tuple[date, Decimal | None]]]


class SeriesSource(Protocol):
    def series(self, alliance_code: str, kpi_codes: Sequence[str], *, granularity: str, since: date, until: date,
               members: Sequence[str] | None = None) -> Series:
        """One entry per period start in [since, until) for each (KPI, member) asked; None = no value."""
        ...

    def bands(self, alliance_code: str) -> Mapping[str, Bands]:
        """The bands of the alliance's KPIs that have them, by KPI code."""
        ...

    def kpi_codes(self, alliance_code: str) -> set[str]:
        """The KPI codes of the alliance's catalogue."""
        ...


class KpiSeries:
    """The KPI catalogue's series (alliance.health.kpis.service), read through the store."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def series(self, alliance_code: str, kpi_codes: Sequence[str], *, granularity: str, since: date, until: date,
               members: Sequence[str] | None = None) -> Series:
        from alliance.health.kpis import service

        return service.series(self._store, alliance_code, list(kpi_codes), granularity=granularity, since=since,
                              until=until, members=list(members) if members is not None else None)

    def bands(self, alliance_code: str) -> dict[str, Bands]:
        from alliance.health.kpis import service

        return {code: bands_of(d) for code, d in service.bands(self._store, alliance_code).items()}

    def kpi_codes(self, alliance_code: str) -> set[str]:
        from alliance.health.kpis import service

        return set(service.bands(self._store, alliance_code))


def bands_of(definition: Any) -> Bands:
    """The bands of a KPI definition of the catalogue (health.kpis.catalogue.KpiDefinition).

    The catalogue has two thresholds, `amber` and `green`, inclusive on the good side: higher is
    better, below `amber` is red and below `green` amber; lower is better, above `amber` red and
    above `green` amber. So the warning bands' red bound is the catalogue's amber threshold and
    their amber bound its green one, whichever way is better."""
    higher = str(definition.direction) == "higher"
    return Bands(higher, Decimal(definition.amber), Decimal(definition.green))


class MemorySeries:
    """Series held in memory: {(kpi, member): {period start: value}} and bands by KPI."""

    def __init__(self, values: Mapping[SeriesKey, Mapping[date, Decimal | None]] | None = None,
                 bands: Mapping[str, Bands] | None = None, kpis: set[str] | None = None) -> None:
        self.values = {k: dict(v) for k, v in (values or {}).items()}
        self._bands = dict(bands or {})
        self._kpis = kpis

    def put(self, kpi: str, member: str | None, day: date, value: Decimal | None) -> None:
        self.values.setdefault((kpi, member), {})[day] = value

    def series(self, alliance_code: str, kpi_codes: Sequence[str], *, granularity: str, since: date, until: date,
               members: Sequence[str] | None = None) -> Series:
        from alliance.health.warnings.periods import between, shift

        starts = between(since, shift(until, granularity, -1), granularity) if since < until else []
        keys = [(k, m) for k in kpi_codes for m in (members if members is not None else [None])]
        return {key: [(d, self.values.get(key, {}).get(d)) for d in starts] for key in keys}

    def bands(self, alliance_code: str) -> dict[str, Bands]:
        return dict(self._bands)

    def kpi_codes(self, alliance_code: str) -> set[str]:
        from alliance.health.warnings.rules import DEFAULT_KPIS

        return set(self._kpis) if self._kpis is not None else set(DEFAULT_KPIS)
