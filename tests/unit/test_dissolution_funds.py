"""A dissolved alliance's funds: balances from the statements' postings, shared out to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.core.money import Money
from alliance.exits.funds import FundBalance, FundNotDistributable, Posting, balances, distribute
from alliance.sharing.clauses.exit import FundsOnDissolution as F

MEMBERS = ["A", "B", "C"]


def test_balance_and_what_each_member_paid_in_from_the_postings() -> None:
    postings = [
        # day 1: the growth fund takes 10.00, funded by sellers A (7.00) and B (3.00); a split beside it
        Posting(1, "ag", "growth", "growth-fund", 1000), Posting(1, "ag", "growth", "A", -700),
        Posting(1, "ag", "growth", "B", -300),
        Posting(1, "ag", "split", "A", 5000), Posting(1, "ag", "split", "B", -5000),
        # day 2: a refund takes 1.00 back from the fund, returned to A
        Posting(2, "ag", "growth", "growth-fund", -100), Posting(2, "ag", "growth", "A", 100),
    ]
    [fund] = balances(postings, ["growth-fund"], MEMBERS, "CNY")
    assert fund == FundBalance("growth-fund", Money(900, "CNY"), {"A": 600, "B": 300})


def test_paid_in_equal_and_shares() -> None:
    fund = FundBalance("growth-fund", Money(1000, "CNY"), {"A": 600, "B": 300})
    assert distribute(fund, F.PAID_IN, MEMBERS).parts == {"A": Money(667, "CNY"), "B": Money(333, "CNY")}
    assert distribute(fund, F.EQUAL, MEMBERS).parts == {"A": Money(334, "CNY"), "B": Money(333, "CNY"),
                                                        "C": Money(333, "CNY")}
    shares = {"A": Decimal("0.5"), "C": Decimal("0.5")}
    assert distribute(fund, F.SHARES, MEMBERS, shares).parts == {"A": Money(500, "CNY"), "C": Money(500, "CNY")}
    assert distribute(FundBalance("x", Money(0, "CNY")), F.PAID_IN, MEMBERS).parts == {}


def test_what_cannot_be_shared_out_is_refused_with_the_reason() -> None:
    with pytest.raises(FundNotDistributable, match="less than nothing"):
        distribute(FundBalance("x", Money(-1, "CNY"), {"A": 5}), F.PAID_IN, MEMBERS)
    with pytest.raises(FundNotDistributable, match="no member paid into it"):
        distribute(FundBalance("x", Money(100, "CNY")), F.PAID_IN, MEMBERS)
    with pytest.raises(FundNotDistributable, match="names no fund shares"):
        distribute(FundBalance("x", Money(100, "CNY")), F.SHARES, MEMBERS, {})


@given(st.integers(0, 10**12), st.dictionaries(st.sampled_from(MEMBERS), st.integers(1, 10**9), min_size=1),
       st.sampled_from(list(F)))
def test_the_parts_always_add_back_to_the_balance(balance: int, paid: dict[str, int], rule: F) -> None:
    fund = FundBalance("f", Money(balance, "CNY"), paid)
    shares = {m: Decimal(1) / Decimal(4) for m in ("A", "B")} | {"C": Decimal("0.5")}
    parts = distribute(fund, rule, MEMBERS, shares).parts
    assert sum(p.minor for p in parts.values()) == balance
    assert all(p.minor >= 0 for p in parts.values())
