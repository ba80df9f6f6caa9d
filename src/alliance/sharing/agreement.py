"""Agreement documents: parsing and validating one version, listing every problem at once.

The format is documented in `docs/formats/agreement.md`. A document names its parties (member
codes), currency, time zone, the date it takes effect, and its rules. Each rule selects order
lines (by seller, product owner, channel, SKU prefix), takes their revenue or profit as its base,
and says how that base, or a pool drawn from it, is shared. Numbers are exact: shares and rates
are Decimals, amounts are `Money`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal, InvalidOperation, localcontext
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alliance.core.errors import InvalidInput, Problem
from alliance.core.limits import DAY_LIMIT_MINOR
from alliance.core.money import Money, MoneyError, check_currency
from alliance.core.messages import Message
from alliance.registry.model import CODE_PATTERN

ONE = Decimal(1)
# A share, rate or weight is held exactly with at most this many digits before and after the point.
NUMBER_DIGITS = 18
NUMBER_PLACES = 28


# How a contribution rule values members on the day's attribution game: "equal" and "shapley" are
# the same thing (the Shapley value of a sum of unanimity games shares each line equally among
# its attributed members); "banzhaf" is the normalised Banzhaf value (docs/games.md).
CONTRIBUTION_METHODS = ("equal", "shapley", "banzhaf")


class AgreementInvalid(InvalidInput):
    code = "invalid_agreement"
    title = Message("Invalid agreement")


class Base(StrEnum):
    REVENUE = "revenue"  # the line's amount
    PROFIT = "profit"  # amount - cost


class RuleKind(StrEnum):
    FIXED_SPLIT = "fixed_split"
    TIERED = "tiered"
    THREE_LEVEL = "three_level"
    DYNAMIC = "dynamic"
    GROWTH_FUND = "growth_fund"
    REBATE = "rebate"
    COST_SHARE = "cost_share"
    CONTRIBUTION = "contribution"


class TierMode(StrEnum):
    MARGINAL = "marginal"  # each slice of volume at its own tier's rate
    WHOLE = "whole"  # all of the volume at the rate of the tier reached


class VolumeOf(StrEnum):
    SELLER = "seller"
    PRODUCT_OWNER = "product_owner"


@dataclass(frozen=True, slots=True)
class Selector:
    """Which order lines a rule applies to: every given key must match (a list matches any item)."""

    seller: tuple[str, ...] = ()
    product_owner: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    sku_prefix: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Tier:
    up_to: Money | None  # exclusive upper bound of the monthly volume; None: no bound (last tier)
    rate: Decimal


@dataclass(frozen=True, slots=True)
class Rule:
    """One sharing rule; `params` holds the kind's own fields, already checked and typed."""

    id: str
    kind: RuleKind
    select: Selector
    base: Base
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True, slots=True)
class Agreement:
    code: str
    title: str
    currency: str
    timezone: str
    effective_from: date
    effective_until: date | None
    parties: tuple[str, ...]
    rules: tuple[Rule, ...]
    expectations: Mapping[str, Money]  # what each party was led to expect (for the sandbox)
    accounts: Mapping[str, str]  # non-member accounts, e.g. a growth fund: code -> description
    declares_timezone: bool = False  # whether the document names its time zone (else the default)


# -- small typed readers that record problems instead of raising ------------------------------------

# A problem's place in the document (`Problem.where`): "agreement", "rule 3", "rule 'x'", "rule 'x' tier 2".
# Said in the user's language; their English is what `document_lines` and `agreement_draft.field_of` read.
AGREEMENT = Message("agreement")


def _tier(rule: str, number: int) -> Message:
    return Message("{rule} tier {tier}", rule=rule, tier=number)


def _not_a_party(code: str) -> Message:
    return Message("{code!r} is not a party to the agreement", code=code)


def _either(choices: Sequence[str]) -> str:
    """The choices as "a or b or c", in the user's language."""
    said = choices[0]
    for choice in choices[1:]:
        said = Message("{choices} or {choice}", choices=said, choice=choice)
    return said


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, field_: str, reason: str) -> None:
        self.problems.append(Problem(where, field_, reason))

    def text(self, raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(where, key, Message("is required"))
            return None
        if not isinstance(value, (str, int)):
            self.add(where, key, Message("{value!r} is not text", value=value))
            return None
        return str(value).strip()

    def decimal(self, value: Any, where: str, field_: str, *, low: Decimal | None = None,
                high: Decimal | None = None) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
            self.add(where, field_, Message("{value!r} is not a number (write it as a decimal, e.g. 0.3)", value=value)
                     if isinstance(value, float) else Message("{value!r} is not a number", value=value))
            return None
        text = str(value).strip()
        try:
            number = Decimal(text.rstrip("%"))  # exact: building a Decimal from text never rounds
        except InvalidOperation:
            self.add(where, field_, Message("{value!r} is not a number", value=value))
            return None
        if not number.is_finite():
            self.add(where, field_, Message("{value!r} is not a number", value=value))
            return None
        # Arithmetic on a Decimal rounds to the context's 28 digits, and 1e999999999 overflows it:
        # refuse what cannot be held exactly rather than round it (a share of 1e-999999999 came
        # out as 0, one of 31 places rounded, 1e999999999 raised decimal.Overflow, a 500).
        with localcontext(Context(prec=NUMBER_DIGITS + NUMBER_PLACES + 2)):
            if number != 0 and (number.adjusted() >= NUMBER_DIGITS or number != round(number, NUMBER_PLACES)):
                self.add(where, field_, Message("{value} has more than {digits} digits before the point or "
                                                "{places} after it", value=value, digits=NUMBER_DIGITS,
                                                places=NUMBER_PLACES))
                return None
            if text.endswith("%"):
                number = number / 100  # as before (2026-11): the digest signs the exact text of the result
        if (low is not None and number < low) or (high is not None and number > high):
            if low is not None and high is not None:
                self.add(where, field_, Message("{value} must be between {low} and {high}", value=value, low=low, high=high))
            elif low is not None:
                self.add(where, field_, Message("{value} must be at least {low}", value=value, low=low))
            else:
                self.add(where, field_, Message("{value} must be at most {high}", value=value, high=high))
            return None
        return number

    def money(self, value: Any, currency: str | None, where: str, field_: str) -> Money | None:
        if currency is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
            self.add(where, field_, Message("{value!r} is not an amount", value=value))
            return None
        try:
            amount = Money.parse(str(value), currency)
        except MoneyError as exc:
            self.add(where, field_, exc.message)
            return None
        if abs(amount.minor) > DAY_LIMIT_MINOR:  # a shared cost is a statement amount: 64 bits
            self.add(where, field_, Message("{value} is more than {limit}, the most an agreement amount may be",
                                            value=value, limit=Money(DAY_LIMIT_MINOR, currency).amount_text()))
            return None
        return amount

    def day(self, raw: Mapping[str, Any], key: str, where: str, *, required: bool) -> date | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.add(where, key, Message("is required (YYYY-MM-DD)"))
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.add(where, key, Message("{value!r} is not a date (YYYY-MM-DD)", value=value))
            return None

    def mapping(self, raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> Mapping[str, Any] | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.add(where, key, Message("is required"))
            return None
        if not isinstance(value, Mapping) or not value:
            self.add(where, key, Message("must be a non-empty mapping"))
            return None
        return value

    def members(self, values: Any, where: str, field_: str, parties: set[str]) -> tuple[str, ...]:
        items = [values] if isinstance(values, str) else values
        if not isinstance(items, list) or not items:
            self.add(where, field_, Message("must be a member code or a non-empty list of them"))
            return ()
        found: list[str] = []
        for item in items:
            code = str(item).strip()
            if code not in parties:
                self.add(where, field_, _not_a_party(code))
            else:
                found.append(code)
        return tuple(found)

    def shares(self, raw: Mapping[str, Any] | None, where: str, field_: str, parties: set[str],
               extra_accounts: set[str] = frozenset()) -> dict[str, Decimal]:  # type: ignore[assignment]
        """A {member: share} mapping whose shares are in [0, 1] and sum to exactly 1."""
        if raw is None:
            return {}
        shares: dict[str, Decimal] = {}
        for name, value in raw.items():
            code = str(name).strip()
            if code not in parties and code not in extra_accounts:
                self.add(where, f"{field_}.{code}", _not_a_party(code))
                continue
            share = self.decimal(value, where, f"{field_}.{code}", low=Decimal(0), high=ONE)
            if share is not None:
                shares[code] = share
        if len(shares) == len(raw):
            total = sum(shares.values(), Decimal(0))
            if total != ONE:
                self.add(where, field_, Message("shares sum to {total}, not 1", total=total))
        return shares


# -- rules -----------------------------------------------------------------------------------------

SELECT_KEYS = ("seller", "product_owner", "channel", "sku_prefix")
COMMON_KEYS = {"id", "kind", "select", "base", "description"}
MAX_RULE_ID = 64  # a statement line keeps its rule's id in 64 characters
KIND_KEYS: dict[RuleKind, set[str]] = {
    RuleKind.FIXED_SPLIT: {"shares"},
    RuleKind.TIERED: {"volume_of", "payer", "mode", "tiers"},
    RuleKind.THREE_LEVEL: {"pool_rate", "parts", "members", "baseline", "long_term_metric"},
    RuleKind.DYNAMIC: {"initial", "metrics", "max_change"},
    RuleKind.GROWTH_FUND: {"rate", "target", "period", "fund"},
    RuleKind.REBATE: {"rate", "payer", "recipients"},
    RuleKind.COST_SHARE: {"amount", "incurred_on", "paid_by", "ratios"},
    RuleKind.CONTRIBUTION: {"members", "method"},
}


def _selector(r: _Reader, raw: Any, where: str, parties: set[str]) -> Selector:
    if raw is None:
        return Selector()
    if not isinstance(raw, Mapping):
        r.add(where, "select", Message("must be a mapping of seller / product_owner / channel / sku_prefix"))
        return Selector()
    for key in raw:
        if key not in SELECT_KEYS:
            r.add(where, f"select.{key}", Message("unknown selector (use {keys})", keys=', '.join(SELECT_KEYS)))
    picked: dict[str, tuple[str, ...]] = {}
    for key in SELECT_KEYS:
        if key not in raw:
            continue
        values = raw[key]
        items = [values] if isinstance(values, str) else values
        if not isinstance(items, list) or not items or any(not str(v).strip() for v in items):
            r.add(where, f"select.{key}", Message("selects nothing: give a value or a non-empty list"))
            continue
        if key in ("seller", "product_owner"):
            picked[key] = r.members(items, where, f"select.{key}", parties)
        else:
            picked[key] = tuple(str(v).strip() for v in items)
    return Selector(**picked)


def _tiers(r: _Reader, raw: Any, where: str, currency: str | None) -> tuple[Tier, ...]:
    if not isinstance(raw, list) or not raw:
        r.add(where, "tiers", Message("must be a non-empty list of {up_to, rate}"))
        return ()
    tiers: list[Tier] = []
    for i, item in enumerate(raw, start=1):
        spot = _tier(where, i)
        if not isinstance(item, Mapping):
            r.add(spot, "", Message("must be a mapping {up_to, rate}"))
            continue
        rate = r.decimal(item.get("rate"), spot, "rate", low=Decimal(0), high=ONE) if "rate" in item else None
        if "rate" not in item:
            r.add(spot, "rate", Message("is required"))
        up_to = r.money(item["up_to"], currency, spot, "up_to") if item.get("up_to") is not None else None
        if rate is not None:
            tiers.append(Tier(up_to, rate))
    if len(tiers) == len(raw):
        for i, (lower, upper) in enumerate(zip(tiers, tiers[1:]), start=1):
            if lower.up_to is None:
                r.add(_tier(where, i), "up_to", Message("only the last tier may be open-ended"))
            elif upper.up_to is not None and upper.up_to <= lower.up_to:
                r.add(_tier(where, i + 1), "up_to",
                      Message("tiers overlap or are out of order: {up_to} is not above {previous}",
                              up_to=upper.up_to.amount_text(), previous=lower.up_to.amount_text()))
        if tiers and tiers[-1].up_to is not None:
            r.add(_tier(where, len(tiers)), "up_to", Message("the last tier must be open-ended (no up_to)"))
    return tuple(tiers)


def _rule(r: _Reader, raw: Any, index: int, parties: set[str], accounts: set[str], currency: str | None,
          seen: set[str]) -> Rule | None:
    where = Message("rule {index}", index=index)
    if not isinstance(raw, Mapping):
        r.add(where, "", Message("must be a mapping"))
        return None
    rule_id = r.text(raw, "id", where)
    if rule_id is not None and len(rule_id) > MAX_RULE_ID:
        r.add(where, "id", Message("is {length} characters long; a rule id has at most {max_length}",
                                   length=len(rule_id), max_length=MAX_RULE_ID))
        rule_id = rule_id[:MAX_RULE_ID]
    if rule_id is not None:
        where = Message("rule {rule_id!r}", rule_id=rule_id)
        if rule_id in seen:
            r.add(where, "id", Message("is used by an earlier rule"))
        seen.add(rule_id)
    try:
        kind = RuleKind(str(raw.get("kind")))
    except ValueError:
        r.add(where, "kind", Message("{value!r} is not one of: {choices}", value=raw.get("kind"),
                                     choices=', '.join(k.value for k in RuleKind)))
        return None
    for key in raw:
        if key not in COMMON_KEYS and key not in KIND_KEYS[kind]:
            r.add(where, str(key), Message("is not a field of a {kind} rule", kind=kind.value))
    try:
        base = Base(str(raw.get("base", "revenue")))
    except ValueError:
        r.add(where, "base", Message("{value!r} is not revenue or profit", value=raw.get("base")))
        base = Base.REVENUE
    select = _selector(r, raw.get("select"), where, parties)
    params: dict[str, Any] = {}
    if kind is RuleKind.FIXED_SPLIT:
        params["shares"] = r.shares(r.mapping(raw, "shares", where), where, "shares", parties)
    elif kind is RuleKind.TIERED:
        params["volume_of"] = _choice(r, raw, "volume_of", where, VolumeOf, VolumeOf.SELLER)
        params["mode"] = _choice(r, raw, "mode", where, TierMode, None)
        params["payer"] = _party(r, raw, "payer", where, parties)
        params["tiers"] = _tiers(r, raw.get("tiers"), where, currency)
    elif kind is RuleKind.THREE_LEVEL:
        params["pool_rate"] = r.decimal(raw.get("pool_rate", 1), where, "pool_rate", low=Decimal(0), high=ONE)
        params["parts"] = _parts(r, r.mapping(raw, "parts", where), where)
        members = r.members(raw.get("members", sorted(parties)), where, "members", parties)
        params["members"] = members
        baseline = r.mapping(raw, "baseline", where)
        params["baseline"] = {} if baseline is None else {
            str(k): m for k, v in baseline.items()
            if (m := _member_money(r, k, v, currency, where, "baseline", set(members))) is not None
        }
        params["long_term_metric"] = r.text(raw, "long_term_metric", where)
    elif kind is RuleKind.DYNAMIC:
        params["initial"] = r.shares(r.mapping(raw, "initial", where), where, "initial", parties)
        params["metrics"] = _weights(r, r.mapping(raw, "metrics", where), where, "metrics")
        params["max_change"] = _required_decimal(r, raw, "max_change", where)
    elif kind is RuleKind.GROWTH_FUND:
        params["rate"] = _required_decimal(r, raw, "rate", where)
        params["target"] = _required_money(r, raw, "target", where, currency)
        params["period"] = _choice(r, raw, "period", where, Period, Period.MONTH)
        fund = r.text(raw, "fund", where)
        if fund is not None and fund not in accounts:
            r.add(where, "fund", Message("{fund!r} is not one of the agreement's accounts ({accounts})", fund=fund,
                                         accounts=', '.join(sorted(accounts)) or Message("none declared")))
        params["fund"] = fund
    elif kind is RuleKind.REBATE:
        params["rate"] = _required_decimal(r, raw, "rate", where)
        params["payer"] = _party(r, raw, "payer", where, parties)
        params["recipients"] = r.members(raw.get("recipients"), where, "recipients", parties)
    elif kind is RuleKind.COST_SHARE:
        params["amount"] = _required_money(r, raw, "amount", where, currency)
        params["incurred_on"] = r.day(raw, "incurred_on", where, required=True)
        params["paid_by"] = _party(r, raw, "paid_by", where, parties)
        params["ratios"] = r.shares(r.mapping(raw, "ratios", where), where, "ratios", parties)
    elif kind is RuleKind.CONTRIBUTION:
        params["members"] = r.members(raw["members"], where, "members", parties) if "members" in raw else ()
        method = str(raw.get("method", "equal"))
        if method not in CONTRIBUTION_METHODS:
            r.add(where, "method", Message("{method!r} is not a contribution method ({methods})", method=method,
                                           methods=', '.join(CONTRIBUTION_METHODS)))
        params["method"] = method
    description = r.text(raw, "description", where, required=False) or ""
    return Rule(rule_id or f"#{index}", kind, select, base, params, description)


def _party(r: _Reader, raw: Mapping[str, Any], key: str, where: str, parties: set[str]) -> str | None:
    code = r.text(raw, key, where)
    if code is None:
        return None
    if code not in parties:
        r.add(where, key, _not_a_party(code))
        return None
    return code


def _required_decimal(r: _Reader, raw: Mapping[str, Any], key: str, where: str) -> Decimal | None:
    if key not in raw:
        r.add(where, key, Message("is required (a decimal between 0 and 1, e.g. 0.15)"))
        return None
    return r.decimal(raw[key], where, key, low=Decimal(0), high=ONE)


def _required_money(r: _Reader, raw: Mapping[str, Any], key: str, where: str, currency: str | None) -> Money | None:
    if key not in raw:
        r.add(where, key, Message('is required (an amount, e.g. "100000.00")'))
        return None
    return r.money(raw[key], currency, where, key)


class Period(StrEnum):
    DAY = "day"
    MONTH = "month"


def _choice(r: _Reader, raw: Mapping[str, Any], key: str, where: str, enum: type[StrEnum], default: StrEnum | None) -> StrEnum | None:
    if key not in raw:
        if default is None:
            r.add(where, key, Message("is required ({choices})", choices=_either([m.value for m in enum])))
        return default
    try:
        return enum(str(raw[key]))
    except ValueError:
        r.add(where, key, Message("{value!r} is not one of: {choices}", value=raw[key],
                                  choices=', '.join(m.value for m in enum)))
        return default


def _parts(r: _Reader, raw: Mapping[str, Any] | None, where: str) -> dict[str, Decimal]:
    if raw is None:
        return {}
    names = ("base", "incremental", "long_term")
    parts: dict[str, Decimal] = {}
    for key in raw:
        if key not in names:
            r.add(where, f"parts.{key}", Message("unknown part (use {parts})", parts=', '.join(names)))
    for name in names:
        if name not in raw:
            r.add(where, f"parts.{name}", Message("is required"))
            continue
        value = r.decimal(raw[name], where, f"parts.{name}", low=Decimal(0), high=ONE)
        if value is not None:
            parts[name] = value
    if len(parts) == 3 and sum(parts.values(), Decimal(0)) != ONE:
        r.add(where, "parts", Message("parts sum to {total}, not 1", total=sum(parts.values(), Decimal(0))))
    return parts


def _weights(r: _Reader, raw: Mapping[str, Any] | None, where: str, field_: str) -> dict[str, Decimal]:
    if raw is None:
        return {}
    weights: dict[str, Decimal] = {}
    for name, value in raw.items():
        weight = r.decimal(value, where, f"{field_}.{name}", low=Decimal(0), high=ONE)
        if weight is not None:
            weights[str(name)] = weight
    if len(weights) == len(raw) and sum(weights.values(), Decimal(0)) != ONE:
        r.add(where, field_, Message("weights sum to {total}, not 1", total=sum(weights.values(), Decimal(0))))
    return weights


def _member_money(r: _Reader, member: Any, value: Any, currency: str | None, where: str, field_: str,
                  members: set[str]) -> Money | None:
    code = str(member).strip()
    if code not in members:
        r.add(where, f"{field_}.{code}", Message("{code!r} is not one of the rule's members", code=code))
        return None
    return r.money(value, currency, where, f"{field_}.{code}")


# -- the document ----------------------------------------------------------------------------------

TOP_KEYS = {"agreement", "title", "currency", "timezone", "effective_from", "effective_until", "parties",
            "rules", "expectations", "accounts"}


def parse_agreement(raw: Any, *, members: Sequence[str] | None = None) -> Agreement:
    """Check a parsed document; raise AgreementInvalid listing every problem.

    `members`, when given, are the alliance's current member codes: every party must be one.
    """
    r = _Reader()
    if not isinstance(raw, Mapping):
        raise AgreementInvalid(Message("an agreement is a YAML mapping with agreement, parties, rules ..."))
    for key in raw:
        if key not in TOP_KEYS:
            r.add(AGREEMENT, str(key), Message("unknown field (known: {fields})", fields=', '.join(sorted(TOP_KEYS))))
    code = r.text(raw, "agreement", AGREEMENT)
    if code is not None and not CODE_PATTERN.match(code):
        r.add(AGREEMENT, "agreement", Message("{code!r} is not a valid code", code=code))
    title = r.text(raw, "title", AGREEMENT, required=False) or ""
    if len(title) > 200:
        r.add(AGREEMENT, "title", Message("is {length} characters long; a title has at most {max_length}",
                                           length=len(title), max_length=200))
    currency: str | None = None
    try:
        currency = check_currency(str(raw.get("currency", "CNY")))
    except MoneyError as exc:
        r.add(AGREEMENT, "currency", exc.message)
    timezone = str(raw.get("timezone", "Asia/Shanghai"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        r.add(AGREEMENT, "timezone", Message("unknown time zone {timezone!r}", timezone=timezone))
    starts = r.day(raw, "effective_from", AGREEMENT, required=True)
    ends = r.day(raw, "effective_until", AGREEMENT, required=False)
    if starts and ends and ends < starts:
        r.add(AGREEMENT, "effective_until", Message("{effective_until} is before effective_from {effective_from}",
                                                     effective_until=ends, effective_from=starts))

    raw_parties = raw.get("parties")
    parties: list[str] = []
    if not isinstance(raw_parties, list) or len(raw_parties) < 2:
        r.add(AGREEMENT, "parties", Message("must list at least two member codes"))
    else:
        for p in raw_parties:
            code_p = str(p).strip()
            if code_p in parties:
                r.add(AGREEMENT, "parties", Message("{code!r} is listed twice", code=code_p))
            elif members is not None and code_p not in members:
                r.add(AGREEMENT, "parties", Message("{code!r} is not a current member of the alliance", code=code_p))
            else:
                parties.append(code_p)
    party_set = set(parties)

    accounts_raw = raw.get("accounts") or {}
    accounts: dict[str, str] = {}
    if not isinstance(accounts_raw, Mapping):
        r.add(AGREEMENT, "accounts", Message("must map account codes to descriptions"))
    else:
        for name, description in accounts_raw.items():
            if str(name) in party_set:
                r.add(AGREEMENT, f"accounts.{name}", Message("is also a party's code"))
            elif not CODE_PATTERN.match(str(name)):
                # An account is a statement line's account, held like a member code: a longer one
                # would be accepted here and fail every settlement of the day on PostgreSQL.
                r.add(AGREEMENT, f"accounts.{str(name)[:40]}", Message("is not a valid account code (a letter or digit, "
                      "then up to 31 letters, digits, '_', '.' or '-')"))
            accounts[str(name)] = str(description or "")

    rules_raw = raw.get("rules")
    rules: list[Rule] = []
    if not isinstance(rules_raw, list) or not rules_raw:
        r.add(AGREEMENT, "rules", Message("must be a non-empty list"))
    else:
        seen: set[str] = set()
        for index, item in enumerate(rules_raw, start=1):
            rule = _rule(r, item, index, party_set, set(accounts), currency, seen)
            if rule is not None:
                rules.append(rule)

    expectations: dict[str, Money] = {}
    expected_raw = raw.get("expectations") or {}
    if not isinstance(expected_raw, Mapping):
        r.add(AGREEMENT, "expectations", Message("must map member codes to expected amounts"))
    else:
        for name, value in expected_raw.items():
            m = _member_money(r, name, value, currency, AGREEMENT, "expectations", party_set)
            if m is not None:
                expectations[str(name)] = m

    if r.problems:
        raise AgreementInvalid(Message("{count} problem(s) in the agreement", count=len(r.problems)), r.problems)
    assert code is not None and currency is not None and starts is not None
    return Agreement(code, title, currency, timezone, starts, ends, tuple(parties), tuple(rules), expectations, accounts,
                     "timezone" in raw)


def load_agreement_text(text: str, source: str = Message("agreement"), *, members: Sequence[str] | None = None) -> Agreement:
    """Parse YAML (or JSON) text with exact decimals, then validate it."""
    import yaml  # here: PyYAML costs a tenth of a second to import, which what only names agreements

    from alliance.sharing import yaml_exact  # (the ledger's public key, a statement) should not pay

    try:
        raw = yaml_exact.load(text)
    except yaml.YAMLError as exc:
        raise AgreementInvalid(Message("{source}: not valid YAML: {error}", source=source, error=exc)) from None
    return parse_agreement(raw, members=members)


def _plain(value: Any) -> Any:
    if isinstance(value, Money):
        return value.amount_text()
    if isinstance(value, (Decimal, date)):
        return str(value)
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    return value


def canonical_json(agreement: Agreement) -> str:
    """The agreement as canonical JSON (sorted keys, no spaces, decimals as strings): what is signed."""
    return json.dumps(_plain(agreement), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(agreement: Agreement) -> str:
    return hashlib.sha256(canonical_json(agreement).encode("utf-8")).hexdigest()
