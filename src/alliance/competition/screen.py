"""A screening: every market's figures checked against every chosen threshold set, and the result in
plain words. Pure.

Per market and set the verdict is one of `Verdict`:
- crossed: a rule whose effect crosses a threshold holds (a US presumption), or the set has safe
  harbours for this kind of market and none is met (EU, SAMR);
- clear: no crossing rule holds and, where the set has safe harbours, one is met;
- undetermined: it depends on the firms not entered (the HHI is only known as an interval);
- not applicable: no rule of the set is about this kind of market (US and EU on a vertical market).

A screening "needs a justification" (docs/competition.md) when any verdict is crossed or
undetermined: the coordinator records why the alliance may go ahead before it becomes active.

The result is self-describing (`as_json` / `from_json`): what each rule compared, with what values,
and the set's source, so a stored result says the same later even if a set file has changed since.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from alliance.competition.hhi import Figures, Span, figures
from alliance.competition.model import (HUNDRED, RELATION_NAMES, Market, Occasion, Participant, Relation, Role,
                                        fraction_text, percent_text, points_text)
from alliance.competition.thresholds import COMPARISONS, EFFECTS, MEASURES, Kind, ThresholdSet, Truth, localised
from alliance.core.messages import Message, joined

NOT_LEGAL_ADVICE = Message("This is a screening aid, not legal advice: market definition and the assessment of "
                           "an alliance under competition law need a lawyer's review.")


class Verdict(StrEnum):
    CROSSED = "crossed"
    CLEAR = "clear"
    UNDETERMINED = "undetermined"
    NOT_APPLICABLE = "not_applicable"


VERDICT_NAMES: Mapping[Verdict, Message] = {
    Verdict.CROSSED: Message("threshold crossed"),
    Verdict.CLEAR: Message("no threshold crossed"),
    Verdict.UNDETERMINED: Message("cannot be decided from the shares entered"),
    Verdict.NOT_APPLICABLE: Message("does not apply"),
}
FLAGGED = frozenset({Verdict.CROSSED, Verdict.UNDETERMINED})


@dataclass(frozen=True)
class ConditionOutcome:
    measure: str
    op: str
    limit: Fraction
    low: Fraction
    high: Fraction
    truth: Truth

    def words(self) -> Message:
        measure = MEASURES[self.measure]
        value: str = (measure.text(self.low) if self.low == self.high else
                      Message("between {low} and {high}", low=measure.text(self.low), high=measure.text(self.high)))
        comparison = COMPARISONS[self.op]
        said = comparison.fails if self.truth is Truth.NO else comparison.holds
        if self.truth is Truth.UNKNOWN:
            return Message("{measure} {value}: whether it {comparison} {limit} depends on the firms not entered",
                           measure=measure.name, value=value, comparison=comparison.holds,
                           limit=measure.text(self.limit))
        return Message("{measure} {value} {comparison} {limit}", measure=measure.name, value=value,
                       comparison=said, limit=measure.text(self.limit))


@dataclass(frozen=True)
class RuleOutcome:
    id: str
    effect: str
    section: Mapping[str, str]   # by locale
    truth: Truth
    conditions: tuple[ConditionOutcome, ...]

    @property
    def kind(self) -> Kind:
        return EFFECTS[self.effect].kind

    def words(self, locale: str = "en") -> Message:
        # A rule that fails is said by the conditions that fail it (the others do not matter).
        shown = self.conditions if self.truth is not Truth.NO else [c for c in self.conditions if c.truth is Truth.NO]
        return Message("{section}: {conditions}", section=localised(self.section, locale),
                       conditions=_and(c.words() for c in shown))


@dataclass(frozen=True)
class SetOutcome:
    set_id: str
    name: Mapping[str, str]
    citation: str
    url: str
    published: str
    verdict: Verdict
    rules: tuple[RuleOutcome, ...]

    def name_in(self, locale: str) -> str:
        return self.name.get(locale) or self.name.get("en", self.set_id)

    def words(self, relation: Relation, locale: str = "en") -> Message:
        """Why the verdict is what it is, in plain words."""
        crossing = [r for r in self.rules if r.kind is Kind.CROSSING]
        clearing = [r for r in self.rules if r.kind is Kind.CLEARING]
        if self.verdict is Verdict.NOT_APPLICABLE:
            return Message("none of this set's rules is about a {relation} market", relation=RELATION_NAMES[relation])
        if self.verdict is Verdict.CROSSED:
            hit = [r for r in crossing if r.truth is Truth.YES]
            if hit:
                return Message("threshold crossed: {rules}", rules=joined([
                    Message("{rule} ({effect})", rule=r.words(locale), effect=EFFECTS[r.effect].name) for r in hit]))
            return Message("{missed}: {rules}", missed=EFFECTS[clearing[0].effect].missed,
                           rules=joined([r.words(locale) for r in clearing]))
        if self.verdict is Verdict.CLEAR:
            met = [r for r in clearing if r.truth is Truth.YES]
            if met:
                return Message("safe harbour met: {rules}", rules=joined([
                    Message("{rule} ({effect})", rule=r.words(locale), effect=EFFECTS[r.effect].name) for r in met]))
            return Message("no threshold crossed: {rules}", rules=joined([r.words(locale) for r in crossing]))
        open_rules = [r for r in self.rules if r.truth is Truth.UNKNOWN]
        return Message("cannot be decided from the shares entered: {rules}; enter the other firms in the market",
                       rules=joined([r.words(locale) for r in open_rules]))


@dataclass(frozen=True)
class MarketResult:
    market: Market
    figures: Figures
    sets: tuple[SetOutcome, ...]

    @property
    def flagged(self) -> bool:
        return any(s.verdict in FLAGGED for s in self.sets)

    def notes(self) -> list[Message]:
        """What the reader must know about the figures themselves."""
        f = self.figures
        if f.complete:
            return []
        rest = HUNDRED - f.known_share
        return [Message("The HHI is a lower bound computed from the known shares: those entered cover {known} of "
                        "the market; the firms not named hold {rest}, which could add up to {extra} points more.",
                        known=percent_text(f.known_share), rest=percent_text(rest),
                        extra=points_text(f.post_hhi.high - f.post_hhi.low))]


@dataclass(frozen=True)
class Result:
    occasion: Occasion
    markets: tuple[MarketResult, ...]

    @property
    def flagged(self) -> bool:
        """Whether the coordinator must record a justification before the alliance goes ahead."""
        return any(m.flagged for m in self.markets)

    def summary(self) -> Message:
        flagged = [m.market.label for m in self.markets if m.flagged]
        if not flagged:
            return Message("No threshold is crossed in any of the {count} markets screened.", count=len(self.markets))
        return Message("A threshold is crossed (or cannot be ruled out) in {count} of {total} markets: {markets}. "
                       "The coordinator records a justification before the alliance goes ahead.",
                       count=len(flagged), total=len(self.markets), markets=", ".join(flagged))

    def as_json(self) -> dict[str, Any]:
        return {"occasion": self.occasion.value, "flagged": self.flagged,
                "markets": [_market_json(m) for m in self.markets]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        return cls(Occasion(data["occasion"]), tuple(_market_of(m) for m in data["markets"]))


def screen(markets: Sequence[Market], sets: Sequence[ThresholdSet], occasion: Occasion) -> Result:
    """Every market's figures against every set (see the module docstring)."""
    return Result(occasion, tuple(_screen_market(m, sets, occasion) for m in markets))


def _screen_market(market: Market, sets: Sequence[ThresholdSet], occasion: Occasion) -> MarketResult:
    found = figures(market, occasion)
    outcomes = []
    for s in sets:
        rules = tuple(_rule_outcome(r, found) for r in s.rules if market.relation in r.relations)
        outcomes.append(SetOutcome(s.id, dict(s.name), s.citation, s.url, s.published, verdict_of(rules), rules))
    return MarketResult(market, found, tuple(outcomes))


def _rule_outcome(rule: Any, found: Figures) -> RuleOutcome:
    conditions = []
    for c in rule.conditions:
        span = MEASURES[c.measure].read(found)
        conditions.append(ConditionOutcome(c.measure, c.op, c.value, span.low, span.high, c.truth(found)))
    return RuleOutcome(rule.id, rule.effect, rule.section, rule.truth(found), tuple(conditions))


def verdict_of(rules: Sequence[RuleOutcome]) -> Verdict:
    """A set's verdict on a market from its applicable rules' outcomes (the module docstring)."""
    if not rules:
        return Verdict.NOT_APPLICABLE
    crossing = [r.truth for r in rules if r.kind is Kind.CROSSING]
    clearing = [r.truth for r in rules if r.kind is Kind.CLEARING]
    if Truth.YES in crossing:
        return Verdict.CROSSED
    if Truth.UNKNOWN in crossing:
        return Verdict.UNDETERMINED
    if not clearing or Truth.YES in clearing:
        return Verdict.CLEAR
    return Verdict.UNDETERMINED if Truth.UNKNOWN in clearing else Verdict.CROSSED


def _and(parts: Iterable[Message]) -> str:
    items = list(parts)
    text: str = items[0] if items else ""
    for part in items[1:]:
        text = Message("{first} and {rest}", first=text, rest=part)
    return text


# -- the result as JSON: exact figures as fraction text -------------------------------------------------
def _f(value: Fraction) -> str:
    return fraction_text(value)


def _market_json(m: MarketResult) -> dict[str, Any]:
    f = m.figures
    return {"product": m.market.product, "region": m.market.region, "relation": m.market.relation.value,
            "size_minor": m.market.size_minor,
            "participants": [{"name": p.name, "role": p.role.value, "share": _f(p.share)} for p in m.market.participants],
            "figures": {"combined_share": _f(f.combined_share), "largest_share": _f(f.largest_share),
                        "known_share": _f(f.known_share), "pre_hhi": [_f(f.pre_hhi.low), _f(f.pre_hhi.high)],
                        "post_hhi": [_f(f.post_hhi.low), _f(f.post_hhi.high)], "delta_hhi": _f(f.delta_hhi),
                        "complete": f.complete},
            "flagged": m.flagged,
            "sets": [{"set": s.set_id, "name": dict(s.name), "citation": s.citation, "url": s.url,
                      "published": s.published, "verdict": s.verdict.value,
                      "rules": [{"id": r.id, "effect": r.effect, "section": dict(r.section), "truth": r.truth.value,
                                 "conditions": [{"measure": c.measure, "op": c.op, "limit": _f(c.limit),
                                                 "value": [_f(c.low), _f(c.high)], "truth": c.truth.value}
                                                for c in r.conditions]} for r in s.rules]}
                     for s in m.sets]}


def _section(value: Any) -> dict[str, str]:
    return dict(value) if isinstance(value, dict) else {"en": str(value)}


def _market_of(data: Mapping[str, Any]) -> MarketResult:
    fig = data["figures"]
    market = Market(data["product"], data["region"], Relation(data["relation"]),
                    tuple(Participant(p["name"], Role(p["role"]), Fraction(p["share"])) for p in data["participants"]),
                    data.get("size_minor"))
    found = Figures(Fraction(fig["combined_share"]), Fraction(fig["largest_share"]), Fraction(fig["known_share"]),
                    Span(*(Fraction(x) for x in fig["pre_hhi"])), Span(*(Fraction(x) for x in fig["post_hhi"])),
                    Fraction(fig["delta_hhi"]))
    sets = tuple(SetOutcome(s["set"], s["name"], s["citation"], s["url"], s["published"], Verdict(s["verdict"]),
                            tuple(RuleOutcome(r["id"], r["effect"], _section(r["section"]), Truth(r["truth"]), tuple(
                                ConditionOutcome(c["measure"], c["op"], Fraction(c["limit"]), Fraction(c["value"][0]),
                                                 Fraction(c["value"][1]), Truth(c["truth"]))
                                for c in r["conditions"])) for r in s["rules"]))
                 for s in data["sets"])
    return MarketResult(market, found, sets)
