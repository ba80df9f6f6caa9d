from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.registry.credit_code import InvalidCreditCode, normalise_credit_code, with_check_character

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def test_known_valid_code() -> None:
    # The example from GB 32100-2015 as quoted by python-stdnum.
    assert normalise_credit_code("91110000600037341L") == "91110000600037341L"
    assert normalise_credit_code(" 9111 0000-600037341l ") == "91110000600037341L"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91110000600037341", "must be 18 characters, got 17"),
        ("91110000600037341M", "check character is wrong (expected L)"),
        ("A1110000600037341L", "characters 1-8 must be digits"),
        ("91110000600O37341L", "other than I, O, Z, S, V"),
    ],
)
def test_invalid_codes_say_why(code: str, reason: str) -> None:
    with pytest.raises(InvalidCreditCode, match=reason.replace("(", r"\(").replace(")", r"\)")):
        normalise_credit_code(code)


@given(
    body=st.tuples(
        st.text(alphabet="0123456789", min_size=8, max_size=8),
        st.text(alphabet=ALPHABET, min_size=9, max_size=9),
    ).map("".join)
)
def test_completed_codes_validate_and_any_other_check_character_fails(body: str) -> None:
    code = with_check_character(body)
    assert normalise_credit_code(code) == code
    for wrong in ALPHABET:
        if wrong != code[-1]:
            with pytest.raises(InvalidCreditCode):
                normalise_credit_code(body + wrong)
