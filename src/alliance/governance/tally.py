"""The tally: ballots, proxies and the weights frozen at the opening, counted under a decision rule.

    outcome = tally(rule, electorate, ballots, proxies)

Steps, the same for every rule (a rule only judges the counted figures, see rules/base.py):
1. Refuse, all problems at once, ballots from non-voters, with a choice the rule does not offer,
   cast for a member whose proxy the caster does not hold, or two different ballots with the same
   sequence for one voter (which one is the latest would be a guess).
2. Per voter, the latest ballot by sequence (a member may change its vote while the vote is open);
   a member's own ballot takes precedence over its proxy's (being there revokes the proxy).
3. A member who gave its proxy and did not vote is counted with the ballot its holder cast for it,
   else with the holder's own choice; if the holder did not vote, the delegated vote is not counted
   (and is reported as such). A vote is thus counted once, in one hand.
4. Sum by choice: by the frozen weights for a weighted rule, by head otherwise (integers over the
   electorate's common denominator, so ten thousand ballots are integer additions).
5. Participation = cast / eligible against the quorum (at least), then the rule's judgement.
The Outcome keeps every figure as an exact Fraction, with `percentages()` to show them, and names
the members behind them; `anonymised()` drops every name for an anonymous vote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction

from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.governance.ballots import Ballot, Choice
from alliance.governance.electorate import Electorate
from alliance.governance.errors import BallotRefused
from alliance.governance.numbers import as_percent, shown
from alliance.governance.proxies import Proxies
from alliance.governance.rules.base import Count, DecisionRule, Status

# Problems listed in one refusal; past this, one more line says how many were left out.
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Outcome:
    """The result of a vote and every figure that led to it (exact), so a page can explain it."""

    status: Status
    rule: str
    settings: Mapping[str, str]
    weighted: bool
    yes: Fraction
    no: Fraction
    abstain: Fraction
    block: Fraction
    objection: Fraction
    eligible: Fraction
    present: Fraction | None
    participation: Fraction
    quorum: Fraction
    support: Fraction | None
    measure: Fraction | None
    threshold: Fraction | None
    heads: Mapping[Choice, int]
    eligible_voters: int
    stopped_by: tuple[str, ...]
    by_proxy: tuple[tuple[str, str], ...]            # (member, holder who cast its vote)
    proxy_not_counted: tuple[tuple[str, str], ...]   # (member, holder who did not vote)
    choices: Mapping[str, Choice] = field(repr=False)
    reasons: tuple[Message, ...] = ()
    voters: int = 0                 # how many members' votes were counted (in person or by proxy)
    proxy_votes: int = 0            # how many of them a proxy cast
    proxy_votes_lost: int = 0       # delegated votes not counted: the holder did not vote
    anonymous: bool = False

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @property
    def quorum_met(self) -> bool:
        return self.participation >= self.quorum

    def anonymised(self) -> Outcome:
        """The outcome of an anonymous vote: every figure and count (turnout stays verifiable), but no
        member named: not who chose what, who cast by proxy, nor who blocked, objected or vetoed."""
        hidden = Message("{count} voters", count=len(self.stopped_by))
        reasons = tuple(Message(r.template, **{**r.params, "members": hidden})
                        if isinstance(r, Message) and "members" in r.params else r for r in self.reasons)
        return replace(self, stopped_by=(), by_proxy=(), proxy_not_counted=(), choices={}, reasons=reasons,
                       anonymous=True)

    def figures(self) -> dict[str, Fraction | None]:
        """Every share that led to the outcome, exact (of 1)."""
        return {"support": self.support, "participation": self.participation, "quorum": self.quorum,
                "measure": self.measure, "threshold": self.threshold,
                "yes_of_eligible": self.yes / self.eligible}

    def percentages(self, places: int = 2) -> dict[str, Decimal | None]:
        """The figures as percentages for display (rounded half-even; compare the exact ones)."""
        return {name: as_percent(value, places) for name, value in self.figures().items()}


def tally(rule: DecisionRule, electorate: Electorate, ballots: Iterable[Ballot],
          proxies: Proxies | None = None, present: Iterable[str] | None = None) -> Outcome:
    """Count `ballots` under `rule` with the weights frozen in `electorate` (see the module docstring).

    `present` is the meeting's attendance, needed by rules measured against the members present.
    Raises BallotRefused (every problem listed) and nothing is counted; RuleInvalid / WeightsInvalid
    when the rule cannot be used with this electorate."""
    rule.check_electorate(electorate)
    holder_of = (proxies or Proxies.none()).holder_of
    index = electorate.index()
    allowed = rule.choices
    own: dict[str, tuple[int, Choice]] = {}
    delegated: dict[str, tuple[int, Choice]] = {}
    problems: list[Problem] = []
    for n, ballot in enumerate(ballots):
        voter, by = ballot.voter, ballot.by
        if voter not in index:
            problems.append(Problem(f"ballots[{n}]", "voter", Message(
                "{member!r} is not an eligible voter in this vote", member=voter)))
            continue
        if ballot.choice not in allowed:
            problems.append(Problem(f"ballots[{n}]", "choice", Message(
                "{choice!r} is not a choice under {rule}", choice=str(ballot.choice), rule=rule.title)))
            continue
        if by is None:
            kept = own
        elif holder_of.get(voter) == by:
            kept = delegated
        else:
            problems.append(Problem(f"ballots[{n}]", "by", Message(
                "{holder!r} does not hold the proxy of {member!r}", holder=by, member=voter)))
            continue
        earlier = kept.get(voter)
        if earlier is None or ballot.sequence > earlier[0]:
            kept[voter] = (ballot.sequence, ballot.choice)
        elif ballot.sequence == earlier[0] and ballot.choice != earlier[1]:
            problems.append(Problem(f"ballots[{n}]", "sequence", Message(
                "two different ballots of {member!r} have the same sequence number {sequence}",
                member=voter, sequence=ballot.sequence)))
    attending = _attendance(rule, electorate, present, problems)
    if problems:
        shown_problems = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown_problems.append(Problem("ballots", "", Message("and {count} more problems",
                                                                 count=len(problems) - MAX_PROBLEMS)))
        raise BallotRefused(Message("ballots refused: {problem}", problem=problems[0].text()), shown_problems)

    choices = {voter: choice for voter, (_, choice) in own.items()}
    by_proxy: list[tuple[str, str]] = []
    not_counted: list[tuple[str, str]] = []
    for giver, holder in holder_of.items():
        if giver in own:
            continue  # the member voted itself: its proxy is not used
        cast = delegated.get(giver) or own.get(holder)
        if cast is None:
            not_counted.append((giver, holder))
            continue
        choices[giver] = cast[1]
        by_proxy.append((giver, holder))
    return _judge(rule, electorate, choices, attending, tuple(sorted(by_proxy)), tuple(sorted(not_counted)))


def _attendance(rule: DecisionRule, electorate: Electorate, present: Iterable[str] | None,
                problems: list[Problem]) -> frozenset[str] | None:
    if present is None:
        if rule.needs_attendance:
            problems.append(Problem("present", "", Message(
                "{rule} measured against the members present needs the meeting's attendance", rule=rule.title)))
        return None
    attending = frozenset(present)
    problems.extend(Problem("present", "", Message("{member!r} is not an eligible voter in this vote", member=m))
                    for m in sorted(attending) if m not in electorate)
    return attending


def _judge(rule: DecisionRule, electorate: Electorate, choices: dict[str, Choice], attending: frozenset[str] | None,
           by_proxy: tuple[tuple[str, str], ...], not_counted: tuple[tuple[str, str], ...]) -> Outcome:
    index = electorate.index()
    units = electorate.units
    sums = dict.fromkeys(Choice, 0)
    heads = dict.fromkeys(Choice, 0)
    if rule.weighted:
        for voter, choice in choices.items():
            sums[choice] += units[index[voter]]
            heads[choice] += 1
        scale, eligible = electorate.denominator, electorate.total_units
        weigh = lambda members: sum(units[index[m]] for m in members)  # noqa: E731
    else:
        for choice in choices.values():
            heads[choice] += 1
        sums = dict(heads)
        scale, eligible = 1, len(electorate)
        weigh = len
    present = None
    if attending is not None:
        # Whoever voted, in person or by proxy, is present for the count (RONR counts proxies present).
        present = Fraction(weigh(attending | choices.keys()), scale)
    count = Count(yes=Fraction(sums[Choice.YES], scale), no=Fraction(sums[Choice.NO], scale),
                  abstain=Fraction(sums[Choice.ABSTAIN], scale), block=Fraction(sums[Choice.BLOCK], scale),
                  objection=Fraction(sums[Choice.OBJECTION], scale), eligible=Fraction(eligible, scale),
                  present=present, choices=choices)
    verdict = rule.quorum_verdict(count)
    if verdict is None:
        quorum_reason = Message("participation {participation} meets the quorum {quorum}",
                                participation=shown(count.participation), quorum=shown(rule.quorum))
        verdict = rule.judge(count)
        reasons = (quorum_reason, *verdict.reasons)
    else:
        reasons = verdict.reasons
    if not_counted:
        reasons = (*reasons, Message("{count} delegated votes were not counted: their proxy holders did not vote",
                                     count=len(not_counted)))
    return Outcome(status=verdict.status, rule=rule.kind, settings=rule.settings(), weighted=rule.weighted,
                   yes=count.yes, no=count.no, abstain=count.abstain, block=count.block, objection=count.objection,
                   eligible=count.eligible, present=present, participation=count.participation, quorum=rule.quorum,
                   support=count.support, measure=verdict.measure, threshold=verdict.threshold, heads=heads,
                   eligible_voters=len(electorate), stopped_by=verdict.stopped_by, by_proxy=by_proxy,
                   proxy_not_counted=not_counted, choices=choices, reasons=reasons, voters=len(choices),
                   proxy_votes=len(by_proxy), proxy_votes_lost=len(not_counted))
