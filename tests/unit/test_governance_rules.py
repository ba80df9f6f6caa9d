"""Decision rules: the registry is complete, settings are validated, and each rule judges the edge
cases as docs/governance.md says (ties, exactly at the threshold, zero participation)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from alliance.core.messages import Message
from alliance.governance.ballots import Ballot, Choice
from alliance.governance.electorate import one_vote_each
from alliance.governance.errors import RuleInvalid
from alliance.governance.rules import RULES, Status, rule_from_params
from alliance.governance.rules.base import Base, DecisionRule, Kind, field_names
from alliance.governance.tally import tally

Y, N, A, B, O = Choice.YES, Choice.NO, Choice.ABSTAIN, Choice.BLOCK, Choice.OBJECTION


def vote(kind: str, *choices: Choice, members: int | None = None, present: list[str] | None = None,
         **params: object):
    """Tally `choices` (one per member M0, M1, ...) under rule `kind`; `members` eligible in all."""
    people = [f"M{i}" for i in range(members if members is not None else len(choices))]
    ballots = [Ballot(f"M{i}", c, i) for i, c in enumerate(choices)]
    return tally(rule_from_params(kind, params), one_vote_each(people), ballots, present=present)


# --- the registry -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(RULES))
def test_every_registered_rule_has_every_part(kind: str) -> None:
    rule = RULES[kind]
    assert issubclass(rule, DecisionRule) and rule.kind == kind
    assert isinstance(rule.title, Message) and isinstance(rule.summary, Message)
    assert {Choice.YES, Choice.ABSTAIN} <= rule.choices <= set(Choice)
    assert rule.judge is not DecisionRule.judge
    assert rule.parameters[0].name == "quorum"
    # Every parameter is a field of the rule (so settings round-trip), labelled, with a valid default.
    assert {p.name for p in rule.parameters} == field_names(rule)
    for parameter in rule.parameters:
        assert isinstance(parameter.label, Message)
        assert parameter.kind is not Kind.BASE or parameter.default in parameter.bases
    configured = rule_from_params(kind)
    assert rule_from_params(kind, configured.settings()) == configured


def test_an_unknown_rule_or_setting_is_refused_naming_it() -> None:
    with pytest.raises(RuleInvalid, match="unknown decision rule 'plurality'"):
        rule_from_params("plurality")
    with pytest.raises(RuleInvalid) as refused:
        rule_from_params("simple_majority", {"threshold": "0.6", "quorum": "120%"})
    wheres = {p.where for p in refused.value.problems}
    assert wheres == {"rule.threshold", "rule.quorum"}  # both reported at once


@pytest.mark.parametrize("params, where", [
    ({"quorum": "1.01"}, "rule.quorum"),
    ({"quorum": "-0.1"}, "rule.quorum"),
    ({"quorum": "half"}, "rule.quorum"),
    ({"quorum": 0.5}, "rule.quorum"),          # a float has already lost the value written
    ({"threshold": "101%"}, "rule.threshold"),
    ({"threshold": "1"}, "rule.threshold"),    # strictly above 100% can never pass
    ({"must_total": "0"}, "rule.must_total"),
])
def test_weighted_settings_out_of_range_are_refused(params: dict[str, object], where: str) -> None:
    with pytest.raises(RuleInvalid) as refused:
        rule_from_params("weighted", params)
    assert [p.where for p in refused.value.problems] == [where]
    assert refused.value.code == "decision_rule_invalid" and refused.value.status == 422


def test_settings_are_read_from_text_exactly() -> None:
    rule = rule_from_params("two_thirds", {"quorum": "50%", "base": "members_present", "at_least": "true"})
    assert rule.quorum == Fraction(1, 2) and rule.base is Base.MEMBERS_PRESENT and rule.at_least is True
    assert rule_from_params("weighted", {"threshold": "2/3", "vetoes": "B, A"}).settings() == {
        "quorum": "0", "threshold": "2/3", "vetoes": "A,B", "must_total": "", "weights": "table",
        "power_margin": "1/10"}
    with pytest.raises(RuleInvalid, match="'most' is not one of"):
        rule_from_params("two_thirds", {"base": "most"})
    with pytest.raises(RuleInvalid, match="is not one of"):
        rule_from_params("unanimity", {"base": "members_present"})  # unanimity of those present: not offered
    with pytest.raises(RuleInvalid, match="neither true nor false"):
        rule_from_params("two_thirds", {"at_least": "maybe"})


def test_a_rule_built_directly_is_validated_too() -> None:
    with pytest.raises(RuleInvalid):
        RULES["simple_majority"](quorum=Fraction(3, 2))


# --- each rule's judgement ----------------------------------------------------------------------

def test_simple_majority_tie_fails_and_abstentions_do_not_count() -> None:
    assert vote("simple_majority", Y, Y, N, N).status is Status.FAILED       # 2/4 is not above 1/2
    assert vote("simple_majority", Y, Y, N, A, A, A).status is Status.PASSED  # 2/3 of those taking a side
    outcome = vote("simple_majority", Y, Y, N, A, A, A)
    assert outcome.support == Fraction(2, 3) and outcome.participation == 1


def test_zero_participation() -> None:
    # Nobody voted, no quorum asked: no support, so the voting rules fail; consent passes (silence).
    for kind in ("simple_majority", "two_thirds", "unanimity", "consensus", "absolute_majority", "weighted"):
        outcome = vote(kind, members=5)
        assert outcome.status is Status.FAILED and outcome.participation == 0, kind
    assert vote("consent", members=5).status is Status.PASSED
    # With a quorum, nobody voting is no quorum, for every rule.
    for kind in RULES:
        assert vote(kind, members=5, quorum="1%").status is Status.NO_QUORUM, kind


def test_quorum_is_met_at_exactly_the_quorum() -> None:
    assert vote("simple_majority", Y, A, members=4, quorum="1/2").status is Status.PASSED
    assert vote("simple_majority", Y, members=4, quorum="1/2").status is Status.NO_QUORUM
    no_quorum = vote("simple_majority", Y, members=4, quorum="1/2")
    assert "below the quorum 1/2 (50.00%)" in str(no_quorum.reasons[0])


def test_absolute_majority_counts_against_all_members() -> None:
    # 3 yes of 7 members: a simple majority of votes cast, not of the membership.
    assert vote("simple_majority", Y, Y, Y, N, members=7).status is Status.PASSED
    outcome = vote("absolute_majority", Y, Y, Y, N, members=7)
    assert outcome.status is Status.FAILED and outcome.measure == Fraction(3, 7)
    assert vote("absolute_majority", Y, Y, Y, Y, members=7).status is Status.PASSED
    assert vote("absolute_majority", Y, Y, Y, N, N, N, members=6).status is Status.FAILED  # exactly half


def test_two_thirds_exactly_at_the_threshold_fails_unless_at_least() -> None:
    assert vote("two_thirds", Y, Y, N).status is Status.FAILED
    assert vote("two_thirds", Y, Y, N, at_least="true").status is Status.PASSED
    assert vote("two_thirds", Y, Y, Y, N, A).status is Status.PASSED


def test_two_thirds_of_members_present_needs_attendance() -> None:
    from alliance.governance.errors import BallotRefused
    with pytest.raises(BallotRefused, match="needs the meeting's attendance"):
        vote("two_thirds", Y, Y, Y, base="members_present")


def test_unanimity() -> None:
    assert vote("unanimity", Y, Y, Y).status is Status.PASSED
    assert vote("unanimity", Y, Y, A).status is Status.PASSED         # abstaining does not break it
    failed = vote("unanimity", Y, Y, N)
    assert failed.status is Status.FAILED and "M2 voted no" in str(failed.reasons[-1])
    assert vote("unanimity", A, A).status is Status.FAILED             # nobody voted yes
    assert vote("unanimity", Y, Y, A, base="all_members").status is Status.FAILED
    assert vote("unanimity", Y, Y, members=3, base="all_members").status is Status.FAILED
    assert vote("unanimity", Y, Y, Y, base="all_members").status is Status.PASSED


def test_consensus_one_block_stops_it() -> None:
    blocked = vote("consensus", Y, Y, Y, Y, B)
    assert blocked.status is Status.BLOCKED and blocked.stopped_by == ("M4",)
    assert vote("consensus", Y, Y, N, A).status is Status.PASSED
    assert vote("consensus", Y, N).status is Status.FAILED               # exactly 1/2: not above
    assert vote("consensus", Y, Y, N, threshold="2/3").status is Status.FAILED
    # A block is judged after the quorum: with too few voting, the vote does not decide at all.
    assert vote("consensus", B, members=4, quorum="1/2").status is Status.NO_QUORUM


def test_consent_passes_unless_someone_objects() -> None:
    assert vote("consent", Y, A, members=5).status is Status.PASSED
    objected = vote("consent", Y, Y, O)
    assert objected.status is Status.BLOCKED and objected.stopped_by == ("M2",)
    assert "objection by M2" in str(objected.reasons[-1])


@pytest.mark.parametrize("kind, choice", [("consent", N), ("simple_majority", B), ("weighted", O), ("unanimity", B)])
def test_a_choice_the_rule_does_not_have_is_refused(kind: str, choice: Choice) -> None:
    from alliance.governance.errors import BallotRefused
    with pytest.raises(BallotRefused) as refused:
        vote(kind, Y, choice)
    assert refused.value.problems[0].where == "ballots[1]" and refused.value.problems[0].field == "choice"
