"""Settlement's and core's user-facing texts travel as Messages: English as before, and said in
another language with every part (an edge's own hint, a nested description) translated too."""

from __future__ import annotations

from datetime import date

import pytest

from alliance.core.dates import DateError, parse_date
from alliance.core.messages import Message
from alliance.core.text import check_text
from alliance.core.errors import InvalidInput
from alliance.settlement.unshared import UnsharedDay


def fake_zh(template: str) -> str:
    """A stand-in catalogue: a few templates in 'Chinese', the rest as they are."""
    return {
        "run again with --allow-unshared": "请加上 --allow-unshared 重新运行",
        "the reason": "原因",
        "{what} is required": "{what}为必填项",
    }.get(template, "ZH " + template)


def test_an_unshared_day_names_the_edges_way_to_confirm_in_any_language() -> None:
    exc = UnsharedDay("sh", date(2026, 11, 5), 2, Message("run again with --allow-unshared"))
    assert exc.message.startswith("2026-11-05 has 2 order line(s) but no agreement of 'sh' is in force on it")
    assert exc.message.endswith("confirm to close it with nothing shared: run again with --allow-unshared")
    assert isinstance(exc.message, Message)
    said = exc.message.in_language(fake_zh)
    assert said.startswith("ZH 2026-11-05 has 2") and said.endswith("请加上 --allow-unshared 重新运行")
    plain = UnsharedDay("sh", date(2026, 11, 5), 2)
    assert plain.message.endswith("confirm to close it with nothing shared")


def test_a_description_is_translated_inside_the_message() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_text("  ", Message("the reason"), 500)
    assert caught.value.message == "the reason is required"
    assert caught.value.message.in_language(fake_zh) == "原因为必填项"


@pytest.mark.parametrize(("written", "english"), [
    ("2026/2/30", "'2026/2/30' is not a date: 2026 has no day 30 of month 2"),
    ("1999-12-31", "'1999-12-31' is outside the years 2000 to 2099"),
])
def test_a_date_error_carries_its_message(written: str, english: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(written)
    assert str(caught.value) == english == caught.value.message
    assert isinstance(caught.value.message, Message) and caught.value.message.params
