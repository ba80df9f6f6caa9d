"""A sharing rule from form fields, as YAML added to an agreement document. Pure: no I/O.

The web editor offers a form for the rule kinds whose parameters are a few values or one share
per member (fixed_split, cost_share, rebate, contribution); the others (tiered, three_level,
dynamic, growth_fund) are written in the YAML itself. The rule is written as text and inserted at
the end of the document's `rules:` list, so the rest of the document (comments, order, layout)
stays exactly as the user wrote it; the agreement loader then checks the whole document as usual.
Numbers are written unquoted from their exact decimal text, as the loader reads them
(`alliance.sharing.yaml_exact`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

FORM_KINDS = ("fixed_split", "cost_share", "rebate", "contribution")
SELECT_KEYS = ("seller", "product_owner", "channel", "sku_prefix")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
TOP_LEVEL_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\s*:")


@dataclass(slots=True)
class RuleForm:
    """What the form sent; every value as typed."""

    rule_id: str = ""
    kind: str = "fixed_split"
    base: str = "revenue"
    description: str = ""
    select: dict[str, str] = field(default_factory=dict)  # key -> comma-separated values
    shares: dict[str, str] = field(default_factory=dict)  # member -> share or ratio (blank: none)
    rate: str = ""
    payer: str = ""
    recipients: list[str] = field(default_factory=list)
    method: str = "equal"
    amount: str = ""
    incurred_on: str = ""


class RuleFormInvalid(ValueError):
    """The form's problems, by field name."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _codes(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,，;；\s]+", text) if part.strip()]


def _flow(values: Sequence[str]) -> str:
    return values[0] if len(values) == 1 else "[" + ", ".join(values) + "]"


def _text(value: str) -> str:
    """A YAML double-quoted scalar (JSON's escaping is valid YAML)."""
    import json

    return json.dumps(value, ensure_ascii=False)


def rule_yaml(form: RuleForm, members: Sequence[str]) -> str:
    """The rule as a YAML list item (indented for a top-level `rules:`), or RuleFormInvalid."""
    problems: dict[str, str] = {}
    if not CODE.match(form.rule_id.strip()):
        problems["rule_id"] = "letters, digits, '-', '_' or '.', at most 64"
    if form.kind not in FORM_KINDS:
        problems["kind"] = f"the form writes {', '.join(FORM_KINDS)}; write other kinds in the YAML"
    if form.base not in ("revenue", "profit"):
        problems["base"] = "revenue or profit"
    select: dict[str, list[str]] = {}
    for key in SELECT_KEYS:
        values = _codes(form.select.get(key, ""))
        if any(not CODE.match(v) for v in values):
            problems[f"select_{key}"] = "codes separated by commas"
        elif values:
            select[key] = values
    lines = [f"  - id: {form.rule_id.strip()}", f"    kind: {form.kind}"]
    if form.description.strip():
        lines.append(f"    description: {_text(form.description.strip())}")
    if form.kind != "cost_share":
        if not select:
            problems["select_seller"] = "choose the order lines: at least one of seller, product owner, channel, SKU prefix"
        lines.append("    select: {" + ", ".join(f"{k}: {_flow(v)}" for k, v in select.items()) + "}")
        lines.append(f"    base: {form.base}")
    shares = {m: _decimal(form.shares.get(m, "")) for m in members if form.shares.get(m, "").strip()}
    if any(v is None for v in shares.values()):
        problems["shares"] = "each share is a decimal number, e.g. 0.30"
    share_text = "{" + ", ".join(f"{m}: {v}" for m, v in shares.items()) + "}"
    if form.kind in ("fixed_split", "cost_share") and not shares:
        problems["shares"] = "give at least two members a share"
    if form.kind == "fixed_split":
        lines.append(f"    shares: {share_text}")
    elif form.kind == "cost_share":
        amount = _decimal(form.amount)
        if amount is None or amount <= 0:
            problems["amount"] = "an amount above zero, e.g. 120000.00"
        try:
            date.fromisoformat(form.incurred_on.strip())
        except ValueError:
            problems["incurred_on"] = "a date, YYYY-MM-DD"
        if form.payer not in members:
            problems["payer"] = "the member who paid"
        lines += [f'    amount: "{amount}"', f"    incurred_on: {form.incurred_on.strip()}",
                  f"    paid_by: {form.payer}", f"    ratios: {share_text}"]
    elif form.kind == "rebate":
        rate = _decimal(form.rate)
        if rate is None or not 0 < rate <= 1:
            problems["rate"] = "a rate above 0 and at most 1, e.g. 0.15"
        if form.payer not in members:
            problems["payer"] = "the member who pays the rebate"
        recipients = [r for r in form.recipients if r in members and r != form.payer]
        if not recipients:
            problems["recipients"] = "at least one member besides the payer"
        lines += [f"    rate: {rate}", f"    payer: {form.payer}", f"    recipients: [{', '.join(recipients)}]"]
    elif form.kind == "contribution":
        if form.method not in ("equal", "shapley", "banzhaf"):
            problems["method"] = "equal, shapley or banzhaf"
        lines.append(f"    method: {form.method}")
    if problems:
        raise RuleFormInvalid(problems)
    return "\n".join(lines) + "\n"


def add_rule(document: str, rule: str) -> str:
    """`document` with `rule` appended to its top-level `rules:` list (one is added if missing)."""
    lines = document.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next((i for i, line in enumerate(lines) if re.match(r"^rules\s*:", line)), None)
    if start is None:
        return "".join(lines) + "rules:\n" + rule
    if re.match(r"^rules\s*:\s*\[\s*\]\s*(#.*)?$", lines[start].rstrip("\n")):
        lines[start] = "rules:\n"  # an empty flow list becomes a block list
    end = start + 1
    while end < len(lines) and not TOP_LEVEL_KEY.match(lines[end]):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # keep the blank lines that separate the next key after the new rule
    return "".join(lines[:end]) + rule + "".join(lines[end:])


def parse_form(fields: Mapping[str, str], recipients: Sequence[str], members: Sequence[str]) -> RuleForm:
    """A RuleForm from the posted fields (`share_<member>`, `select_<key>`, ...)."""
    return RuleForm(
        rule_id=fields.get("rule_id", ""), kind=fields.get("kind", ""), base=fields.get("base", "revenue"),
        description=fields.get("description", "")[:500],
        select={k: fields.get(f"select_{k}", "") for k in SELECT_KEYS},
        shares={m: fields.get(f"share_{m}", "") for m in members},
        rate=fields.get("rate", ""), payer=fields.get("payer", ""), recipients=list(recipients),
        method=fields.get("method", "equal"), amount=fields.get("amount", ""), incurred_on=fields.get("incurred_on", ""),
    )
