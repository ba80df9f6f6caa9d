"""Warehouse idle rate (云仓闲置率): the share of the shared warehouses' capacity left idle in the period,
1 − used unit-days / capacity unit-days, in per cent (lower is better), over the days known so far. A
member: the warehouses it owns (none: no reading); the alliance: all of them. Read from the shared
warehouse's bookings (operations.warehouse). An alliance feeds its `resource_idle_rate` KPI from it by
giving that KPI this source in its catalogue (the default catalogue keeps it entered)."""

from __future__ import annotations

from alliance.health.kpis.indicators.base import IndicatorData, Reading, Readings, Window, percent

CODE = "warehouse_idle_rate"
SUMMARY = "capacity unit-days of the shared warehouses left idle, per cent of capacity unit-days"


def compute(data: IndicatorData, window: Window) -> Readings:
    capacity: dict[str | None, int] = {}
    used: dict[str | None, int] = {}
    for row in data.warehouse_days:
        if not window.holds(row.day) or row.day >= window.as_of:
            continue
        for key in (None, row.owner):
            capacity[key] = capacity.get(key, 0) + row.capacity
            used[key] = used.get(key, 0) + min(row.used, row.capacity)
    found: Readings = {}
    for key in (None, *data.members):
        if not capacity.get(key):
            found[key] = Reading(None)
            continue
        idle = capacity[key] - used[key]
        found[key] = Reading(percent(idle, capacity[key]), {"capacity_unit_days": capacity[key],
                                                            "used_unit_days": used[key]})
    return found
