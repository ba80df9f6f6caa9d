"""Clause kinds: every kind has every part; each clause's typed fields are read, checked and signed."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from datetime import date

import pytest
import yaml

from alliance.core.errors import InvalidInput
from alliance.sharing.agreement import AgreementKind, canonical_json, digest, load_agreement_text
from alliance.sharing.clauses import CLAUSE_KINDS, ClauseKind
from alliance.sharing.clauses.base import ClauseKindSpec
from alliance.sharing.clauses.term import add_months, term_end

BASE = """
agreement: frame
kind: framework
effective_from: 2027-01-01
effective_until: 2028-12-31
parties: [A, B, C]
"""


def with_clauses(*clauses: dict[str, object], head: str = BASE) -> str:
    return head + yaml.safe_dump({"clauses": list(clauses)}, allow_unicode=True, sort_keys=False)


def problems(document: str) -> list[tuple[str, str, str]]:
    with pytest.raises(InvalidInput) as caught:
        load_agreement_text(document)
    return [(str(p.where), p.field, str(p.reason)) for p in caught.value.problems]


def test_every_clause_kind_has_every_part() -> None:
    assert set(CLAUSE_KINDS) == set(ClauseKind)
    for kind, spec in CLAUSE_KINDS.items():
        assert isinstance(spec, ClauseKindSpec) and spec.kind is kind
        assert spec.label and spec.explanation and spec.fields
        assert spec.template.zh and spec.template.en and spec.template.zh != spec.template.en
        assert {f.name for f in dataclasses.fields(spec.Params)} == set(spec.keys), kind
        # The library's template, with its fields (and a party's text where the kind needs one), is a valid clause.
        fields = dict(spec.template.typical("en"))
        if kind is ClauseKind.DUTIES:
            fields = {"duties": {"A": "供货"}}
        if kind is ClauseKind.NON_COMPETE:
            fields["until"] = "2028-06-30"
        parsed = load_agreement_text(with_clauses({"clause": kind.value, "text": spec.template.zh, **fields}))
        assert parsed.clause(kind) is not None and parsed.clause(kind).text == spec.template.zh
        assert spec.describe(parsed.clause(kind).params)


def test_clauses_are_typed_and_signed() -> None:
    document = with_clauses(
        {"clause": "term", "text": "两年", "initial_months": 24, "renewal": "automatic", "renewal_months": 12,
         "notice_days": 90},
        {"clause": "disputes", "text": "仲裁", "negotiation_days": 30, "arbitration_body": "CIETAC", "seat": "上海"},
        {"clause": "non_compete", "text": "不竞争", "until": "2028-06-30", "scope": "同类产品", "parties": ["B", "A"]})
    agreement = load_agreement_text(document)
    assert agreement.kind is AgreementKind.FRAMEWORK and agreement.rules == ()
    assert [c.kind for c in agreement.clauses] == [ClauseKind.TERM, ClauseKind.DISPUTES, ClauseKind.NON_COMPETE]
    non_compete = agreement.clause(ClauseKind.NON_COMPETE).params
    assert non_compete.until == date(2028, 6, 30) and non_compete.parties == ("A", "B")
    # The clauses are part of what is signed: another notice period is another digest.
    other = load_agreement_text(document.replace("notice_days: 90", "notice_days: 60"))
    assert digest(other) != digest(agreement)
    assert '"notice_days":90' in canonical_json(agreement)


def test_documents_without_contract_fields_keep_their_digest() -> None:
    """A version signed before contract sets recomputes to the digest it was signed with."""
    old = """
agreement: hw-split
effective_from: 2026-12-01
parties: [SW, HW]
rules:
  - {id: hw-profit, kind: fixed_split, select: {product_owner: HW}, shares: {SW: 0.30, HW: 0.70}}
"""
    agreement = load_agreement_text(old)
    assert agreement.kind is AgreementKind.STANDALONE
    for key in ('"kind"', '"clauses"', '"under"', '"amends"'):
        assert key not in canonical_json(agreement).replace('"kind":"fixed_split"', "")
    # The digest the first wave signed for this very document.
    assert digest(agreement) == digest(load_agreement_text(old + "kind: standalone\nclauses: []\n"))


@pytest.mark.parametrize(("clause", "field", "reason"), [
    ({"clause": "term", "text": "x"}, "initial_months", "is required"),
    ({"clause": "term", "text": "x", "initial_months": 0}, "initial_months", "is not from 1 to 600"),
    ({"clause": "term", "text": "x", "initial_months": "two"}, "initial_months", "is not a whole number"),
    ({"clause": "term", "text": "x", "initial_months": 12}, "initial_months", "the term ends on 2027-12-31, before"),
    ({"clause": "term", "text": "x", "initial_months": 24, "renewal": "automatic"}, "renewal_months", "is required"),
    ({"clause": "term", "text": "x", "initial_months": 24, "renewal_months": 12}, "renewal_months", "does not renew"),
    ({"clause": "disputes", "text": "x", "negotiation_days": 30, "seat": "上海"}, "arbitration_body", "is required"),
    ({"clause": "disputes", "text": "x", "negotiation_days": 30, "final": "litigation", "arbitration_body": "CIETAC",
      "seat": "上海"}, "arbitration_body", "court"),
    ({"clause": "non_compete", "text": "x", "until": "2026-01-01", "scope": "y"}, "until", "is before effective_from"),
    ({"clause": "non_compete", "text": "x", "until": "2028-01-01", "scope": "y", "parties": ["Z"]}, "parties",
     "'Z' is not a party"),
    ({"clause": "duties", "text": "x", "duties": {"Z": "y"}}, "duties.Z", "'Z' is not a party"),
    ({"clause": "duties", "text": "x"}, "duties", "at least one party"),
    ({"clause": "exit", "text": "x", "notice_days": 30, "survives": ["term"]}, "survives", "is not one of"),
    ({"clause": "exit", "text": "x", "notice_days": 30, "funds": "all_to_one"}, "funds", "is not one of"),
    ({"clause": "exit", "text": "x", "notice_days": 30, "funds": "shares"}, "fund_shares", "is required when"),
    ({"clause": "exit", "text": "x", "notice_days": 30, "funds": "shares", "fund_shares": {"A": "0.5"}},
     "fund_shares", "not 1"),
    ({"clause": "exit", "text": "x", "notice_days": 30, "fund_shares": {"A": "1"}}, "fund_shares", "only when"),
    ({"clause": "data_use", "text": "x", "data": ["orders"], "retention_days": 30}, "purposes", "is required"),
    ({"clause": "ip", "text": "x", "after_exit": "keep_all"}, "after_exit", "is not one of"),
    ({"clause": "ip", "text": "x", "after_exit": "owners_keep", "royalty": 3}, "royalty", "is not a field of a ip clause"),
    ({"clause": "scope", "territory": "中国"}, "text", "is required"),
    ({"clause": "warranty", "text": "x"}, "clause", "is not one of"),
])
def test_a_bad_clause_is_named(clause: dict[str, object], field: str, reason: str) -> None:
    found = problems(with_clauses(clause))
    assert any(f == field and reason in r for _w, f, r in found), found


def test_a_clause_kind_is_given_once_and_contract_fields_are_checked() -> None:
    twice = with_clauses({"clause": "confidentiality", "text": "x", "years_after_exit": 3},
                         {"clause": "confidentiality", "text": "y", "years_after_exit": 5})
    assert any("twice" in r for _w, _f, r in problems(twice))
    project = BASE.replace("kind: framework", "kind: project") + "rules: []\n"
    found = problems(project)
    assert ("agreement", "under", "is required") in found
    assert any(f == "rules" for _w, f, _r in found)  # a project settles something
    misplaced = BASE + "under: other\namends: frame\n"
    found = problems(misplaced)
    assert any(f == "under" and "only a project agreement" in r for _w, f, r in found)
    assert any(f == "amends" and ("only a supplement" in r or "itself" in r) for _w, f, r in found)


def test_add_months_keeps_the_day_or_the_months_last() -> None:
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2027, 11, 15), 14) == date(2029, 1, 15)
    from alliance.sharing.clauses.term import Params
    assert term_end(Params(24), date(2027, 1, 1)) == date(2028, 12, 31)



def test_clause_fields_are_said_wholly_in_the_readers_language() -> None:
    from alliance.language import say
    from alliance.sharing.clauses import clause_spec

    agreement = load_agreement_text(with_clauses(
        {"clause": "disputes", "text": "x", "negotiation_days": 30, "mediation_days": 10, "arbitration_body": "CIETAC",
         "seat": "上海"},
        {"clause": "exit", "text": "y", "notice_days": 90, "survives": ["ip", "confidentiality"]}))
    said = {str(say(label, "zh_CN")): str(say(value, "zh_CN")) for c in agreement.clauses
            for label, value in clause_spec(c.kind).describe(c.params)}
    assert said["升级路径"] == "协商 30 天 → 调解 10 天 → 由CIETAC仲裁"
    assert said["退出后继续有效"] == "保密、知识产权"  # a list in Chinese takes the enumeration comma


def test_the_exit_clauses_later_fund_fields_change_the_digest_only_when_given() -> None:
    """Exit clauses signed before `funds` existed keep their digest; naming a rule is part of what is signed."""
    before = with_clauses({"clause": "exit", "text": "x", "notice_days": 30, "survives": ["ip"]})
    assert '"funds"' not in canonical_json(load_agreement_text(before))
    assert digest(load_agreement_text(before)) == digest(load_agreement_text(
        with_clauses({"clause": "exit", "text": "x", "notice_days": 30, "survives": ["ip"], "funds": "paid_in"})))
    shared = load_agreement_text(with_clauses({"clause": "exit", "text": "x", "notice_days": 30, "funds": "shares",
                                               "fund_shares": {"A": "0.5", "B": "0.5"}}))
    assert '"funds":"shares"' in canonical_json(shared) and '"fund_shares":{"A":"0.5","B":"0.5"}' in canonical_json(shared)
    assert shared.clause(ClauseKind.EXIT).params.fund_shares == {"A": Decimal("0.5"), "B": Decimal("0.5")}
