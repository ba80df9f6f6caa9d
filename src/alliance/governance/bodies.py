"""The bodies that govern an alliance, as values and the rules their input must follow (pure: no I/O).

A body (a joint management committee, a working group, an arbitration panel) has seats: each a
member company of the alliance, optionally a named person (the account that sits for it), with a
role (chair, secretary, member, observer). It has a term (from, and optionally to), a meeting
cadence (governance.cadence) and its decision rules per proposal type, kept as plain data: a rule
name and its parameters, checked when saved by the rules registry (governance/rules/), which also
computes each rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from alliance.core.errors import InvalidInput, Problem
from alliance.governance.errors import RuleInvalid
from alliance.governance.rules import RULES, rule_from_params
from alliance.core.messages import Message, joined
from alliance.core.text import check_text
from alliance.governance.cadence import CADENCES

NAME_LIMIT = 100
PERSON_LIMIT = 100
MAX_SEATS = 200
MAX_DURATION_MINUTES = 24 * 60


class BodyKind(StrEnum):
    JOINT_COMMITTEE = "joint_committee"      # 联合管理委员会: meets quarterly, decides the big things
    WORKING_GROUP = "working_group"          # 工作组: meets weekly on one matter
    ARBITRATION_PANEL = "arbitration_panel"  # 仲裁小组: rules on disputes


class SeatRole(StrEnum):
    CHAIR = "chair"
    SECRETARY = "secretary"
    MEMBER = "member"
    OBSERVER = "observer"  # attends and speaks, never counted for quorum nor votes


# The seats that run a body's meetings (agenda, attendance, minutes, action items) beside the coordinator.
RUNS_MEETINGS = frozenset({SeatRole.CHAIR, SeatRole.SECRETARY})

# The decision rules a body may name: the rules registry's (governance/rules/), and the proposal
# types it names them for.
DECISION_RULES: frozenset[str] = frozenset(RULES)
# The proposal types: exactly the keys of governance.effects.EFFECTS (what each does when accepted;
# a test checks the two agree, so this pure module need not import the effects' adapters).
PROPOSAL_TYPES: frozenset[str] = frozenset({
    "admit_member", "change_agreement", "approve_budget", "sanction", "ruling", "dissolve", "change_status", "other",
    "exclude_member", "confirm_milestone",
})
MAX_PARAMETERS = 20
PARAMETER_LIMIT = 200  # the length of a parameter's name or text value


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """The decision rule a body applies to one proposal type: a rule name and its parameters
    (e.g. {"quorum": "0.5"}), plain JSON values the rule itself validates further."""

    rule: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_mapping(self) -> dict[str, Any]:
        return {"rule": self.rule, "params": dict(self.params)}


@dataclass(frozen=True, slots=True)
class Seat:
    member: str
    role: SeatRole
    person: str | None = None  # the account (user name) that sits for the member, where one is named


@dataclass(frozen=True, slots=True)
class Body:
    id: int
    name: str
    kind: BodyKind
    term_from: date
    term_to: date | None
    cadence: str
    meeting_time: time     # when its meetings start, in the alliance's time zone
    duration_minutes: int
    rules: Mapping[str, RuleConfig]
    seats: tuple[Seat, ...]
    created_by: str
    created_at: datetime

    def seat_of(self, member: str) -> Seat | None:
        return next((s for s in self.seats if s.member == member), None)

    @property
    def members(self) -> list[str]:
        return [s.member for s in self.seats]

    def in_term(self, day: date) -> bool:
        return self.term_from <= day and (self.term_to is None or day <= self.term_to)


def held_roles(body: Body, member: str | None, account: str | None) -> frozenset[SeatRole]:
    """The roles an account holds in `body`: its member's seat's role, if the seat names no person or
    names this account (`account`: a user name; a key of the member counts only for a seat naming no one)."""
    if member is None:
        return frozenset()
    seat = body.seat_of(member)
    if seat is None:
        return frozenset()
    if seat.person is not None and seat.person != account:
        # The member sits in the body, so its accounts read it; only the named person runs it.
        return frozenset({SeatRole.MEMBER}) if seat.role in RUNS_MEETINGS else frozenset({seat.role})
    return frozenset({seat.role})


def text_field(problems: list[Problem], where: str, field_name: str, value: str, what: Message, limit: int,
               required: bool = True, multiline: bool = False) -> str:
    """`value` checked by core.text.check_text; a problem is added to `problems` (not raised)."""
    try:
        return check_text(value, what, limit, required=required, multiline=multiline)
    except InvalidInput as exc:
        problems.append(Problem(where, field_name, exc.message))
        return value.strip()


def check_body(name: str, kind: str, term_from: date, term_to: date | None, cadence: str, meeting_time: time,
               duration_minutes: int) -> tuple[str, BodyKind, list[Problem]]:
    """The body's name and kind, cleaned, and every problem with its fields."""
    problems: list[Problem] = []
    where = Message("body")
    cleaned = text_field(problems, where, "name", name, Message("a body's name"), NAME_LIMIT)
    found_kind = BodyKind.JOINT_COMMITTEE
    try:
        found_kind = BodyKind(kind)
    except ValueError:
        problems.append(Problem(where, "kind", Message("{kind!r} is not a kind of body (one of {kinds})",
                                                       kind=kind, kinds=", ".join(BodyKind))))
    if term_to is not None and term_to < term_from:
        problems.append(Problem(where, "term_to", Message("the term ends on {term_to}, before it starts on {term_from}",
                                                          term_to=term_to, term_from=term_from)))
    if cadence not in CADENCES:
        problems.append(Problem(where, "cadence", Message("{cadence!r} is not a meeting cadence (one of {cadences})",
                                                          cadence=cadence, cadences=", ".join(CADENCES))))
    if not 1 <= duration_minutes <= MAX_DURATION_MINUTES:
        problems.append(Problem(where, "duration_minutes", Message("a meeting lasts 1 to {limit} minutes",
                                                                   limit=MAX_DURATION_MINUTES)))
    del meeting_time  # any time of day is a valid start
    return cleaned, found_kind, problems


def check_seats(seats: Iterable[tuple[str, str, str | None]], members: Iterable[str]) -> tuple[list[Seat], list[Problem]]:
    """Seats from (member, role, person) triples: every member one of the alliance's current members,
    once; every role one of SeatRole; at most one chair."""
    known = set(members)
    problems: list[Problem] = []
    found: list[Seat] = []
    seen: set[str] = set()
    for n, (member, role, person) in enumerate(seats, start=1):
        where = Message("seat {n}", n=n)
        member = member.strip()
        if member not in known:
            problems.append(Problem(where, "member", Message("{member!r} is not a member of the alliance",
                                                             member=member)))
        elif member in seen:
            problems.append(Problem(where, "member", Message("{member!r} already has a seat", member=member)))
        seen.add(member)
        try:
            seat_role = SeatRole(role.strip().lower())
        except ValueError:
            problems.append(Problem(where, "role", Message("{role!r} is not a role in a body (one of {roles})",
                                                           role=role, roles=", ".join(SeatRole))))
            continue
        named = text_field(problems, where, "person", person or "", Message("a person's account"), PERSON_LIMIT,
                      required=False) or None
        found.append(Seat(member, seat_role, named))
    if len(found) > MAX_SEATS:
        problems.append(Problem(Message("body"), "seats", Message("a body has at most {limit} seats", limit=MAX_SEATS)))
    if sum(1 for s in found if s.role is SeatRole.CHAIR) > 1:
        problems.append(Problem(Message("body"), "seats", Message("a body has one chair")))
    return found, problems


def parse_rules(document: Mapping[str, Any]) -> dict[str, RuleConfig]:
    """Decision rules per proposal type from {"approve_budget": {"rule": "two_thirds", "params": {...}}}:
    known proposal types, known rule names, parameters a flat mapping of names to plain values. Every
    problem at once (InvalidInput)."""
    problems: list[Problem] = []
    rules: dict[str, RuleConfig] = {}
    if not isinstance(document, Mapping):
        raise InvalidInput(Message("decision rules are a mapping of proposal type to rule"))
    for kind, config in document.items():
        where = Message("decision rule for {kind}", kind=kind)
        if kind not in PROPOSAL_TYPES:
            problems.append(Problem(where, "proposal_type", Message("{kind!r} is not a proposal type (one of {kinds})",
                                                                    kind=kind, kinds=", ".join(sorted(PROPOSAL_TYPES)))))
            continue
        if not isinstance(config, Mapping):
            problems.append(Problem(where, "rule", Message("give the rule as a mapping with a rule name and its parameters")))
            continue
        name, params = config.get("rule"), config.get("params", {}) or {}
        if name not in DECISION_RULES:
            problems.append(Problem(where, "rule", Message("{name!r} is not a decision rule (one of {rules})",
                                                           name=name, rules=", ".join(sorted(DECISION_RULES)))))
            continue
        if not isinstance(params, Mapping) or len(params) > MAX_PARAMETERS or not all(
                isinstance(k, str) and 0 < len(k) <= PARAMETER_LIMIT and _plain(v) for k, v in params.items()):
            problems.append(Problem(where, "params", Message("parameters are at most {limit} names with a number, "
                                                             "text, true or false each", limit=MAX_PARAMETERS)))
            continue
        try:  # the rule's own checks: a quorum above 100%, a threshold out of range, an unknown setting
            rule_from_params(str(name), params)
        except RuleInvalid as exc:
            problems.extend([Problem(where, "params", p.reason) for p in exc.problems]
                            or [Problem(where, "params", exc.message)])
            continue
        rules[kind] = RuleConfig(str(name), dict(params))
    if problems:
        raise InvalidInput(joined([p.text() for p in problems]), problems)
    return rules


def _plain(value: Any) -> bool:
    # Floats are refused: a threshold or quorum is written as text ("0.5", "2/3") and parsed exactly by its rule.
    return (isinstance(value, bool | int) or (isinstance(value, str) and len(value) <= PARAMETER_LIMIT))


def refuse(problems: list[Problem]) -> None:
    """Raise InvalidInput with every problem, if there is any."""
    if problems:
        raise InvalidInput(joined([p.text() for p in problems]), problems)
