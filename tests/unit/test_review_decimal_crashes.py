"""Review: crafted decimals crash (decimal signals, i.e. 500 over HTTP) instead of a named problem."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alliance.core.errors import AllianceError
from alliance.core.messages import Message
from alliance.datashare.budget import parse_epsilon
from alliance.operations.bids.model import parse_share
from alliance.operations.marketing.model import check_ratios


@pytest.mark.parametrize("text", ["sNaN", "1E+999999999"])
def test_campaign_ratios_name_the_problem(text: str) -> None:
    problems = check_ratios({"A": Decimal(text), "B": Decimal("0.5")})
    assert problems


def test_a_bid_share_in_percent_too_large_is_a_named_problem() -> None:
    with pytest.raises(AllianceError):
        parse_share("1E+999999999%", "part")


def test_an_epsilon_too_large_is_a_named_problem() -> None:
    with pytest.raises(AllianceError):
        parse_epsilon("1E+999999999", Message("ε"))


def test_an_epsilon_that_underflows_to_zero_is_refused() -> None:
    with pytest.raises(AllianceError):
        parse_epsilon("1E-999999999", Message("ε"))
