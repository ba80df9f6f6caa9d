"""What every decision rule has: its parameters, the choices it offers, and how it judges a count.

The tally (governance/tally.py) does what is common to all rules: the latest ballot per voter,
proxies, weights frozen at the opening, and participation against the quorum. A rule then only
judges the counted figures (`judge`): whether something stops the proposal (a block, an objection,
a veto) and which figure must pass which threshold. Order of judgement, the same for every rule:
no quorum, then blocked / vetoed, then passed / failed.

Comparisons, as the issue and Robert's Rules of Order word them:
- support and the other measured shares must be STRICTLY above the threshold (a tie at one half
  is not a majority; exactly two-thirds fails unless the rule says "at least", as RONR's
  two-thirds vote does, see rules/two_thirds.py);
- the quorum is met when participation is AT LEAST the quorum (a quorum of one half is met by
  exactly half of the eligible weight), as a quorum is a minimum attendance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from fractions import Fraction
from typing import Any, ClassVar

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.governance.ballots import Choice
from alliance.governance.electorate import Electorate
from alliance.governance.errors import RuleInvalid
from alliance.governance.numbers import exact, shown


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NO_QUORUM = "no_quorum"
    BLOCKED = "blocked"
    VETOED = "vetoed"


class Base(StrEnum):
    """What a share is measured against."""

    VOTES_CAST = "votes_cast"            # yes / (yes + no): abstentions do not count either way
    MEMBERS_PRESENT = "members_present"  # yes / weight present: an abstention or silence counts as no
    ALL_MEMBERS = "all_members"          # yes / all eligible weight: absence counts as no


@dataclass(frozen=True)
class Count:
    """The figures a rule judges, by weight (weighted rules) or by head (others), exact."""

    yes: Fraction
    no: Fraction
    abstain: Fraction
    block: Fraction
    objection: Fraction
    eligible: Fraction
    present: Fraction | None          # attendance, for rules measured against members present
    choices: Mapping[str, Choice]     # the counted choice of every voter who voted (or whose proxy did)

    @property
    def against(self) -> Fraction:
        """No, and the stronger noes (a block, an objection), which count as no in every share."""
        return self.no + self.block + self.objection

    @property
    def cast(self) -> Fraction:
        return self.yes + self.against + self.abstain

    @property
    def support(self) -> Fraction | None:
        """yes / (yes + no), None when nobody voted yes or no."""
        decided = self.yes + self.against
        return self.yes / decided if decided else None

    @property
    def participation(self) -> Fraction:
        return self.cast / self.eligible

    def measured(self, base: Base) -> tuple[Fraction | None, Message]:
        """The share of yes against `base`, and the name of the figure for explanations."""
        if base is Base.VOTES_CAST:
            return self.support, Message("support (yes of yes and no)")
        if base is Base.MEMBERS_PRESENT:
            assert self.present is not None  # the tally refuses the rule without attendance
            return (self.yes / self.present if self.present else None), Message("yes of the members present")
        return self.yes / self.eligible, Message("yes of all eligible members")

    def who(self, *chosen: Choice) -> tuple[str, ...]:
        return tuple(sorted(m for m, c in self.choices.items() if c in chosen))


@dataclass(frozen=True)
class Verdict:
    """A rule's judgement of a count: the status, the figure compared and why."""

    status: Status
    reasons: tuple[Message, ...]
    measure: Fraction | None = None
    threshold: Fraction | None = None
    stopped_by: tuple[str, ...] = ()


class Kind(StrEnum):
    FRACTION = "fraction"   # exact share of 1, in [0, 1]
    BASE = "base"           # one of Base
    BOOL = "bool"
    MEMBERS = "members"     # member codes (a list, or text separated by commas)
    TOTAL = "total"         # an optional positive exact number the weights must add up to
    CHOICE = "choice"       # one of the parameter's `options` (text), e.g. where a weighted vote's weights come from


@dataclass(frozen=True)
class Parameter:
    """One setting of a rule, as a form field: name, label, kind, default, the bases it may take."""

    name: str
    label: Message
    kind: Kind
    default: Any
    bases: tuple[Base, ...] = ()
    options: tuple[str, ...] = ()  # the values a CHOICE parameter may take


QUORUM = Parameter("quorum", Message("Quorum (share of eligible votes that must take part)"), Kind.FRACTION,
                   Fraction(0))


def threshold_parameter(default: Fraction) -> Parameter:
    return Parameter("threshold", Message("Threshold (support must be strictly above it)"), Kind.FRACTION, default)


@dataclass(frozen=True)
class DecisionRule:
    """A rule and its settings. Subclasses are frozen dataclasses whose fields are their `parameters`."""

    kind: ClassVar[str]
    title: ClassVar[Message]
    summary: ClassVar[Message]
    choices: ClassVar[frozenset[Choice]]
    parameters: ClassVar[tuple[Parameter, ...]]
    weighted: ClassVar[bool] = False  # counted by the frozen weights rather than one vote per member

    quorum: Fraction = Fraction(0)

    def __post_init__(self) -> None:
        problems = [p for parameter in self.parameters for p in _check(parameter, getattr(self, parameter.name))]
        problems.extend(self.check())
        if problems:
            raise RuleInvalid(Message("{rule}: {problem}", rule=self.title,
                                      problem=problems[0].text()), problems)

    def check(self) -> list[Problem]:
        """Problems of this rule's own beyond each parameter's range (none by default)."""
        return []

    def check_electorate(self, electorate: Electorate) -> None:
        """Raise (RuleInvalid, WeightsInvalid) when this rule cannot be used with `electorate`: a veto
        holder who is not a voter, weights that do not add up to what the rule requires."""

    @property
    def needs_attendance(self) -> bool:
        return False

    def settings(self) -> dict[str, str]:
        """The parameters as text, to store with a proposal and record in the ledger."""
        return {p.name: _text(getattr(self, p.name)) for p in self.parameters}

    def judge(self, count: Count) -> Verdict:
        raise NotImplementedError

    def quorum_verdict(self, count: Count) -> Verdict | None:
        """NO_QUORUM when participation is short of the quorum (at least the quorum is enough)."""
        if count.participation >= self.quorum:
            return None
        return Verdict(Status.NO_QUORUM, (Message(
            "participation {participation} is below the quorum {quorum}: the vote does not decide",
            participation=shown(count.participation), quorum=shown(self.quorum)),))


def compare(measure: Fraction | None, name: Message, threshold: Fraction, *, at_least: bool = False) -> Verdict:
    """PASSED when `measure` is strictly above `threshold` (or at least it, when `at_least`)."""
    if measure is None:
        return Verdict(Status.FAILED, (Message("nobody voted yes or no: {name} is undefined, so it is not above "
                                               "the threshold {threshold}", name=name, threshold=shown(threshold)),),
                       None, threshold)
    passed = measure >= threshold if at_least else measure > threshold
    figures = {"name": name, "measure": shown(measure), "threshold": shown(threshold)}
    # Each sentence a literal template, so the catalogue extracts and translates it.
    if at_least:
        reason = (Message("{name} {measure} is at least the threshold {threshold}", **figures) if passed
                  else Message("{name} {measure} is below the threshold {threshold}", **figures))
    else:
        reason = (Message("{name} {measure} is above the threshold {threshold}", **figures) if passed
                  else Message("{name} {measure} is not above the threshold {threshold}", **figures))
    return Verdict(Status.PASSED if passed else Status.FAILED, (reason,),
                   measure, threshold)


def from_params(rule: type[DecisionRule], params: Mapping[str, object]) -> DecisionRule:
    """`rule` configured from text or typed values (a form, a stored proposal, a CLI flag), every
    unknown name and unreadable value reported at once as RuleInvalid."""
    known = {p.name: p for p in rule.parameters}
    problems = [Problem(f"rule.{name}", "", Message("{rule} has no setting {name!r}", rule=rule.title,
                                                    name=name)) for name in params if name not in known]
    values: dict[str, Any] = {}
    for name, parameter in known.items():
        if name not in params or params[name] is None or params[name] == "":
            continue
        try:
            values[name] = _parse(parameter, params[name])
        except InvalidInput as error:
            problems.extend(error.problems or [Problem(f"rule.{name}", "", error.message)])
            continue
        problems.extend(_check(parameter, values[name]))
    if problems:
        raise RuleInvalid(Message("{rule}: {problem}", rule=rule.title,
                                  problem=problems[0].text()), problems)
    return rule(**values)


def _parse(parameter: Parameter, value: object) -> Any:
    where = f"rule.{parameter.name}"
    if parameter.kind in (Kind.FRACTION, Kind.TOTAL):
        return exact(value, where, RuleInvalid)
    if parameter.kind is Kind.BASE:
        try:
            return Base(str(value))
        except ValueError:
            return value  # reported by _check, which names the allowed bases
    if parameter.kind is Kind.BOOL:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "1", "on"):
            return True
        if text in ("false", "no", "0", "off"):
            return False
        return value  # reported by _check
    if parameter.kind is Kind.CHOICE:
        return str(value).strip()  # an unknown option is reported by _check, naming the options
    if isinstance(value, str):
        return tuple(sorted({m.strip() for m in value.split(",") if m.strip()}))
    return tuple(sorted(set(value)))  # type: ignore[call-overload]


def _check(parameter: Parameter, value: Any) -> list[Problem]:
    where = f"rule.{parameter.name}"
    if parameter.kind is Kind.FRACTION:
        if not isinstance(value, Fraction) and not (isinstance(value, int) and not isinstance(value, bool)):
            return [Problem(where, "", Message("{value!r} is not an exact fraction", value=value))]
        if not 0 <= value <= 1:
            return [Problem(where, "", Message("{name} must be between 0 and 100% (got {value})",
                                               name=parameter.name, value=shown(Fraction(value))))]
    if parameter.kind is Kind.TOTAL and value is not None and (
            not isinstance(value, (Fraction, int)) or isinstance(value, bool) or value <= 0):
        return [Problem(where, "", Message("the total the weights must add up to must be a positive exact "
                                           "number (got {value!r})", value=value))]
    if parameter.kind is Kind.BASE and value not in parameter.bases:
        return [Problem(where, "", Message("{value!r} is not one of {allowed}", value=value,
                                           allowed=", ".join(parameter.bases)))]
    if parameter.kind is Kind.CHOICE and value not in parameter.options:
        return [Problem(where, "", Message("{value!r} is not one of {allowed}", value=value,
                                           allowed=", ".join(parameter.options)))]
    if parameter.kind is Kind.BOOL and not isinstance(value, bool):
        return [Problem(where, "", Message("{value!r} is neither true nor false", value=value))]
    if parameter.kind is Kind.MEMBERS and (isinstance(value, str) or not all(isinstance(m, str) for m in value)):
        return [Problem(where, "", Message("the members must be listed as member codes"))]
    return []


def _text(value: Any) -> str:
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(value)
    return "" if value is None else str(value)


def field_names(rule: type[DecisionRule]) -> set[str]:
    return {f.name for f in fields(rule)}
