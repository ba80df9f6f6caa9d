"""The agreement builder's core, without HTTP: every rule kind has a form, the form's fields are the
loader's, and a document read into the form writes back to the same agreement."""

from __future__ import annotations

from pathlib import Path

import pytest

from alliance.sharing.agreement import KIND_KEYS, RuleKind, canonical_json, load_agreement_text
from alliance.sharing.agreement_draft import DraftUnreadable, check, draft_from_document, field_of, write_yaml
from alliance.sharing.rule_form import KIND_FORMS, Widget

EXAMPLE = (Path(__file__).resolve().parents[2] / "docs" / "examples" / "agreement-yuejia.yaml").read_text(encoding="utf-8")


def test_every_rule_kind_has_a_form_of_the_loaders_fields() -> None:
    assert set(KIND_FORMS) == {k.value for k in RuleKind}
    for kind, form in KIND_FORMS.items():
        assert form.kind == kind and form.label and form.explanation
        assert {f.key for f in form.fields} == KIND_KEYS[RuleKind(kind)], kind  # no field missing, none unknown
        for f in form.fields:
            assert f.label and (f.options or f.widget not in (Widget.CHOICE, Widget.PARTS)), (kind, f.key)


def test_a_document_read_into_the_form_writes_the_same_agreement() -> None:
    draft, notes = draft_from_document(EXAMPLE)
    assert notes == [] and check(draft) == {}
    written = write_yaml(draft)
    assert canonical_json(load_agreement_text(written)) == canonical_json(load_agreement_text(EXAMPLE))
    assert write_yaml(draft_from_document(written)[0]) == written


def test_only_member_codes_are_offered_as_members() -> None:
    draft, _notes = draft_from_document(EXAMPLE)
    codes = draft.codes(["YJ", "NEW"])
    assert codes[:6] == ["YJ", "MILK", "SNACK", "CLEAN", "BABY", "BEAUTY"] and "NEW" in codes
    assert not {"base", "incremental", "long_term", "repurchase_rate"} & set(codes)  # parts and metrics are not members


def test_codes_and_text_that_yaml_would_misread_are_quoted() -> None:
    draft, _notes = draft_from_document(EXAMPLE)
    draft.rules[0].description = 'yes: "no" # not a comment'
    draft.rules[0].select = {"channel": "on, 0123"}
    agreement = load_agreement_text(write_yaml(draft))
    assert agreement.rules[0].description == 'yes: "no" # not a comment'
    assert agreement.rules[0].select.channel == ("on", "0123")


@pytest.mark.parametrize("document", ["agreement: x\nparties: [A\n", "- a list\n", "rules: {a: 1}\n"])
def test_documents_the_form_cannot_read_are_refused_whole(document: str) -> None:
    with pytest.raises(DraftUnreadable):
        draft_from_document(document)


def test_the_loaders_problems_are_located_in_the_form() -> None:
    draft, _notes = draft_from_document(EXAMPLE)
    located = {(w, f): field_of(w, f, draft) for w, f in [
        ("agreement", "effective_until"), ("agreement", "parties"), ("agreement", "expectations.MILK"),
        ("agreement", "accounts.growth-fund"), ("agreement", "currency"), ("rule 'milk-consignment'", "shares.YJ"),
        ("rule 'volume-incentive' tier 2", "up_to"), ("rule 'three-level'", "parts"), ("rule 'three-level'", "parts.base"),
        ("rule 'joint-membership'", "metrics.referral_coefficient"), ("rule 3", "select.channel"),
        ("rule 'ghost'", "shares"), ("rule 'growth-fund'", "fund"), ("somewhere", "x")]}
    assert list(located.values()) == [
        "effective_until", "party", "expect-MILK", "account-0-code", None, "r0-shares-YJ", "r1-tiers-1-up_to",
        "r2-parts", "r2-parts-base", "r3-metrics-1-weight", "r2-select-channel", None, "r4-fund", None]
