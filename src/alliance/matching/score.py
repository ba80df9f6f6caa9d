"""The complementarity score, written plainly: the reference every fast path is tested against. Pure.

docs/matching.md states the formula; this module is it, one function per factor, scalar and
readable, and it is what an explanation shows. For a resource r (of holder B) and a need n (of A):

  k = kind_fit(r.kind, n.kind)                         1, 1/2 or 0 (taxonomy.py)
  t = cosine of the descriptions' char n-gram TF-IDF   0 when either is blank (text.py)
  m = k + ALPHA * t * (1 - k)                          when both descriptions are given, else k
  g = 1 when either region is "" or both are equal (trimmed, case-folded), else 0
  w = window fit in [0, 1]                             see `window_fit`
  s = min(1, r.capacity / n.capacity)                  when both are stated in the same unit, else 1
  f(r, n) = m * g * w * s                              (in [0, 1])
  c(n, B) = min(1, sum of f(r, n) over B's resources)  (one holder's capacities add up)
  S(A <- B) = sum_n weight(n) * c(n, B) / sum_n weight(n),  weight = 6 - priority;  0 without needs
  M(A, B) = (S(A <- B) + S(B <- A)) / 2

Scores are floats in [0, 1]: they rank partners, they are not money.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alliance.matching.model import Declaration, Holder, Window
from alliance.matching.taxonomy import SEPARATOR, kind_fit
from alliance.matching.text import TextIndex, is_blank

# How much the descriptions' similarity can add to a match when both are given: the structured kind
# decides most (a taxonomy kind is a deliberate choice, free text is noisy and language-bound). Text
# only fills the part the kind leaves open (1 - k): a resource of exactly the need's kind matches in
# full whatever its wording (so it can cover the need), while a sibling kind (k = 1/2) or another
# kind (k = 0) described alike gains up to ALPHA of what it lacks: text rescues a kind chosen a level
# too broad or narrow, or in the wrong group, without ever lowering a match.
ALPHA = 0.3


def group_of(kind: str) -> str:
    return kind.split(SEPARATOR, 1)[0]


def _same(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def region_fit(resource: Declaration, need: Declaration) -> float:
    """1 when either region is "" (anywhere) or both name the same region, else 0."""
    if not resource.region.strip() or not need.region.strip():
        return 1.0
    return 1.0 if _same(resource.region, need.region) else 0.0


def window_fit(available: Window, wanted: Window) -> float:
    """How much of the need's window the resource's window covers, in [0, 1].

    1 when either window is fully open; 0 when they do not overlap; when the need's window is
    bounded at both ends, the fraction of its days (both ends included) the resource's window
    covers; when the need's window is open at one end and they overlap, 1 (there is no finite
    length to take a fraction of).
    """
    if available.open or wanted.open:
        return 1.0
    starts = [d.toordinal() for d in (available.starts_on, wanted.starts_on) if d is not None]
    ends = [d.toordinal() for d in (available.ends_on, wanted.ends_on) if d is not None]
    first = max(starts) if starts else None
    last = min(ends) if ends else None
    if first is not None and last is not None and last < first:
        return 0.0
    if wanted.starts_on is None or wanted.ends_on is None:
        return 1.0
    assert first is not None and last is not None  # the need's own ends bound them
    return (last - first + 1) / (wanted.ends_on.toordinal() - wanted.starts_on.toordinal() + 1)


def capacity_share(resource: Declaration, need: Declaration) -> float:
    """The resource's capacity as a share of what the need requires, at most 1 (1 when not comparable).

    Capped per resource: a resource serves a need at most as well as it fits it. Uncapped, a large
    resource of another kind (or one only faintly alike in its description) would cover a need in
    full through its size alone; capped, only several fitting resources together make up a need."""
    if resource.capacity is None or need.capacity is None or need.capacity <= 0:
        return 1.0
    if not _same(resource.unit, need.unit):
        return 1.0
    return min(1.0, float(resource.capacity) / float(need.capacity))


def match(resource: Declaration, need: Declaration, text: TextIndex) -> tuple[float, float, float]:
    """(k, t, m): kind fit, text similarity and their combination."""
    k = float(kind_fit(resource.kind, need.kind))
    if is_blank(resource.description) or is_blank(need.description):
        return k, 0.0, k
    t = text.similarity(resource.description, need.description)
    return k, t, k + ALPHA * t * (1 - k)


@dataclass(frozen=True, slots=True)
class Fit:
    """How one resource serves one need, factor by factor (what an explanation's line shows)."""

    resource_index: int  # position among the resource holder's resources
    resource: Declaration
    kind: float
    text: float
    match: float
    region: float
    window: float
    share: float

    @property
    def contribution(self) -> float:
        return self.match * self.region * self.window * self.share


def fit(resource: Declaration, need: Declaration, text: TextIndex, resource_index: int = 0) -> Fit:
    k, t, m = match(resource, need, text)
    return Fit(resource_index, resource, k, t, m, region_fit(resource, need),
               window_fit(resource.window, need.window), capacity_share(resource, need))


@dataclass(frozen=True, slots=True)
class NeedCoverage:
    """One of A's needs and how B's resources cover it: c(n, B) and the fits that add up to it."""

    need_index: int  # position among A's needs
    need: Declaration
    weight: int
    coverage: float
    fits: tuple[Fit, ...]  # B's resources with a non-zero contribution, largest first

    @property
    def group(self) -> str:
        return group_of(self.need.kind)


def need_coverage(need: Declaration, resources: Sequence[Declaration], text: TextIndex,
                  need_index: int = 0) -> NeedCoverage:
    """c(n, B) = min(1, sum of f(r, n)) over B's resources, with the fits that make it up."""
    fits = [fit(r, need, text, i) for i, r in enumerate(resources)]
    total = 0.0
    for f in fits:
        total += f.contribution
    shown = sorted((f for f in fits if f.contribution > 0), key=lambda f: (-f.contribution, f.resource_index))
    return NeedCoverage(need_index, need, need.weight, min(1.0, total), tuple(shown))


@dataclass(frozen=True, slots=True)
class PairScore:
    """S(A <- B): how much of A's needs B's resources cover, and why.

    `contributions` maps each taxonomy group of A's needs to its share of the score (they add up to
    `score`); `needs` has one line per need of A.
    """

    score: float
    contributions: dict[str, float]
    needs: tuple[NeedCoverage, ...]


def directed_score(a: Holder, b: Holder, text: TextIndex | None = None) -> PairScore:
    """S(A <- B). `text` is the index fitted on the scoring context (default: the two holders')."""
    if text is None:
        text = TextIndex.fit(d.description for h in (a, b) for d in h.declarations)
    needs = a.needs
    resources = b.resources
    total_weight = sum(n.weight for n in needs)
    if not needs or total_weight <= 0:
        return PairScore(0.0, {}, ())
    lines = tuple(need_coverage(n, resources, text, i) for i, n in enumerate(needs))
    contributions: dict[str, float] = {}
    for line in lines:
        contributions[line.group] = contributions.get(line.group, 0.0) + line.weight * line.coverage / total_weight
    score = 0.0
    for line in lines:
        score += line.weight * line.coverage
    return PairScore(score / total_weight, contributions, lines)


@dataclass(frozen=True, slots=True)
class MutualScore:
    """M(A, B) and its two directions."""

    score: float
    a_from_b: PairScore  # S(A <- B)
    b_from_a: PairScore  # S(B <- A)


def mutual_score(a: Holder, b: Holder, text: TextIndex | None = None) -> MutualScore:
    if text is None:
        text = TextIndex.fit(d.description for h in (a, b) for d in h.declarations)
    ab, ba = directed_score(a, b, text), directed_score(b, a, text)
    return MutualScore((ab.score + ba.score) / 2, ab, ba)


def context_index(holders: Sequence[Holder]) -> TextIndex:
    """The text index of a scoring context: fitted on every description its holders give."""
    return TextIndex.fit(d.description for h in holders for d in h.declarations)
