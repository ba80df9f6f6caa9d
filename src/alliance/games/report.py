"""The contribution report for a dispute: a period's contribution split recomputed and explained.

A contribution rule's lines over a period form one attribution game: the base of the lines
shared among a set T of members is a unanimity game on T. Its Shapley value gives each member of
T the share base_T / |T|, so a member's value is explained by listing the sets it belongs to, with
each set's base and the member's share of it, largest first; the Banzhaf value weighs a set by
1 / 2^(|T| - 1) per member instead and is scaled to the pool. Both are computed exactly in
fractions and turned into cents once, for the whole period, by largest remainder (the settled
amounts were rounded per day, so they may differ from the period's by a few cents per member;
the report shows both and the difference).

Rendered as JSON (amounts as decimal strings), Markdown and a self-contained HTML page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from jinja2 import Environment

from alliance.core.messages import Message
from alliance.core.money import Money, apportion

SHOWN_SETS = 10  # sets listed per member; the rest are summed on one line


@dataclass(frozen=True)
class SetShare:
    members: tuple[str, ...]
    base: Money      # the base of the period's lines shared among these members
    share: Money     # this member's Shapley share of it: base / |members| (rounded for display)


@dataclass(frozen=True)
class MemberValue:
    member: str
    shapley: Money
    banzhaf: Money | None
    settled: Money                  # what the period's runs paid this member under the rule
    difference: Money               # settled - the recomputed value of the rule's method
    sets: tuple[SetShare, ...]      # the largest sets explaining the Shapley value
    other_sets: int                 # sets not listed
    other_share: Money              # their total share


@dataclass(frozen=True)
class ContributionReport:
    alliance: str
    agreement: str
    rule: str
    method: str
    first: date
    last: date
    currency: str
    days: int                      # days of the period on which the rule was in force
    pool: Money                    # the sum of the period's bases under the rule
    members: tuple[MemberValue, ...]
    notes: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "alliance": self.alliance, "agreement": self.agreement, "rule": self.rule, "method": self.method,
            "from": self.first.isoformat(), "to": self.last.isoformat(), "currency": self.currency,
            "days_in_force": self.days, "pool": self.pool.amount_text(),
            "members": [{
                "member": m.member, "shapley": m.shapley.amount_text(),
                "banzhaf": m.banzhaf.amount_text() if m.banzhaf is not None else None,
                "settled": m.settled.amount_text(), "difference": m.difference.amount_text(),
                "explained_by": [{"members": list(s.members), "base": s.base.amount_text(), "share": s.share.amount_text()}
                                 for s in m.sets],
                "other_sets": m.other_sets, "other_share": m.other_share.amount_text(),
            } for m in self.members],
            "notes": list(self.notes),
        }

    def markdown(self) -> str:
        return _ENV.from_string(_MARKDOWN).render(r=self).strip() + "\n"

    def html(self) -> str:
        return _HTML_ENV.from_string(_HTML).render(r=self)


def build_report(*, alliance: str, agreement: str, rule: str, method: str, first: date, last: date, currency: str,
                 days: int, sets: Mapping[tuple[str, ...], int], settled: Mapping[str, int],
                 notes: tuple[str, ...] = ()) -> ContributionReport:
    """The report from the period's bases per set of members (minor units) and the settled shares."""
    pool = sum(sets.values())
    shapley: dict[str, Fraction] = defaultdict(Fraction)
    raw: dict[str, Fraction] = defaultdict(Fraction)
    by_member: dict[str, list[tuple[tuple[str, ...], int]]] = defaultdict(list)
    for members, base in sets.items():
        for m in members:
            shapley[m] += Fraction(base, len(members))
            raw[m] += Fraction(base, 2 ** (len(members) - 1))
            by_member[m].append((members, base))
    everyone = sorted(set(shapley) | set(settled))
    money = Money(pool, currency)
    shapley_money = apportion(money, {m: shapley.get(m, Fraction(0)) for m in everyone}) if everyone else {}
    raw_total = sum(raw.values(), Fraction(0))
    banzhaf_money = (apportion(money, {m: pool * raw.get(m, Fraction(0)) / raw_total for m in everyone})
                     if everyone and raw_total != 0 else None)
    notes_out = list(notes)
    if banzhaf_money is None and everyone:
        notes_out.append(Message("The Banzhaf value is undefined for this period: the raw values sum to zero."))
    chosen = banzhaf_money if method == "banzhaf" and banzhaf_money is not None else shapley_money
    values = []
    for m in everyone:
        mine = sorted(by_member.get(m, []), key=lambda item: (-abs(Fraction(item[1], len(item[0]))), item[0]))
        shown = tuple(SetShare(members, Money(base, currency), _rounded(Fraction(base, len(members)), currency))
                      for members, base in mine[:SHOWN_SETS])
        rest = sum((Fraction(base, len(members)) for members, base in mine[SHOWN_SETS:]), Fraction(0))
        settled_money = Money(settled.get(m, 0), currency)
        values.append(MemberValue(m, shapley_money[m], banzhaf_money[m] if banzhaf_money else None, settled_money,
                                  Money(settled_money.minor - chosen[m].minor, currency), shown,
                                  max(0, len(mine) - SHOWN_SETS), _rounded(rest, currency)))
    values.sort(key=lambda v: (-v.shapley.minor, v.member))
    return ContributionReport(alliance, agreement, rule, method, first, last, currency, days, money, tuple(values),
                              tuple(notes_out))


def _rounded(amount: Fraction, currency: str) -> Money:
    """An exact share rounded half-even to the minor unit, for display next to its set."""
    return Money(round(amount), currency)


_ENV = Environment(autoescape=False, trim_blocks=True, lstrip_blocks=True)
_HTML_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)

_MARKDOWN = """
# Contribution report: {{ r.agreement }} / {{ r.rule }}

Alliance **{{ r.alliance }}**, {{ r.first }} to {{ r.last }} ({{ r.days }} day(s) with the rule in force),
method **{{ r.method }}**. Pool: **{{ r.pool.amount_text() }} {{ r.currency }}** (the base of the rule's lines).

Each order line's base belongs to the set of members attributed on it. The Shapley value gives
each member of a set an equal share of the set's base; the Banzhaf value weighs a set of k
members 1/2^(k-1) per member and scales to the pool. Amounts are for the whole period, rounded
once; "settled" is what the period's daily runs paid under the rule.

| member | Shapley | Banzhaf | settled | difference |
|---|---:|---:|---:|---:|
{% for m in r.members %}
| {{ m.member }} | {{ m.shapley.amount_text() }} | {{ m.banzhaf.amount_text() if m.banzhaf else "-" }} | {{ m.settled.amount_text() }} | {{ m.difference.amount_text() }} |
{% endfor %}

{% for m in r.members %}
## {{ m.member }}: {{ m.shapley.amount_text() }}

| members of the set | base | share |
|---|---:|---:|
{% for s in m.sets %}
| {{ s.members | join(", ") }} | {{ s.base.amount_text() }} | {{ s.share.amount_text() }} |
{% endfor %}
{% if m.other_sets %}
| {{ m.other_sets }} other set(s) | | {{ m.other_share.amount_text() }} |
{% endif %}

{% endfor %}
{% for note in r.notes %}
> {{ note }}
{% endfor %}
"""

_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Contribution report: {{ r.agreement }} / {{ r.rule }}</title>
<style>
body { font-family: system-ui, "Noto Sans CJK SC", sans-serif; margin: 2rem; color: #1a1a1a; }
table { border-collapse: collapse; margin: 1rem 0; } th, td { padding: .3rem .7rem; border-bottom: 1px solid #ccc; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } .bar { background: #2a6fdb; height: .7rem; }
</style></head><body>
<h1>Contribution report: {{ r.agreement }} / {{ r.rule }}</h1>
<p>Alliance <strong>{{ r.alliance }}</strong>, {{ r.first }} to {{ r.last }} ({{ r.days }} day(s) with the rule in force),
method <strong>{{ r.method }}</strong>. Pool: <strong>{{ r.pool.amount_text() }} {{ r.currency }}</strong>.</p>
<p>Each order line's base belongs to the set of members attributed on it. The Shapley value gives each member of a set
an equal share of the set's base; the Banzhaf value weighs a set of k members 1/2^(k-1) per member and scales to the
pool. Amounts are for the whole period, rounded once; "settled" is what the daily runs paid under the rule.</p>
{% set top = (r.members | map(attribute="shapley.minor") | map("abs") | max) if r.members else 1 %}
<table><thead><tr><th scope="col">member</th><th scope="col">Shapley</th><th scope="col"></th><th scope="col">Banzhaf</th>
<th scope="col">settled</th><th scope="col">difference</th></tr></thead><tbody>
{% for m in r.members %}
<tr><th scope="row">{{ m.member }}</th><td class="n">{{ m.shapley.amount_text() }}</td>
<td><div class="bar" style="width: {{ (100 * (m.shapley.minor | abs) / (top or 1)) | round(1) }}px"></div></td>
<td class="n">{{ m.banzhaf.amount_text() if m.banzhaf else "-" }}</td><td class="n">{{ m.settled.amount_text() }}</td>
<td class="n">{{ m.difference.amount_text() }}</td></tr>
{% endfor %}
</tbody></table>
{% for m in r.members %}
<h2>{{ m.member }}: {{ m.shapley.amount_text() }}</h2>
<table><thead><tr><th scope="col">members of the set</th><th scope="col">base</th><th scope="col">share</th></tr></thead><tbody>
{% for s in m.sets %}
<tr><td>{{ s.members | join(", ") }}</td><td class="n">{{ s.base.amount_text() }}</td><td class="n">{{ s.share.amount_text() }}</td></tr>
{% endfor %}
{% if m.other_sets %}<tr><td>{{ m.other_sets }} other set(s)</td><td></td><td class="n">{{ m.other_share.amount_text() }}</td></tr>{% endif %}
</tbody></table>
{% endfor %}
{% for note in r.notes %}<p><em>{{ note }}</em></p>{% endfor %}
</body></html>
"""
