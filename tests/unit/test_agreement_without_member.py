"""An agreement rewritten without a leaving member (sharing.leaving): every field a member is named in,
through its widget, and the result is an agreement the loader accepts."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from alliance.sharing.agreement import load_agreement_text
from alliance.sharing.agreement_draft import draft_from_document, write_yaml
from alliance.sharing.clauses import CLAUSE_KINDS
from alliance.sharing.leaving import Ending, Rewrite, _to_places, without
from alliance.sharing.rule_form import KIND_FORMS
from alliance.sharing.rules.form import EVERY_PARTY_HINT, Widget

EXAMPLE = (Path(__file__).resolve().parents[2] / "docs" / "examples" / "agreement-yuejia.yaml").read_text(encoding="utf-8")
START = date(2027, 3, 1)


def rewrite(document: str, member: str) -> Rewrite:
    draft, notes = draft_from_document(document)
    assert notes == []
    outcome = without(draft, member, START)
    assert isinstance(outcome, Rewrite)
    return outcome


def told(outcome: Rewrite) -> list[str]:
    return [f"{c.where}: {c.what}" for c in outcome.changes]


def test_a_party_that_pays_and_shares_leaves_the_example_agreement() -> None:
    outcome = rewrite(EXAMPLE, "YJ")
    written = write_yaml(outcome.draft)
    agreement = load_agreement_text(written)  # still an agreement the loader accepts
    assert "YJ" not in agreement.parties and agreement.effective_from == START
    rules = {r.id for r in outcome.draft.rules}
    # selected only YJ's lines (as seller): left out; paid by YJ: left out; shared by ratios: re-weighted
    assert rules == {"three-level", "joint-membership", "referrals"}
    lines = told(outcome)
    assert "rule 'milk-consignment': left out: it settled only YJ's lines (as seller)" in lines
    assert any(line.startswith("rule 'platform-rebate': left out: YJ was its Paid by") for line in lines)
    assert any(line.startswith("rule 'spring-campaign': left out: YJ was its Paid by") for line in lines)
    assert "agreement: its expectation is removed" in lines and "agreement: takes effect on 2027-03-01" in lines


def test_cost_share_paid_by_the_leaver_is_left_out_and_one_paid_by_another_is_reweighted() -> None:
    doc = EXAMPLE.replace("paid_by: YJ", "paid_by: MILK")
    outcome = rewrite(doc, "YJ")
    spring = next(r for r in outcome.draft.rules if r.id == "spring-campaign")
    # 0.40 / 0.20 / 0.20 / 0.20 without YJ's 0.40: a third each, six places, adding up to 1 exactly
    assert spring.values["ratios"] == {"MILK": "0.333334", "SNACK": "0.333333", "CLEAN": "0.333333"}
    assert sum(Fraction(v) for v in spring.values["ratios"].values()) == 1
    load_agreement_text(write_yaml(outcome.draft))


THREE_WAY = """
agreement: trio
title: 三方联营
effective_from: 2027-01-01
parties: [A, B, C]
expectations: {A: "100.00", B: "100.00"}
clauses:
  - clause: non_compete
    text: "不竞争"
    scope: 同类产品
    until: 2028-01-01
    parties: [B]
  - clause: duties
    text: "各方职责"
    duties: {A: 供货, B: 销售, C: 售后}
rules:
  - id: split
    kind: fixed_split
    select: {seller: [A, B]}
    base: revenue
    shares: {A: 0.40, B: 0.30, C: 0.30}
  - id: pool
    kind: three_level
    base: revenue
    pool_rate: 0.10
    parts: {base: 0.40, incremental: 0.30, long_term: 0.30}
    members: [A, B]
    baseline: {A: "300.00", B: "120.00"}
    long_term_metric: user_assets
"""


def test_a_forty_thirty_thirty_split_without_the_forty_is_fifty_fifty() -> None:
    outcome = rewrite(THREE_WAY, "A")
    split = next(r for r in outcome.draft.rules if r.id == "split")
    assert split.values["shares"] == {"B": "0.5", "C": "0.5"}
    assert split.select["seller"] == "B"
    pool = next(r for r in outcome.draft.rules if r.id == "pool")
    assert pool.values["members"] == ["B"] and pool.values["baseline"] == {"B": "120.00"}
    duties = next(c for c in outcome.draft.clauses if c.kind == "duties")
    assert duties.values["duties"] == {"B": "销售", "C": "售后"}
    assert [c.kind for c in outcome.draft.clauses] == ["non_compete", "duties"]  # A was not bound: kept as it was
    agreement = load_agreement_text(write_yaml(outcome.draft))
    assert agreement.parties == ("B", "C")
    assert "rule 'split': A removed from its selection (seller)" in told(outcome)


def test_emptying_a_list_where_empty_means_every_party_leaves_the_clause_or_rule_out() -> None:
    outcome = rewrite(THREE_WAY, "B")
    assert [c.kind for c in outcome.draft.clauses] == ["duties"]  # a non-compete binding only B would bind everyone
    assert any("clause 'non_compete': left out: B was the only one" in line for line in told(outcome))
    outcome = rewrite(THREE_WAY.replace("members: [A, B]", "members: [C]"), "C")
    assert "pool" not in {r.id for r in outcome.draft.rules}


def test_shares_that_do_not_divide_evenly_still_add_up_to_one() -> None:
    outcome = rewrite(THREE_WAY.replace("C: 0.30}", "C: 0.30}").replace("A: 0.40, B: 0.30, C: 0.30",
                                                                          "A: 0.30, B: 0.40, C: 0.30"), "C")
    split = next(r for r in outcome.draft.rules if r.id == "split")
    assert split.values["shares"] == {"A": "0.428571", "B": "0.571429"}  # 3/7 and 4/7
    load_agreement_text(write_yaml(outcome.draft))


def test_an_agreement_of_two_ends_instead() -> None:
    draft, _ = draft_from_document(THREE_WAY.replace("parties: [A, B, C]", "parties: [A, B]"))
    assert without(draft, "A", START) == Ending(("B",))


def test_every_members_field_that_may_be_left_empty_says_whether_empty_means_every_party() -> None:
    fields = [f for form in KIND_FORMS.values() for f in form.fields]
    fields += [f for spec in CLAUSE_KINDS.values() for f in spec.fields]
    for f in fields:
        if f.widget is Widget.MEMBERS and "every party" in f.hint:
            assert f.none_is_every, f.key
    assert EVERY_PARTY_HINT == "None ticked: every party."


@given(st.lists(st.integers(1, 10**6), min_size=1, max_size=8))
def test_reweighted_shares_add_up_to_one_within_a_millionth_each(weights: list[int]) -> None:
    total = sum(weights)
    exact = {f"M{i}": Fraction(w, total) for i, w in enumerate(weights)}
    written = _to_places(exact)
    assert sum(Fraction(v) for v in written.values()) == 1
    assert all(abs(Fraction(written[m]) - exact[m]) < Fraction(1, 10**6) for m in exact)
