"""Helpers for warning-rule tests: an alliance with members, an in-memory series source, a rule."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from alliance.access.roles import Principal, Role
from alliance.core.clock import Clock
from alliance.health.warnings.bands import Bands
from alliance.health.warnings.source import MemorySeries
from alliance.registry import service as registry
from alliance.store.database import Store
from tests.support.factories import credit_code, make_alliance

COORDINATOR = Principal("coord", Role.COORDINATOR, "tea")
MEMBERS = ("M1", "M2", "M3")


def setup_alliance(store: Store, clock: Clock, code: str = "tea", members: tuple[str, ...] = MEMBERS) -> None:
    make_alliance(store, clock, code=code)
    for n, member in enumerate(members, start=1):
        registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)}, clock)


def source() -> MemorySeries:
    return MemorySeries(bands={"public_sentiment": Bands(True, Decimal("40"), Decimal("60"))})


def weeks(first: date, count: int) -> list[date]:
    return [first + timedelta(weeks=n) for n in range(count)]


def idle_rule(**changes: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {"id": "idle", "name": {"zh": "资源闲置", "en": "Idle resources"},
                            "kpi": "resource_idle_rate", "condition": {"kind": "above", "threshold": "0.15"},
                            "for": 2, "runbook": {"zh": "召开资源再分配会议", "en": "Resource reallocation meeting"},
                            "actions": [{"kind": "notify"}]}
    rule.update(changes)
    return rule
