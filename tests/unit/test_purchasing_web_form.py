"""The new-campaign form read whole (pure): the tier rows in the order posted, blank rows dropped,
every wrong row and field named at once, the draft exact; and the price chart's step lines."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from starlette.datastructures import FormData

from alliance.operations.purchasing.split import SplitRule
from alliance.web.purchasing_form import read_campaign
from alliance.web.purchasing_views import price_chart

FIELDS = {"title": "A4 纸", "item": "A4 复印纸", "spec": "", "unit": "箱", "organiser": "A",
          "deadline": "2026-11-25T18:00", "min_quantity": "100", "split_rule": "shapley", "fee_percent": "2.5",
          "deposit": "1.50", "purchasing_share": "", "threshold": "15"}


def form(rows: list[tuple[str, str]], second: list[tuple[str, str]] | None = None, **changes: str) -> FormData:
    items = list({**FIELDS, **changes}.items()) + [("q0_supplier", "甲纸业"), ("q0_account", "")]
    items += [pair for n, p in rows for pair in (("q0_min", n), ("q0_price", p))]
    if second is not None:
        items += [("q1_supplier", "乙纸业"), ("q1_account", "yi")]
        items += [pair for n, p in second for pair in (("q1_min", n), ("q1_price", p))]
    return FormData(items)


def read(posted: FormData):  # type: ignore[no-untyped-def]
    values = {k: v for k, v in posted.items() if not k.startswith("q")}
    return read_campaign(posted, values, ["A", "B"], "Asia/Shanghai", "CNY", lambda text: text, str)


def test_a_good_form_is_an_exact_draft_and_blank_rows_are_dropped() -> None:
    got, draft = read(form([("1", "5.00"), ("", ""), ("100", "4.5")], [("1", "4.90"), ("300", "3.9")]))
    assert got.ok and draft is not None
    assert draft.deadline == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    assert draft.fee_rate == Decimal("0.025") and draft.deposit_per_unit == 150 and draft.split_rule is SplitRule.SHAPLEY
    assert [(t.min_quantity, t.unit_price) for t in draft.quotes[0].tiers] == [(1, Decimal("5.00")), (100, Decimal("4.5"))]
    assert draft.quotes[0].account == "" and draft.quotes[1].account == "ext:yi"
    assert [len(q.rows) for q in got.quotes] == [2, 2]  # shown again without the blank row


def test_every_wrong_row_and_field_is_named_at_once() -> None:
    got, draft = read(form([("1", "5"), ("x", "4"), ("50", "")], deadline="tomorrow", organiser="Z", deposit="0.001"))
    assert draft is None
    assert set(got.row_errors) == {(0, 1), (0, 2)}
    assert set(got.form.errors) == {"deadline", "organiser", "deposit"}


def test_rows_out_of_order_are_named_by_the_row_the_page_shows() -> None:
    got, draft = read(form([("1", "5"), ("", ""), ("200", "4"), ("100", "4.5")]))
    assert draft is None
    assert set(got.row_errors) == {(0, 2)}  # the third row shown (the blank one is gone)
    assert any("out of order" in text for text in got.row_errors[(0, 2)])
    first, _ = read(form([("2", "5")]))
    assert (0, 0) in first.row_errors


def test_the_chart_draws_each_quote_as_steps_and_marks_the_aggregate() -> None:
    from alliance.operations.purchasing.model import QuoteView
    from alliance.operations.purchasing.tiers import Tier

    class View:
        quantity = 110
        minimum = 100
        quotes = (QuoteView(1, "甲", "ext:a", (Tier(1, Decimal("5")), Tier(100, Decimal("4.5"))), True),)

    option = price_chart(View(), ("Q", "P", "now"))  # type: ignore[arg-type]
    series = option["series"][0]
    assert series["step"] == "end" and series["data"][0] == [1, 5.0] and series["data"][-1][1] == 4.5
    assert series["markLine"]["data"] == [{"xAxis": 110}] and option["xAxis"]["max"] > 110
