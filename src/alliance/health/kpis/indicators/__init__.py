"""The computed indicators, one module each, behind one registry: `INDICATORS[code]` is the module,
with `CODE`, `SUMMARY` and `compute(data, window)` (see `base`). Adding an indicator is one module
and one line here; a test fails if a registered module lacks a part."""

from __future__ import annotations

from types import ModuleType

from alliance.health.kpis.indicators import (
    collaboration_entropy,
    communication_frequency,
    decision_speed,
    information_sharing,
    inventory_turnover_days,
    joint_patents,
    meeting_attendance,
    resource_contribution,
    settlement_disputes,
    shared_customer_growth,
    shared_revenue_growth,
    warehouse_idle_rate,
)

INDICATORS: dict[str, ModuleType] = {m.CODE: m for m in (
    meeting_attendance, decision_speed, information_sharing, settlement_disputes, shared_customer_growth,
    shared_revenue_growth, resource_contribution, collaboration_entropy, communication_frequency, joint_patents,
    warehouse_idle_rate, inventory_turnover_days,
)}
