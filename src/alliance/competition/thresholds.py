"""Threshold sets: data files under `thresholds/`, one per set, read into typed rules. Pure.

A set file (TOML) names its source (citation, URL, date) and lists rules. A rule has an `effect`
(what it means when it holds), the market `relations` it applies to, and `conditions` that must all
hold: a `measure` (one of `MEASURES`), a comparison (`>`, `>=`, `<`, `<=`) and an exact value
(text: "1800", "25"). Adding a set is adding a file; changing a threshold is editing its file; no
code names a set. Measures and effects are the vocabulary the files may use, each one entry in a
table here (a test checks every entry has its parts).

Three-valued: when part of a market is unknown the HHI is an interval (`hhi.Span`), so a condition
holds for certain, fails for certain, or cannot be decided from the shares entered (`Truth.UNKNOWN`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from pathlib import Path

from alliance.competition.hhi import Figures, Span
from alliance.competition.model import Relation, percent_text, points_text
from alliance.core.errors import InvalidInput, NotFound
from alliance.core.messages import Message

SETS_DIR = Path(__file__).parent / "thresholds"


class Truth(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Measure:
    """A figure a condition compares: its name in words, how it is read from a market's figures and
    how a value of it is written."""

    name: Message
    read: Callable[[Figures], Span]
    text: Callable[[Fraction], str]


MEASURES: Mapping[str, Measure] = {
    "post_hhi": Measure(Message("post-alliance HHI"), lambda f: f.post_hhi, points_text),
    "pre_hhi": Measure(Message("pre-alliance HHI"), lambda f: f.pre_hhi, points_text),
    "delta_hhi": Measure(Message("ΔHHI"), lambda f: Span.of(f.delta_hhi), points_text),
    "combined_share": Measure(Message("combined share"), lambda f: Span.of(f.combined_share), percent_text),
    "largest_share": Measure(Message("largest single share on the alliance's side"),
                             lambda f: Span.of(f.largest_share), percent_text),
}


@dataclass(frozen=True)
class Comparison:
    """`>`: holds, fails and undecided in words; `test(low, high, limit)` three-valued."""

    holds: Message
    fails: Message
    test: Callable[[Fraction, Fraction, Fraction], Truth]


def _three(all_hold: bool, none_hold: bool) -> Truth:
    return Truth.YES if all_hold else Truth.NO if none_hold else Truth.UNKNOWN


COMPARISONS: Mapping[str, Comparison] = {
    ">": Comparison(Message("is above"), Message("is not above"), lambda lo, hi, v: _three(lo > v, hi <= v)),
    ">=": Comparison(Message("is at least"), Message("is below"), lambda lo, hi, v: _three(lo >= v, hi < v)),
    "<": Comparison(Message("is below"), Message("is not below"), lambda lo, hi, v: _three(hi < v, lo >= v)),
    "<=": Comparison(Message("is at most"), Message("is above"), lambda lo, hi, v: _three(hi <= v, lo > v)),
}


class Kind(StrEnum):
    CROSSING = "crossing"   # holding means a threshold is crossed
    CLEARING = "clearing"   # holding means a safe harbour is met


@dataclass(frozen=True)
class Effect:
    kind: Kind
    name: Message    # what it is, when it holds ("presumed to substantially lessen competition")
    missed: Message  # what it means when no rule of this effect holds


EFFECTS: Mapping[str, Effect] = {
    "presumption": Effect(Kind.CROSSING, Message("presumed to substantially lessen competition"),
                          Message("no presumption applies")),
    "safe_harbour": Effect(Kind.CLEARING, Message("safe harbour: competition concerns unlikely"),
                           Message("no safe harbour met")),
    "simplified_procedure": Effect(Kind.CLEARING, Message("simplified procedure (简易案件) available"),
                                   Message("simplified procedure (简易案件) not available")),
}


@dataclass(frozen=True)
class Condition:
    measure: str
    op: str
    value: Fraction

    def truth(self, figures: Figures) -> Truth:
        span = MEASURES[self.measure].read(figures)
        return COMPARISONS[self.op].test(span.low, span.high, self.value)


@dataclass(frozen=True)
class Rule:
    id: str
    effect: str
    relations: frozenset[Relation]
    conditions: tuple[Condition, ...]
    section: Mapping[str, str]  # where in the source the rule stands, by locale ("para. 19: ...")

    def truth(self, figures: Figures) -> Truth:
        found = [c.truth(figures) for c in self.conditions]
        if Truth.NO in found:
            return Truth.NO
        return Truth.UNKNOWN if Truth.UNKNOWN in found else Truth.YES


@dataclass(frozen=True)
class ThresholdSet:
    """One set of thresholds, as its file says. Names are data in both languages (a proper name, not
    a sentence of the platform's): `name["en"]`, `name["zh_CN"]`."""

    id: str
    name: Mapping[str, str]
    citation: str
    url: str
    published: str       # the source's date, ISO
    rules: tuple[Rule, ...]

    def name_in(self, locale: str) -> str:
        return self.name.get(locale) or self.name["en"]


class ThresholdSetInvalid(InvalidInput):
    code = "competition_threshold_set_invalid"
    title = Message("Invalid threshold set file")


class UnknownThresholdSet(NotFound):
    code = "competition_unknown_threshold_set"
    title = Message("No such threshold set")


def parse_set(set_id: str, data: Mapping[str, object]) -> ThresholdSet:
    """A set from its file's data; ThresholdSetInvalid naming what is wrong (a file is checked when
    it is read, so a mistyped measure never reaches a screening)."""
    def bad(what: str) -> ThresholdSetInvalid:
        return ThresholdSetInvalid(Message("threshold set {set}: {what}", set=set_id, what=what))

    try:
        name = dict(data["name"])  # type: ignore[call-overload]
        rules = []
        for raw in data["rules"]:  # type: ignore[attr-defined]
            if raw["effect"] not in EFFECTS:
                raise bad(f"rule {raw['id']}: unknown effect {raw['effect']!r}")
            conditions = []
            for c in raw["conditions"]:
                if c["measure"] not in MEASURES or c["op"] not in COMPARISONS or not isinstance(c["value"], str):
                    raise bad(f"rule {raw['id']}: condition {c!r} needs a known measure, op and a value as text")
                conditions.append(Condition(c["measure"], c["op"], Fraction(c["value"])))
            if not conditions:
                raise bad(f"rule {raw['id']}: no conditions")
            rules.append(Rule(str(raw["id"]), str(raw["effect"]), frozenset(Relation(r) for r in raw["relations"]),
                              tuple(conditions), _texts(raw.get("section", ""))))
        found = ThresholdSet(set_id, name, str(data["citation"]), str(data["url"]), str(data["published"]),
                             tuple(rules))
    except (KeyError, TypeError, ValueError) as exc:
        raise bad(f"missing or malformed field ({exc})") from None
    if "en" not in found.name or not found.rules:
        raise bad("needs name.en and at least one rule")
    return found


def _texts(value: object) -> dict[str, str]:
    """A text in each language: a table {en = "...", zh_CN = "..."}, or one text for every language."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return {"en": str(value)}


def localised(texts: Mapping[str, str], locale: str) -> str:
    return texts.get(locale) or texts.get("en") or next(iter(texts.values()), "")


def load_sets(directory: Path = SETS_DIR) -> dict[str, ThresholdSet]:
    """Every set file of `directory`, by id (the file's name without `.toml`), in name order."""
    return {path.stem: parse_set(path.stem, tomllib.loads(path.read_text(encoding="utf-8")))
            for path in sorted(directory.glob("*.toml"))}


_SETS: dict[str, ThresholdSet] | None = None


def registry() -> dict[str, ThresholdSet]:
    """The shipped sets, read once per process."""
    global _SETS
    if _SETS is None:
        _SETS = load_sets()
    return _SETS


def choose(ids: Sequence[str] | None) -> list[ThresholdSet]:
    """The sets named (None or empty: all of them), in the registry's order; UnknownThresholdSet
    naming the ones there are."""
    sets = registry()
    if not ids:
        return list(sets.values())
    unknown = [i for i in ids if i not in sets]
    if unknown:
        raise UnknownThresholdSet(Message("no threshold set {sets}: use {choices}", sets=", ".join(unknown),
                                          choices=", ".join(sets)))
    return [s for key, s in sets.items() if key in set(ids)]
