"""Joint purchasing's pure engine: tier tables and their checks, price(x), the exact split (pro rata,
equal, Shapley against the games capability as oracle), the fee, and the cumulative delivery
allocation; hypothesis checks that every split adds back to the cent."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance.core.money import Money, apportion
from alliance.games.game import FunctionGame
from alliance.games.values import shapley
from alliance.operations.purchasing.delivery import allocation, delivery_lines, deposit_change, spread
from alliance.operations.purchasing.split import (
    SHAPLEY_LIMIT, SplitRule, TooManyForShapley, apportion_scaled, cost_minor, resolve, shapley_costs,
)
from alliance.operations.purchasing.tiers import PriceTable, Quote, Tier, check_quotes, require_quotes, TiersInvalid

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
D = Decimal


def paper() -> Quote:
    return Quote("Paper Co", "ext:paper-co", (Tier(1, D("4.00")), Tier(100, D("3.40")), Tier(500, D("3.00"))))


def other() -> Quote:
    return Quote("Mill", "ext:mill", (Tier(1, D("4.20")), Tier(50, D("3.60")), Tier(300, D("2.95"))))


# -- tier tables ------------------------------------------------------------------------------------------

def test_a_tier_table_out_of_order_is_refused_naming_the_row() -> None:
    bad = Quote("X", "ext:x", (Tier(1, D("4")), Tier(100, D("3.5")), Tier(80, D("3.6")), Tier(200, D("3.6"))))
    problems = check_quotes([paper(), bad])
    where = {(str(p.where), p.field) for p in problems}
    assert ("quote 2 row 3", "min_quantity") in where   # 80 is not above 100
    assert ("quote 2 row 3", "unit_price") in where     # 3.6 is not below 3.5
    assert ("quote 2 row 4", "unit_price") in where     # 3.6 is not below 3.6
    assert not any(str(p.where).startswith("quote 1") for p in problems)
    with pytest.raises(TiersInvalid) as caught:
        require_quotes([bad])
    assert len(caught.value.problems) == 3


def test_the_first_tier_is_the_price_alone_and_prices_are_positive_with_four_decimals() -> None:
    problems = check_quotes([Quote("X", "ext:x", (Tier(10, D("4")),)),
                             Quote("Y", "ext:y", (Tier(1, D("0")), Tier(5, D("1.23456")))),
                             Quote(" ", "ext:z", ())])
    reasons = {(str(p.where), p.field): str(p.reason) for p in problems}
    assert "first tier starts at quantity 1" in reasons[("quote 1 row 1", "min_quantity")]
    assert ("quote 2 row 1", "unit_price") in reasons and ("quote 2 row 2", "unit_price") in reasons
    assert ("quote 3", "supplier") in reasons and ("quote 3", "tiers") in reasons
    assert check_quotes([]) and not check_quotes([paper(), other()])


def test_price_is_the_lowest_quote_at_the_aggregate_quantity() -> None:
    table = PriceTable([paper(), other()])
    assert table.price(0).unit_price == D("4.00") and table.price(1).quote == 0
    assert table.price(49).unit_price == D("4.00")
    assert (table.price(50).unit_price, table.price(50).quote) == (D("3.60"), 1)
    assert (table.price(100).unit_price, table.price(100).quote) == (D("3.40"), 0)
    assert (table.price(300).unit_price, table.price(300).quote) == (D("2.95"), 1)
    assert table.price(10**6).unit_price == D("2.95")
    assert table.next_tier(120) == (300, table.price(300))
    assert table.next_tier(300) is None


def test_ties_go_to_the_first_quote() -> None:
    twin = Quote("Twin", "ext:twin", paper().tiers)
    assert PriceTable([paper(), twin]).price(150).quote == 0
    assert PriceTable([twin, paper()]).price(150).quote == 0


@given(st.lists(st.integers(1, 2000), min_size=1, max_size=60))
@FAST
def test_price_table_matches_a_direct_minimum(xs: list[int]) -> None:
    quotes = [paper(), other()]
    table = PriceTable(quotes)
    for x in xs:
        assert table.price(x).unit_price == min(q.price_at(x).unit_price for q in quotes)


# -- the split --------------------------------------------------------------------------------------------

def test_the_worked_example_pro_rata_with_a_fee() -> None:
    """The docs' example: 40 + 30 + 50 = 120 reaches the second tier (≥ 100 at 3.40)."""
    r = resolve({"A": 40, "B": 30, "C": 50}, PriceTable([paper()]), currency="CNY", rule=SplitRule.PRO_RATA,
                fee_rate=D("0.10"))
    assert (r.quantity, r.price.unit_price, r.price.tier.min_quantity) == (120, D("3.40"), 100)
    assert (r.invoice, r.savings, r.fee) == (40800, 7200, 720)
    assert [(s.member, s.alone_minor, s.savings, s.pays, s.saved) for s in r.shares] == [
        ("A", 16000, 2400, 13840, 2160), ("B", 12000, 1800, 10380, 1620), ("C", 20000, 3000, 17300, 2700)]
    assert sum(s.pays for s in r.shares) == r.invoice + r.fee


def test_equal_split_and_no_savings_means_no_fee() -> None:
    r = resolve({"A": 40, "B": 30, "C": 50}, PriceTable([paper()]), currency="CNY", rule=SplitRule.EQUAL,
                fee_rate=D("0"))
    assert [s.pays for s in r.shares] == [16000 - 2400, 12000 - 2400, 20000 - 2400]
    alone = resolve({"A": 10, "B": 20}, PriceTable([paper()]), currency="CNY", rule=SplitRule.PRO_RATA,
                    fee_rate=D("0.2"))
    assert (alone.savings, alone.fee) == (0, 0)
    assert [s.pays for s in alone.shares] == [4000, 8000]


def test_shapley_matches_the_games_capability_and_is_exact() -> None:
    quantities = [40, 30, 50, 120, 7]
    table = PriceTable([paper(), other()])
    exact = shapley_costs(quantities, table, 100)

    def worth(masks: np.ndarray) -> np.ndarray:
        q = masks @ np.array(quantities)
        return np.array([float(cost_minor(int(x), table.price(int(x)).unit_price, 100)) if x else 0.0 for x in q])

    oracle = shapley(FunctionGame(tuple("ABCDE"), vectorised=worth, cost=True))
    assert np.allclose([float(x) for x in exact], oracle)
    grand = sum(quantities)
    assert sum(exact, Fraction(0)) == cost_minor(grand, table.price(grand).unit_price, 100)


def test_shapley_beyond_the_limit_is_refused_naming_it() -> None:
    quantities = {f"M{i:02}": 5 for i in range(SHAPLEY_LIMIT + 1)}
    with pytest.raises(TooManyForShapley) as caught:
        resolve(quantities, PriceTable([paper()]), currency="CNY", rule=SplitRule.SHAPLEY, fee_rate=D(0))
    assert "pro rata" in str(caught.value) and str(SHAPLEY_LIMIT) in str(caught.value)
    few = dict(list(quantities.items())[:SHAPLEY_LIMIT])
    r = resolve(few, PriceTable([paper()]), currency="CNY", rule=SplitRule.SHAPLEY, fee_rate=D(0))
    assert sum(s.pays for s in r.shares) == r.invoice


commitments = st.dictionaries(st.from_regex(r"M[0-9]{3}", fullmatch=True), st.integers(0, 700), min_size=1,
                              max_size=12).filter(lambda d: sum(d.values()) > 0)
odd_prices = st.lists(st.decimals(min_value=D("0.0001"), max_value=D("99.9999"), places=4), min_size=1, max_size=4,
                      unique=True).map(lambda ps: sorted(ps, reverse=True))


@st.composite
def quotes(draw: st.DrawFn) -> list[Quote]:
    found = []
    for i in range(draw(st.integers(1, 3))):
        prices = draw(odd_prices)
        ns = [1] + sorted(draw(st.sets(st.integers(2, 800), min_size=len(prices) - 1, max_size=len(prices) - 1)))
        found.append(Quote(f"S{i}", f"ext:s{i}", tuple(Tier(n, p) for n, p in zip(ns, prices, strict=True))))
    return found


@given(commitments, quotes(), st.sampled_from(list(SplitRule)), st.decimals(min_value=0, max_value=D("0.9999"),
                                                                            places=4),
       st.sampled_from(["CNY", "JPY", "KWD"]))
@FAST
def test_every_split_adds_back_to_the_cent(qs: dict[str, int], quoted: list[Quote], rule: SplitRule,
                                          fee_rate: Decimal, currency: str) -> None:
    assert not check_quotes(quoted)
    r = resolve(qs, PriceTable(quoted), currency=currency, rule=rule, fee_rate=fee_rate)
    assert sum(s.pays for s in r.shares) == r.invoice + r.fee
    assert sum(s.savings for s in r.shares) == r.savings
    assert r.fee == (round(r.savings * Fraction(fee_rate)) if r.savings > 0 else 0)
    for s in r.shares:  # each pays within one minor unit of its exact quota
        assert abs(s.pays - s.pay_exact) < 1
    # the integer path rounds exactly as core.money.apportion does on the exact quotas
    reference = apportion(Money(r.invoice + r.fee, currency), {s.member: s.pay_exact for s in r.shares})
    assert {s.member: s.pays for s in r.shares} == {m: x.minor for m, x in reference.items()}
    full = {s.member: s.quantity for s in r.shares}
    final = allocation(r, full)
    assert sum(final.values()) == 0
    assert final["@supplier"] == r.invoice and final["@organiser"] == r.fee
    assert all(final[s.member] == -s.pays for s in r.shares)


@given(commitments, quotes(), st.sampled_from([SplitRule.PRO_RATA, SplitRule.EQUAL]),
       st.lists(st.integers(1, 400), min_size=1, max_size=5), st.booleans())
@FAST
def test_deliveries_book_exactly_the_allocation_of_what_was_delivered(qs: dict[str, int], quoted: list[Quote],
                                                                      rule: SplitRule, steps: list[int],
                                                                      organiser_buys: bool) -> None:
    r = resolve(qs, PriceTable(quoted), currency="CNY", rule=rule, fee_rate=D("0.05"))
    organiser = r.shares[0].member if organiser_buys else "ORG"
    delivered = {s.member: 0 for s in r.shares}
    booked: dict[str, int] = {}
    for step in steps:
        open_ = {s.member: s.quantity - delivered[s.member] for s in r.shares}
        total = min(step, sum(open_.values()))
        if total == 0:
            break
        got = spread(total, open_)
        assert sum(got.values()) == total and all(0 <= got[m] <= open_[m] for m in open_)
        after = {m: delivered[m] + got[m] for m in delivered}
        lines = delivery_lines(r, delivered, after, supplier_account="ext:s", organiser=organiser, supplier_name="S")
        assert sum(line.amount_minor for line in lines) == 0 and all(line.amount_minor for line in lines)
        assert len({line.account for line in lines}) == len(lines) and all(len(line.rate) <= 200 for line in lines)
        for line in lines:
            booked[line.account] = booked.get(line.account, 0) + line.amount_minor
        delivered = after
    expected = allocation(r, delivered)
    roles = {"@supplier": "ext:s", "@organiser": organiser}
    want: dict[str, int] = {}
    for key, amount in expected.items():
        want[roles.get(key, key)] = want.get(roles.get(key, key), 0) + amount
    assert {k: v for k, v in booked.items() if v} == {k: v for k, v in want.items() if v}


@given(st.dictionaries(st.text(min_size=1, max_size=3), st.integers(-10**6, 10**6), min_size=1, max_size=20),
       st.integers(1, 10**4), st.integers(-50, 50))
@FAST
def test_apportion_scaled_is_core_money_apportion(raw: dict[str, int], denominator: int, shift: int) -> None:
    keys = list(raw)
    total = shift
    numerators = dict(raw)
    numerators[keys[0]] += total * denominator - sum(raw.values())  # make them sum to total
    expected = apportion(Money(total, "CNY"), {k: Fraction(v, denominator) for k, v in numerators.items()})
    assert apportion_scaled(total, numerators, denominator) == {k: m.minor for k, m in expected.items()}


@given(commitments, quotes(), st.sampled_from(list(SplitRule)), st.data())
@FAST
def test_part_deliveries_in_integers_equal_the_fractions(qs: dict[str, int], quoted: list[Quote], rule: SplitRule,
                                                        data: st.DataObject) -> None:
    from alliance.operations.purchasing.delivery import members_part, members_part_exact

    r = resolve(qs, PriceTable(quoted), currency="CNY", rule=rule, fee_rate=D("0.07"))
    delivered = {s.member: data.draw(st.integers(0, s.quantity)) for s in r.shares}
    assert members_part(r, delivered) == members_part_exact(r, delivered)
    total, parts = members_part(r, delivered)
    assert sum(parts.values()) == total


def test_deposits_move_the_difference_and_never_to_oneself() -> None:
    paid = deposit_change("A", "ORG", 0, 5000, "CNY")
    assert [(x.account, x.amount_minor) for x in paid] == [("A", -5000), ("ORG", 5000)]
    back = deposit_change("A", "ORG", 5000, 2000, "CNY")
    assert [(x.account, x.amount_minor) for x in back] == [("A", 3000), ("ORG", -3000)]
    assert back[0].rate == "50.00 → 20.00" and paid[0].rate == "0.00 → 50.00"  # digits and symbols only
    assert deposit_change("ORG", "ORG", 0, 5000, "CNY") == [] and deposit_change("A", "ORG", 10, 10, "CNY") == []


def test_rows_left_out_keep_the_others_numbers() -> None:
    from alliance.operations.purchasing.tiers import tier_problems

    # row 2 was not a number (left out by the edge): rows 1, 3 and 4 are still checked under their numbers
    problems = tier_problems([Tier(1, D("4")), Tier(200, D("3.5")), Tier(150, D("3.6"))], "quote 1", [1, 3, 4])
    assert {(str(p.where), p.field) for p in problems} == {("quote 1 row 4", "min_quantity"),
                                                           ("quote 1 row 4", "unit_price")}
