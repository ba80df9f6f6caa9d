"""Agreement documents: exact numbers, every problem listed at once, a stable digest."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from alliance.core.money import Money
from alliance.sharing.agreement import (
    AgreementInvalid,
    RuleKind,
    TierMode,
    canonical_json,
    digest,
    load_agreement_text,
)

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "agreement-yuejia.yaml"


def problems(text: str, members: list[str] | None = None) -> list[tuple[str, str, str]]:
    with pytest.raises(AgreementInvalid) as caught:
        load_agreement_text(text, members=members)
    return [(p.where, p.field, p.reason) for p in caught.value.problems]


def test_the_documented_example_parses_with_every_rule_kind() -> None:
    a = load_agreement_text(EXAMPLE.read_text(encoding="utf-8"))
    assert a.code == "yuejia-sharing" and a.currency == "CNY"
    assert {r.kind for r in a.rules} == set(RuleKind)
    split = a.rules[0]
    assert split.params.shares == {"YJ": Decimal("0.30"), "MILK": Decimal("0.70")}
    assert split.select.seller == ("YJ",) and split.select.product_owner == ("MILK",)
    tiered = a.rules[1]
    assert tiered.params.mode is TierMode.MARGINAL
    assert [t.up_to for t in tiered.params.tiers] == [Money(10000000, "CNY"), Money(50000000, "CNY"), None]
    assert a.expectations["YJ"] == Money(18000000, "CNY")
    assert a.accounts == {"growth-fund": "联合营销成长基金"}


def test_yaml_numbers_stay_exact() -> None:
    text = """
agreement: hw
effective_from: 2027-01-01
parties: [SW, HW]
rules:
  - {id: hw-profit, kind: fixed_split, base: profit, shares: {SW: 0.1, HW: 0.9}}
"""
    a = load_agreement_text(text)
    # A binary float would make 0.1 + 0.9 differ from 1 in the last bits; Decimals are exact.
    assert a.rules[0].params.shares == {"SW": Decimal("0.1"), "HW": Decimal("0.9")}


def test_every_problem_is_listed_at_once() -> None:
    text = """
agreement: bad
effective_from: 2027-03-01
effective_until: 2027-01-01
parties: [A, B, C]
rules:
  - id: split
    kind: fixed_split
    shares: {A: 0.5, B: 0.4}
  - id: split
    kind: fixed_split
    shares: {A: 0.5, Z: 0.5}
  - id: steps
    kind: tiered
    volume_of: seller
    payer: A
    mode: whole
    tiers:
      - {up_to: "500000", rate: 0.02}
      - {up_to: "100000", rate: 0.03}
      - {rate: 0.05}
  - id: nothing
    kind: rebate
    select: {seller: [], channel: []}
    rate: 1.5
    payer: Q
    recipients: [B]
  - id: odd
    kind: teleport
"""
    found = problems(text)
    reasons = {(w, f): r for w, f, r in found}
    assert reasons[("agreement", "effective_until")] == "2027-01-01 is before effective_from 2027-03-01"
    assert reasons[("rule 'split'", "shares")] == "shares sum to 0.9, not 1"
    assert ("rule 'split'", "id", "is used by an earlier rule") in found
    assert ("rule 'split'", "shares.Z", "'Z' is not a party to the agreement") in found
    assert reasons[("rule 'steps' tier 2", "up_to")].startswith("tiers overlap or are out of order")
    assert reasons[("rule 'nothing'", "select.seller")].startswith("selects nothing")
    assert reasons[("rule 'nothing'", "select.channel")].startswith("selects nothing")
    assert reasons[("rule 'nothing'", "rate")] == "1.5 must be between 0 and 1"
    assert reasons[("rule 'nothing'", "payer")] == "'Q' is not a party to the agreement"
    assert reasons[("rule 'odd'", "kind")].startswith("'teleport' is not one of")


def test_parties_must_be_current_members() -> None:
    text = "agreement: x\neffective_from: 2027-01-01\nparties: [A, GONE]\nrules:\n  - {id: r, kind: contribution}\n"
    assert ("agreement", "parties", "'GONE' is not a current member of the alliance") in problems(text, ["A", "B"])


@pytest.mark.parametrize(
    ("rule", "field", "reason"),
    [
        ("{id: r, kind: three_level, parts: {base: 0.4, incremental: 0.3, long_term: 0.2}, baseline: {A: '1'}, long_term_metric: m}",
         "parts", "parts sum to 0.9, not 1"),
        ("{id: r, kind: dynamic, initial: {A: 0.5, B: 0.5}, metrics: {repurchase_rate: 0.7, referral: 0.4}}",
         "max_change", "is required"),
        ("{id: r, kind: growth_fund, rate: 0.15, target: '100', fund: missing}", "fund", "is not one of the agreement's accounts"),
        ("{id: r, kind: cost_share, amount: '1.001', incurred_on: 2027-01-01, paid_by: A, ratios: {A: 1}}",
         "amount", "more than 2 decimal places"),
        ("{id: r, kind: tiered, payer: A, mode: whole, tiers: [{up_to: '100', rate: 0.1}]}", "up_to",
         "the last tier must be open-ended"),
        ("{id: r, kind: fixed_split, shares: {A: 0.5, B: 0.5}, colour: red}", "colour", "is not a field of a fixed_split rule"),
        ("{id: r, kind: fixed_split, base: turnover, shares: {A: 1}}", "base", "is not revenue or profit"),
    ],
)
def test_rule_field_problems(rule: str, field: str, reason: str) -> None:
    text = f"agreement: x\neffective_from: 2027-01-01\nparties: [A, B]\nrules:\n  - {rule}\n"
    found = problems(text)
    assert any(f.endswith(field) and reason in r for _, f, r in found), found


def test_whole_document_problems() -> None:
    with pytest.raises(AgreementInvalid, match="a YAML mapping"):
        load_agreement_text("- a\n- b\n")
    with pytest.raises(AgreementInvalid, match="not valid YAML"):
        load_agreement_text("agreement: [unclosed\n")
    found = problems("title: t\nparties: [A]\nrules: []\ncurrency: XYZ\nhello: 1\n")
    fields = {f for _, f, _ in found}
    assert {"agreement", "effective_from", "parties", "rules", "currency", "hello"} <= fields


def test_digest_depends_on_content_not_layout() -> None:
    compact = "agreement: x\neffective_from: 2027-01-01\nparties: [A, B]\nrules: [{id: r, kind: fixed_split, shares: {A: 0.3, B: 0.7}}]\n"
    spread = """
# the same agreement, written differently
agreement: x
parties:
  - A
  - B
effective_from: 2027-01-01
rules:
  - id: r
    kind: fixed_split
    shares:
      B: 0.7
      A: 0.3
"""
    changed = compact.replace("0.3", "0.31").replace("0.7", "0.69")
    a, b, c = (load_agreement_text(t) for t in (compact, spread, changed))
    assert digest(a) == digest(b) and canonical_json(a) == canonical_json(b)
    assert digest(a) != digest(c)


def test_contribution_methods_are_checked() -> None:
    text = "agreement: x\neffective_from: 2027-01-01\nparties: [A, B]\nrules:\n  - {id: r, kind: contribution, method: nucleolus}\n"
    assert ("rule 'r'", "method", "'nucleolus' is not a contribution method (equal, shapley, banzhaf)") in problems(text, ["A", "B"])


@pytest.mark.parametrize(("document", "says"), [
    ("agreement: x\neffective_from: 2027-02-30\n", "2027-02-30 is not a date (day is out of range for month)\n  in \"<unicode string>\", line 2"),      # no such day
    ("agreement: x\nparties: &p [A, B]\ntitle: *p\n", "aliases (*name) are not allowed"),
    ("agreement: x\ntitle: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
])
def test_unreadable_documents_are_invalid_never_a_crash(document: str, says: str) -> None:
    with pytest.raises(AgreementInvalid, match=re.escape(says)):
        load_agreement_text(document)


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    with pytest.raises(AgreementInvalid, match="aliases"):
        load_agreement_text("\n".join(levels) + "\ntitle: *a11\n")


def test_names_a_statement_cannot_hold_are_refused_up_front() -> None:
    """An account, rule id or title longer than its stored column was accepted, and every later
    settlement of the day failed on PostgreSQL ("value too long"): refused when proposed."""
    account = "F" * 33
    text = (f"agreement: x\ntitle: {'题' * 201}\neffective_from: 2027-01-01\nparties: [A, B]\n"
            f"accounts: {{{account}: fund, 'bad code': x}}\n"
            f"rules:\n  - {{id: {'r' * 65}, kind: fixed_split, shares: {{A: 0.5, B: 0.5}}}}\n")
    found = problems(text)
    reasons = {f: r for _, f, r in found}
    assert "is not a valid account code" in reasons[f"accounts.{account}"]
    assert "is not a valid account code" in reasons["accounts.bad code"]
    assert "a rule id has at most 64" in reasons["id"]
    assert "a title has at most 200" in reasons["title"]
    fine = text.replace("题" * 201, "题" * 200).replace(account, "F" * 32).replace("r" * 65, "r" * 64).replace(
        ", 'bad code': x", "")
    assert load_agreement_text(fine).rules[0].id == "r" * 64
