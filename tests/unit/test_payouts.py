"""Payouts in the payee's currency, pure: the conversion and its difference (the brief's example
exactly), the same currency, the checks of a period; for any amount, rate and pair of currencies
(hypothesis) the member's claim is cleared exactly (owed = value back + difference), the paid
amount is the owed one rounded once, and a member paying in mirrors one paid out. The Beancount
lines balance and pass bean-check."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.core.errors import InvalidInput
from alliance.core.money import MoneyError, minor_digits
from alliance.settlement import payout_journal
from alliance.settlement.journal import component, components
from alliance.settlement.payouts import FX_ACCOUNT, MAX_DAYS, check_period, compute

D20, D24, D25 = date(2026, 11, 20), date(2026, 11, 24), date(2026, 11, 25)


def test_the_briefs_example_to_the_cent() -> None:
    p = compute("brand-a", D20, D24, D25, 712340, "CNY", "USD", Decimal("7.2"))
    assert (p.paid.amount_text(), p.value_back.amount_text(), p.difference.amount_text()) == ("989.36", "7123.39",
                                                                                              "0.01")
    assert p.converted and p.rate_text == "7.2"


def test_same_currency_is_paid_as_owed_with_no_difference() -> None:
    p = compute("M1", D20, D24, D25, -12345, "CNY", "cny", Decimal("7.2"))
    assert (p.payee_currency, p.rate, p.paid_minor, p.value_back_minor, p.difference_minor) == ("CNY", 1, -12345,
                                                                                                -12345, 0)
    assert not p.converted


def test_minor_digits_of_each_side_are_its_own() -> None:
    # 1000.00 CNY into JPY at 0.047512 CNY per yen: 21047.32... yen -> 21047; back 999.985064 -> 999.99 CNY.
    p = compute("M1", D20, D24, D25, 100000, "CNY", "JPY", Decimal("0.047512"))
    assert (p.paid_minor, p.value_back_minor, p.difference_minor) == (21047, 99999, 1)
    # Into KWD (three decimals) at 23.5: 100.00 CNY is 4.255 KWD (4.25531...), worth 99.99 CNY.
    k = compute("M1", D20, D24, D25, 10000, "CNY", "KWD", Decimal("23.5"))
    assert (k.paid.amount_text(), k.value_back_minor, k.difference_minor) == ("4.255", 9999, 1)


@pytest.mark.parametrize(("rate", "currency"), [(Decimal(0), "USD"), (Decimal("-7.2"), "USD"), (7.2, "USD"),
                                                (Decimal("NaN"), "USD"), (Decimal("7.2"), "XYZ"),
                                                (Decimal("7.2"), "US$")])
def test_a_bad_rate_or_currency_is_refused(rate: object, currency: str) -> None:
    with pytest.raises(MoneyError):
        compute("M1", D20, D24, D25, 100, "CNY", currency, rate)  # type: ignore[arg-type]


def test_a_float_amount_is_refused() -> None:
    with pytest.raises(MoneyError):
        compute("M1", D20, D24, D25, 1.5, "CNY", "CNY", Decimal(1))  # type: ignore[arg-type]


@pytest.mark.parametrize(("first", "last", "payout", "words"), [
    (D24, D20, D25, "ends"), (D20, D24, D24, "must come after"),
    (date(2024, 12, 31), date(2026, 1, 1), date(2026, 1, 2), f"at most {MAX_DAYS} days")])
def test_a_bad_period_is_refused(first: date, last: date, payout: date, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        check_period(first, last, payout)


CURRENCIES = st.sampled_from(["USD", "EUR", "JPY", "KWD", "CNY", "GBP", "IDR"])
RATES = st.decimals(min_value=Decimal("0.0000001"), max_value=Decimal("100000"), places=7)
AMOUNTS = st.integers(min_value=-10**15, max_value=10**15)


@given(AMOUNTS, RATES, CURRENCIES, CURRENCIES)
def test_the_claim_is_always_cleared_exactly(owed: int, rate: Decimal, settlement: str, payee: str) -> None:
    p = compute("M1", D20, D24, D25, owed, settlement, payee, rate)
    assert p.owed_minor == p.value_back_minor + p.difference_minor
    if payee == settlement:
        assert p.paid_minor == owed and p.difference_minor == 0
        return
    shift = Fraction(10) ** (minor_digits(payee) - minor_digits(settlement))
    exact_paid = owed / Fraction(rate) * shift
    assert abs(p.paid_minor - exact_paid) <= Fraction(1, 2)  # rounded once
    exact_back = p.paid_minor * Fraction(rate) / shift
    assert abs(p.value_back_minor - exact_back) <= Fraction(1, 2)
    # The difference is at most what half a payee unit is worth, plus half a settlement unit.
    assert abs(p.difference_minor) <= Fraction(rate) / shift / 2 + Fraction(1, 2)


@given(AMOUNTS, RATES, CURRENCIES, CURRENCIES)
def test_a_member_paying_in_mirrors_one_paid_out(owed: int, rate: Decimal, settlement: str, payee: str) -> None:
    out = compute("M1", D20, D24, D25, owed, settlement, payee, rate)
    back = compute("M1", D20, D24, D25, -owed, settlement, payee, rate)
    assert (back.paid_minor, back.value_back_minor, back.difference_minor) == (
        -out.paid_minor, -out.value_back_minor, -out.difference_minor)


def _bean_check(text: str, tmp_path: Path) -> None:
    path = tmp_path / "payouts.beancount"
    path.write_text(text, encoding="utf-8")
    bean_check = shutil.which("bean-check", path=str(Path(sys.executable).parent))
    assert bean_check, "beancount is a test dependency"
    done = subprocess.run([bean_check, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr + text


def _journal(payouts: list, root: str = f"Liabilities:Alliance:{component('nb')}") -> tuple[str, list[str]]:
    codes = payout_journal.accounts(payouts)
    names = components(sorted(codes))
    lines = payout_journal.transactions(root, names, payouts)
    text = "\n".join(['option "operating_currency" "CNY"', "",
                      *payout_journal.open_lines(root, names, payouts, date(2026, 1, 1)), *lines]) + "\n"
    return text, lines


def test_beancount_lines_as_in_the_docs_pass_bean_check(tmp_path: Path) -> None:
    p = compute("brand-a", D20, D24, D25, 712340, "CNY", "USD", Decimal("7.2"))
    text, lines = _journal([(1, p)])
    assert lines[1] == '2026-11-25 * "payout" "brand-a in USD at 7.2"'
    assert lines[-3:] == ["  Liabilities:Alliance:NB:BRAND-A  7123.40 CNY",
                          "  Assets:Alliance:NB:Payouts:USD  -989.36 USD @@ 7123.39 CNY",
                          "  Liabilities:Alliance:NB:FX  -0.01 CNY"]
    assert '  rate: "7.2"' in lines
    _bean_check(text, tmp_path)


def test_every_kind_of_payout_balances_in_bean_check(tmp_path: Path) -> None:
    payouts = [
        (1, compute("brand-a", D20, D24, D25, 712340, "CNY", "USD", Decimal("7.2"))),
        (2, compute("brand-b", D20, D24, D25, -712340, "CNY", "USD", Decimal("7.2"))),  # pays in
        (3, compute("M 3", D20, D24, D25, 100000, "CNY", "JPY", Decimal("0.047512"))),
        (4, compute("m4", D20, D24, D25, 555, "CNY", "CNY", Decimal(1))),  # no conversion, no FX
        (5, compute("m5", D20, D24, D25, 1, "CNY", "KWD", Decimal("23.5"))),  # 0.01 CNY is 0.000 KWD
        (6, compute(FX_ACCOUNT.upper(), D20, D24, D25, 10000, "CNY", "EUR", Decimal("7.8123"))),  # a member "FX"
        (7, compute("PAYOUTS-USD", D20, D24, D25, 20000, "CNY", "USD", Decimal("7.2"))),  # a member named like one
    ]
    text, lines = _journal(payouts)
    assert "  Assets:Alliance:NB:Payouts:USD  989.36 USD @@ 7123.39 CNY" in lines
    # the member coded PAYOUTS-USD keeps an account of its own, apart from the payout account
    assert "  Liabilities:Alliance:NB:PAYOUTS-USD  200.00 CNY" in lines
    assert "  Assets:Alliance:NB:Payouts:USD  -27.78 USD @@ 200.02 CNY" in lines
    _bean_check(text, tmp_path)


def test_the_difference_may_go_to_an_account_the_journal_keeps(tmp_path: Path) -> None:
    payouts = [(1, compute("brand-a", D20, D24, D25, 712340, "CNY", "USD", Decimal("7.2")))]
    root = "Liabilities:Alliance:NB"
    names = components(sorted(payout_journal.accounts(payouts, with_fx=False)))
    assert FX_ACCOUNT not in names
    lines = payout_journal.transactions(root, names, payouts, fx_account="Equity:Alliance:NB:FX:ROUNDING")
    assert lines[-1] == "  Equity:Alliance:NB:FX:ROUNDING  -0.01 CNY"
    text = "\n".join(["2026-01-01 open Equity:Alliance:NB:FX:ROUNDING CNY",
                      *payout_journal.open_lines(root, names, payouts, date(2026, 1, 1), with_fx=False), *lines]) + "\n"
    _bean_check(text, tmp_path)
