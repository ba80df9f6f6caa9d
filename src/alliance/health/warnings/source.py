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

        return {code: b for code, d in service.bands(self._store, alliance_code).items()
                if (b := bands_of(d)) is not None}

    def kpi_codes(self, alliance_code: str) -> set[str]:
        from alliance.health.kpis import service

        return set(service.bands(self._store, alliance_code))


def _attr(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, Mapping) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return None


def bands_of(definition: Any) -> Bands | None:
    """The bands of a KPI definition of the catalogue: its direction ("higher" / "lower" is better)
    and the red and amber bounds (attributes `red`/`amber`, or `bands.red`/`bands.amber`, each a
    number or a (low, high) pair whose inner bound is taken). None if it has none."""
    direction = str(_attr(definition, "direction") or "higher")
    higher = not direction.lower().startswith("lower")
    holder = _attr(definition, "bands") or definition
    red, amber = _attr(holder, "red", "red_bound"), _attr(holder, "amber", "amber_bound")
    red, amber = _bound(red, higher), _bound(amber, higher)
    if red is None or amber is None:
        return None
    return Bands(higher, red, amber)


def _bound(value: Any, higher: bool) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        low, high = (value + [None, None])[:2] if isinstance(value, list) else (tuple(value) + (None, None))[:2]
        # Higher is better: red is below its upper bound; lower is better: red is above its lower bound.
        value = high if higher else low
        if value is None:
            return None
    low_high = _attr(value, "high" if higher else "low")
    if low_high is not None:
        value = low_high
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


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
