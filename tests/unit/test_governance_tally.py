"""The tally: worked examples (Robert's Rules, an investment-share weighted vote), proxies, changed
votes, frozen weights, refusals, and properties on random votes (order, abstentions, frozen
weights, no vote counted twice) against a plain oracle."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance.governance.ballots import Ballot, Choice
from alliance.governance.electorate import freeze, one_vote_each
from alliance.governance.errors import (
    BallotRefused,
    ProxyRefused,
    RuleInvalid,
    WeightsInvalid,
)
from alliance.governance.numbers import as_percent, exact
from alliance.governance.proxies import Proxies, Proxy, check_proxies
from alliance.governance.rules import RULES, Status, rule_from_params
from alliance.governance.rules.base import Base
from alliance.governance.tally import Outcome, tally

Y, N, A = Choice.YES, Choice.NO, Choice.ABSTAIN
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def ballots_of(choices: dict[str, Choice]) -> list[Ballot]:
    return [Ballot(member, choice, n) for n, (member, choice) in enumerate(choices.items())]


# --- Robert's Rules of Order: the bases of a vote (RONR 12th ed., section 44) --------------------

def society(members: int = 150) -> list[str]:
    return [f"S{i:03d}" for i in range(members)]


def meeting(yes: int, no: int, abstain: int, present: int, members: int = 150) -> tuple[list[Ballot], list[str]]:
    people = society(members)
    choices = [Y] * yes + [N] * no + [A] * abstain
    return [Ballot(people[i], c, i) for i, c in enumerate(choices)], people[:present]


def test_two_thirds_of_votes_cast_versus_of_members_present_versus_of_the_membership() -> None:
    # A society of 150 members; 100 attend; 62 vote yes, 28 no, 10 abstain.
    ballots, present = meeting(62, 28, 10, present=100)
    everyone = one_vote_each(society())
    cast = tally(rule_from_params("two_thirds"), everyone, ballots)
    assert cast.status is Status.PASSED and cast.measure == Fraction(62, 90)          # 68.89% of votes cast
    of_present = tally(rule_from_params("two_thirds", {"base": "members_present"}), everyone, ballots, present=present)
    assert of_present.status is Status.FAILED and of_present.measure == Fraction(62, 100)  # abstaining = no
    of_all = tally(rule_from_params("two_thirds", {"base": "all_members"}), everyone, ballots)
    assert of_all.status is Status.FAILED and of_all.measure == Fraction(62, 150)
    # 67 of the 100 present carry it against the members present.
    ballots, present = meeting(67, 28, 5, present=100)
    assert tally(rule_from_params("two_thirds", {"base": "members_present"}), everyone, ballots,
                 present=present).status is Status.PASSED


def test_exactly_two_thirds_carries_under_robert_and_fails_under_the_strict_default() -> None:
    # 60 to 30 (10 abstain): exactly two-thirds of the votes cast. RONR: "at least two-thirds" carries.
    ballots, _ = meeting(60, 30, 10, present=100)
    everyone = one_vote_each(society())
    strict = tally(rule_from_params("two_thirds"), everyone, ballots)
    assert strict.status is Status.FAILED and strict.measure == Fraction(2, 3)
    assert "is not above the threshold 2/3 (66.67%)" in str(strict.reasons[-1])
    robert = tally(rule_from_params("two_thirds", {"at_least": True}), everyone, ballots)
    assert robert.status is Status.PASSED and "is at least the threshold" in str(robert.reasons[-1])


def test_majority_of_the_entire_membership_needs_76_of_150() -> None:
    everyone = one_vote_each(society())
    rule = rule_from_params("absolute_majority")
    assert tally(rule, everyone, meeting(75, 0, 0, present=75)[0]).status is Status.FAILED   # exactly half
    assert tally(rule, everyone, meeting(76, 10, 0, present=86)[0]).status is Status.PASSED


def test_a_voter_who_votes_is_present_even_if_the_attendance_missed_it() -> None:
    ballots, _ = meeting(8, 1, 0, present=0, members=12)
    outcome = tally(rule_from_params("two_thirds", {"base": "members_present"}), one_vote_each(society(12)),
                    ballots, present=["S009", "S010"])
    assert outcome.present == 11 and outcome.measure == Fraction(8, 11) and outcome.status is Status.PASSED


# --- a weighted vote by investment shares -------------------------------------------------------

SHARES = {"HUB": "45%", "LOGI": "30%", "PACK": "15%", "SHOP": "10%"}


def investment_shares() -> dict[str, Fraction]:
    return {m: exact(v, m) for m, v in SHARES.items()}


def test_weighted_vote_by_investment_share_worked_example() -> None:
    # docs/governance.md: the hub (45%) and the packer (15%) vote yes, logistics (30%) no, the shop
    # (10%) abstains. Support = 60 / 90 = 2/3, participation = 100%.
    electorate = freeze(investment_shares(), must_total=1)
    ballots = ballots_of({"HUB": Y, "LOGI": N, "PACK": Y, "SHOP": A})
    outcome = tally(rule_from_params("weighted", {"quorum": "50%", "must_total": "1"}), electorate, ballots)
    assert outcome.status is Status.PASSED
    assert (outcome.yes, outcome.no, outcome.abstain) == (Fraction(60, 100), Fraction(30, 100), Fraction(10, 100))
    assert outcome.support == Fraction(2, 3) and outcome.participation == 1
    assert outcome.percentages() == {"support": Decimal("66.67"), "participation": Decimal("100.00"),
                                     "quorum": Decimal("50.00"), "measure": Decimal("66.67"),
                                     "threshold": Decimal("50.00"), "yes_of_eligible": Decimal("60.00")}
    assert [str(r) for r in outcome.reasons] == [
        "participation 1 (100.00%) meets the quorum 1/2 (50.00%)",
        "support (yes of yes and no) 2/3 (66.67%) is above the threshold 1/2 (50.00%)"]
    # The same ballots against a two-thirds threshold: exactly at it, so not above it.
    assert tally(rule_from_params("weighted", {"threshold": "2/3"}), electorate, ballots).status is Status.FAILED
    # Logistics holds a veto: its no stops the proposal.
    vetoed = tally(rule_from_params("weighted", {"vetoes": "LOGI"}), electorate, ballots)
    assert vetoed.status is Status.VETOED and vetoed.stopped_by == ("LOGI",)
    # A veto holder abstaining is no veto.
    ballots = ballots_of({"HUB": Y, "LOGI": A, "PACK": Y, "SHOP": N})
    assert tally(rule_from_params("weighted", {"vetoes": "LOGI"}), electorate, ballots).status is Status.PASSED


def test_weighted_participation_is_by_weight() -> None:
    electorate = freeze(investment_shares())
    # The hub alone: 45% of the weight, one member of four.
    outcome = tally(rule_from_params("weighted", {"quorum": "1/2"}), electorate, ballots_of({"HUB": Y}))
    assert outcome.participation == Fraction(45, 100) and outcome.status is Status.NO_QUORUM
    outcome = tally(rule_from_params("weighted", {"quorum": "1/2"}), electorate, ballots_of({"HUB": Y, "SHOP": A}))
    assert outcome.participation == Fraction(55, 100) and outcome.status is Status.PASSED
    # The same under simple majority is by head: 2 of 4 members.
    assert tally(rule_from_params("simple_majority", {"quorum": "1/2"}), electorate,
                 ballots_of({"HUB": Y, "SHOP": A})).participation == Fraction(1, 2)


def test_a_weight_table_that_does_not_add_up_is_refused() -> None:
    with pytest.raises(WeightsInvalid, match="add up to 99/100, not 1"):
        freeze({**investment_shares(), "SHOP": Fraction(9, 100)}, must_total="1")
    electorate = freeze({"A": 40, "B": 35, "C": 20})
    with pytest.raises(WeightsInvalid, match="add up to 95, not 100"):
        tally(rule_from_params("weighted", {"must_total": "100"}), electorate, [])


@pytest.mark.parametrize("weights, what", [
    ({"A": -1, "B": 2}, "cannot be negative"),
    ({"A": 0, "B": "0"}, "every weight is zero"),
    ({"A": 0.5, "B": 1}, "not an exact number"),
    ({"A": True}, "not an exact number"),
    ({}, "at least one eligible voter"),
    ({" ": 1}, "non-empty member code"),
])
def test_bad_weights_are_refused_naming_the_problem(weights: dict[str, object], what: str) -> None:
    with pytest.raises(WeightsInvalid, match=what) as refused:
        freeze(weights)
    assert refused.value.code == "vote_weights_invalid" and refused.value.problems


def test_a_veto_holder_must_be_a_voter() -> None:
    with pytest.raises(RuleInvalid, match="veto holder 'NOBODY' is not an eligible voter"):
        tally(rule_from_params("weighted", {"vetoes": "NOBODY"}), freeze(investment_shares()), [])


# --- proxies ------------------------------------------------------------------------------------

PEOPLE = one_vote_each(["A", "B", "C", "D", "E"])


def test_a_proxy_to_oneself_or_along_a_chain_is_refused() -> None:
    with pytest.raises(ProxyRefused, match="cannot give its proxy to itself"):
        check_proxies([Proxy("A", "A")], PEOPLE)
    with pytest.raises(ProxyRefused, match="'A' -> 'B' -> 'C' is a chain of proxies") as refused:
        check_proxies([Proxy("A", "B"), Proxy("B", "C")], PEOPLE)
    assert refused.value.code == "proxy_refused"
    with pytest.raises(ProxyRefused, match="already gave its proxy to 'B'"):
        check_proxies([Proxy("A", "B"), Proxy("A", "C")], PEOPLE)
    with pytest.raises(ProxyRefused, match="'Z' is not an eligible voter"):
        check_proxies([Proxy("A", "Z")], PEOPLE)
    with pytest.raises(ProxyRefused) as refused:  # a loop is a chain both ways
        check_proxies([Proxy("A", "B"), Proxy("B", "A")], PEOPLE)
    assert [p.where for p in refused.value.problems] == ["proxies[0]", "proxies[1]"]
    # A holder may hold several votes, and two members may hold each other's only if neither gave one.
    assert check_proxies([Proxy("A", "C"), Proxy("B", "C")], PEOPLE).held_by() == {"C": ["A", "B"]}


def test_a_delegated_vote_counts_only_if_the_holder_votes() -> None:
    proxies = check_proxies([Proxy("A", "C"), Proxy("B", "D")], PEOPLE)
    outcome = tally(rule_from_params("simple_majority"), PEOPLE, ballots_of({"C": Y, "E": N}), proxies)
    assert outcome.choices == {"C": Y, "E": N, "A": Y}          # A's vote follows its holder C
    assert outcome.by_proxy == (("A", "C"),)
    assert outcome.proxy_not_counted == (("B", "D"),)           # D did not vote: B's vote is lost
    assert outcome.heads[Y] == 2 and outcome.status is Status.PASSED
    assert "1 delegated votes were not counted" in str(outcome.reasons[-1])


def test_a_holder_may_cast_a_separate_ballot_for_the_member_it_represents() -> None:
    proxies = check_proxies([Proxy("A", "C")], PEOPLE)
    ballots = [Ballot("C", Y, 1), Ballot("A", N, 2, by="C")]
    outcome = tally(rule_from_params("simple_majority"), PEOPLE, ballots, proxies)
    assert outcome.choices == {"C": Y, "A": N} and outcome.by_proxy == (("A", "C"),)


def test_the_members_own_ballot_takes_precedence_over_its_proxy() -> None:
    proxies = check_proxies([Proxy("A", "C")], PEOPLE)
    ballots = [Ballot("A", N, 1), Ballot("C", Y, 2), Ballot("A", Y, 3, by="C")]  # the proxy's ballot is later
    outcome = tally(rule_from_params("simple_majority"), PEOPLE, ballots, proxies)
    assert outcome.choices == {"A": N, "C": Y} and outcome.by_proxy == ()


def test_a_ballot_cast_without_holding_the_proxy_is_refused() -> None:
    proxies = check_proxies([Proxy("A", "C")], PEOPLE)
    with pytest.raises(BallotRefused, match="'D' does not hold the proxy of 'A'"):
        tally(rule_from_params("simple_majority"), PEOPLE, [Ballot("A", Y, 1, by="D")], proxies)
    with pytest.raises(BallotRefused, match="'B' does not hold the proxy of 'A'"):
        tally(rule_from_params("simple_majority"), PEOPLE, [Ballot("A", Y, 1, by="B")])


# --- changed votes and refused ballots ----------------------------------------------------------

def test_the_latest_ballot_by_sequence_counts_not_the_order_given() -> None:
    ballots = [Ballot("A", N, 7), Ballot("A", Y, 3), Ballot("B", Y, 1)]
    outcome = tally(rule_from_params("simple_majority"), PEOPLE, ballots)
    assert outcome.choices == {"A": N, "B": Y} and outcome.status is Status.FAILED


def test_two_different_ballots_with_one_sequence_are_refused_the_same_one_twice_is_not() -> None:
    with pytest.raises(BallotRefused, match="same sequence number 4"):
        tally(rule_from_params("simple_majority"), PEOPLE, [Ballot("A", Y, 4), Ballot("A", N, 4)])
    assert tally(rule_from_params("simple_majority"), PEOPLE,
                 [Ballot("A", Y, 4), Ballot("A", Y, 4)]).heads[Y] == 1


def test_every_bad_ballot_is_reported_at_once() -> None:
    ballots = [Ballot("Z", Y, 1), Ballot("A", Choice.BLOCK, 2), Ballot("B", Y, 3), Ballot("Q", N, 4)]
    kept = list(ballots)
    with pytest.raises(BallotRefused) as refused:
        tally(rule_from_params("simple_majority"), PEOPLE, ballots, present=["A", "X"])
    assert ballots == kept  # the input is left as it was
    assert [(p.where, p.field) for p in refused.value.problems] == [
        ("ballots[0]", "voter"), ("ballots[1]", "choice"), ("ballots[3]", "voter"), ("present", "")]
    assert refused.value.code == "ballot_refused" and refused.value.status == 422


def test_a_flood_of_bad_ballots_is_summarised() -> None:
    with pytest.raises(BallotRefused) as refused:
        tally(rule_from_params("simple_majority"), PEOPLE, [Ballot(f"X{i}", Y, i) for i in range(80)])
    assert len(refused.value.problems) == 51 and "and 30 more problems" in str(refused.value.problems[-1])


def test_figures_without_any_yes_or_no_vote() -> None:
    outcome = tally(rule_from_params("simple_majority"), PEOPLE, [Ballot("A", A, 1)])
    assert outcome.support is None and outcome.percentages()["support"] is None
    assert outcome.percentages()["participation"] == Decimal("20.00") and outcome.status is Status.FAILED
    assert "nobody voted yes or no" in str(outcome.reasons[-1])


def test_percentages_are_rounded_half_even_for_display_only() -> None:
    assert as_percent(Fraction(2, 3)) == Decimal("66.67")
    assert as_percent(Fraction(1, 8), 1) == Decimal("12.5") and as_percent(Fraction(1, 8), 0) == Decimal("12")
    assert as_percent(Fraction(3, 8), 0) == Decimal("38") and as_percent(None) is None


# --- properties ---------------------------------------------------------------------------------

def oracle_choices(members: list[str], ballots: list[Ballot], holder_of: dict[str, str]) -> dict[str, Choice]:
    """The counted choice of each member, straight from the rules in docs/governance.md."""
    def latest(voter: str, by: str | None) -> Choice | None:
        mine = [b for b in ballots if b.voter == voter and b.by == by]
        return max(mine, key=lambda b: b.sequence).choice if mine else None
    out = {}
    for member in members:
        choice = latest(member, None)
        if choice is None and member in holder_of:
            choice = latest(member, holder_of[member]) or latest(holder_of[member], None)
        if choice is not None:
            out[member] = choice
    return out


@st.composite
def votes(draw: st.DrawFn, kinds: tuple[str, ...] = tuple(sorted(RULES))):
    kind = draw(st.sampled_from(kinds))
    rule_type = RULES[kind]
    n = draw(st.integers(1, 8))
    members = [f"M{i}" for i in range(n)]
    weights = draw(st.lists(st.integers(0, 12), min_size=n, max_size=n).filter(any))
    params: dict[str, object] = {"quorum": Fraction(draw(st.integers(0, 4)), 4)}
    if kind == "weighted":
        params["vetoes"] = ",".join(draw(st.lists(st.sampled_from(members), max_size=2, unique=True)))
    if kind in ("two_thirds", "unanimity"):
        params["base"] = draw(st.sampled_from([p for p in rule_type.parameters if p.name == "base"][0].bases))
    rule = rule_from_params(kind, params)
    # Proxies without chains: givers never hold.
    givers = draw(st.lists(st.sampled_from(members), unique=True, max_size=n // 2))
    holders = [m for m in members if m not in givers]
    holder_of = {g: draw(st.sampled_from(holders)) for g in givers} if holders else {}
    choices = sorted(rule.choices)
    ballots = []
    for sequence in draw(st.lists(st.integers(0, 1000), unique=True, max_size=14)):
        voter = draw(st.sampled_from(members))
        by = holder_of.get(voter) if voter in holder_of and draw(st.booleans()) else None
        ballots.append(Ballot(voter, draw(st.sampled_from(choices)), sequence, by))
    return rule, dict(zip(members, weights)), ballots, holder_of


def run(rule, weights, ballots, holder_of, present=None) -> Outcome:
    electorate = freeze(weights)
    present = present if present is not None else (list(weights) if rule.needs_attendance else None)
    return tally(rule, electorate, ballots, check_proxies([Proxy(g, h) for g, h in holder_of.items()], electorate),
                 present=present)


@FAST
@given(votes(), st.randoms(use_true_random=False))
def test_a_tally_does_not_depend_on_the_order_of_the_ballots(vote, rng: random.Random) -> None:
    rule, weights, ballots, holder_of = vote
    shuffled = list(ballots)
    rng.shuffle(shuffled)
    assert run(rule, weights, shuffled, holder_of) == run(rule, weights, ballots, holder_of)


@FAST
@given(votes(), st.data())
def test_adding_an_abstention_never_turns_a_pass_into_a_fail(vote, data: st.DataObject) -> None:
    rule, weights, ballots, holder_of = vote
    before = run(rule, weights, ballots, holder_of)
    silent = [m for m in weights if m not in before.choices]
    if not silent or Choice.ABSTAIN not in rule.choices:
        return
    member = data.draw(st.sampled_from(silent))
    after = run(rule, weights, [*ballots, Ballot(member, Choice.ABSTAIN, 10_000)], holder_of)
    assert after.participation >= before.participation
    if before.status is Status.PASSED:
        assert after.status is Status.PASSED
    # The other way round, an abstention can only help by meeting the quorum.
    if before.status is Status.NO_QUORUM and after.status is not Status.NO_QUORUM:
        assert after.quorum_met


@FAST
@given(votes(kinds=("weighted",)), st.lists(st.integers(0, 50), min_size=8, max_size=8))
def test_the_weights_frozen_at_the_opening_are_used_even_if_the_table_changes(vote, later: list[int]) -> None:
    rule, weights, ballots, holder_of = vote
    table = dict(weights)
    electorate = freeze(table)                      # voting opens
    for member, weight in zip(list(table), later):  # the alliance's weights change during the vote
        table[member] = weight
    table["NEWCOMER"] = 99
    proxies = check_proxies([Proxy(g, h) for g, h in holder_of.items()], electorate)
    during = tally(rule, electorate, ballots, proxies)
    assert during == tally(rule, freeze(weights), ballots, proxies)
    assert during.eligible == sum(weights.values())


@FAST
@given(votes())
def test_proxies_never_count_a_vote_twice(vote) -> None:
    rule, weights, ballots, holder_of = vote
    outcome = run(rule, weights, ballots, holder_of)
    assert outcome.choices == oracle_choices(list(weights), ballots, holder_of)
    assert sum(outcome.heads.values()) == len(outcome.choices) <= len(weights)
    assert outcome.participation <= 1
    givers = {giver for giver, _ in outcome.by_proxy}
    assert givers <= set(holder_of) and len(givers) == len(outcome.by_proxy)
    assert not givers & {g for g, _ in outcome.proxy_not_counted}
    assert all(holder_of[g] == h for g, h in outcome.by_proxy)
    if rule.weighted:
        counted = sum(Fraction(weights[m]) for m in outcome.choices)
        assert outcome.yes + outcome.no + outcome.abstain == counted


def test_member_present_bases_and_proxies_are_counted_as_present() -> None:
    proxies = check_proxies([Proxy("A", "C")], PEOPLE)
    outcome = tally(rule_from_params("two_thirds", {"base": Base.MEMBERS_PRESENT}), PEOPLE,
                    ballots_of({"C": Y, "D": Y}), proxies, present=["C", "D", "E"])
    assert outcome.present == 4 and outcome.measure == Fraction(3, 4) and outcome.status is Status.PASSED


def test_no_proxies_at_all() -> None:
    assert Proxies.none().holder_of == {}


def test_an_anonymised_outcome_names_nobody_but_keeps_every_figure() -> None:
    proxies = check_proxies([Proxy("A", "C"), Proxy("B", "D")], PEOPLE)
    ballots = [Ballot("C", Y, 1), Ballot("D", Choice.BLOCK, 2), Ballot("E", Y, 3)]
    named = tally(rule_from_params("consensus"), PEOPLE, ballots, proxies)
    assert named.status is Status.BLOCKED and named.stopped_by == ("B", "D")
    hidden = named.anonymised()
    assert (hidden.status, hidden.yes, hidden.block, hidden.participation, hidden.heads) == (
        named.status, named.yes, named.block, named.participation, named.heads)
    assert (hidden.voters, hidden.proxy_votes, hidden.proxy_votes_lost) == (5, 2, 0) and hidden.anonymous
    assert hidden.choices == {} and hidden.by_proxy == () and hidden.stopped_by == ()
    text = repr(hidden) + " ".join(hidden.reasons)
    assert not any(f"'{m}'" in text or f" {m}" in text for m in "ABCDE")
    assert str(hidden.reasons[-1]) == "blocked by 2 voters"
