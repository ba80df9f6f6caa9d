"""A period's scorecards for every member and the alliance at once. Pure.

Each computed indicator the catalogue names runs once over the loaded data (one pass for every
member), each entered KPI takes the value in force (below), and every subject is scored against
the catalogue (`scoring.score`). This is the whole computation the benchmark times for 500 members.

An entered value is in force from its period's start until a later period's value replaces it
(forward fill): for a window [start, end) the value of the entry with the latest period start
before `end` counts, and of entries for the same period the latest entered wins (a correction).
The alliance-wide value of an entered KPI is the alliance's own entry, or else the mean of the
members' values in force.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from alliance.health.kpis.catalogue import Catalogue
from alliance.health.kpis.indicators import INDICATORS
from alliance.health.kpis.indicators.base import IndicatorData, Reading, Readings, Window, rounded
from alliance.health.kpis.scoring import Scores, score


@dataclass(frozen=True, slots=True)
class Entry:
    kpi: str
    member: str | None
    start: date       # the start of the period it is for
    order: int        # the order entered (the store's id): the later wins for the same period
    value: Decimal


class EnteredValues:
    """Entered values indexed for the forward-fill lookup."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        index: dict[tuple[str, str | None], list[tuple[date, int, Decimal]]] = {}
        for e in entries:
            index.setdefault((e.kpi, e.member), []).append((e.start, e.order, e.value))
        for found in index.values():
            found.sort(key=lambda x: (x[0], x[1]))
        self._index = index
        self._starts = {key: [x[0] for x in found] for key, found in index.items()}

    def in_force(self, kpi: str, member: str | None, end: date) -> Decimal | None:
        """The value of `kpi` for `member` (None: alliance-wide entries) in force for a window ending at `end`."""
        starts = self._starts.get((kpi, member))
        if not starts:
            return None
        at = bisect_left(starts, end)  # entries whose period starts before `end`
        return self._index[(kpi, member)][at - 1][2] if at else None


def computed_readings(catalogue: Catalogue, data: IndicatorData, window: Window) -> dict[str, Readings]:
    """Each computed source the catalogue names, for every member and the alliance."""
    sources = {kpi.source for kpi in catalogue.definitions if not kpi.entered}
    return {source: INDICATORS[source].compute(data, window) for source in sources if source in INDICATORS}


def subject_values(catalogue: Catalogue, readings: Mapping[str, Readings], entered: EnteredValues,
                   members: Sequence[str], end: date) -> dict[str | None, dict[str, Reading]]:
    """Each subject's (member, or None for the alliance) reading of every KPI of the catalogue."""
    out: dict[str | None, dict[str, Reading]] = {m: {} for m in (None, *members)}
    for kpi in catalogue.definitions:
        if kpi.entered:
            found = {m: entered.in_force(kpi.code, m, end) for m in members}
            for m, v in found.items():
                out[m][kpi.code] = Reading(v)
            alliance = entered.in_force(kpi.code, None, end)
            if alliance is None:
                given = [v for v in found.values() if v is not None]
                alliance = rounded(sum(given, Decimal(0)) / len(given)) if given else None
            out[None][kpi.code] = Reading(alliance)
        else:
            by_subject = readings.get(kpi.source, {})
            for m in out:
                out[m][kpi.code] = by_subject.get(m, Reading(None))
    return out


def scorecards(catalogue: Catalogue, data: IndicatorData, window: Window, entered: EnteredValues) -> dict[str | None, Scores]:
    """The window's scores of every member of `data` and of the alliance (key None)."""
    values = subject_values(catalogue, computed_readings(catalogue, data, window), entered, data.members, window.end)
    return {subject: score(catalogue, {c: r.value for c, r in found.items()},
                           {c: r.details for c, r in found.items() if r.details})
            for subject, found in values.items()}
