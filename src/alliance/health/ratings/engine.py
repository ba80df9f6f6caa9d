"""The star rating, pure: weights, thresholds, a rating with its explanation, the advice for the next
tier, the approval rule and the elimination procedure's clock. No I/O.

The formula (docs/health.md, "Star ratings"): each input gives a member a score from 0 to 100 for
the period; the alliance weighs three groups (reviews, fulfilment, innovation; weights summing to
exactly 1) and the parts within a group (fulfilment: delivery on time, disputes lost; summing to
exactly 1); an input's weight is its group's weight times its part's, its contribution its weight
times its score, and the member's score the sum of the contributions. Everything is a `Fraction`,
so the contributions add up to the score exactly; pages round only what they show. The stars are
the highest tier whose threshold the score reaches (1 star below the 2-star threshold).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from typing import Any

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message

HUNDRED = Fraction(100)
STARS = (1, 2, 3, 4, 5)
# An input without data for the period (no review at all) counts in the middle: it neither helps
# nor harms; the explanation says so.
NEUTRAL = Fraction(50)

# The groups and the inputs in each (the inputs are the modules of ratings/inputs/).
GROUPS: Mapping[str, tuple[str, ...]] = {
    "reviews": ("reviews",),
    "fulfilment": ("delivery", "disputes"),
    "innovation": ("innovation",),
}
DEFAULT_GROUP_WEIGHTS: Mapping[str, str] = {"reviews": "0.4", "fulfilment": "0.4", "innovation": "0.2"}
DEFAULT_PART_WEIGHTS: Mapping[str, str] = {"delivery": "0.7", "disputes": "0.3"}
# The lowest score of 2, 3, 4 and 5 stars: even fifths, so a member with no data (50 everywhere) has 3.
DEFAULT_THRESHOLDS: tuple[str, ...] = ("20", "40", "60", "80")


class RatingWeightsInvalid(InvalidInput):
    """A weight table that does not sum to 1, or a weight that is not an exact decimal in [0, 1]."""

    code = "rating_weights_invalid"
    title = Message("Rating weights are invalid")


class RatingThresholdsInvalid(InvalidInput):
    """Star thresholds that are not four increasing scores between 0 and 100."""

    code = "rating_thresholds_invalid"
    title = Message("Star thresholds are invalid")


def _decimal(text: object) -> Decimal | None:
    if isinstance(text, float):  # a float is never exact: weights come as text
        return None
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


@dataclass(frozen=True)
class Weights:
    """The alliance's weights, as exact decimals (their text is kept as entered)."""

    groups: Mapping[str, Decimal]
    parts: Mapping[str, Decimal]   # within a group of several inputs

    def of(self, input_code: str) -> Fraction:
        """An input's weight in the score: its group's weight times its part's."""
        for group, members in GROUPS.items():
            if input_code in members:
                part = Fraction(self.parts[input_code]) if len(members) > 1 else Fraction(1)
                return Fraction(self.groups[group]) * part
        raise KeyError(input_code)

    def as_json(self) -> dict[str, dict[str, str]]:
        return {"groups": {k: str(v) for k, v in self.groups.items()}, "parts": {k: str(v) for k, v in self.parts.items()}}


def check_weights(groups: Mapping[str, object], parts: Mapping[str, object]) -> Weights:
    """The weights, or RatingWeightsInvalid with every problem (a sum that is not 1 is named with the sum)."""
    problems: list[Problem] = []
    where = Message("rating weights")
    checked_groups: dict[str, Decimal] = {}
    checked_parts: dict[str, Decimal] = {}
    multi = {code for members in GROUPS.values() if len(members) > 1 for code in members}
    for name in sorted(set(groups) - set(GROUPS)):
        problems.append(Problem(where, name, Message("{name!r} is not a rating group (one of {groups})",
                                                     name=name, groups=", ".join(GROUPS))))
    for name in sorted(set(parts) - multi):
        problems.append(Problem(where, name, Message("{name!r} is not a part of a rating group (one of {parts})",
                                                     name=name, parts=", ".join(sorted(multi)))))
    for table, names, into in ((groups, tuple(GROUPS), checked_groups), (parts, tuple(sorted(multi)), checked_parts)):
        for name in names:
            if name not in table:
                problems.append(Problem(where, name, Message("give a weight for {name}", name=name)))
                continue
            value = _decimal(table[name])
            if value is None or not Decimal(0) <= value <= Decimal(1):
                problems.append(Problem(where, name, Message("{value!r} is not an exact weight between 0 and 1 "
                                                             "(write it as a decimal, e.g. 0.25)", value=str(table[name]))))
                continue
            into[name] = value
    if not problems:
        total = sum(checked_groups.values(), Decimal(0))
        if total != 1:
            problems.append(Problem(where, "groups", Message(
                "the weights of reviews, fulfilment and innovation sum to {total}, not 1", total=str(total))))
        for group, members in GROUPS.items():
            if len(members) > 1:
                part_total = sum((checked_parts[m] for m in members), Decimal(0))
                if part_total != 1:
                    problems.append(Problem(where, group, Message(
                        "the weights of the parts of {group} ({parts}) sum to {total}, not 1", group=group,
                        parts=", ".join(members), total=str(part_total))))
    if problems:
        raise RatingWeightsInvalid(Message("the rating weights were not changed: {first}", first=problems[0].text()),
                                   problems)
    return Weights(checked_groups, checked_parts)


DEFAULT_WEIGHTS = check_weights(DEFAULT_GROUP_WEIGHTS, DEFAULT_PART_WEIGHTS)


def check_thresholds(values: Sequence[object]) -> tuple[Decimal, ...]:
    """Four lowest scores (of 2, 3, 4 and 5 stars), strictly increasing, in (0, 100]."""
    where = Message("star thresholds")
    problems: list[Problem] = []
    if len(values) != 4:
        problems.append(Problem(where, "", Message("give four thresholds (the lowest score of 2, 3, 4 and 5 stars), "
                                                   "not {count}", count=len(values))))
    checked: list[Decimal] = []
    for stars, text in zip((2, 3, 4, 5), values):
        value = _decimal(text)
        if value is None or not Decimal(0) < value <= Decimal(100):
            problems.append(Problem(where, f"{stars}", Message("{value!r} is not a score above 0 and at most 100",
                                                               value=str(text))))
        else:
            checked.append(value)
    if not problems:
        for stars, (low, high) in enumerate(zip(checked, checked[1:]), start=3):
            if high <= low:
                problems.append(Problem(where, f"{stars}", Message(
                    "the threshold of {stars} stars ({high}) must be above that of {below} stars ({low})",
                    stars=stars, high=str(high), below=stars - 1, low=str(low))))
    if problems:
        raise RatingThresholdsInvalid(Message("the star thresholds were not changed: {first}",
                                              first=problems[0].text()), problems)
    return tuple(checked)


DEFAULT_THRESHOLD_VALUES = check_thresholds(DEFAULT_THRESHOLDS)


def stars_for(score: Fraction, thresholds: Sequence[Decimal]) -> int:
    """The stars a score earns: 1 plus the number of thresholds it reaches (thresholds increase)."""
    return 1 + sum(1 for t in thresholds if score >= Fraction(t))


# -- one rating -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class InputScore:
    """What one input gives a member for a period: a score in [0, 100] and the raw figures behind it."""

    code: str
    score: Fraction
    raw: Mapping[str, str]
    note: str = ""             # e.g. "no reviews in the period: neutral 50"

    def __post_init__(self) -> None:
        if not Fraction(0) <= self.score <= HUNDRED:
            raise ValueError(f"input {self.code} scored {self.score}, outside 0..100")


@dataclass(frozen=True)
class Line:
    """One input's row of the explanation."""

    code: str
    group: str
    raw: Mapping[str, str]
    note: str
    score: Fraction
    weight: Fraction
    contribution: Fraction


@dataclass(frozen=True)
class Rated:
    """A member's rating for a period, with its explanation."""

    lines: tuple[Line, ...]
    score: Fraction
    stars: int

    def as_json(self) -> dict[str, Any]:
        """The explanation as stored and shown (fractions as exact text "a/b" and as 2-place decimals)."""
        return {"score": exact_text(self.score), "score_shown": shown(self.score), "stars": self.stars,
                "lines": [{"input": ln.code, "group": ln.group, "raw": dict(ln.raw), "note": ln.note,
                           "score": exact_text(ln.score), "score_shown": shown(ln.score),
                           "weight": exact_text(ln.weight), "weight_shown": shown(ln.weight, 4),
                           "contribution": exact_text(ln.contribution), "contribution_shown": shown(ln.contribution)}
                          for ln in self.lines]}


def exact_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def parse_exact(text: str) -> Fraction:
    return Fraction(text)


def shown(value: Fraction, places: int = 2) -> str:
    """A fraction as a decimal with `places` places, rounded half-even (what pages show)."""
    quantum = Decimal(1).scaleb(-places)
    return str((Decimal(value.numerator) / Decimal(value.denominator)).quantize(quantum))


def group_of(input_code: str) -> str:
    return next(group for group, members in GROUPS.items() if input_code in members)


def input_codes() -> tuple[str, ...]:
    return tuple(code for members in GROUPS.values() for code in members)


def rate(scores: Mapping[str, InputScore], weights: Weights, thresholds: Sequence[Decimal]) -> Rated:
    """Weigh every input's score; the contributions add up to the score exactly."""
    lines = []
    for code in input_codes():
        given = scores[code]
        weight = weights.of(code)
        lines.append(Line(code, group_of(code), given.raw, given.note, given.score, weight, weight * given.score))
    score = sum((ln.contribution for ln in lines), Fraction(0))
    return Rated(tuple(lines), score, stars_for(score, thresholds))


@dataclass(frozen=True)
class Advice:
    """What a member needs for the next tier: the smallest score increase, and the input that moves
    the score most per point (the largest weight among those not yet at 100) with how many points of
    it would do alone (None when that input alone cannot: then several must rise)."""

    target_stars: int
    score_needed: Fraction
    input: str | None
    input_points: Fraction | None


def next_tier(rated: Rated, thresholds: Sequence[Decimal]) -> Advice | None:
    """None at 5 stars. The increase needed is exact (reaching the threshold is enough: `>=`)."""
    if rated.stars >= 5:
        return None
    needed = Fraction(thresholds[rated.stars - 1]) - rated.score
    movable = [ln for ln in rated.lines if ln.weight > 0 and ln.score < HUNDRED]
    if not movable:
        return Advice(rated.stars + 1, needed, None, None)
    # Ties broken by the order of the inputs, so the advice is stable.
    best = max(movable, key=lambda ln: ln.weight)
    points = needed / best.weight
    return Advice(rated.stars + 1, needed, best.code, points if best.score + points <= HUNDRED else None)


# -- approval ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RiskRule:
    """A rating needs a person's approval when it moves the member by `move` stars or more, or brings
    it to `floor` stars or below (from another tier, or as its first rating)."""

    move: int = 2
    floor: int = 1


def needs_approval(previous: int | None, stars: int, rule: RiskRule) -> bool:
    if previous is not None and abs(stars - previous) >= rule.move:
        return True
    return stars <= rule.floor and previous != stars


# -- the elimination procedure ------------------------------------------------------------------------------

class Stage(StrEnum):
    IMPROVEMENT = "improvement"   # the notice is out; the member has until `improvement_until`
    APPEALED = "appealed"         # paused while the coordinator decides the appeal
    PROPOSED = "proposed"         # the review found no improvement: an exclusion proposal is drafted
    CLOSED = "closed"             # improved, or the appeal was granted, or the member left


class Outcome(StrEnum):
    IMPROVED = "improved"
    APPEAL_GRANTED = "appeal_granted"
    EXCLUSION_PROPOSED = "exclusion_proposed"


@dataclass(frozen=True)
class ProcedurePolicy:
    improvement_days: int = 90
    grace_days: int = 180        # a member that joined less than this many days ago enters no procedure
    appeal_days: int = 14        # an appeal is made within this many days of the notice

    def as_json(self) -> dict[str, int]:
        return {"improvement_days": self.improvement_days, "grace_days": self.grace_days,
                "appeal_days": self.appeal_days}


def in_grace(joined_on: date, today: date, policy: ProcedurePolicy) -> bool:
    return today < joined_on + timedelta(days=policy.grace_days)


def may_appeal(opened_on: date, today: date, policy: ProcedurePolicy) -> bool:
    return today <= opened_on + timedelta(days=policy.appeal_days)


def resumed_until(until: date, paused_on: date, resumed_on: date) -> date:
    """The end of the improvement period after a pause: moved by the days it was paused."""
    return until + (resumed_on - paused_on)


def review_due(stage: Stage, until: date, today: date) -> bool:
    return stage is Stage.IMPROVEMENT and today >= until


def review_outcome(stars: int) -> Outcome:
    """At the review: out of one star closes the procedure, still one star proposes the exclusion."""
    return Outcome.IMPROVED if stars > 1 else Outcome.EXCLUSION_PROPOSED


@dataclass(frozen=True)
class Settings:
    """Everything the alliance sets for its ratings."""

    weights: Weights = DEFAULT_WEIGHTS
    thresholds: tuple[Decimal, ...] = DEFAULT_THRESHOLD_VALUES
    risk: RiskRule = RiskRule()
    policy: ProcedurePolicy = ProcedurePolicy()
    benefits: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)  # {"stars", "kind", params...}

    def as_json(self) -> dict[str, Any]:
        return {"weights": self.weights.as_json(), "thresholds": [str(t) for t in self.thresholds],
                "risk": {"move": self.risk.move, "floor": self.risk.floor}, "policy": self.policy.as_json(),
                "benefits": [dict(b) for b in self.benefits]}


def settings_from_json(data: Mapping[str, Any] | None) -> Settings:
    if not data:
        return Settings()
    weights = data.get("weights") or {}
    risk = data.get("risk") or {}
    policy = data.get("policy") or {}
    return Settings(check_weights(weights.get("groups") or {}, weights.get("parts") or {}),
                    check_thresholds(list(data.get("thresholds") or DEFAULT_THRESHOLDS)),
                    RiskRule(int(risk.get("move", 2)), int(risk.get("floor", 1))),
                    ProcedurePolicy(int(policy.get("improvement_days", 90)), int(policy.get("grace_days", 180)),
                                    int(policy.get("appeal_days", 14))),
                    tuple(data.get("benefits") or ()))


def check_policy(improvement_days: object, grace_days: object, appeal_days: object,
                 move: object, floor: object) -> tuple[ProcedurePolicy, RiskRule]:
    """The procedure's days and the risk rule, every problem at once."""
    where = Message("rating policy")
    problems: list[Problem] = []
    values: dict[str, int] = {}
    limits = {"improvement_days": (1, 730), "grace_days": (0, 730), "appeal_days": (0, 365), "move": (1, 4),
              "floor": (0, 4)}
    for name, text in (("improvement_days", improvement_days), ("grace_days", grace_days),
                       ("appeal_days", appeal_days), ("move", move), ("floor", floor)):
        low, high = limits[name]
        try:
            value = int(str(text).strip())
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            problems.append(Problem(where, name, Message("{value!r} is not a whole number from {low} to {high}",
                                                         value=str(text), low=low, high=high)))
        else:
            values[name] = value
    if problems:
        raise InvalidInput(Message("the rating policy was not changed: {first}", first=problems[0].text()), problems)
    return (ProcedurePolicy(values["improvement_days"], values["grace_days"], values["appeal_days"]),
            RiskRule(values["move"], values["floor"]))


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(period: str) -> tuple[date, date]:
    """First and last day of a period written "2027Q1"; ValueError otherwise."""
    year_text, sep, q_text = period.strip().upper().partition("Q")
    if not sep or not year_text.isdigit() or q_text not in {"1", "2", "3", "4"}:
        raise ValueError(period)
    year, q = int(year_text), int(q_text)
    first = date(year, 3 * q - 2, 1)
    last = date(year + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1)
    return first, last
