"""The road from candidate to partner: stages, due-diligence gates and pilot KPI attainment. Pure.

Stages: screened -> due_diligence -> pilot -> partner, and from any open stage to rejected.
A candidate enters the pilot only when every required due-diligence item is done or waived with
a reason; it becomes a partner only through a pilot reviewed as "go" (a "no-go" rejects it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import StrEnum

from alliance.core.errors import Conflict, InvalidInput, Problem
from alliance.core.messages import Message


class Stage(StrEnum):
    SCREENED = "screened"
    DUE_DILIGENCE = "due_diligence"
    PILOT = "pilot"
    PARTNER = "partner"
    REJECTED = "rejected"


class Source(StrEnum):
    """Where a prospect came from (domain page, "where partners come from")."""

    TRADE_SHOW = "trade_show"
    ASSOCIATION = "association"
    REFERRAL = "referral"
    SERVICE_FIRM = "service_firm"
    B2B_PLATFORM = "b2b_platform"
    COMPETITOR_PARTNER = "competitor_partner"
    SCREENING = "screening"
    MATCHING = "matching"  # recommended by the resource matching (matching.recommendations)
    OTHER = "other"


NEXT: dict[Stage, frozenset[Stage]] = {
    Stage.SCREENED: frozenset({Stage.DUE_DILIGENCE, Stage.REJECTED}),
    Stage.DUE_DILIGENCE: frozenset({Stage.PILOT, Stage.REJECTED}),
    Stage.PILOT: frozenset({Stage.PARTNER, Stage.REJECTED}),
    Stage.PARTNER: frozenset(),
    Stage.REJECTED: frozenset(),
}


class Area(StrEnum):
    FINANCIAL = "financial"  # 财务审计
    LEGAL = "legal"  # 法律审查: registration, IP, major contracts, litigation
    MARKET = "market"  # 市场调研
    TECHNICAL = "technical"  # 技术评估


class ItemStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    FAILED = "failed"  # checked and found wanting: blocks like an open item
    WAIVED = "waived"  # needs a reason


SETTLED = frozenset({ItemStatus.DONE, ItemStatus.WAIVED})


class StageRefused(Conflict):
    code = "stage_refused"
    title = Message("Stage change refused")

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    area: Area
    title: str
    required: bool
    status: ItemStatus
    waiver_reason: str = ""


# The article's due-diligence list (2.3 尽职调查), as the default checklist of a new candidate.
DEFAULT_CHECKLIST: tuple[tuple[Area, str, bool], ...] = (
    (Area.FINANCIAL, "审阅近三年财务报表 (financial statements, 3 years)", True),
    (Area.FINANCIAL, "现金流与负债核查 (cash flow and debt)", True),
    (Area.LEGAL, "工商注册信息核验 (business registration)", True),
    (Area.LEGAL, "知识产权核查 (intellectual property)", True),
    (Area.LEGAL, "重大合同审查 (major contracts)", False),
    (Area.LEGAL, "诉讼与仲裁记录 (litigation record)", True),
    (Area.MARKET, "客户访谈 (customer interviews)", False),
    (Area.MARKET, "行业报告与市场口碑 (market position and reputation)", True),
    (Area.TECHNICAL, "技术实力评估 (technical capability)", False),
)


def check_transition(current: Stage, target: Stage, checklist: Sequence[ChecklistItem], *, via_review: bool = False) -> None:
    """Raise StageRefused unless `current -> target` is allowed now."""
    if target not in NEXT[current]:
        allowed = ", ".join(sorted(s.value for s in NEXT[current])) or Message("none (final stage)")
        raise StageRefused(Message("cannot move from {current} to {target}; allowed: {allowed}",
                                   current=current.value, target=target.value, allowed=allowed))
    if target is Stage.PILOT:
        blocking = [i for i in checklist if i.required and i.status not in SETTLED]
        if blocking:
            raise StageRefused(
                Message("{count} required due-diligence item(s) are not done or waived", count=len(blocking)),
                [Problem(i.area.value, i.title, i.status.value) for i in blocking],
            )
    if target is Stage.PARTNER and not via_review:
        raise StageRefused(Message("a candidate becomes a partner through a pilot review decided as go"))


def check_item_update(status: ItemStatus, waiver_reason: str) -> None:
    if status is ItemStatus.WAIVED and not waiver_reason.strip():
        raise InvalidInput(Message("a waiver needs a reason"), [Problem("item", "waiver_reason", Message("is required to waive"))])


class KpiDirection(StrEnum):
    HIGHER = "higher"  # e.g. conversion rate, revenue share
    LOWER = "lower"  # e.g. customer acquisition cost


@dataclass(frozen=True, slots=True)
class KpiResult:
    name: str
    unit: str
    direction: KpiDirection
    target: Decimal
    actual: Decimal | None
    measured_on: date | None
    attainment: Decimal | None  # 1.0000 = exactly on target
    met: bool


ATTAINMENT_PLACES = Decimal("0.0001")


def attainment(direction: KpiDirection, target: Decimal, actual: Decimal) -> Decimal | None:
    """How far the actual value reaches the target, 1 = on target, rounded half-even to 4 places.

    Higher-is-better: actual / target. Lower-is-better: target / actual (an actual of 0 against a
    positive target is unbounded: reported as None but counted as met). A target of 0 cannot be
    expressed as a ratio: None, met when the actual is on the right side of 0.
    """
    if direction is KpiDirection.HIGHER:
        ratio = actual / target if target != 0 else None
    else:
        ratio = target / actual if actual != 0 else None
    if ratio is None:
        return None
    try:
        return ratio.quantize(ATTAINMENT_PLACES, rounding=ROUND_HALF_EVEN)
    except InvalidOperation:  # a ratio beyond 24 digits: not a meaningful attainment
        return None


def kpi_result(
    name: str, unit: str, direction: KpiDirection, target: Decimal, latest: tuple[date, Decimal] | None
) -> KpiResult:
    """A KPI's standing from its latest measurement (no measurement: not met)."""
    if latest is None:
        return KpiResult(name, unit, direction, target, None, None, None, False)
    measured_on, actual = latest
    ratio = attainment(direction, target, actual)
    met = actual >= target if direction is KpiDirection.HIGHER else actual <= target
    return KpiResult(name, unit, direction, target, actual, measured_on, ratio, met)


def meeting_dates(starts_on: date, ends_on: date, cadence: str) -> list[date]:
    """The pilot's meeting calendar: every week, two weeks or month from the start to the end."""
    from datetime import timedelta

    dates: list[date] = []
    current, step_months = starts_on, 0
    while current <= ends_on:
        dates.append(current)
        if cadence in ("weekly", "biweekly"):
            step = timedelta(days=7 if cadence == "weekly" else 14)
            if date.max - current < step:
                break
            current += step
        else:
            step_months += 1
            month_index = starts_on.month - 1 + step_months
            year, month = starts_on.year + month_index // 12, month_index % 12 + 1
            if year > date.max.year:
                break
            current = date(year, month, min(starts_on.day, _days_in_month(year, month)))
    return dates


def _days_in_month(year: int, month: int) -> int:
    import calendar

    return calendar.monthrange(year, month)[1]
