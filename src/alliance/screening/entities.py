"""Stored screening records as immutable values: saved runs, prospects, checklists, pilots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from alliance.screening.pipeline import Area, ItemStatus, KpiDirection, Source, Stage


class Cadence(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class Decision(StrEnum):
    GO = "go"
    NO_GO = "no_go"


@dataclass(frozen=True, slots=True)
class SavedRun:
    id: int
    created_at: datetime
    actor: str
    method: str
    candidate_count: int
    inputs_sha256: str
    inputs: dict[str, Any]
    report: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Prospect:
    id: int
    name: str
    credit_code: str | None
    source: Source
    stage: Stage
    screening_run_id: int | None
    score: float | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StageEvent:
    from_stage: Stage | None
    to_stage: Stage
    actor: str
    at: datetime
    note: str


@dataclass(frozen=True, slots=True)
class DdItem:
    id: int
    prospect_id: int
    area: Area
    title: str
    required: bool
    owner: str
    status: ItemStatus
    waiver_reason: str
    due_on: date | None
    evidence_name: str | None
    evidence_sha256: str | None
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True, slots=True)
class Kpi:
    id: int
    pilot_id: int
    name: str
    unit: str
    direction: KpiDirection
    target: Decimal


@dataclass(frozen=True, slots=True)
class Measurement:
    kpi_id: int
    measured_on: date
    value: Decimal
    note: str


@dataclass(frozen=True, slots=True)
class Pilot:
    id: int
    prospect_id: int
    name: str
    starts_on: date
    ends_on: date
    cadence: Cadence
    decision: Decision | None
    decision_note: str
    decided_by: str | None
    decided_at: datetime | None
