"""Agreement documents: parsing and validating one version, listing every problem at once.

The format is documented in `docs/formats/agreement.md`. A document names its parties (member
codes), currency, time zone, the date it takes effect, and its rules. Each rule selects order
lines (by seller, product owner, channel, SKU prefix), takes their revenue or profit as its base,
and says how that base, or a pool drawn from it, is shared. Numbers are exact: shares and rates
are Decimals, amounts are `Money`.

This module reads what every rule has (id, kind, select, base, description) and the document
around the rules; each kind's own fields are read by its module (`sharing.rules`), which this
parser finds through the registry without knowing any kind.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from functools import lru_cache
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alliance.core.errors import InvalidInput
from alliance.core.money import Money, MoneyError, check_currency
from alliance.core.messages import Message
from alliance.registry.model import CODE_PATTERN
from alliance.sharing.reader import NUMBER_DIGITS, NUMBER_PLACES, ONE, Reader
from alliance.sharing.rules import KINDS, spec
from alliance.sharing.rules.base import ParseContext
from alliance.sharing.rules.contribution import CONTRIBUTION_METHODS
from alliance.sharing.clauses import CLAUSE_KINDS, Clause, ClauseContext, ClauseKind, clause_spec
from alliance.sharing.clauses.base import MAX_CLAUSE_TEXT
from alliance.sharing.terms import (PARENT_KEYS, PLACEMENTS, AgreementKind, Base, Period, RuleKind, Selector, Tier,
                                    TierMode, VolumeOf)

# The vocabulary (`sharing.terms`) and the contribution methods stay importable from here.
__all__ = ["AGREEMENT", "Agreement", "AgreementInvalid", "AgreementKind", "Base", "Clause", "ClauseKind", "CONTRIBUTION_METHODS", "KIND_KEYS", "NUMBER_DIGITS",
           "NUMBER_PLACES", "ONE", "Period", "Rule", "RuleKind", "Selector", "Tier", "TierMode", "VolumeOf",
           "canonical_json", "digest", "load_agreement_text", "parse_agreement", "plain_value"]


class AgreementInvalid(InvalidInput):
    code = "invalid_agreement"
    title = Message("Invalid agreement")


@dataclass(frozen=True, slots=True)
class Rule:
    """One sharing rule; `params` holds the kind's own fields, already checked and typed: the kind's
    `Params` dataclass (`sharing.rules.<kind>`), whose fields are the kind's YAML keys."""

    id: str
    kind: RuleKind
    select: Selector
    base: Base
    params: Any
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
    # Its place in the contract set (sharing.layers) and its clauses (sharing.clauses), one per kind.
    kind: AgreementKind = AgreementKind.STANDALONE
    under: str | None = None     # a project's framework (an agreement code)
    amends: str | None = None    # a supplement's agreement (an agreement code)
    clauses: tuple[Clause, ...] = ()

    def clause(self, kind: ClauseKind) -> Clause | None:
        return next((c for c in self.clauses if c.kind is kind), None)


# A problem's place in the document (`Problem.where`): "agreement", "rule 3", "rule 'x'", "rule 'x' tier 2".
# Said in the user's language; their English is what `document_lines` and `agreement_draft.field_of` read.
AGREEMENT = Message("agreement")


# -- rules -----------------------------------------------------------------------------------------

SELECT_KEYS = ("seller", "product_owner", "channel", "sku_prefix")
COMMON_KEYS = {"id", "kind", "select", "base", "description"}
MAX_RULE_ID = 64  # a statement line keeps its rule's id in 64 characters
# Each kind's own keys, from its module (sharing/rules/).
KIND_KEYS: dict[RuleKind, set[str]] = {kind: set(kind_spec.keys) for kind, kind_spec in KINDS.items()}


def _selector(r: Reader, raw: Any, where: str, parties: set[str]) -> Selector:
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


def _rule(r: Reader, raw: Any, index: int, parties: set[str], accounts: set[str], currency: str | None,
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
    params = spec(kind).parse(r, raw, where, ParseContext(parties, accounts, currency))
    description = r.text(raw, "description", where, required=False) or ""
    return Rule(rule_id or f"#{index}", kind, select, base, params, description)


# -- the document ----------------------------------------------------------------------------------

TOP_KEYS = {"agreement", "title", "currency", "timezone", "effective_from", "effective_until", "parties",
            "rules", "expectations", "accounts", "kind", "under", "amends", "clauses"}


def _clauses(r: Reader, raw: Any, context: ClauseContext) -> tuple[Clause, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        r.add(AGREEMENT, "clauses", Message("must be a list of clauses"))
        return ()
    found: list[Clause] = []
    for index, item in enumerate(raw, start=1):
        where = Message("clause {index}", index=index)
        if not isinstance(item, Mapping):
            r.add(where, "", Message("must be a mapping"))
            continue
        try:
            kind = ClauseKind(str(item.get("clause")))
        except ValueError:
            r.add(where, "clause", Message("{value!r} is not one of: {choices}", value=item.get("clause"),
                                           choices=", ".join(k.value for k in ClauseKind)))
            continue
        where = Message("clause {kind!r}", kind=kind.value)
        if any(c.kind is kind for c in found):
            r.add(where, "clause", Message("is given twice (one clause of each kind)"))
            continue
        kind_spec = clause_spec(kind)
        for key in item:
            if key not in ("clause", "text") and key not in kind_spec.keys:
                r.add(where, str(key), Message("is not a field of a {kind} clause (known: {fields})", kind=kind.value,
                                               fields=", ".join(kind_spec.keys)))
        text = r.text(item, "text", where) or ""
        if len(text) > MAX_CLAUSE_TEXT:
            r.add(where, "text", Message("is {length} characters long; a clause has at most {max_length}",
                                         length=len(text), max_length=MAX_CLAUSE_TEXT))
        params = kind_spec.parse(r, item, where, context)
        if params is not None:
            found.append(Clause(kind, text, params))
    return tuple(sorted(found, key=lambda c: list(CLAUSE_KINDS).index(c.kind)))


def parse_agreement(raw: Any, *, members: Sequence[str] | None = None) -> Agreement:
    """Check a parsed document; raise AgreementInvalid listing every problem.

    `members`, when given, are the alliance's current member codes: every party must be one.
    """
    r = Reader()
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

    kind = r.choice(raw, "kind", AGREEMENT, AgreementKind, AgreementKind.STANDALONE) or AgreementKind.STANDALONE
    placement = PLACEMENTS[kind]
    parents = {key: r.text(raw, key, AGREEMENT, required=placement.parent_key == key) for key in PARENT_KEYS}
    for key, value in parents.items():
        wanted = PARENT_KEYS[key]
        if value is not None and kind is not wanted:
            r.add(AGREEMENT, key, Message("only a {kind} agreement has {field}", kind=wanted.value, field=key))
        elif value is not None and not CODE_PATTERN.match(value):
            r.add(AGREEMENT, key, Message("{code!r} is not a valid code", code=value))
        elif value is not None and value == code:
            r.add(AGREEMENT, key, Message("names the agreement itself"))
    clauses = _clauses(r, raw.get("clauses"), ClauseContext(party_set, starts, ends, currency))

    rules_raw = raw.get("rules")
    rules: list[Rule] = []
    if not placement.needs_rules and (rules_raw is None or rules_raw == []):
        pass
    elif not isinstance(rules_raw, list) or not rules_raw:
        r.add(AGREEMENT, "rules", Message("must be a non-empty list"))
    else:
        seen: set[str] = set()
        for index, item in enumerate(rules_raw, start=1):
            rule = _rule(r, item, index, party_set, set(accounts), currency, seen)
            if rule is not None:
                rules.append(rule)

    budget = next((c.params.amount for c in clauses if c.kind is ClauseKind.BUDGET), None)
    committed = [m for rule in rules if (m := spec(rule.kind).commits(rule.params)) is not None]
    if budget is not None and committed and sum(m.minor for m in committed) > budget.minor:
        r.add(AGREEMENT, "rules", Message("the tranches and shared costs add up to {total}, more than the budget "
                                          "of {budget}", total=Money(sum(m.minor for m in committed), budget.currency).amount_text(),
                                          budget=budget.amount_text()))

    expectations: dict[str, Money] = {}
    expected_raw = raw.get("expectations") or {}
    if not isinstance(expected_raw, Mapping):
        r.add(AGREEMENT, "expectations", Message("must map member codes to expected amounts"))
    else:
        for name, value in expected_raw.items():
            m = r.member_money(name, value, currency, AGREEMENT, "expectations", party_set)
            if m is not None:
                expectations[str(name)] = m

    if r.problems:
        raise AgreementInvalid(Message("{count} problem(s) in the agreement", count=len(r.problems)), r.problems)
    assert code is not None and currency is not None and starts is not None
    return Agreement(code, title, currency, timezone, starts, ends, tuple(parties), tuple(rules), expectations, accounts,
                     "timezone" in raw, kind, parents["under"] if placement.parent_key == "under" else None,
                     parents["amends"] if placement.parent_key == "amends" else None, clauses)


def load_agreement_text(text: str, source: str = Message("agreement"), *, members: Sequence[str] | None = None) -> Agreement:
    """Parse YAML (or JSON) text with exact decimals, then validate it.

    A stored version's text is parsed again by every settlement run, twice (to check it against
    the ledger and to apply it): about half of a small day's run. Without `members` to check
    against, the result depends on the text alone and is immutable, so it is kept (by text, a few
    hundred at most); a document that fails raises every time, and is never kept."""
    if members is None:
        return _parsed(text, source)
    return _parse_text(text, source, members)


@lru_cache(maxsize=256)
def _parsed(text: str, source: str) -> Agreement:
    return _parse_text(text, source, None)


def _parse_text(text: str, source: str, members: Sequence[str] | None) -> Agreement:
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
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if not _later_default(value, f)}
    return value


def _later_default(value: Any, f: dataclasses.Field[Any]) -> bool:
    """Whether `f` is a field added later (metadata `clauses.base.LATER`) that holds its default: left out of the
    canonical form, so that a version signed before the field existed keeps its digest."""
    if not f.metadata.get("later"):
        return False
    default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    return bool(getattr(value, f.name) == default)


# The fields added with contract sets, left out of the canonical form while they hold their
# defaults: a version signed before them keeps the digest it was signed with.
_LATER_DEFAULTS = {"kind": AgreementKind.STANDALONE.value, "under": None, "amends": None, "clauses": []}


def plain_value(value: Any) -> Any:
    """A value of a document (a clause's fields, a rule's parameters) as JSON-ready data, as signed."""
    return _plain(value)


def canonical_json(agreement: Agreement) -> str:
    """The agreement as canonical JSON (sorted keys, no spaces, decimals as strings): what is signed."""
    plain = _plain(agreement)
    for key, default in _LATER_DEFAULTS.items():
        if plain.get(key) == default:
            del plain[key]
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(agreement: Agreement) -> str:
    return hashlib.sha256(canonical_json(agreement).encode("utf-8")).hexdigest()
