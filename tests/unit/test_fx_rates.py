"""Exchange-rate rows, pure: every kind of bad row named with its row and field, the whole file
refused; duplicates and conflicts against stored rates; conversion exact, half-even, and its
invariants for any amount and rate (hypothesis)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from alliance.core.messages import Message
from hypothesis import given
from hypothesis import strategies as st

from alliance.core.money import MoneyError
from alliance.settlement.fx import rates
from alliance.settlement.fx.conversion import RateMissing, convert, rate_on, rate_table
from alliance.settlement.fx.rates import Rate, RatesConflict, RatesInvalid

HEADER = b"day,currency,rate,source\n"


def _csv(*lines: str, header: bytes = HEADER) -> list[rates.Row]:
    return rates.check_rows(rates.read_csv(header + "\n".join(lines).encode()), "CNY")


def _refused(*lines: str, header: bytes = HEADER) -> RatesInvalid:
    with pytest.raises(RatesInvalid) as caught:
        _csv(*lines, header=header)
    return caught.value


def test_a_good_file_with_bom_chinese_headers_and_any_column_order() -> None:
    found = _csv("2026-11-20,usd,7.12340,PBOC central parity", "2026-11-20,EUR, 7.5 ,ECB reference",
                 header=b"\xef\xbb\xbf" + HEADER)
    assert [r.rate for r in found] == [Rate(date(2026, 11, 20), "USD", Decimal("7.1234"), "PBOC central parity"),
                                       Rate(date(2026, 11, 20), "EUR", Decimal("7.5"), "ECB reference")]
    chinese = rates.check_rows(rates.read_csv("\ufeff来源,日期,货币,汇率\n中国人民银行,2026-11-20,JPY,0.0475\n"
                                              .encode()), "CNY")
    assert chinese[0].rate == Rate(date(2026, 11, 20), "JPY", Decimal("0.0475"), "中国人民银行")
    assert str(chinese[0].where) == "row 2"


@pytest.mark.parametrize(("line", "field", "words"), [
    ("2026-11-20,USD,0,PBOC", "rate", "greater than zero"),
    ("2026-11-20,USD,-7.1,PBOC", "rate", "greater than zero"),
    ("2026-11-20,USD,abc,PBOC", "rate", "not a decimal number"),
    ("2026-11-20,USD,7e3,PBOC", "rate", "not a decimal number"),
    ("2026-11-20,USD,,PBOC", "rate", "missing"),
    ("2026-11-20,USD,7.12345678901,PBOC", "rate", "11 decimal places; at most 10"),
    ("2026-11-20,USD,1234567.890123,PBOC", "rate", "13 significant digits; at most 12"),
    ("2026-11-20,XYZ,7.1,PBOC", "currency", "unknown currency"),
    ("2026-11-20,,7.1,PBOC", "currency", "missing"),
    ("2026-11-20,CNY,1,PBOC", "currency", "settlement currency"),
    ("2026-13-01,USD,7.1,PBOC", "day", "not a day of the calendar"),
    ("20/11/2026,USD,7.1,PBOC", "day", "not a date"),
    ("2026-11-20,USD,7.1,", "source", "where the rate comes from"),
    ("2026-11-20,USD,7.1," + "x" * 201, "source", "longer than 200"),
])
def test_each_bad_row_kind_is_named_by_row_and_field(line: str, field: str, words: str) -> None:
    refused = _refused("2026-11-19,USD,7.1,PBOC", line)
    assert [(p.where, p.field) for p in refused.problems] == [("row 3", field)]
    assert words in refused.problems[0].reason
    assert refused.code == "fx_rates_invalid" and refused.status == 422


def test_every_problem_at_once() -> None:
    refused = _refused("2026-11-20,USD,0,PBOC", "bad,XYZ,1,", "2026-11-21,USD,7.1,PBOC")
    assert {(p.where, p.field) for p in refused.problems} == {("row 2", "rate"), ("row 3", "day"),
                                                              ("row 3", "currency"), ("row 3", "source")}
    assert "4 problems" in refused.message


@pytest.mark.parametrize(("data", "words"), [
    (b"", "no rates"),
    (HEADER, "no rates"),
    (b"day,currency,rate\n2026-11-20,USD,7.1\n", "missing"),
    (b"day,currency,rate,source,extra\n", "unknown column"),
    (b"day,day,currency,rate,source\n", "given twice"),
    (b"day,currency,rate,source\n2026-11-20,USD,7.1,\xff\n", "not UTF-8"),
])
def test_bad_files(data: bytes, words: str) -> None:
    with pytest.raises(RatesInvalid) as caught:
        rates.check_rows(rates.read_csv(data), "CNY")
    assert any(words in p.reason for p in caught.value.problems)


def test_the_same_day_and_currency_twice_in_one_file() -> None:
    rows = _csv("2026-11-20,USD,7.1,PBOC", "2026-11-20,USD,7.10,PBOC")
    assert rates.merge({}, rows) == rates.Merged([rows[0].rate], 1)
    with pytest.raises(RatesConflict) as caught:
        _csv("2026-11-20,USD,7.1,PBOC", "2026-11-20,USD,7.2,PBOC")
    problem = caught.value.problems[0]
    assert problem.where == "row 3" and "7.2 here, 7.1 in row 2" in problem.reason
    assert caught.value.status == 409 and caught.value.code == "fx_rate_conflict"


def test_merge_counts_duplicates_and_refuses_a_changed_rate_naming_both() -> None:
    rows = _csv("2026-11-20,USD,7.1,PBOC", "2026-11-21,USD,7.2,PBOC")
    stored = {(date(2026, 11, 20), "USD"): Decimal("7.1")}
    merged = rates.merge(stored, rows)
    assert merged.duplicates == 1 and [r.day for r in merged.added] == [date(2026, 11, 21)]
    with pytest.raises(RatesConflict) as caught:
        rates.merge({(date(2026, 11, 21), "USD"): Decimal("7.25")}, rows)
    assert "7.2 in this import, but 7.25 is stored" in caught.value.problems[0].reason
    assert caught.value.problems[0].where == "row 3"


def test_an_api_push_numbers_its_items() -> None:
    with pytest.raises(RatesInvalid) as caught:
        rates.check_rows(rates.read_items([{"day": "2026-11-20", "currency": "USD", "rate": "7.1", "source": "x"},
                                           {"day": "2026-11-20", "currency": "EUR", "rate": "0", "source": "x"}]),
                         "CNY")
    assert [(p.where, p.field) for p in caught.value.problems] == [("item 2", "rate")]


# -- conversion --------------------------------------------------------------------------------------------

def test_rate_on_the_exact_day_only() -> None:
    table = rate_table([Rate(date(2026, 11, 20), "USD", Decimal("7.1"), "PBOC")])
    assert rate_on(table, date(2026, 11, 20), "USD") == Decimal("7.1")
    assert rate_on(table, date(2026, 11, 21), "CNY", "CNY") == 1
    with pytest.raises(RateMissing) as caught:
        rate_on(table, date(2026, 11, 21), "USD", "CNY")
    assert caught.value.code == "rate_missing" and caught.value.currency == "USD"
    assert "USD" in caught.value.message and "2026-11-21" in caught.value.message


def test_convert_by_each_currencys_minor_digits_half_even() -> None:
    assert convert(10_000, "USD", "CNY", Decimal("7.1234")) == (71_234, Fraction(71_234))
    assert convert(100, "JPY", "CNY", Decimal("0.0475")).minor == 475      # ¥100 -> ¥4.75
    assert convert(1_000, "USD", "JPY", Decimal("150.5")).minor == 1_505   # $10.00 -> ¥1505
    assert convert(1, "USD", "JPY", Decimal("150")).minor == 2             # 1.5 -> 2 (even)
    assert convert(1, "USD", "JPY", Decimal("250")).minor == 2             # 2.5 -> 2 (even)
    assert convert(1, "USD", "JPY", Decimal("350")).minor == 4             # 3.5 -> 4 (even)
    assert convert(1_000, "KWD", "CNY", Decimal("23.5")).minor == 2_350    # 1.000 KWD -> ¥23.50
    assert convert(71_234, "CNY", "USD", 1 / Fraction(Decimal("7.1234"))).minor == 10_000
    for bad in (Decimal(0), Decimal("-1"), 7.1, Decimal("NaN")):
        with pytest.raises(MoneyError):
            convert(100, "USD", "CNY", bad)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        convert(100, "USD", "XYZ", Decimal(1))


CURRENCIES = st.sampled_from(["CNY", "USD", "EUR", "JPY", "KWD"])
RATES = st.decimals(min_value=Decimal("0.0000000001"), max_value=Decimal("99999999"), places=6,
                    allow_nan=False, allow_infinity=False).filter(lambda d: d > 0)
AMOUNTS = st.integers(min_value=-10**15, max_value=10**15)


@given(AMOUNTS, CURRENCIES, CURRENCIES, RATES)
def test_conversion_is_within_half_a_minor_unit_of_exact_and_symmetric(amount: int, source: str, target: str,
                                                                      rate: Decimal) -> None:
    found = convert(amount, source, target, rate)
    assert abs(found.rounding) <= Fraction(1, 2)
    assert found.exact == amount * Fraction(rate) * Fraction(10) ** (
        {"JPY": 0, "KWD": 3}.get(target, 2) - {"JPY": 0, "KWD": 3}.get(source, 2))
    if found.exact.denominator == 1:
        assert found.minor == found.exact  # exact when it can be
    assert convert(-amount, source, target, rate).minor == -found.minor  # a refund mirrors its sale


@given(AMOUNTS, AMOUNTS, CURRENCIES, CURRENCIES, RATES, RATES)
def test_conversion_is_monotone_in_amount_and_rate(a: int, b: int, source: str, target: str, r: Decimal,
                                                    s: Decimal) -> None:
    low, high = sorted((a, b))
    assert convert(low, source, target, r).minor <= convert(high, source, target, r).minor
    small, large = sorted((r, s))
    if high >= 0:
        assert convert(high, source, target, small).minor <= convert(high, source, target, large).minor


@pytest.mark.parametrize(("rate", "source", "field"), [
    ("7.0000000000000000000000000001", "PBOC", "rate"),  # 29 significant digits: refused, never rounded
    ("٧.٥", "PBOC", "rate"),  # another script's digits
    ("７.１", "PBOC", "rate"),
    ("7.1", "PBOC\x00x", "source"),  # NUL: PostgreSQL refuses it
    ("7.1", "PBOC\u202e", "source"),  # a text-direction override shown to every member
])
def test_digits_and_sources_are_checked_exactly(rate: str, source: str, field: str) -> None:
    rows = [(Message("row 2"), {"day": "2026-11-20", "currency": "USD", "rate": rate, "source": source})]
    with pytest.raises(RatesInvalid) as caught:
        rates.check_rows(rows, "CNY")
    assert [p.field for p in caught.value.problems] == [field]
