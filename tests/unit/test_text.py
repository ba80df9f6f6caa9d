"""Free text typed by people: the one check every name, owner and note goes through."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.core.errors import InvalidInput
from alliance.core.text import BIDI_CONTROLS, check_text


def test_names_are_stripped_and_bounded() -> None:
    assert check_text("  宁波精密零部件有限公司 ", "name", 20) == "宁波精密零部件有限公司"
    with pytest.raises(InvalidInput, match="required"):
        check_text("   ", "name", 20)
    assert check_text("", "note", 20, required=False) == ""
    with pytest.raises(InvalidInput, match="longer than 3"):
        check_text("abcd", "code", 3)


@pytest.mark.parametrize("bad", ["A\x00B", "A\x1bB", "A\x7fB", "line\nbreak"])
def test_control_characters_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match="control characters"):
        check_text(bad, "name", 100)
    assert check_text("two\nlines", "note", 100, multiline=True) == "two\nlines"


@given(st.text(min_size=1, max_size=20), st.sampled_from(sorted(BIDI_CONTROLS)), st.text(max_size=20))
def test_text_direction_overrides_are_refused_anywhere(before: str, control: str, after: str) -> None:
    # "发票\u202egnp.exe" shows as something else than what it is: refused, wherever it sits.
    with pytest.raises(InvalidInput):
        check_text(before + control + after + "x", "name", 100)
