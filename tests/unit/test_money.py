"""Money: parsing, formatting, arithmetic, and the allocation invariants."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.core.money import CurrencyMismatch, Money, MoneyError, allocate, apportion, minor_digits


@pytest.mark.parametrize(("currency", "digits"), [("CNY", 2), ("JPY", 0), ("KWD", 3), ("USD", 2)])
def test_minor_units_come_from_iso_4217(currency: str, digits: int) -> None:
    assert minor_digits(currency) == digits


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.34", "CNY", 1234),
        ("12.3", "CNY", 1230),
        ("1,234,567.89", "CNY", 123456789),
        ("-0.01", "CNY", -1),
        (".5", "CNY", 50),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        ("  7 ", "CNY", 700),
    ],
)
def test_parse(text: str, currency: str, minor: int) -> None:
    assert Money.parse(text, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("text", "currency", "reason"),
    [
        ("1.234", "CNY", "more than 2 decimal places"),
        ("1.5", "JPY", "more than 0 decimal places"),
        ("abc", "CNY", "not an amount"),
        ("1e3", "CNY", "not an amount"),
        ("", "CNY", "not an amount"),
        ("NaN", "CNY", "not an amount"),
        ("1", "XXY", "unknown currency"),
    ],
)
def test_parse_refuses(text: str, currency: str, reason: str) -> None:
    with pytest.raises(MoneyError, match=reason):
        Money.parse(text, currency)


def test_floats_are_refused_everywhere() -> None:
    with pytest.raises(MoneyError):
        Money.parse(0.1, "CNY")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(1.0, "CNY")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        allocate(Money(100, "CNY"), {"a": 0.5, "b": Decimal("0.5")})  # type: ignore[dict-item]


def test_text_and_amount_keep_the_currency_places() -> None:
    assert str(Money(1230, "CNY")) == "12.30 CNY"
    assert Money(-5, "CNY").amount_text() == "-0.05"
    assert Money(1500, "JPY").amount_text() == "1500"
    assert Money(1, "KWD").amount == Decimal("0.001")


def test_arithmetic_and_currency_mismatch() -> None:
    a, b = Money.parse("10.10", "CNY"), Money.parse("0.20", "CNY")
    assert a + b == Money(1030, "CNY")
    assert a - b == Money(990, "CNY")
    assert -a == Money(-1010, "CNY")
    assert b < a
    with pytest.raises(CurrencyMismatch):
        a + Money(1, "JPY")


def test_allocate_hardware_profit_30_70() -> None:
    parts = allocate(Money.parse("1000.01", "CNY"), {"software": Decimal("0.3"), "hardware": Decimal("0.7")})
    assert parts == {"software": Money(30000, "CNY"), "hardware": Money(70001, "CNY")}


def test_allocate_tie_break_is_documented_and_order_independent() -> None:
    # 1 fen among three equal weights: remainders tie, so the key that sorts first gets it.
    assert allocate(Money(1, "CNY"), {"c": 1, "a": 1, "b": 1}) == {
        "c": Money(0, "CNY"), "a": Money(1, "CNY"), "b": Money(0, "CNY")
    }
    # With equal remainders a larger weight wins before the name: quotas 2.5 and 0.5 for 3 units.
    assert allocate(Money(3, "CNY"), {"a": 1, "z": 5}) == {"a": Money(0, "CNY"), "z": Money(3, "CNY")}
    # 10 fen by 1:1:1 -> 3.33 each; one extra fen goes to "a".
    assert allocate(Money(10, "CNY"), {"b": 1, "a": 1, "c": 1})["a"] == Money(4, "CNY")


def test_allocate_refund_mirrors_sale() -> None:
    weights = {"x": Decimal("1"), "y": Decimal("2")}
    sale = allocate(Money(100, "CNY"), weights)
    refund = allocate(Money(-100, "CNY"), weights)
    assert {k: -v for k, v in sale.items()} == refund


@pytest.mark.parametrize("weights", [{}, {"a": 0, "b": 0}, {"a": -1, "b": 2}, {"a": "x"}])
def test_allocate_refuses_bad_weights(weights: dict[str, object]) -> None:
    with pytest.raises(MoneyError):
        allocate(Money(100, "CNY"), weights)  # type: ignore[arg-type]


currencies = st.sampled_from(["CNY", "JPY", "KWD"])
weights_st = st.dictionaries(
    st.text(min_size=1, max_size=4),
    st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=12,
).filter(lambda w: sum(w.values()) > 0)


@given(total=st.integers(min_value=-10**15, max_value=10**15), currency=currencies, weights=weights_st)
def test_parts_always_sum_to_the_total(total: int, currency: str, weights: dict[str, Decimal]) -> None:
    parts = allocate(Money(total, currency), weights)
    assert set(parts) == set(weights)
    assert sum(p.minor for p in parts.values()) == total
    assert all(p.currency == currency for p in parts.values())


@given(total=st.integers(min_value=0, max_value=10**15), weights=weights_st)
def test_no_part_is_negative_and_zero_weight_gets_nothing(total: int, weights: dict[str, Decimal]) -> None:
    parts = allocate(Money(total, "CNY"), weights)
    assert all(p.minor >= 0 for p in parts.values())
    assert all(parts[k].minor == 0 for k, w in weights.items() if w == 0)


@given(
    total=st.integers(min_value=-10**12, max_value=10**12),
    n=st.integers(min_value=1, max_value=30),
    weight=st.decimals(min_value=Decimal("0.0001"), max_value=1000, places=4),
)
def test_equal_weights_differ_by_at_most_one_minor_unit(total: int, n: int, weight: Decimal) -> None:
    parts = allocate(Money(total, "CNY"), {f"m{i}": weight for i in range(n)})
    values = [p.minor for p in parts.values()]
    assert max(values) - min(values) <= 1


@given(total=st.integers(min_value=0, max_value=10**12), weights=weights_st)
def test_each_part_is_within_one_unit_of_its_exact_quota(total: int, weights: dict[str, Decimal]) -> None:
    parts = allocate(Money(total, "CNY"), weights)
    weight_sum = sum(weights.values())
    for key, w in weights.items():
        exact = Decimal(total) * w / weight_sum
        assert abs(Decimal(parts[key].minor) - exact) < 1


@given(text=st.decimals(min_value=-10**12, max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_parse_and_text_round_trip(text: Decimal) -> None:
    money = Money.parse(str(text), "CNY")
    assert Money.parse(money.amount_text(), "CNY") == money
    assert money.amount == text


@given(total=st.integers(min_value=-10**12, max_value=10**12),
       shares=st.lists(st.integers(min_value=-1000, max_value=1000), min_size=1, max_size=8).filter(lambda s: sum(s) != 0))
def test_apportioning_the_opposite_total_gives_the_opposite_parts(total: int, shares: list[int]) -> None:
    # A refund on a later day is apportioned on its own: it must take back exactly what the sale gave.
    quotas = {f"m{i}": Fraction(total * s, sum(shares)) for i, s in enumerate(shares)}
    sale = apportion(Money(total, "CNY"), quotas)
    refund = apportion(Money(-total, "CNY"), {k: -q for k, q in quotas.items()})
    assert {k: -p.minor for k, p in sale.items()} == {k: p.minor for k, p in refund.items()}
    assert sum(p.minor for p in sale.values()) == total
    assert all(abs(sale[k].minor - q) < 1 for k, q in quotas.items())


def test_a_refund_of_a_tied_split_mirrors_the_sale() -> None:
    half = Fraction(101, 2)
    assert apportion(Money(101, "CNY"), {"A": half, "B": half}) == {"A": Money(51, "CNY"), "B": Money(50, "CNY")}
    assert apportion(Money(-101, "CNY"), {"A": -half, "B": -half}) == {"A": Money(-51, "CNY"), "B": Money(-50, "CNY")}


def test_the_add_back_check_survives_python_dash_O() -> None:
    """`allocate` and `apportion` check that parts add back with a plain `if`, which `python -O`
    keeps (an `assert` would be stripped there)."""
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "from alliance.core.money import Money, SplitDoesNotAddUp, check_adds_back\n"
        "assert False, 'asserts are on: not -O'\n"
    )
    probe = (
        "import sys\n"
        "from alliance.core.money import Money, SplitDoesNotAddUp, check_adds_back\n"
        "check_adds_back(Money(100, 'CNY'), {'a': Money(60, 'CNY'), 'b': Money(40, 'CNY')})\n"
        "try:\n"
        "    check_adds_back(Money(100, 'CNY'), {'a': Money(60, 'CNY'), 'b': Money(39, 'CNY')})\n"
        "except SplitDoesNotAddUp as exc:\n"
        "    print('caught:', exc)\n"
        "    sys.exit(0)\n"
        "sys.exit(3)\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    stripped = subprocess.run([sys.executable, "-O", "-c", script], capture_output=True, text=True, env={"PYTHONPATH": src})
    assert stripped.returncode == 0, "python -O must strip asserts for this test to mean anything"
    run = subprocess.run([sys.executable, "-O", "-c", probe], capture_output=True, text=True, env={"PYTHONPATH": src})
    assert run.returncode == 0 and "caught: parts add up to 99 minor units, not 100 (CNY)" in run.stdout, run.stderr
