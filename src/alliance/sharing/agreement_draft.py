"""A whole agreement as form fields, and the two ways between it and the YAML document. Pure: no I/O.

The web builder posts flat fields (`agreement`, `party`, `r0-kind`, `r0-shares-SW`, `r1-tiers-0-rate`
...); `read_posted` turns them into an `AgreementDraft` exactly as typed, `check` names every field
whose text cannot be written (a rate that is not a number, a date that is not one) by its field
name, and `write_yaml` writes the document. `draft_from_document` goes the other way, from a YAML
document to the draft the form shows, saying what the form cannot show. Whether the agreement
is *valid* (shares that add up to 1, parties that are members) is the agreement loader's to say,
as for any document; the form only refuses to write what the loader could not even read.

Numbers are written from their exact text (unquoted decimals, which `yaml_exact` reads as
Decimals; amounts quoted), so the YAML says exactly what was typed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from alliance.core.messages import Message
from alliance.sharing import yaml_exact
from alliance.sharing.clauses import CLAUSE_KINDS, ClauseKind
from alliance.sharing.rule_form import (
    KIND_FORMS,
    NOT_A_CODE,
    NOT_A_DATE,
    NOT_A_NUMBER,
    NOT_A_WHOLE_NUMBER,
    NOT_AN_AMOUNT,
    NOT_AN_OPTION,
    REQUIRED,
    SELECT_KEYS,
    FormField,
    Widget,
)

MAX_RULES = 40
MAX_CLAUSES = len(CLAUSE_KINDS)  # one of each kind
CONTRACT_KINDS = ("standalone", "framework", "project", "supplement")
# Each clause kind's form: its fields, from its module (sharing.clauses.<kind>).
CLAUSE_FORMS: dict[str, tuple[FormField, ...]] = {k.value: spec.fields for k, spec in CLAUSE_KINDS.items()}
MAX_ROWS = 20          # tiers, metrics, accounts
BLANK_ROWS = 2         # empty rows offered for more tiers or metrics
PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$", re.ASCII)
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

Value = Any  # str | list[str] | dict[str, str] | list[tuple[str, str]], by the field's widget


@dataclass(slots=True)
class RuleDraft:
    kind: str
    id: str = ""
    description: str = ""
    base: str = "revenue"
    select: dict[str, str] = field(default_factory=dict)   # key -> comma-separated values
    values: dict[str, Value] = field(default_factory=dict)  # field key -> what was typed

    def value(self, f: FormField) -> Value:
        return self.values.get(f.key, _empty(f.widget))


@dataclass(slots=True)
class ClauseDraft:
    kind: str
    text: str = ""
    values: dict[str, Value] = field(default_factory=dict)  # field key -> what was typed

    def value(self, f: FormField) -> Value:
        return self.values.get(f.key, _empty(f.widget))


@dataclass(slots=True)
class AgreementDraft:
    code: str = ""
    title: str = ""
    currency: str = ""
    timezone: str = ""          # kept only if the document named it
    effective_from: str = ""
    effective_until: str = ""
    parties: list[str] = field(default_factory=list)
    accounts: list[tuple[str, str]] = field(default_factory=list)  # (code, description)
    expectations: dict[str, str] = field(default_factory=dict)
    rules: list[RuleDraft] = field(default_factory=list)
    kind: str = ""              # "" or standalone: not written
    under: str = ""
    amends: str = ""
    clauses: list[ClauseDraft] = field(default_factory=list)

    def codes(self, members: Sequence[str]) -> list[str]:
        """The member codes the form offers: the parties in their order, then the alliance's other
        members, then any other code the draft names (so nothing typed is dropped)."""
        seen = list(dict.fromkeys(self.parties))
        for code in [*members, *self.expectations]:
            if code not in seen:
                seen.append(code)
        for rule in self.rules:
            kind_form = KIND_FORMS.get(rule.kind)
            for f in kind_form.fields if kind_form else ():
                value = rule.value(f)
                named = value if f.widget in (Widget.MEMBER_DECIMALS, Widget.MEMBER_MONEY, Widget.MEMBERS) else []
                seen += [code for code in named if code not in seen]
        return seen


def _empty(widget: Widget) -> Value:
    if widget in (Widget.MEMBERS, Widget.OPTIONS):
        return []
    if widget in (Widget.MEMBER_DECIMALS, Widget.MEMBER_MONEY, Widget.PARTS, Widget.MEMBER_TEXTS):
        return {}
    if widget in (Widget.TIERS, Widget.WEIGHTS):
        return []
    return ""


def new_clause(kind: str, language: str) -> ClauseDraft:
    """A clause of `kind` from the clause library: its template's words in `language`, its typical fields."""
    spec = CLAUSE_KINDS[ClauseKind(kind)]
    clause = ClauseDraft(kind=kind, text=spec.template.text(language))
    typical = spec.template.typical(language)
    for f in spec.fields:
        if f.key in typical:
            clause.values[f.key] = _field_value(f, typical[f.key], kind, [])
    return clause


def new_rule(kind: str, taken: Sequence[str]) -> RuleDraft:
    """An empty rule of `kind` with an id not yet taken (kind-1, kind-2 ...)."""
    n = 1
    while f"{kind.replace('_', '-')}-{n}" in taken:
        n += 1
    return RuleDraft(kind=kind, id=f"{kind.replace('_', '-')}-{n}")


# -- posted fields -> draft --------------------------------------------------------------------------

class Posted:
    """Posted form fields; `getlist` for repeated names (checkboxes)."""

    def __init__(self, single: Mapping[str, str], lists: Mapping[str, list[str]]) -> None:
        self.single, self.lists = single, lists

    def get(self, name: str) -> str:
        return self.single.get(name, "")

    def getlist(self, name: str) -> list[str]:
        return list(self.lists.get(name, []))


def _rows(posted: Posted, prefix: str, columns: tuple[str, str]) -> list[tuple[str, str]]:
    rows = []
    for j in range(MAX_ROWS):
        a, b = posted.get(f"{prefix}-{j}-{columns[0]}"), posted.get(f"{prefix}-{j}-{columns[1]}")
        if a.strip() or b.strip():
            rows.append((a, b))
    return rows


def read_posted(posted: Posted, members: Sequence[str]) -> AgreementDraft:
    """The draft as typed: nothing is checked or dropped but empty rows."""
    codes = list(dict.fromkeys([*posted.getlist("code"), *members]))  # `code`: every code the page showed
    draft = AgreementDraft(
        code=posted.get("agreement"), title=posted.get("title"), currency=posted.get("currency"),
        timezone=posted.get("timezone"), effective_from=posted.get("effective_from"),
        effective_until=posted.get("effective_until"),
        parties=[p for p in dict.fromkeys(posted.getlist("party")) if p in codes],  # in the page's order
        accounts=_rows(posted, "account", ("code", "name")),
        expectations={m: posted.get(f"expect-{m}") for m in codes if posted.get(f"expect-{m}").strip()})
    for i in range(MAX_RULES):
        kind = posted.get(f"r{i}-kind")
        if not kind:
            continue
        p = f"r{i}"
        rule = RuleDraft(kind=kind, id=posted.get(f"{p}-id"), description=posted.get(f"{p}-description"),
                         base=posted.get(f"{p}-base") or "revenue",
                         select={k: posted.get(f"{p}-select-{k}") for k in SELECT_KEYS if posted.get(f"{p}-select-{k}").strip()})
        kind_form = KIND_FORMS.get(kind)
        for f in kind_form.fields if kind_form else ():
            rule.values[f.key] = _posted_value(posted, f"{p}-{f.key}", f, codes)
        draft.rules.append(rule)
    draft.kind, draft.under, draft.amends = posted.get("kind"), posted.get("under"), posted.get("amends")
    for i in range(MAX_CLAUSES):
        kind = posted.get(f"c{i}-clause")
        if not kind:
            continue
        clause = ClauseDraft(kind=kind, text=posted.get(f"c{i}-text"))
        for f in CLAUSE_FORMS.get(kind, ()):
            clause.values[f.key] = _posted_value(posted, f"c{i}-{f.key}", f, codes)
        draft.clauses.append(clause)
    return draft


def _posted_value(posted: Posted, name: str, f: FormField, codes: Sequence[str]) -> Value:
    if f.widget is Widget.MEMBERS:
        return [m for m in dict.fromkeys(posted.getlist(name)) if m in codes]
    if f.widget is Widget.OPTIONS:
        return [o for o in dict.fromkeys(posted.getlist(name)) if o in dict(f.options)]
    if f.widget in (Widget.MEMBER_DECIMALS, Widget.MEMBER_MONEY, Widget.MEMBER_TEXTS):
        return {m: posted.get(f"{name}-{m}") for m in codes if posted.get(f"{name}-{m}").strip()}
    if f.widget is Widget.PARTS:
        return {o: posted.get(f"{name}-{o}") for o, _ in f.options if posted.get(f"{name}-{o}").strip()}
    if f.widget is Widget.TIERS:
        return _rows(posted, name, ("up_to", "rate"))
    if f.widget is Widget.WEIGHTS:
        return _rows(posted, name, ("name", "weight"))
    return posted.get(name)


# -- checking what can be written --------------------------------------------------------------------

def _is_decimal(text: str) -> bool:
    try:
        return Decimal(text.strip().removesuffix("%")).is_finite()
    except InvalidOperation:
        return False


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def _check_text(problems: dict[str, str], name: str, widget: Widget, text: str, options: Sequence[str] = ()) -> None:
    text = text.strip()
    if not text:
        return
    if widget is Widget.DECIMAL and not _is_decimal(text):
        problems[name] = NOT_A_NUMBER
    elif widget is Widget.MONEY and not _is_decimal(text):
        problems[name] = NOT_AN_AMOUNT
    elif widget is Widget.DATE and not _is_date(text):
        problems[name] = NOT_A_DATE
    elif widget in (Widget.NAME, Widget.MEMBER) and not CODE.match(text):
        problems[name] = NOT_A_CODE
    elif widget is Widget.CHOICE and text not in options:
        problems[name] = NOT_AN_OPTION
    elif widget is Widget.WHOLE and not (text.isascii() and text.isdigit()):
        problems[name] = NOT_A_WHOLE_NUMBER


def check(draft: AgreementDraft) -> dict[str, str]:
    """Every field whose text cannot be written into the document, by field name (message ids)."""
    problems: dict[str, str] = {}
    if not draft.code.strip():
        problems["agreement"] = REQUIRED
    elif not CODE.match(draft.code.strip()):
        problems["agreement"] = NOT_A_CODE
    if not draft.effective_from.strip():
        problems["effective_from"] = REQUIRED
    _check_text(problems, "effective_from", Widget.DATE, draft.effective_from)
    _check_text(problems, "effective_until", Widget.DATE, draft.effective_until)
    for j, (code, _name) in enumerate(draft.accounts):
        if not CODE.match(code.strip()):
            problems[f"account-{j}-code"] = NOT_A_CODE if code.strip() else REQUIRED
    for m, amount in draft.expectations.items():
        _check_text(problems, f"expect-{m}", Widget.MONEY, amount)
    for i, rule in enumerate(draft.rules):
        p = f"r{i}"
        if not rule.id.strip():
            problems[f"{p}-id"] = REQUIRED
        elif not CODE.match(rule.id.strip()):
            problems[f"{p}-id"] = NOT_A_CODE
        kind_form = KIND_FORMS.get(rule.kind)
        if kind_form is None:
            problems[f"{p}-kind"] = NOT_AN_OPTION
            continue
        _check_text(problems, f"{p}-base", Widget.CHOICE, rule.base, ("revenue", "profit"))
        for key, text in rule.select.items():
            if any(not CODE.match(v) for v in _codes(text)):
                problems[f"{p}-select-{key}"] = NOT_A_CODE
        for f in kind_form.fields:
            _check_field(problems, f"{p}-{f.key}", f, rule.value(f))
    _check_text(problems, "kind", Widget.CHOICE, draft.kind, CONTRACT_KINDS)
    for key in ("under", "amends"):
        if draft.__getattribute__(key).strip() and not CODE.match(draft.__getattribute__(key).strip()):
            problems[key] = NOT_A_CODE
    for i, clause in enumerate(draft.clauses):
        if clause.kind not in CLAUSE_FORMS:
            problems[f"c{i}-clause"] = NOT_AN_OPTION
            continue
        if not clause.text.strip():
            problems[f"c{i}-text"] = REQUIRED
        for f in CLAUSE_FORMS[clause.kind]:
            _check_field(problems, f"c{i}-{f.key}", f, clause.value(f))
    return problems


def _check_field(problems: dict[str, str], name: str, f: FormField, value: Value) -> None:
    if f.required and not value or (isinstance(value, str) and f.required and not value.strip()):
        problems[name] = REQUIRED
        return
    if f.widget in (Widget.MEMBER_DECIMALS, Widget.MEMBER_MONEY, Widget.PARTS):
        widget = Widget.MONEY if f.widget is Widget.MEMBER_MONEY else Widget.DECIMAL
        for key, text in value.items():
            _check_text(problems, f"{name}-{key}", widget, text)
        if f.widget is Widget.PARTS and f.required:
            for option, _label in f.options:
                if not value.get(option, "").strip():
                    problems[f"{name}-{option}"] = REQUIRED
    elif f.widget is Widget.TIERS:
        for j, (up_to, rate) in enumerate(value):
            _check_text(problems, f"{name}-{j}-up_to", Widget.MONEY, up_to)
            if not rate.strip():
                problems[f"{name}-{j}-rate"] = REQUIRED
            _check_text(problems, f"{name}-{j}-rate", Widget.DECIMAL, rate)
    elif f.widget is Widget.WEIGHTS:
        for j, (metric, weight) in enumerate(value):
            _check_text(problems, f"{name}-{j}-name", Widget.NAME, metric)
            if not metric.strip():
                problems[f"{name}-{j}-name"] = REQUIRED
            if not weight.strip():
                problems[f"{name}-{j}-weight"] = REQUIRED
            _check_text(problems, f"{name}-{j}-weight", Widget.DECIMAL, weight)
    elif isinstance(value, str):
        _check_text(problems, name, f.widget, value, [o for o, _ in f.options])


# -- draft -> YAML -----------------------------------------------------------------------------------

def _codes(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,，;；\s]+", text) if part.strip()]


def _code(text: str) -> str:
    """A code or name as a YAML scalar: plain where YAML reads it back as the same text."""
    text = text.strip()
    return text if PLAIN.match(text) and text.lower() not in YAML_WORDS else json.dumps(text, ensure_ascii=False)


def _number(text: str) -> str:
    text = text.strip()
    return text if PLAIN_NUMBER.match(text) else json.dumps(text)


def _amount(text: str) -> str:
    return json.dumps(text.strip())


def _flow(items: Sequence[str]) -> str:
    return "[" + ", ".join(_code(i) for i in items) + "]"


def _mapping(values: Mapping[str, str], write: Any) -> str:
    return "{" + ", ".join(f"{_code(k)}: {write(v)}" for k, v in values.items()) + "}"


def _field_yaml(f: FormField, value: Value) -> list[str]:
    """The field's lines inside a rule or clause (indented four spaces), none when left empty."""
    if not value or (isinstance(value, str) and not value.strip()):
        return []
    k = f"    {f.key}:"
    if f.widget is Widget.WHOLE:  # digits as typed; anything else quoted, for the loader to name
        text = value.strip()
        return [f"{k} {int(text)}" if text.isascii() and text.isdigit() else f"{k} {json.dumps(text, ensure_ascii=False)}"]
    if f.widget is Widget.LINES:
        lines = [line.strip() for line in value.splitlines() if line.strip()]
        return [f"{k} [{', '.join(json.dumps(line, ensure_ascii=False) for line in lines)}]"] if lines else []
    if f.widget is Widget.MEMBER_TEXTS:
        return [k] + [f"      {_code(m)}: {json.dumps(t.strip(), ensure_ascii=False)}" for m, t in value.items()]
    if f.widget is Widget.OPTIONS:
        return [f"{k} {_flow(value)}"]
    if f.widget is Widget.TEXT:
        return [f"{k} {json.dumps(value.strip(), ensure_ascii=False)}"]
    if f.widget in (Widget.NAME, Widget.MEMBER, Widget.CHOICE):
        return [f"{k} {_code(value)}"]
    if f.widget is Widget.DECIMAL:
        return [f"{k} {_number(value)}"]
    if f.widget is Widget.MONEY:
        return [f"{k} {_amount(value)}"]
    if f.widget is Widget.DATE:
        return [f"{k} {value.strip()}"]
    if f.widget is Widget.MEMBERS:
        return [f"{k} {_flow(value)}"]
    if f.widget in (Widget.MEMBER_DECIMALS, Widget.PARTS):
        return [f"{k} {_mapping(value, _number)}"]
    if f.widget is Widget.MEMBER_MONEY:
        return [f"{k} {_mapping(value, _amount)}"]
    if f.widget is Widget.WEIGHTS:
        return [f"{k} {_mapping(dict(value), _number)}"]
    if f.widget is Widget.TIERS:
        rows = [(f"up_to: {_amount(up)}, " if up.strip() else "") + f"rate: {_number(rate)}" for up, rate in value]
        return [k] + [f"      - {{{row}}}" for row in rows]
    raise AssertionError(f"no writer for {f.widget}")


def write_yaml(draft: AgreementDraft) -> str:
    """The document the draft describes (call `check` first: this writes what it is given)."""
    lines = [f"agreement: {_code(draft.code)}"]
    if draft.title.strip():
        lines.append(f"title: {json.dumps(draft.title.strip(), ensure_ascii=False)}")
    if draft.currency.strip():
        lines.append(f"currency: {_code(draft.currency)}")
    if draft.timezone.strip():
        lines.append(f"timezone: {_code(draft.timezone)}")
    lines.append(f"effective_from: {draft.effective_from.strip()}")
    if draft.effective_until.strip():
        lines.append(f"effective_until: {draft.effective_until.strip()}")
    lines.append(f"parties: {_flow(draft.parties)}")
    if draft.accounts:
        lines.append("accounts:")
        lines += [f"  {_code(c)}: {json.dumps(n.strip(), ensure_ascii=False)}" for c, n in draft.accounts]
    if draft.expectations:
        lines.append(f"expectations: {_mapping(draft.expectations, _amount)}")
    if draft.kind.strip() and draft.kind.strip() != "standalone":
        lines.append(f"kind: {draft.kind.strip()}")
        if draft.kind.strip() == "project" and draft.under.strip():
            lines.append(f"under: {_code(draft.under)}")
        if draft.kind.strip() == "supplement" and draft.amends.strip():
            lines.append(f"amends: {_code(draft.amends)}")
    if draft.clauses:
        lines.append("clauses:")
    for clause in draft.clauses:
        lines += [f"  - clause: {clause.kind}", f"    text: {json.dumps(clause.text.strip(), ensure_ascii=False)}"]
        for f in CLAUSE_FORMS[clause.kind]:
            lines += _field_yaml(f, clause.value(f))
    lines.append("rules:" if draft.rules else "rules: []")
    for rule in draft.rules:
        lines += [f"  - id: {_code(rule.id)}", f"    kind: {rule.kind}"]
        if rule.description.strip():
            lines.append(f"    description: {json.dumps(rule.description.strip(), ensure_ascii=False)}")
        select = {k: _codes(v) for k, v in rule.select.items() if _codes(v)}
        if select:
            lines.append("    select: {" + ", ".join(f"{k}: {_flow(v)}" for k, v in select.items()) + "}")
        lines.append(f"    base: {_code(rule.base or 'revenue')}")
        for f in KIND_FORMS[rule.kind].fields:
            lines += _field_yaml(f, rule.value(f))
    return "\n".join(lines) + "\n"


# -- YAML -> draft -----------------------------------------------------------------------------------

class DraftUnreadable(ValueError):
    """The document cannot be shown in the form at all (not YAML, or not an agreement's shape)."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [_text(v) for v in value] if isinstance(value, list) else [_text(value)]


def _field_value(f: FormField, raw: Any, where: str, notes: list[str]) -> Value:
    mapping_widgets = (Widget.MEMBER_DECIMALS, Widget.MEMBER_MONEY, Widget.PARTS, Widget.WEIGHTS, Widget.MEMBER_TEXTS)
    if f.widget is Widget.LINES:
        return "\n".join(_list(raw)) if not isinstance(raw, Mapping) else ""
    if f.widget is Widget.OPTIONS:
        return _list(raw)
    if f.widget in mapping_widgets and not isinstance(raw, Mapping):
        notes.append(f"{where}: {f.key}")
        return _empty(f.widget)
    if f.widget in mapping_widgets:
        values = {_text(k): _text(v) for k, v in raw.items()}
        return list(values.items()) if f.widget is Widget.WEIGHTS else values
    if f.widget is Widget.MEMBERS:
        return _list(raw)
    if f.widget is Widget.TIERS:
        if not isinstance(raw, list) or not all(isinstance(t, Mapping) for t in raw):
            notes.append(f"{where}: {f.key}")
            return []
        return [(_text(t.get("up_to")), _text(t.get("rate"))) for t in raw]
    if isinstance(raw, (list, Mapping)):
        notes.append(f"{where}: {f.key}")
        return ""
    return _text(raw)


def draft_from_document(text: str) -> tuple[AgreementDraft, list[str]]:
    """The draft a document describes, and what of it the form cannot show (as `where: field`):
    unknown fields, rules of unknown kinds. Raises DraftUnreadable if it is not read at all."""
    try:
        raw = yaml_exact.load(text)
    except yaml.YAMLError as exc:
        raise DraftUnreadable(str(exc).splitlines()[0] if str(exc) else Message("not YAML")) from None
    if not isinstance(raw, Mapping):
        raise DraftUnreadable(Message("not a mapping"))
    notes: list[str] = []
    known = {"agreement", "title", "currency", "timezone", "effective_from", "effective_until", "parties",
             "accounts", "expectations", "rules", "kind", "under", "amends", "clauses"}
    notes += [f"agreement: {k}" for k in raw if k not in known]
    accounts = raw.get("accounts") or {}
    expectations = raw.get("expectations") or {}
    draft = AgreementDraft(
        code=_text(raw.get("agreement")), title=_text(raw.get("title")), currency=_text(raw.get("currency")),
        timezone=_text(raw.get("timezone")), effective_from=_text(raw.get("effective_from")),
        effective_until=_text(raw.get("effective_until")), parties=_list(raw.get("parties")),
        accounts=[(_text(k), _text(v)) for k, v in accounts.items()] if isinstance(accounts, Mapping) else [],
        expectations={_text(k): _text(v) for k, v in expectations.items()} if isinstance(expectations, Mapping) else {})
    draft.kind, draft.under, draft.amends = _text(raw.get("kind")), _text(raw.get("under")), _text(raw.get("amends"))
    clauses = raw.get("clauses") or []
    if not isinstance(clauses, list):
        raise DraftUnreadable(Message("clauses is not a list"))
    for index, item in enumerate(clauses[:MAX_CLAUSES], start=1):
        where = f"clause {index}"
        fields = CLAUSE_FORMS.get(_text(item.get("clause"))) if isinstance(item, Mapping) else None
        if fields is None:
            notes.append(f"{where}: clause")
            continue
        assert isinstance(item, Mapping)
        clause = ClauseDraft(kind=_text(item.get("clause")), text=_text(item.get("text")))
        keys = {f.key: f for f in fields}
        notes += [f"{where}: {k}" for k in item if k not in keys and k not in ("clause", "text")]
        for key, f in keys.items():
            if key in item:
                clause.values[key] = _field_value(f, item[key], where, notes)
        draft.clauses.append(clause)
    if len(clauses) > MAX_CLAUSES:
        notes.append(f"clause {MAX_CLAUSES + 1}…")
    rules = raw.get("rules") or []
    if not isinstance(rules, list):
        raise DraftUnreadable(Message("rules is not a list"))
    for index, item in enumerate(rules[:MAX_RULES], start=1):
        where = f"rule {index}"
        kind_form = KIND_FORMS.get(_text(item.get("kind"))) if isinstance(item, Mapping) else None
        if kind_form is None:
            notes.append(f"{where}: kind")
            continue
        assert isinstance(item, Mapping)
        select = item.get("select") or {}
        if not isinstance(select, Mapping):
            notes.append(f"{where}: select")
            select = {}
        rule = RuleDraft(kind=kind_form.kind, id=_text(item.get("id")), description=_text(item.get("description")),
                         base=_text(item.get("base")) or "revenue",
                         select={k: ", ".join(_list(v)) for k, v in select.items() if k in SELECT_KEYS})
        notes += [f"{where}: select.{k}" for k in select if k not in SELECT_KEYS]
        keys = {f.key: f for f in kind_form.fields}
        notes += [f"{where}: {k}" for k in item if k not in keys and k not in ("id", "kind", "description", "select", "base")]
        for key, f in keys.items():
            if key in item:
                rule.values[key] = _field_value(f, item[key], where, notes)
        draft.rules.append(rule)
    if len(rules) > MAX_RULES:
        notes.append(f"rule {MAX_RULES + 1}…")
    return draft, notes


# -- the loader's problems, located in the form -------------------------------------------------------

_CLAUSE_WHERE = re.compile(r"^clause (?:'(?P<kind>.*)'|(?P<n>\d+))$")
_RULE_WHERE = re.compile(r"^rule (?:'(?P<id>.*)'|(?P<n>\d+))(?: tier (?P<tier>\d+))?$")


def field_of(where: str, field_: str, draft: AgreementDraft) -> str | None:
    """The form field a problem of the agreement loader (`Problem.where`, `Problem.field`) is about,
    as a posted field name, or None when no one field is (the message is then shown on its own)."""
    head, _dot, tail = field_.partition(".")
    if where == "agreement":
        if field_ in ("agreement", "title", "effective_from", "effective_until", "kind", "under", "amends"):
            return field_
        if head == "clauses" and tail:  # a conflict with the contract set, about one clause kind
            placed = {c.kind: i for i, c in enumerate(draft.clauses)}
            return f"c{placed[tail]}-clause" if tail in placed else None
        if field_ == "parties":
            return "party"
        if head == "expectations" and tail:
            return f"expect-{tail}"
        if head == "accounts" and tail:
            return next((f"account-{j}-code" for j, (code, _n) in enumerate(draft.accounts) if code.strip() == tail), None)
        return None
    clause = _CLAUSE_WHERE.match(where)
    if clause:
        i = int(clause.group("n")) - 1 if clause.group("n") else \
            {c.kind: j for j, c in enumerate(draft.clauses)}.get(clause.group("kind"), -1)
        if not 0 <= i < len(draft.clauses):
            return None
        fields = {f.key: f for f in CLAUSE_FORMS.get(draft.clauses[i].kind, ())}
        if head in fields and tail and fields[head].widget is Widget.MEMBER_TEXTS:
            return f"c{i}-{head}-{tail}"
        return f"c{i}-{head}" if head in fields or head == "text" else f"c{i}-clause"
    found = _RULE_WHERE.match(where)
    if not found:
        return None
    if found.group("n") is not None:
        index = int(found.group("n")) - 1
    else:
        index = next((i for i, r in enumerate(draft.rules) if r.id.strip() == found.group("id")), -1)
    if not 0 <= index < len(draft.rules):
        return None
    p = f"r{index}"
    if found.group("tier"):
        return f"{p}-tiers-{int(found.group('tier')) - 1}-{field_ or 'rate'}"
    if head == "select" and tail:
        return f"{p}-select-{tail}"
    if head in ("id", "kind", "description", "base"):
        return f"{p}-{head}"
    kind_form = KIND_FORMS.get(draft.rules[index].kind)
    known = {f.key: f for f in kind_form.fields} if kind_form else {}
    if head not in known:
        return None
    if tail and known[head].widget in (Widget.MEMBER_DECIMALS, Widget.MEMBER_MONEY, Widget.PARTS):
        return f"{p}-{head}-{tail}"
    if tail and known[head].widget is Widget.WEIGHTS:
        return next((f"{p}-{head}-{j}-weight" for j, (name, _w) in enumerate(draft.rules[index].value(known[head]))
                     if name.strip() == tail), f"{p}-{head}")
    return f"{p}-{head}"
