"""Voting weights, pure: the registry of sources is complete, the explicit table is validated with
every problem at once, and each source computes exact weights (settled shares add up to 1 exactly
whenever anything was paid), or says it has none and what to do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from alliance.core.messages import Message
from alliance.governance.errors import RuleInvalid, WeightsInvalid
from alliance.governance.rules import rule_from_params
from alliance.governance.weight_sources import (
    DEFAULT_SOURCE, WEIGHT_SOURCES, WeightSource, WeightSourceUnknown, WeightsUnavailable, source_named,
)
from alliance.governance.weight_sources.equal import equal_weights
from alliance.governance.weight_sources.settled import WINDOW_DAYS, settled_shares, window
from alliance.governance.weight_sources.table import table_weights
from alliance.governance.weight_table import check_table, exact_text, weight_text

ACTIVE = {"M1", "M2", "M3"}
ON = date(2027, 3, 1)


@dataclass
class Reader:
    """A WeightReader over plain values; remembers the settled window it was asked for."""

    members: list[str] = field(default_factory=lambda: ["M1", "M2", "M3"])
    table: list[tuple[str, str]] = field(default_factory=list)
    paid: dict[str, int] = field(default_factory=dict)
    asked: list[tuple[date, date]] = field(default_factory=list)
    alliance_code: str = "nb"

    def active_members(self, on: date) -> Sequence[str]:
        return self.members

    def stored_table(self) -> Sequence[tuple[str, str]]:
        return self.table

    def paid_out(self, first: date, last: date) -> Mapping[str, int]:
        self.asked.append((first, last))
        return self.paid


# --- the registry -------------------------------------------------------------------------------

@pytest.mark.parametrize("key", sorted(WEIGHT_SOURCES))
def test_every_registered_source_has_every_part(key: str) -> None:
    source = WEIGHT_SOURCES[key]
    assert issubclass(source, WeightSource) and source.key == key
    assert isinstance(source.title, Message) and isinstance(source.summary, Message)
    assert source.weights.__func__ is not WeightSource.weights.__func__  # type: ignore[attr-defined]


def test_the_sources_are_the_table_settled_contribution_and_one_vote_each() -> None:
    assert list(WEIGHT_SOURCES) == ["table", "settled", "equal"] and DEFAULT_SOURCE == "table"
    with pytest.raises(WeightSourceUnknown, match="unknown source of weights 'shares'; the sources are table, "
                                                  "settled, equal") as refused:
        source_named("shares")
    assert refused.value.code == "weight_source_unknown" and refused.value.status == 422


# --- the weighted rule chooses its source -------------------------------------------------------------

def test_the_weighted_rule_takes_its_weights_from_a_named_source() -> None:
    assert rule_from_params("weighted").weights == "table"
    rule = rule_from_params("weighted", {"weights": " settled "})
    assert rule.weights == "settled" and rule.settings()["weights"] == "settled"
    assert rule_from_params("weighted", rule.settings()) == rule
    with pytest.raises(RuleInvalid, match="'shares' is not one of table, settled, equal"):
        rule_from_params("weighted", {"weights": "shares"})
    with pytest.raises(RuleInvalid) as refused:
        rule_from_params("weighted", {"weights": "shares", "quorum": "2"})
    assert {p.where for p in refused.value.problems} == {"rule.weights", "rule.quorum"}  # every problem at once
    with pytest.raises(RuleInvalid):
        rule_from_params("weighted").__class__(weights="investment")  # built directly: validated too


def test_a_body_may_give_its_weighted_rule_a_source_and_an_unknown_one_is_refused() -> None:
    from alliance.core.errors import InvalidInput
    from alliance.governance.bodies import parse_rules

    rules = parse_rules({"approve_budget": {"rule": "weighted", "params": {"weights": "settled", "must_total": "1"}}})
    assert rules["approve_budget"].to_mapping()["params"] == {"weights": "settled", "must_total": "1"}
    with pytest.raises(InvalidInput, match="'investment' is not one of table, settled, equal"):
        parse_rules({"approve_budget": {"rule": "weighted", "params": {"weights": "investment"}}})


# --- the explicit table ----------------------------------------------------------------------------

def test_a_table_is_kept_as_exact_decimals_sorted_by_member() -> None:
    table = check_table([("M2", "30.50"), (" M1 ", 45), ("M3", Decimal("0.0001"))], ACTIVE)
    assert [(e.member, e.weight, e.text) for e in table] == [
        ("M1", Fraction(45), "45"), ("M2", Fraction(61, 2), "30.5"), ("M3", Fraction(1, 10_000), "0.0001")]
    assert check_table([("M1", "1,000"), ("M2", "0")], ACTIVE)[0].text == "1000"


def test_every_problem_of_a_table_is_reported_at_once() -> None:
    with pytest.raises(WeightsInvalid) as refused:
        check_table([("M1", 0.45), ("M2", "-3"), ("M3", "a lot"), ("M9", "10"), ("M1", "5"), ("", "1"),
                     ("M3", "2")], ACTIVE)
    problems = {(p.field, str(p.reason)) for p in refused.value.problems}
    assert ("M1", "0.45 is not an exact number (write it as text such as \"0.5\", \"50%\" or \"2/3\")") in problems
    assert ("M2", "a weight cannot be negative (got -3)") in problems
    assert any(f == "M3" and "'a lot' is not an exact number" in r for f, r in problems)
    assert ("M9", "M9 is not an active member of the alliance") in problems
    assert ("M1", "member M1 is listed twice") in problems and ("M3", "member M3 is listed twice") in problems
    assert ("", "each weight needs a member code") in problems
    assert refused.value.code == "vote_weights_invalid"
    assert str(refused.value.message).startswith("the weight table was not saved: weights: M1: 0.45")


@pytest.mark.parametrize(("entries", "said"), [
    ([("M1", "12.34567")], "a weight has at most 4 decimal places (got 12.34567)"),
    ([("M1", "1/3")], "write the weight as a plain decimal number such as 45 or 12.5 (got '1/3')"),
    ([("M1", "45%")], "write the weight as a plain decimal number such as 45 or 12.5 (got '45%')"),
    ([("M1", "NaN")], "is not an exact number"),
    ([("M1", True)], "is not an exact number"),
    ([("M1", str(10**13))], "a weight is at most 1,000,000,000,000"),
    ([("M1", "0"), ("M2", "0.0")], "every weight is zero: nobody could carry a vote"),
    ([], "the table needs at least one member and its weight"),
])
def test_a_table_that_cannot_be_voted_with_is_refused(entries: list[tuple[str, object]], said: str) -> None:
    with pytest.raises(WeightsInvalid, match=None) as refused:
        check_table(entries, ACTIVE)
    assert said in str(refused.value.message)


def test_weights_are_written_back_exactly() -> None:
    assert weight_text(Fraction(61, 2)) == "30.5" and weight_text(Fraction(0)) == "0" and weight_text(Fraction(100)) == "100"
    with pytest.raises(ValueError):
        weight_text(Fraction(1, 3))
    assert [exact_text(f) for f in (Fraction(1, 4), Fraction(1, 3), Fraction(45), Fraction(61, 2))] == [
        "0.25", "1/3", "45", "30.5"]


# --- the sources ----------------------------------------------------------------------------------

def test_the_table_source_gives_the_stored_weights_or_says_what_to_do() -> None:
    with pytest.raises(WeightsUnavailable, match="has no weight table: the coordinator sets one") as none:
        table_weights("nb", [], ACTIVE, ON)
    assert none.value.code == "weights_unavailable" and none.value.status == 422
    assert table_weights("nb", [("M1", "45"), ("M2", "30.5")], ACTIVE, ON) == {"M1": 45, "M2": Fraction(61, 2)}
    with pytest.raises(WeightsUnavailable, match="names M4, not active members on 2027-03-01"):
        table_weights("nb", [("M1", "45"), ("M4", "55")], ACTIVE, ON)  # M4 has left since the table was set
    assert WEIGHT_SOURCES["table"].weights(Reader(table=[("M3", "1")]), ON) == {"M3": 1}


def test_settled_contribution_is_each_members_share_of_what_was_paid_to_members() -> None:
    reader = Reader(paid={"M1": 120_000, "M2": 360_000, "growth-fund": 999_999, "M9-left": 5})
    weights = WEIGHT_SOURCES["settled"].weights(reader, ON)
    assert weights == {"M1": Fraction(1, 4), "M2": Fraction(3, 4), "M3": 0}
    assert all(isinstance(w, Fraction) for w in weights.values())
    # The 365 days before the vote opens; the opening day itself is not settled yet.
    assert reader.asked == [(date(2026, 3, 1), date(2027, 2, 28))] == [window(ON)]
    assert window(ON)[1] - window(ON)[0] == timedelta(days=WINDOW_DAYS - 1)
    with pytest.raises(WeightsUnavailable, match="nothing was paid out to the active members of 'nb' by settlement "
                                                 "from 2026-03-01 to 2027-02-28: settle days first"):
        WEIGHT_SOURCES["settled"].weights(Reader(paid={"growth-fund": 10}), ON)


def test_one_vote_each() -> None:
    assert WEIGHT_SOURCES["equal"].weights(Reader(), ON) == {"M1": 1, "M2": 1, "M3": 1}
    assert equal_weights([]) == {}
    with pytest.raises(WeightsUnavailable, match="has no active member on 2027-03-01"):
        WEIGHT_SOURCES["equal"].weights(Reader(members=[]), ON)


members = st.lists(st.from_regex(r"M[0-9]{1,3}", fullmatch=True), min_size=1, max_size=12, unique=True)


@given(members=members, data=st.data())
def test_settled_shares_are_non_negative_and_add_up_to_one_exactly(members: list[str], data: st.DataObject) -> None:
    paid = data.draw(st.dictionaries(st.sampled_from(members + ["fund", "gone"]),
                                     st.integers(min_value=-10**12, max_value=10**15)))
    shares = settled_shares(paid, members)
    if not any(paid.get(m, 0) > 0 for m in members):
        assert shares is None
        return
    assert shares is not None and set(shares) == set(members)
    assert all(isinstance(s, Fraction) and s >= 0 for s in shares.values())
    assert sum(shares.values()) == 1
    # A member paid more weighs more: shares are in the order of what was paid.
    for a in members:
        for b in members:
            if max(0, paid.get(a, 0)) > max(0, paid.get(b, 0)):
                assert shares[a] > shares[b]
