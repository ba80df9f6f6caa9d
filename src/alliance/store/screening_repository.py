"""Loading and saving screening records. Every query is scoped by alliance_id."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.engine import Row

from alliance.screening.entities import (
    Cadence,
    DdItem,
    Decision,
    Kpi,
    Measurement,
    Pilot,
    Prospect,
    SavedRun,
    StageEvent,
)
from alliance.screening.pipeline import Area, ItemStatus, KpiDirection, Source, Stage
from alliance.store.duplicates import refuses_duplicates
from alliance.store.tables import (
    dd_items,
    evidence_files,
    kpi_measurements,
    pilot_kpis,
    pilots,
    prospect_events,
    prospects,
    screening_runs,
)


def _id(result: Any) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


class ScreeningRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- runs -------------------------------------------------------------------------------------
    def add_run(self, alliance_id: int, **values: Any) -> int:
        return _id(self._c.execute(insert(screening_runs).values(alliance_id=alliance_id, **values)))

    def runs(self, alliance_id: int, *, limit: int | None = None, offset: int = 0,
             newest_first: bool = False) -> list[SavedRun]:
        order = screening_runs.c.id.desc() if newest_first else screening_runs.c.id
        query = (select(screening_runs).where(screening_runs.c.alliance_id == alliance_id).order_by(order)
                 .limit(limit).offset(offset))
        return [_run(r) for r in self._c.execute(query)]

    def count_runs(self, alliance_id: int) -> int:
        return int(self._c.execute(select(func.count()).select_from(screening_runs)
                                   .where(screening_runs.c.alliance_id == alliance_id)).scalar_one())

    def run(self, alliance_id: int, run_id: int) -> SavedRun | None:
        row = self._c.execute(
            select(screening_runs).where(screening_runs.c.alliance_id == alliance_id, screening_runs.c.id == run_id)
        ).one_or_none()
        return None if row is None else _run(row)

    # -- prospects --------------------------------------------------------------------------------
    @refuses_duplicates
    def add_prospect(self, alliance_id: int, **values: Any) -> int:
        return _id(self._c.execute(insert(prospects).values(alliance_id=alliance_id, **values)))

    def prospect_names(self, alliance_id: int) -> set[str]:
        return set(self._c.execute(select(prospects.c.name).where(prospects.c.alliance_id == alliance_id)).scalars())

    def prospects(self, alliance_id: int, stage: Stage | None = None, *, limit: int | None = None,
                  offset: int = 0) -> list[Prospect]:
        query = select(prospects).where(prospects.c.alliance_id == alliance_id).order_by(prospects.c.id)
        if stage is not None:
            query = query.where(prospects.c.stage == stage.value)
        return [_prospect(r) for r in self._c.execute(query.limit(limit).offset(offset))]

    def count_prospects(self, alliance_id: int, stage: Stage | None = None) -> int:
        query = select(func.count()).select_from(prospects).where(prospects.c.alliance_id == alliance_id)
        if stage is not None:
            query = query.where(prospects.c.stage == stage.value)
        return int(self._c.execute(query).scalar_one())

    def prospect(self, alliance_id: int, prospect_id: int, *, for_update: bool = False) -> Prospect | None:
        query = select(prospects).where(prospects.c.alliance_id == alliance_id, prospects.c.id == prospect_id)
        if for_update:
            query = query.with_for_update()
        row = self._c.execute(query).one_or_none()
        return None if row is None else _prospect(row)

    def set_stage(self, alliance_id: int, prospect_id: int, stage: Stage, at: datetime) -> None:
        self._c.execute(
            update(prospects)
            .where(prospects.c.alliance_id == alliance_id, prospects.c.id == prospect_id)
            .values(stage=stage.value, updated_at=at)
        )

    def add_event(self, alliance_id: int, prospect_id: int, from_stage: Stage | None, to_stage: Stage,
                  actor: str, at: datetime, note: str) -> None:
        self._c.execute(insert(prospect_events).values(
            alliance_id=alliance_id, prospect_id=prospect_id, from_stage=from_stage.value if from_stage else None,
            to_stage=to_stage.value, actor=actor, at=at, note=note,
        ))

    def events(self, alliance_id: int, prospect_id: int) -> list[StageEvent]:
        query = (
            select(prospect_events)
            .where(prospect_events.c.alliance_id == alliance_id, prospect_events.c.prospect_id == prospect_id)
            .order_by(prospect_events.c.id)
        )
        return [
            StageEvent(Stage(r.from_stage) if r.from_stage else None, Stage(r.to_stage), r.actor, r.at, r.note)
            for r in self._c.execute(query)
        ]

    # -- due diligence ----------------------------------------------------------------------------
    def add_items(self, alliance_id: int, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._c.execute(insert(dd_items), [{"alliance_id": alliance_id, **r} for r in rows])

    def add_item(self, alliance_id: int, **values: Any) -> int:
        return _id(self._c.execute(insert(dd_items).values(alliance_id=alliance_id, **values)))

    def items(self, alliance_id: int, prospect_id: int) -> list[DdItem]:
        query = (
            select(dd_items)
            .where(dd_items.c.alliance_id == alliance_id, dd_items.c.prospect_id == prospect_id)
            .order_by(dd_items.c.area, dd_items.c.id)
        )
        return [_item(r) for r in self._c.execute(query)]

    def count_items(self, alliance_id: int, stage: Stage, statuses: Iterable[str]) -> int:
        """How many due-diligence items of prospects at `stage` have one of `statuses`."""
        query = (
            select(func.count())
            .select_from(dd_items.join(prospects, dd_items.c.prospect_id == prospects.c.id))
            .where(dd_items.c.alliance_id == alliance_id, prospects.c.alliance_id == alliance_id,
                   prospects.c.stage == stage.value, dd_items.c.status.in_(list(statuses)))
        )
        return int(self._c.execute(query).scalar_one())

    def item(self, alliance_id: int, item_id: int) -> DdItem | None:
        row = self._c.execute(
            select(dd_items).where(dd_items.c.alliance_id == alliance_id, dd_items.c.id == item_id)
        ).one_or_none()
        return None if row is None else _item(row)

    def update_item(self, alliance_id: int, item_id: int, **values: Any) -> None:
        self._c.execute(
            update(dd_items).where(dd_items.c.alliance_id == alliance_id, dd_items.c.id == item_id).values(**values)
        )

    def store_evidence(self, alliance_id: int, sha256: str, content: bytes) -> None:
        exists = self._c.execute(
            select(evidence_files.c.id).where(evidence_files.c.alliance_id == alliance_id, evidence_files.c.sha256 == sha256)
        ).first()
        if exists is None:
            self._c.execute(insert(evidence_files).values(
                alliance_id=alliance_id, sha256=sha256, size=len(content), content=content,
            ))

    def evidence(self, alliance_id: int, sha256: str) -> bytes | None:
        return self._c.execute(
            select(evidence_files.c.content).where(
                evidence_files.c.alliance_id == alliance_id, evidence_files.c.sha256 == sha256
            )
        ).scalar_one_or_none()

    # -- pilots -----------------------------------------------------------------------------------
    def add_pilot(self, alliance_id: int, **values: Any) -> int:
        return _id(self._c.execute(insert(pilots).values(alliance_id=alliance_id, **values)))

    def pilot(self, alliance_id: int, pilot_id: int) -> Pilot | None:
        row = self._c.execute(
            select(pilots).where(pilots.c.alliance_id == alliance_id, pilots.c.id == pilot_id)
        ).one_or_none()
        return None if row is None else _pilot(row)

    def pilot_of(self, alliance_id: int, prospect_id: int) -> Pilot | None:
        row = self._c.execute(
            select(pilots).where(pilots.c.alliance_id == alliance_id, pilots.c.prospect_id == prospect_id)
        ).one_or_none()
        return None if row is None else _pilot(row)

    def decide(self, alliance_id: int, pilot_id: int, decision: Decision, note: str, actor: str, at: datetime) -> None:
        self._c.execute(
            update(pilots)
            .where(pilots.c.alliance_id == alliance_id, pilots.c.id == pilot_id)
            .values(decision=decision.value, decision_note=note, decided_by=actor, decided_at=at)
        )

    def add_kpi(self, alliance_id: int, **values: Any) -> int:
        return _id(self._c.execute(insert(pilot_kpis).values(alliance_id=alliance_id, **values)))

    def kpis(self, alliance_id: int, pilot_id: int) -> list[Kpi]:
        query = (
            select(pilot_kpis)
            .where(pilot_kpis.c.alliance_id == alliance_id, pilot_kpis.c.pilot_id == pilot_id)
            .order_by(pilot_kpis.c.id)
        )
        return [_kpi(r) for r in self._c.execute(query)]

    def kpi(self, alliance_id: int, kpi_id: int) -> Kpi | None:
        row = self._c.execute(
            select(pilot_kpis).where(pilot_kpis.c.alliance_id == alliance_id, pilot_kpis.c.id == kpi_id)
        ).one_or_none()
        return None if row is None else _kpi(row)

    def add_measurement(self, alliance_id: int, kpi_id: int, measured_on: date, value: Decimal, note: str,
                        recorded_at: datetime) -> None:
        self._c.execute(insert(kpi_measurements).values(
            alliance_id=alliance_id, kpi_id=kpi_id, measured_on=measured_on, value=value, note=note,
            recorded_at=recorded_at,
        ))

    def measurements(self, alliance_id: int, kpi_ids: list[int]) -> list[Measurement]:
        if not kpi_ids:
            return []
        query = (
            select(kpi_measurements)
            .where(kpi_measurements.c.alliance_id == alliance_id, kpi_measurements.c.kpi_id.in_(kpi_ids))
            .order_by(kpi_measurements.c.kpi_id, kpi_measurements.c.measured_on)
        )
        return [Measurement(r.kpi_id, r.measured_on, r.value, r.note) for r in self._c.execute(query)]


def _run(r: Row[Any]) -> SavedRun:
    return SavedRun(r.id, r.created_at, r.actor, r.method, r.candidate_count, r.inputs_sha256, r.inputs, r.report)


def _prospect(r: Row[Any]) -> Prospect:
    return Prospect(r.id, r.name, r.credit_code, Source(r.source), Stage(r.stage), r.screening_run_id, r.score,
                    r.created_at, r.updated_at)


def _item(r: Row[Any]) -> DdItem:
    return DdItem(r.id, r.prospect_id, Area(r.area), r.title, r.required, r.owner, ItemStatus(r.status),
                  r.waiver_reason, r.due_on, r.evidence_name, r.evidence_sha256, r.updated_at, r.updated_by)


def _pilot(r: Row[Any]) -> Pilot:
    return Pilot(r.id, r.prospect_id, r.name, r.starts_on, r.ends_on, Cadence(r.cadence),
                 Decision(r.decision) if r.decision else None, r.decision_note, r.decided_by, r.decided_at)


def _kpi(r: Row[Any]) -> Kpi:
    return Kpi(r.id, r.pilot_id, r.name, r.unit, KpiDirection(r.direction), r.target)
