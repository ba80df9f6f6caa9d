"""Response bodies of the API. Amounts and decimals travel as strings so "0.10" stays "0.10"."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from alliance.registry.model import Alliance, Member, ResourceDeclaration
from alliance.registry.records import resource_record


def _calendar_day(value: Any) -> Any:
    """Only YYYY-MM-DD: pydantic would also read 0, "1699920000" or a date-time as a day, and a
    day sent by mistake may close a settlement day for good."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


# A calendar day in a request: a string YYYY-MM-DD and nothing else.
Day = Annotated[date, BeforeValidator(_calendar_day)]


class Body(BaseModel):
    """A request body: unknown fields are refused (422), never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class AllianceOut(BaseModel):
    code: str
    name: str
    kind: str
    structure: str
    status: str
    currency: str
    timezone: str
    charter: str
    parent: str | None
    sub_alliances: list[str]
    member_count: int
    created_at: datetime
    planned_end: date | None = None  # a task / project alliance's planned end

    @classmethod
    def of(cls, a: Alliance) -> AllianceOut:
        return cls(
            code=a.code, name=a.name, kind=a.kind.value, structure=a.structure.value,
            status=a.status.value, currency=a.currency, timezone=a.timezone, charter=a.charter,
            parent=a.parent_code, sub_alliances=list(a.sub_alliance_codes),
            member_count=a.member_count, created_at=a.created_at, planned_end=a.planned_end,
        )


class AllianceList(BaseModel):
    items: list[AllianceOut]
    total: int
    limit: int
    offset: int


class ResourceOut(BaseModel):
    direction: str
    category: str
    description: str
    capacity: str | None
    unit: str
    priority: int
    region: str = ""
    starts_on: str | None = None
    ends_on: str | None = None

    @classmethod
    def of(cls, r: ResourceDeclaration) -> ResourceOut:
        return cls.model_validate(resource_record(r))


class MemberOut(BaseModel):
    """A member as the alliance directory shows it.

    Profile metrics (revenue, profit, cash flow...) are the member's own raw data and are not in
    this public read model; they become visible under the roles and sharing rules of the member API.
    """

    code: str
    name: str
    credit_code: str
    industry: str
    region: str
    size: str | None
    role: str
    joined_on: date
    left_on: date | None
    resources: list[ResourceOut]

    @classmethod
    def of(cls, m: Member) -> MemberOut:
        return cls(
            code=m.code, name=m.legal_name, credit_code=m.credit_code, industry=m.industry,
            region=m.region, size=m.size.value if m.size else None, role=m.role.value,
            joined_on=m.joined_on, left_on=m.left_on, resources=[ResourceOut.of(r) for r in m.resources],
        )


class MemberList(BaseModel):
    alliance: str
    items: list[MemberOut]
    total: int
    limit: int
    offset: int


# Money in the API is a decimal string in the currency's units, never a JSON number.
MoneyText = Annotated[str, Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$", examples=["1234.50"],
                                 description="An exact amount as a decimal string (never a JSON number)")]


class StatementLineOut(BaseModel):
    agreement: str
    version: int
    rule: str
    kind: str
    base: MoneyText
    rate: str
    amount: MoneyText
    adjustment_of: date | None
    correction_of: str | None = Field(default=None, description="A ruling's correcting entry (kind `correction`): "
                                      "the ruling it books, e.g. \"dispute 3, ruling proposal 12\"; null otherwise.")


class StatementConversionOut(BaseModel):
    """The member's sales of one business day in one foreign currency, as the run converted them
    (docs/settlement.md, "Currencies")."""

    day: date
    currency: str = Field(description="The lines' ISO 4217 currency")
    rate: str = Field(description="Units of the settlement currency per unit of `currency` that day, exactly as "
                      "the exchange-rate register holds it")
    source: str
    lines: int
    original: MoneyText = Field(description="Their sum as sold, in `currency`")
    converted: MoneyText = Field(description="Their sum converted, each line once, in the statement's currency")
    adjustment: bool = Field(description="Late lines of a closed day (`day`), settled in this run")


class StatementOut(BaseModel):
    alliance: str
    member: str
    day: date
    currency: str
    total: MoneyText
    lines: list[StatementLineOut]
    conversions: list[StatementConversionOut] = Field(default_factory=list)


class DepartedPartyOut(BaseModel):
    """A party of a version applied that had left the alliance by the day: still paid, as signed."""

    agreement: str
    version: int
    member: str
    left_on: date


class SettlementOut(BaseModel):
    day: date
    lines: int
    late_lines: int
    agreements: list[dict[str, Any]]
    net: dict[str, MoneyText]
    departed_parties: list[DepartedPartyOut] = Field(
        default_factory=list, description="Parties of the versions applied that had left by the day; "
        "the versions still allocate to them until one without them takes effect.")
    unshared_reason: str | None = Field(
        default=None, description="Why the day's order lines were shared with nobody (`no_agreement_in_force`), "
        "as confirmed with `allow_unshared`; null when they were shared.")
    corrections: list[dict[str, Any]] = Field(
        default_factory=list, description="Rulings' corrections booked on the day: `id` and `correction_of` "
        "(the ruling, e.g. \"dispute 3, ruling proposal 12\").")
