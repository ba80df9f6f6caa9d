"""Registry entities as plain, immutable values. No I/O, no ORM."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from alliance.core.clock import Clock, local_today
from alliance.core.messages import Message
from alliance.core.money import Money

# What a code (an alliance's, a member's, a rule's) may be: short, safe in paths, files and ledgers.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
CODE_RULE = Message("1-32 letters, digits, '_', '.' or '-', starting with a letter or digit")


class AllianceKind(StrEnum):
    MARKET = "market"  # 市场型: code sharing, joint promotion
    RND = "rnd"  # 技术研发: shared patents
    STRATEGIC = "strategic"  # 战略型 / equity
    SME = "sme"  # 企业小联盟: charter or MOU only, consensus, open join/exit


class AllianceStructure(StrEnum):
    STAR = "star"  # a hub company with its partners
    MESH = "mesh"  # peers
    UMBRELLA = "umbrella"  # layered: sub-alliances inside an alliance


class AllianceStatus(StrEnum):
    FORMING = "forming"
    ACTIVE = "active"
    SUSPENDED = "suspended"  # cooperation paused; see registry/lifecycle.py for what each state allows
    DISSOLVING = "dissolving"
    DISSOLVED = "dissolved"


class CompanySize(StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


class MemberRole(StrEnum):
    HUB = "hub"  # 核心企业 / 核心联盟商 of a star alliance
    MEMBER = "member"
    OBSERVER = "observer"


class ResourceDirection(StrEnum):
    OFFER = "offer"  # a resource the member brings
    NEED = "need"  # a gap the member wants filled


class ResourceCategory(StrEnum):
    """The taxonomy's groups that members declared before kinds had sub-kinds (matching.taxonomy)."""

    CUSTOMERS = "customers"
    TECHNOLOGY = "technology"
    CHANNEL = "channel"
    WAREHOUSE = "warehouse"
    BRAND = "brand"
    PRODUCTION = "production"
    CAPITAL = "capital"
    DATA = "data"
    OTHER = "other"


DEFAULT_TIMEZONE = "Asia/Shanghai"
NAME_LIMIT = 200  # an alliance's name


@dataclass(frozen=True, slots=True)
class AllianceSpec:
    """What it takes to found an alliance."""

    code: str
    name: str
    kind: AllianceKind
    structure: AllianceStructure
    currency: str = "CNY"
    timezone: str = DEFAULT_TIMEZONE
    charter: str = ""
    parent_code: str | None = None
    status: AllianceStatus = AllianceStatus.ACTIVE
    # A task / project alliance (founded for one project, dissolved after) has a planned end.
    planned_end: date | None = None


@dataclass(frozen=True, slots=True)
class Alliance:
    id: int
    code: str
    name: str
    kind: AllianceKind
    structure: AllianceStructure
    currency: str
    timezone: str
    charter: str
    status: AllianceStatus
    parent_code: str | None
    created_at: datetime
    member_count: int = 0
    sub_alliance_codes: tuple[str, ...] = ()
    planned_end: date | None = None  # set: a task / project alliance, to be dissolved after its project


@dataclass(frozen=True, slots=True)
class AllianceChange:
    """One logged change of an alliance's details or status: who, when, old -> new (values as text)."""

    changed_at: datetime
    actor: str
    field: str  # name, charter, planned_end, status
    old_value: str | None
    new_value: str | None
    decided_by: str | None = None  # the decision (a proposal's reference) that made a status change
    reason: str = ""


@dataclass(frozen=True, slots=True)
class MemberProfile:
    """Profile metrics (伙伴画像) used by screening; any of them may be unknown (None)."""

    revenue: Money | None = None
    profit: Money | None = None
    cash_flow: Money | None = None
    debt_ratio: Decimal | None = None  # liabilities / assets, 0..1 (资产负债率)
    reputation: Decimal | None = None  # 0..10 (市场声誉)
    compliance_records: int | None = None  # count of recorded compliance incidents (合规记录)
    patent_count: int | None = None
    api_count: int | None = None


@dataclass(frozen=True, slots=True)
class ResourceDeclaration:
    """Something a member offers to the alliance or needs from it (资源图谱)."""

    direction: ResourceDirection
    # A kind of matching.taxonomy: a group (the ResourceCategory values) or `group/sub`.
    category: ResourceCategory | str
    description: str
    capacity: Decimal | None = None
    unit: str = ""
    priority: int = 3  # 1 (highest) .. 5
    region: str = ""  # "" = anywhere
    starts_on: date | None = None  # the window it is available (a need: must be met); None = open
    ends_on: date | None = None


@dataclass(frozen=True, slots=True)
class MemberDraft:
    """A member company as entered, already validated, not yet stored."""

    code: str
    legal_name: str
    credit_code: str
    industry: str = ""
    region: str = ""
    size: CompanySize | None = None
    role: MemberRole = MemberRole.MEMBER
    joined_on: date | None = None
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    profile: MemberProfile = field(default_factory=MemberProfile)
    resources: tuple[ResourceDeclaration, ...] = ()


@dataclass(frozen=True, slots=True)
class Member:
    """A member company of one alliance, with its membership."""

    id: int
    alliance_code: str
    code: str
    legal_name: str
    credit_code: str
    industry: str
    region: str
    size: CompanySize | None
    role: MemberRole
    joined_on: date
    left_on: date | None
    contact_name: str
    contact_phone: str
    contact_email: str
    profile: MemberProfile
    resources: tuple[ResourceDeclaration, ...] = ()

    @property
    def active(self) -> bool:
        return self.left_on is None


def check_alliance_spec(spec: AllianceSpec) -> list[str]:
    """Every reason `spec` cannot found an alliance (empty when it can), as Messages. Pure: no lookups."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from alliance.core.money import MoneyError, check_currency

    reasons: list[str] = []
    if not CODE_PATTERN.match(spec.code):
        reasons.append(Message("code {code!r} is not valid ({rule})", code=spec.code, rule=CODE_RULE))
    if not spec.name.strip():
        reasons.append(Message("name is required"))
    elif len(spec.name) > NAME_LIMIT:
        reasons.append(Message("name is longer than {limit} characters", limit=NAME_LIMIT))
    try:
        check_currency(spec.currency)
    except MoneyError as exc:
        reasons.append(exc.message)
    try:
        ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        reasons.append(Message("unknown time zone {timezone!r} (use an IANA name such as Asia/Shanghai)",
                               timezone=spec.timezone))
    if spec.status not in (AllianceStatus.FORMING, AllianceStatus.ACTIVE):
        reasons.append(Message("an alliance is founded forming or active, not {status}", status=spec.status.value))
    if spec.parent_code is not None and spec.parent_code == spec.code:
        reasons.append(Message("an alliance cannot be its own parent"))
    return reasons


def has_left(left_on: date | None, timezone: str | None, clock: Clock) -> bool:
    """Whether a member that leaves (or left) on `left_on` is gone by today, in its alliance's time zone."""
    return left_on is not None and timezone is not None and left_on <= local_today(clock, timezone)
