"""Criteria specs: what counts, how much, in which direction, on which scale, within which limits.

A spec is a mapping `{criterion name: weight}` or `{criterion name: {weight, direction, scale,
min, max}}`, from YAML, JSON or the API. Weights must sum to 1 (within 1e-9) unless the caller
asks to normalise them, and then the result says so. Ready-made sets (`PRESETS`) cover the
article's five-criterion model, the six partner-profile dimensions, the three long-term-value
dimensions and the financial metrics stored on members.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import yaml

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message

WEIGHT_TOLERANCE = 1e-9
SCORE_MAX = 10.0
CRITERIA = Message("criteria")  # where: the spec as a whole


class WeightsDoNotSumToOne(InvalidInput):
    """Criterion weights that do not add up to 1 (they may be divided by their sum, if the user says so)."""

    def __init__(self, total: float) -> None:
        super().__init__(Message("the criteria weights sum to {total:.10g}, not 1; fix them, or have them divided "
                                 "by their sum", total=total),
                         [Problem(CRITERIA, "weight", Message("sum is {total:.10g}", total=total))])
        self.total = total

class Direction(StrEnum):
    BENEFIT = "benefit"  # more is better
    COST = "cost"  # less is better (debt ratio, price, compliance incidents)


class Scale(StrEnum):
    SCORE = "score"  # a 0-10 judgement, used as it is
    RAW = "raw"  # a measured metric (revenue, patents), normalised across the candidates


@dataclass(frozen=True, slots=True)
class Criterion:
    name: str
    weight: float
    direction: Direction = Direction.BENEFIT
    scale: Scale = Scale.SCORE
    minimum: float | None = None  # hard threshold: below it a candidate is excluded
    maximum: float | None = None  # hard threshold: above it a candidate is excluded


@dataclass(frozen=True, slots=True)
class CriteriaSpec:
    criteria: tuple[Criterion, ...]
    notes: tuple[str, ...] = ()  # what was done to the spec on the user's behalf (e.g. normalised)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.criteria]

    @property
    def weights(self) -> list[float]:
        return [c.weight for c in self.criteria]

    def to_mapping(self) -> dict[str, dict[str, Any]]:
        """The spec in its long form, as stored with a screening run and accepted back by `parse_spec`."""
        out: dict[str, dict[str, Any]] = {}
        for c in self.criteria:
            entry: dict[str, Any] = {"weight": c.weight, "direction": c.direction.value, "scale": c.scale.value}
            if c.minimum is not None:
                entry["min"] = c.minimum
            if c.maximum is not None:
                entry["max"] = c.maximum
            out[c.name] = entry
        return out


def _number(value: object, where: str, field: str, problems: list[Problem]) -> float | None:
    # `where` names the criterion (a Message); `field` is the key (weight, min, max), not translated.
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        problems.append(Problem(where, field, Message("{value!r} is not a number", value=value)))
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        problems.append(Problem(where, field, Message("{value!r} is not a number", value=value)))
        return None
    if not math.isfinite(number):
        problems.append(Problem(where, field, Message("{value!r} is not a finite number", value=value)))
        return None
    return number


def _criterion(name: str, raw: object, problems: list[Problem]) -> Criterion | None:
    where = Message("criterion {name!r}", name=name)
    if not isinstance(raw, Mapping):
        weight = _number(raw, where, "weight", problems)
        return None if weight is None else _checked(Criterion(name, weight), where, problems)
    unknown = set(raw) - {"weight", "direction", "scale", "min", "max"}
    for key in sorted(map(str, unknown)):
        problems.append(Problem(where, key, Message("unknown key (use weight, direction, scale, min, max)")))
    if "weight" not in raw:
        problems.append(Problem(where, "weight", Message("is required")))
        return None
    weight = _number(raw["weight"], where, "weight", problems)
    direction = scale = None
    try:
        direction = Direction(str(raw.get("direction", "benefit")).lower())
    except ValueError:
        problems.append(Problem(where, "direction", Message("{value!r} is not benefit or cost",
                                                            value=raw.get("direction"))))
    try:
        scale = Scale(str(raw.get("scale", "score")).lower())
    except ValueError:
        problems.append(Problem(where, "scale", Message("{value!r} is not score or raw", value=raw.get("scale"))))
    minimum = _number(raw["min"], where, "min", problems) if raw.get("min") is not None else None
    maximum = _number(raw["max"], where, "max", problems) if raw.get("max") is not None else None
    if weight is None or direction is None or scale is None:
        return None
    return _checked(Criterion(name, weight, direction, scale, minimum, maximum), where, problems)


def _checked(c: Criterion, where: str, problems: list[Problem]) -> Criterion | None:
    before = len(problems)
    if c.weight < 0:
        problems.append(Problem(where, "weight", Message("{weight} is negative", weight=c.weight)))
    if c.minimum is not None and c.maximum is not None and c.minimum > c.maximum:
        problems.append(Problem(where, "min", Message("min {minimum} is above max {maximum}",
                                                      minimum=c.minimum, maximum=c.maximum)))
    return c if len(problems) == before else None


def parse_spec(raw: object, *, normalize: bool = False) -> CriteriaSpec:
    """Validate a spec mapping; raise InvalidInput listing every problem.

    Weights must sum to 1; with `normalize=True` they are divided by their sum and the returned
    spec's `notes` say so.
    """
    if isinstance(raw, Mapping) and "criteria" in raw and isinstance(raw["criteria"], Mapping):
        raw = raw["criteria"]
    if not isinstance(raw, Mapping) or not raw:
        raise InvalidInput(Message("a criteria spec maps each criterion to a weight (or to {weight, direction, "
                                   "...})"))
    problems: list[Problem] = []
    seen: set[str] = set()
    for name in raw:
        cleaned = str(name).strip()
        if not cleaned:
            problems.append(Problem(CRITERIA, repr(name), Message("a criterion needs a name")))
        elif cleaned in seen:
            problems.append(Problem(CRITERIA, cleaned, Message("is named twice")))
        seen.add(cleaned)
    criteria = [_criterion(str(name).strip(), value, problems) for name, value in raw.items()]
    if problems:
        raise InvalidInput(Message("{count} problem(s) in the criteria spec", count=len(problems)), problems)
    found = [c for c in criteria if c is not None]
    total = math.fsum(c.weight for c in found)
    notes: list[str] = []
    if total <= 0:
        raise InvalidInput(Message("the criteria weights sum to 0; at least one weight must be positive"))
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        if not normalize:
            raise WeightsDoNotSumToOne(total)
        found = [replace(c, weight=c.weight / total) for c in found]
        notes.append(Message("weights summed to {total:.10g} and were divided by it", total=total))
    return CriteriaSpec(tuple(found), tuple(notes))


def load_spec_text(text: str, source: str, *, normalize: bool = False) -> CriteriaSpec:
    """Parse a YAML or JSON document (JSON is YAML) into a spec; `source` names it in errors."""
    try:
        raw = json.loads(text) if source.lower().endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(Message("{source}: not valid {format}: {error}",
                                   source=source, format="JSON" if source.lower().endswith(".json") else "YAML",
                                   error=exc)) from None
    return parse_spec(raw, normalize=normalize)


# -- ready-made criteria sets ------------------------------------------------------------------

def _score(weight: float) -> dict[str, Any]:
    return {"weight": weight, "direction": "benefit", "scale": "score"}


def _raw(weight: float, direction: str = "benefit") -> dict[str, Any]:
    return {"weight": weight, "direction": direction, "scale": "raw"}


PRESETS: dict[str, dict[str, Any]] = {
    # The domain page's own model: 0-10 scores with weights 0.30 / 0.25 / 0.20 / 0.15 / 0.10.
    "article": {
        "战略匹配度": _score(0.30),
        "资源互补性": _score(0.25),
        "财务健康度": _score(0.20),
        "市场声誉": _score(0.15),
        "文化兼容性": _score(0.10),
    },
    # The six partner-profile dimensions (伙伴画像), willingness to cooperate added.
    "profile": {
        "战略匹配度": _score(0.25),
        "资源互补性": _score(0.20),
        "财务健康度": _score(0.20),
        "市场声誉": _score(0.15),
        "文化兼容性": _score(0.10),
        "合作意愿": _score(0.10),
    },
    # Long-term value: innovation, data openness, willingness to share benefits.
    "long-term": {
        "专利数": _raw(0.40),
        "接口数": _raw(0.30),
        "分利记录": _score(0.30),
    },
    # The financial metrics stored on members (usable with --alliance).
    "financial": {
        "revenue": _raw(0.25),
        "profit": _raw(0.25),
        "cash_flow": _raw(0.20),
        "debt_ratio": _raw(0.20, "cost"),
        "compliance_records": _raw(0.10, "cost"),
    },
}


def preset(name: str, *, normalize: bool = False) -> CriteriaSpec:
    """A ready-made criteria set by name."""
    if name not in PRESETS:
        raise InvalidInput(Message("no criteria set named {name!r}; ready-made sets: {presets}",
                                   name=name, presets=', '.join(PRESETS)))
    return parse_spec(PRESETS[name], normalize=normalize)
