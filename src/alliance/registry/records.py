"""Member records as text: the one place that knows each member field's names and how to parse it.

Import files (CSV/XLSX), `alliance member add` and the API all hand member data over as
`{field: text}`; `parse_member_record` turns that into a `MemberDraft` or a list of `Problem`s,
never stopping at the first. `MEMBER_COLUMNS` names every field in English and Chinese so files
with either header language (or a mix) are read alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from alliance.core.dates import DateError, parse_date
from alliance.core.text import BIDI_CONTROLS
from alliance.core.errors import Problem
from alliance.core.money import Money, MoneyError
from alliance.core.messages import Message
from alliance.registry.credit_code import InvalidCreditCode, normalise_credit_code
from alliance.registry.model import (
    CODE_PATTERN,
    CODE_RULE,
    CompanySize,
    Member,
    MemberDraft,
    MemberProfile,
    MemberRole,
    ResourceDeclaration,
)

class FieldError(ValueError):
    """A single value could not be parsed; `reason` is what the user reads (a Message)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ParseContext:
    currency: str
    today: date


Parser = Callable[[str, ParseContext], object]
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f]")
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")


def _text(limit: int) -> Parser:
    def parse(value: str, _: ParseContext) -> str:
        if len(value) > limit:
            raise FieldError(Message("longer than {limit} characters", limit=limit))
        # One regular expression per check, not a Python loop per character: a file has millions of cells.
        if _CONTROL.search(value):
            raise FieldError(Message("contains control characters (line breaks, NUL...)"))
        if _BIDI.search(value):
            raise FieldError(Message("contains invisible text-direction characters (U+202A-U+202E, U+2066-U+2069)"))
        return value

    return parse


def _code(value: str, _: ParseContext) -> str:
    if not CODE_PATTERN.match(value):
        raise FieldError(Message("{value!r} is not a valid code ({rule})", value=value, rule=CODE_RULE))
    return value


def _credit_code(value: str, _: ParseContext) -> str:
    if re.fullmatch(r"\d(\.\d+)?[eE]\+\d+", value):
        raise FieldError(Message("stored as a number (the spreadsheet lost digits); format the column as text"))
    try:
        return normalise_credit_code(value)
    except InvalidCreditCode as exc:
        raise FieldError(Message("{value!r} is not a valid unified social credit code: {reason}",
                                 value=value, reason=exc.reason)) from None


def _decimal(value: str) -> Decimal:
    cleaned = value.replace(",", "").strip()
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise FieldError(Message("{value!r} is not a number", value=value)) from None
    if not number.is_finite():
        raise FieldError(Message("{value!r} is not a number", value=value))
    # Checked before any int() or formatting: "1e999999999" would otherwise build a huge integer.
    if number != 0 and number.adjusted() > 15:
        raise FieldError(Message("{value!r} is too large", value=value))
    return number


MONEY_LIMIT = 10**17  # minor units: a BIGINT holds 9.2e18; no company reports more than 1e15 yuan


def _money(value: str, ctx: ParseContext) -> Money:
    try:
        money = Money.parse(value, ctx.currency)
    except MoneyError as exc:
        raise FieldError(exc.message) from None
    if abs(money.minor) >= MONEY_LIMIT:
        raise FieldError(Message("{value!r} is too large", value=value))
    return money


def _ratio(value: str, _: ParseContext) -> Decimal:
    number = _decimal(value[:-1]) / 100 if value.endswith("%") else _decimal(value)
    # Above 1 is possible (liabilities exceed assets); above 10 is a typo for a percentage.
    if not 0 <= number <= 10:
        raise FieldError(Message("{value!r} is not a ratio (such as 0.45, or 45%)", value=value))
    return number


def _score(value: str, _: ParseContext) -> Decimal:
    number = _decimal(value)
    if not 0 <= number <= 10:
        raise FieldError(Message("{value!r} is outside the 0-10 score range", value=value))
    return number


def _count(value: str, _: ParseContext) -> int:
    number = _decimal(value)
    if number != number.to_integral_value() or number < 0:
        raise FieldError(Message("{value!r} is not a whole, non-negative count", value=value))
    if number > 2_147_483_647:
        raise FieldError(Message("{value!r} is too large", value=value))
    return int(number)


def _date(value: str, _: ParseContext) -> date:
    try:
        return parse_date(value)
    except DateError as exc:
        # The reason as core.dates gives it (a Message there is translated with the rest).
        raise FieldError(exc.args[0] if exc.args else str(exc)) from None


def _choice(enum: type[StrEnum], labels: Mapping[str, str]) -> Parser:
    def parse(value: str, _: ParseContext) -> object:
        key = labels.get(value, value.lower())
        try:
            return enum(key)
        except ValueError:
            allowed = ", ".join(m.value for m in enum)
            raise FieldError(Message("{value!r} is not one of: {allowed}", value=value, allowed=allowed)) from None

    return parse


SIZE_LABELS_ZH = {"微型": "micro", "小型": "small", "中型": "medium", "大型": "large"}
ROLE_LABELS_ZH = {"核心企业": "hub", "核心": "hub", "成员": "member", "观察员": "observer"}


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # English header, and the field's name everywhere else
    zh: str  # Chinese header
    parse: Parser
    required: bool = False
    aliases: tuple[str, ...] = ()


MEMBER_COLUMNS: tuple[Column, ...] = (
    Column("code", "编码", _code, required=True, aliases=("short_code", "简称代码", "代码")),
    Column("name", "名称", _text(200), required=True, aliases=("legal_name", "企业名称", "公司名称")),
    Column("credit_code", "统一社会信用代码", _credit_code, required=True, aliases=("uscc", "信用代码")),
    Column("industry", "行业", _text(100)),
    Column("region", "地区", _text(100)),
    Column("size", "规模", _choice(CompanySize, SIZE_LABELS_ZH)),
    Column("role", "角色", _choice(MemberRole, ROLE_LABELS_ZH)),
    Column("joined_on", "加入日期", _date),
    Column("contact_name", "联系人", _text(100)),
    Column("contact_phone", "联系电话", _text(40)),
    Column("contact_email", "联系邮箱", _text(200)),
    Column("revenue", "营业收入", _money),
    Column("profit", "利润", _money),
    Column("cash_flow", "现金流", _money),
    Column("debt_ratio", "资产负债率", _ratio),
    Column("reputation", "市场声誉", _score),
    Column("compliance_records", "合规记录", _count),
    Column("patent_count", "专利数", _count),
    Column("api_count", "接口数", _count),
)

COLUMNS_BY_KEY = {c.key: c for c in MEMBER_COLUMNS}
_HEADER_INDEX = {
    name.strip().lower(): c for c in MEMBER_COLUMNS for name in (c.key, c.zh, *c.aliases)
}


def column_for_header(header: str) -> Column | None:
    """The column a file header names, in English or Chinese (case and spaces ignored)."""
    return _HEADER_INDEX.get(header.strip().lower().replace(" ", "_")) or _HEADER_INDEX.get(header.strip())


def parse_member_record(
    values: Mapping[str, str], ctx: ParseContext, where: str, labels: Mapping[str, str] | None = None
) -> tuple[MemberDraft | None, list[Problem]]:
    """Parse `{field key: text}` into a draft; return every problem found (draft is None if any).

    `labels` maps a field key to the name the user knows it by (the file's header), for messages.
    Blank values count as absent.
    """
    labels = labels or {}
    parsed: dict[str, object] = {}
    problems: list[Problem] = []
    for column in MEMBER_COLUMNS:
        raw = (values.get(column.key) or "").strip()
        label = labels.get(column.key, column.key)
        if not raw:
            if column.required:
                problems.append(Problem(where, label, Message("is required")))
            continue
        try:
            parsed[column.key] = column.parse(raw, ctx)
        except FieldError as exc:
            problems.append(Problem(where, label, exc.reason))
    if problems:
        return None, problems
    profile = MemberProfile(
        revenue=parsed.get("revenue"),  # type: ignore[arg-type]
        profit=parsed.get("profit"),  # type: ignore[arg-type]
        cash_flow=parsed.get("cash_flow"),  # type: ignore[arg-type]
        debt_ratio=parsed.get("debt_ratio"),  # type: ignore[arg-type]
        reputation=parsed.get("reputation"),  # type: ignore[arg-type]
        compliance_records=parsed.get("compliance_records"),  # type: ignore[arg-type]
        patent_count=parsed.get("patent_count"),  # type: ignore[arg-type]
        api_count=parsed.get("api_count"),  # type: ignore[arg-type]
    )
    draft = MemberDraft(
        code=parsed["code"],  # type: ignore[arg-type]
        legal_name=parsed["name"],  # type: ignore[arg-type]
        credit_code=parsed["credit_code"],  # type: ignore[arg-type]
        industry=parsed.get("industry", ""),  # type: ignore[arg-type]
        region=parsed.get("region", ""),  # type: ignore[arg-type]
        size=parsed.get("size"),  # type: ignore[arg-type]
        role=parsed.get("role", MemberRole.MEMBER),  # type: ignore[arg-type]
        joined_on=parsed.get("joined_on", ctx.today),  # type: ignore[arg-type]
        contact_name=parsed.get("contact_name", ""),  # type: ignore[arg-type]
        contact_phone=parsed.get("contact_phone", ""),  # type: ignore[arg-type]
        contact_email=parsed.get("contact_email", ""),  # type: ignore[arg-type]
        profile=profile,
    )
    return draft, []


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain text without exponent or trailing zeros: 0.450000 -> "0.45", 100 -> "100"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def resource_record(r: ResourceDeclaration) -> dict[str, str | int | None]:
    """A declared resource or need as plain JSON-ready values (capacity as exact text)."""
    return {
        "direction": r.direction.value,
        "category": str(r.category),
        "description": r.description,
        "capacity": None if r.capacity is None else decimal_text(r.capacity),
        "unit": r.unit,
        "priority": r.priority,
        "region": r.region,
        "starts_on": None if r.starts_on is None else r.starts_on.isoformat(),
        "ends_on": None if r.ends_on is None else r.ends_on.isoformat(),
    }


def member_record(member: Member) -> dict[str, str]:
    """A stored member as `{field key: text}`, the inverse of `parse_member_record`."""
    p = member.profile

    def money(m: Money | None) -> str:
        return m.amount_text() if m is not None else ""

    def num(d: Decimal | int | None) -> str:
        return "" if d is None else decimal_text(d) if isinstance(d, Decimal) else str(d)

    return {
        "code": member.code,
        "name": member.legal_name,
        "credit_code": member.credit_code,
        "industry": member.industry,
        "region": member.region,
        "size": member.size.value if member.size else "",
        "role": member.role.value,
        "joined_on": member.joined_on.isoformat(),
        "contact_name": member.contact_name,
        "contact_phone": member.contact_phone,
        "contact_email": member.contact_email,
        "revenue": money(p.revenue),
        "profit": money(p.profit),
        "cash_flow": money(p.cash_flow),
        "debt_ratio": num(p.debt_ratio),
        "reputation": num(p.reputation),
        "compliance_records": num(p.compliance_records),
        "patent_count": num(p.patent_count),
        "api_count": num(p.api_count),
    }
