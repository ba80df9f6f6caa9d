"""An independent oracle for every rule kind: each account's cents recomputed from the documented
rules alone (docs/settlement.md, "Money and rounding" and "Per kind"), with plain Fraction arithmetic
written here, and compared with what settlement posts.

Nothing here calls the engine's or core.money's arithmetic: the SQL-vs-engine property test shares
that arithmetic and so cannot catch a rule that rounds the wrong way (twice, say), but this can.
The documented rounding, restated:

- an amount a rule *computes* (a pool rate, a tier commission, a growth-fund accrual) is rounded
  half-even to the cent (Python's round() of a Fraction is half-even);
- an amount a rule *shares* is apportioned once over each account's exact quota (for three-level,
  the sum of its quotas of the three parts) by the largest remainder: floors first, leftover cents
  to the largest remainders, ties to the larger quota, then the code that sorts first; a negative
  amount is apportioned as its opposite and negated;
- sellers owe exactly the base they collected where a rule says so (fixed split, dynamic,
  contribution).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.core.money import Money
from alliance.settlement.engine import DayContext, settle_day
from alliance.settlement.lines import OrderLine
from alliance.sharing.agreement import load_agreement_text

PARTIES = ["A", "B", "C", "D"]
FUND = "fund"
DAY = date(2027, 1, 20)  # in the agreement's first month: dynamic rules use their initial shares
CHANNELS = ["store", "mini-program"]


# -- the documented rounding, written out ----------------------------------------------------------

def half_even(value: Fraction) -> int:
    return round(value)  # Fraction.__round__ without digits rounds half to even


def largest_remainder(total: int, quotas: Mapping[str, Fraction]) -> dict[str, int]:
    assert sum(quotas.values()) == total
    if total < 0:
        return {k: -v for k, v in largest_remainder(-total, {k: -q for k, q in quotas.items()}).items()}
    cents = {k: math.floor(q) for k, q in quotas.items()}
    ranked = sorted(quotas, key=lambda k: (-(quotas[k] - math.floor(quotas[k])), -quotas[k], k))
    for k in ranked[: total - sum(cents.values())]:
        cents[k] += 1
    return cents


def pro_rata(amount: Fraction | int, weights: Mapping[str, Fraction | int]) -> dict[str, Fraction]:
    """Exact shares of `amount` in proportion to `weights`; equal shares when they sum to zero."""
    total = sum(weights.values(), Fraction(0))
    if total == 0:
        return {k: Fraction(amount, len(weights)) for k in weights}
    return {k: Fraction(amount) * Fraction(w) / total for k, w in weights.items()}


# -- the documented rules, kind by kind ----------------------------------------------------------------

def base(rule: Mapping[str, Any], line: OrderLine) -> int:
    if rule.get("base") == "profit":
        return line.amount.minor - (line.cost.minor if line.cost is not None else 0)
    return line.amount.minor


def selected(rule: Mapping[str, Any], lines: list[OrderLine]) -> list[OrderLine]:
    channels = rule.get("select", {}).get("channel")
    return [l for l in lines if channels is None or l.channel in channels]


def by(rule: Mapping[str, Any], lines: list[OrderLine], key: str) -> dict[str, int]:
    sums: dict[str, int] = defaultdict(int)
    for l in selected(rule, lines):
        sums[getattr(l, key)] += base(rule, l)
    return dict(sums)


def add(postings: dict[str, int], amounts: Mapping[str, int], sign: int = 1) -> None:
    for account, cents in amounts.items():
        postings[account] += sign * cents


def tier_earnings(tiers: list[dict[str, Any]], mode: str, volume: int) -> Fraction:
    if volume <= 0:
        return Fraction(0)
    bounds = [(None if t.get("up_to") is None else int(Decimal(t["up_to"]) * 100), Fraction(t["rate"])) for t in tiers]
    if mode == "whole":  # all of it at the rate of the tier reached (a volume at up_to has reached the next)
        return volume * next(rate for up_to, rate in bounds if up_to is None or volume < up_to)
    earned, lower = Fraction(0), 0
    for up_to, rate in bounds:
        upper = volume if up_to is None else min(volume, up_to)
        earned += max(0, upper - lower) * rate
        lower = upper if up_to is None else up_to
    return earned


def expected(rule: dict[str, Any], today: list[OrderLine], earlier: list[OrderLine],
             metrics: Mapping[str, Fraction]) -> dict[str, int]:
    kind, p = rule["kind"], defaultdict(int)
    postings: dict[str, int] = p
    sellers = by(rule, today, "seller")
    total = sum(sellers.values())
    if kind in ("fixed_split", "dynamic"):
        # A dynamic rule's shares: `initial` in the first month, else the period's (re-weighted) shares.
        written = rule["shares"] if kind == "fixed_split" else rule.get("_period_shares", rule["initial"])
        shares = {m: Fraction(s) for m, s in written.items()}
        add(postings, sellers, -1)
        add(postings, largest_remainder(total, {m: total * s for m, s in shares.items()}))
    elif kind == "tiered":
        key = "seller" if rule["volume_of"] == "seller" else "product_owner"
        now, before = by(rule, today, key), by(rule, earlier, key)
        for member, volume in now.items():
            v0 = before.get(member, 0)
            earned = (half_even(tier_earnings(rule["tiers"], rule["mode"], v0 + volume))
                      - half_even(tier_earnings(rule["tiers"], rule["mode"], v0)))
            postings[member] += earned
            postings[rule["payer"]] -= earned
    elif kind == "three_level":
        pool = half_even(total * Fraction(rule["pool_rate"]))
        if pool:
            add(postings, largest_remainder(pool, pro_rata(pool, sellers)), -1)
            members = rule["members"]
            before = by(rule, earlier, "seller")
            sales = {m: sellers.get(m, 0) for m in members}
            baseline = {m: int(Decimal(rule["baseline"].get(m, "0")) * 100) for m in members}
            growth = {m: max(0, before.get(m, 0) + sales[m] - baseline[m]) - max(0, before.get(m, 0) - baseline[m])
                      for m in members}
            weights = {"base": sales, "incremental": growth if any(growth.values()) else sales,
                       "long_term": {m: metrics[m] for m in members}}
            quotas = {m: Fraction(0) for m in members}
            for part, share in rule["parts"].items():
                for m, q in pro_rata(pool * Fraction(share), weights[part]).items():
                    quotas[m] += q
            add(postings, largest_remainder(pool, quotas))
    elif kind == "growth_fund":
        before = sum(by(rule, earlier, "seller").values()) if rule["period"] == "month" else 0
        target, rate = int(Decimal(rule["target"]) * 100), Fraction(rule["rate"])
        accrued = (half_even(max(Fraction(0), Fraction(before + total - target)) * rate)
                   - half_even(max(Fraction(0), Fraction(before - target)) * rate))
        if accrued:
            postings[FUND] += accrued
            add(postings, largest_remainder(accrued, pro_rata(accrued, sellers)), -1)
    elif kind == "rebate":
        amount = half_even(total * Fraction(rule["rate"]))
        if amount:
            owners = by(rule, today, "product_owner")
            postings[rule["payer"]] -= amount
            add(postings, largest_remainder(amount, pro_rata(amount, {r: owners.get(r, 0) for r in rule["recipients"]})))
    elif kind == "cost_share":
        amount = int(Decimal(rule["amount"]) * 100)
        postings[rule["paid_by"]] += amount
        add(postings, largest_remainder(amount, {m: amount * Fraction(r) for m, r in rule["ratios"].items()}), -1)
    elif kind == "contribution":
        listed = rule.get("members")
        shapley: dict[str, Fraction] = defaultdict(Fraction)
        banzhaf: dict[str, Fraction] = defaultdict(Fraction)
        for l in selected(rule, today):
            among = [m for m in l.attributed_to if not listed or m in listed] or [l.seller]
            for m in among:
                shapley[m] += Fraction(base(rule, l), len(among))
                banzhaf[m] += Fraction(base(rule, l), 2 ** (len(among) - 1))
        quotas = dict(shapley)
        if rule.get("method") == "banzhaf" and sum(banzhaf.values()) != 0:
            quotas = {m: total * v / sum(banzhaf.values()) for m, v in banzhaf.items()}
        add(postings, sellers, -1)
        if quotas:
            add(postings, largest_remainder(total, quotas))
    return {a: c for a, c in postings.items() if c != 0}


# -- random agreements and days ----------------------------------------------------------------------

def split_st(keys: list[str], places: int = 3) -> st.SearchStrategy[dict[str, str]]:
    """Decimal shares of `keys` summing to exactly 1 (some may be 0)."""
    unit = 10**places

    def shares(cuts: list[int]) -> dict[str, str]:
        edges = [0, *sorted(cuts), unit]
        return {k: str(Decimal(edges[i + 1] - edges[i]).scaleb(-places)) for i, k in enumerate(keys)}

    return st.lists(st.integers(0, unit), min_size=len(keys) - 1, max_size=len(keys) - 1).map(shares)


subset_st = st.lists(st.sampled_from(PARTIES), min_size=1, max_size=4, unique=True)
rate_st = st.integers(0, 1000).map(lambda n: str(Decimal(n).scaleb(-3)))
cents_st = st.integers(0, 10**6).map(lambda n: str(Decimal(n).scaleb(-2)))
common_st = st.fixed_dictionaries({}, optional={
    "select": st.fixed_dictionaries({"channel": st.lists(st.sampled_from(CHANNELS), min_size=1, unique=True)}),
    "base": st.sampled_from(["revenue", "profit"]),
})


@st.composite
def tiers_st(draw: st.DrawFn) -> list[dict[str, Any]]:
    bounds = draw(st.lists(st.integers(1, 10**6), max_size=3, unique=True).map(sorted))
    return [*({"up_to": str(Decimal(b).scaleb(-2)), "rate": draw(rate_st)} for b in bounds), {"rate": draw(rate_st)}]


@st.composite
def rule_st(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    rule: dict[str, Any] = {"id": kind.replace("_", "-"), "kind": kind, **draw(common_st)}
    if kind == "fixed_split":
        rule["shares"] = draw(split_st(draw(subset_st)))
    elif kind == "dynamic":
        rule.update(initial=draw(split_st(draw(subset_st))), metrics={"repurchase_rate": "1"}, max_change="0.1")
        if draw(st.booleans()):  # shares re-weighted for the period: any exact fractions summing to 1
            sevenths = draw(st.lists(st.integers(0, 7), min_size=len(rule["initial"]) - 1,
                                     max_size=len(rule["initial"]) - 1).map(sorted))
            edges = [0, *sevenths, 7]
            rule["_period_shares"] = {m: Fraction(edges[i + 1] - edges[i], 7) for i, m in enumerate(rule["initial"])}
    elif kind == "tiered":
        rule.update(volume_of=draw(st.sampled_from(["seller", "product_owner"])), payer=draw(st.sampled_from(PARTIES)),
                    mode=draw(st.sampled_from(["marginal", "whole"])), tiers=draw(tiers_st()))
    elif kind == "three_level":
        members = draw(subset_st)
        rule.update(pool_rate=draw(rate_st), parts=draw(split_st(["base", "incremental", "long_term"], 2)),
                    members=members, long_term_metric="user_assets",
                    baseline={m: draw(cents_st) for i, m in enumerate(members) if i == 0 or draw(st.booleans())})
    elif kind == "growth_fund":
        rule.update(rate=draw(rate_st), target=draw(st.sampled_from(["0.00", "10.00"]) | cents_st), period=draw(st.sampled_from(["month", "day"])), fund=FUND)
    elif kind == "rebate":
        rule.update(rate=draw(rate_st), payer=draw(st.sampled_from(PARTIES)), recipients=draw(subset_st))
    elif kind == "cost_share":
        rule.update(amount=draw(cents_st), incurred_on=DAY.isoformat(), paid_by=draw(st.sampled_from(PARTIES)),
                    ratios=draw(split_st(draw(subset_st))))
    elif kind == "contribution":
        rule["method"] = draw(st.sampled_from(["equal", "shapley", "banzhaf"]))
        if draw(st.booleans()):
            rule["members"] = draw(subset_st)
    return rule


def line_st(day: date) -> st.SearchStrategy[OrderLine]:
    # Small amounts as well as large ones, so cents and remainders collide often.
    amount_st = st.one_of(st.integers(-300, 300), st.integers(-10**7, 10**7))
    return st.builds(
        lambda n, seller, owner, channel, amount, cost, attributed: OrderLine(
            f"L{day.day}-{n}", f"O{n}", datetime(day.year, day.month, day.day, 3, tzinfo=UTC), seller, owner, channel,
            f"SKU-{n}", 1, Money(amount, "CNY"), None if cost is None else Money(cost, "CNY"), attributed,
            None),
        st.integers(0, 10**6), st.sampled_from(PARTIES), st.sampled_from(PARTIES), st.sampled_from(CHANNELS),
        amount_st, st.one_of(st.none(), st.integers(0, 10**6)),
        st.lists(st.sampled_from(PARTIES), max_size=3, unique=True).map(tuple))


def document(rule: dict[str, Any]) -> str:
    body = "\n".join(f"    {k}: {_yaml(k, v)}" for k, v in rule.items() if k != "id" and not k.startswith("_"))
    return (f"agreement: oracle\neffective_from: 2027-01-01\nparties: [{', '.join(PARTIES)}]\n"
            f"accounts: {{{FUND}: Growth fund}}\nrules:\n  - id: {rule['id']}\n{body}\n")


def _yaml(key: str, value: Any) -> str:
    """Flow YAML: amounts quoted (the documents' convention), rates and shares as plain decimals."""
    if key in ("target", "amount", "baseline"):
        if isinstance(value, dict):
            return "{" + ", ".join(f'{k}: "{v}"' for k, v in value.items()) + "}"
        return f'"{value}"'
    if key == "tiers":
        return "[" + ", ".join("{" + ", ".join(f'{k}: "{v}"' if k == "up_to" else f"{k}: {v}" for k, v in t.items()) + "}"
                               for t in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml(k, v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


KINDS = ["fixed_split", "dynamic", "tiered", "three_level", "growth_fund", "rebate", "cost_share", "contribution"]

# Three-level, as the 40/30/30 story but with C selling 0.50 alone: a pool of 5 fen. C's exact quota
# is 2 (base) + 1.5 (incremental) + 0.75 (long-term, assets 1:1:2) = 4.25 fen, A's and B's 0.375
# each, so C gets 4 fen and the leftover fen goes to A (tie with B, A sorts first). Rounding the
# parts first (2, 2, 1 fen) and then each part per member gave C all 5 fen.
THREE_LEVEL = {"id": "three-level", "kind": "three_level", "pool_rate": "0.10",
               "parts": {"base": "0.40", "incremental": "0.30", "long_term": "0.30"}, "members": ["A", "B", "C"],
               "long_term_metric": "user_assets", "baseline": {"A": "0.00", "B": "0.00", "C": "0.00"}}


@settings(max_examples=500, deadline=None)
@given(data=st.data(), kind=st.sampled_from(KINDS))
def test_every_kind_posts_the_documented_cents(data: st.DataObject, kind: str) -> None:
    rule = data.draw(rule_st(kind), label="rule")
    today = data.draw(st.lists(line_st(DAY), min_size=1, max_size=8), label="today")
    earlier = data.draw(st.lists(line_st(date(2027, 1, 5)), max_size=5), label="earlier")
    metrics = data.draw(st.fixed_dictionaries({m: st.integers(0, 9) for m in PARTIES}), label="user_assets")
    check(rule, today, earlier, metrics)


def check(rule: dict[str, Any], today: list[OrderLine], earlier: list[OrderLine], metrics: Mapping[str, int]) -> None:
    agreement = load_agreement_text(document(rule))
    ctx = DayContext(earlier=earlier, metrics={"user_assets": {m: Decimal(v) for m, v in metrics.items()}},
                     dynamic_shares={rule["id"]: rule["_period_shares"]} if "_period_shares" in rule else {})
    (outcome,) = settle_day(agreement, DAY, today, ctx).outcomes
    posted = {account: money.minor for account, money in outcome.postings.items()}
    assert posted == expected(rule, today, earlier, {m: Fraction(v) for m, v in metrics.items()})


def test_three_level_rounds_each_member_once_over_its_parts() -> None:
    sale = OrderLine("L1", "O1", datetime(2027, 1, 20, 3, tzinfo=UTC), "C", "C", "store", "SKU-1", 1,
                     Money(50, "CNY"), None, (), None)
    check(THREE_LEVEL, [sale], [], {"A": 1, "B": 1, "C": 2, "D": 0})
    assert expected(THREE_LEVEL, [sale], [], {"A": 1, "B": 1, "C": 2}) == {"A": 1, "C": -1}  # C funds 5, gets 4
