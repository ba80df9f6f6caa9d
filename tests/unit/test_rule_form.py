"""Rules written with the web form, added to agreement documents as YAML."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.sharing.agreement import RuleKind, load_agreement_text
from alliance.sharing.rule_form import RuleForm, RuleFormInvalid, add_rule, rule_yaml

EXAMPLE = (Path(__file__).resolve().parents[2] / "docs" / "examples" / "agreement-yuejia.yaml").read_text(encoding="utf-8")
MEMBERS = ["YJ", "MILK", "SNACK", "CLEAN", "BABY", "BEAUTY"]


def added(form: RuleForm) -> object:
    agreement = load_agreement_text(add_rule(EXAMPLE, rule_yaml(form, MEMBERS)), members=MEMBERS)
    return agreement.rules[-1]


def test_each_form_kind_reads_back_as_written() -> None:
    split = added(RuleForm(rule_id="tea", kind="fixed_split", select={"seller": "YJ", "channel": "store, app"},
                           shares={"YJ": "0.30", "MILK": "0.70"}))
    assert (split.kind, split.select.channel, split.params["shares"]) == (
        RuleKind.FIXED_SPLIT, ("store", "app"), {"YJ": Decimal("0.30"), "MILK": Decimal("0.70")})
    cost = added(RuleForm(rule_id="fair", kind="cost_share", amount="1200.50", incurred_on="2027-01-20", payer="YJ",
                          shares={"YJ": "0.5", "SNACK": "0.5"}))
    assert cost.params["amount"].minor == 120050 and cost.params["paid_by"] == "YJ"
    rebate = added(RuleForm(rule_id="back", kind="rebate", rate="0.15", payer="YJ", recipients=["MILK", "YJ", "BABY"],
                            select={"channel": "mini-program"}, base="profit"))
    assert rebate.params["recipients"] == ("MILK", "BABY") and rebate.base.value == "profit"  # never the payer
    pool = added(RuleForm(rule_id="refs", kind="contribution", method="banzhaf", select={"channel": "referral"},
                          description='带 "引号" 的说明: ok'))
    assert pool.params["method"] == "banzhaf" and pool.description == '带 "引号" 的说明: ok'


def test_every_problem_of_the_form_is_named_by_field() -> None:
    with pytest.raises(RuleFormInvalid) as caught:
        rule_yaml(RuleForm(rule_id="bad id!", kind="tiered", base="volume", select={"seller": "Y J!"},
                           shares={"YJ": "abc"}), MEMBERS)
    assert set(caught.value.problems) == {"rule_id", "kind", "base", "select_seller", "shares"}
    with pytest.raises(RuleFormInvalid) as caught:
        rule_yaml(RuleForm(rule_id="c", kind="cost_share", amount="-1", incurred_on="soon", payer="XX"), MEMBERS)
    assert set(caught.value.problems) == {"amount", "incurred_on", "payer", "shares"}


def test_the_rest_of_the_document_is_kept_exactly() -> None:
    rule = rule_yaml(RuleForm(rule_id="x", kind="contribution", select={"channel": "c"}), MEMBERS)
    updated = add_rule(EXAMPLE, rule)
    assert updated.replace(rule, "", 1) == EXAMPLE  # comments, order and layout untouched
    document = "agreement: a\nrules: []\nparties: [A, B]  # who\n"
    assert add_rule(document, rule) == "agreement: a\nrules:\n" + rule + "parties: [A, B]  # who\n"
    assert add_rule("agreement: a", rule) == "agreement: a\nrules:\n" + rule


@given(st.lists(st.sampled_from(["fixed_split", "contribution"]), min_size=1, max_size=5))
def test_rules_added_one_after_another_all_read_back_in_order(kinds: list[str]) -> None:
    document = EXAMPLE
    for n, kind in enumerate(kinds):
        form = RuleForm(rule_id=f"r{n}", kind=kind, select={"product_owner": "MILK"}, shares={"YJ": "0.25", "MILK": "0.75"})
        document = add_rule(document, rule_yaml(form, MEMBERS))
    rules = load_agreement_text(document, members=MEMBERS).rules
    assert [r.id for r in rules[-len(kinds):]] == [f"r{n}" for n in range(len(kinds))]
