"""A rejected order line's reasons travel from SQL as codes and become one translatable message."""

from __future__ import annotations

import duckdb

from alliance.core.messages import Message
from alliance.store.rejections import RS, US, reason, sql_reason


def test_codes_become_the_english_reasons_joined_and_translatable() -> None:
    said = reason(RS.join(["required" + US + "line_id", "no_member" + US + "seller",
                           "no_member" + US + "product_owner" + US + "XX", "repeats" + US + "2"]))
    assert said == ("line_id is required; seller (missing) is not a member; product_owner 'XX' is not a member; "
                    "line_id repeats row 2")
    assert isinstance(said, Message)
    zh = {"{first}; {rest}": "{first}；{rest}", "{field} is required": "{field} 为必填项",
          "{field} (missing) is not a member": "{field}（缺失）不是成员",
          "{field} '{value}' is not a member": "{field}“{value}”不是成员",
          "line_id repeats row {row}": "line_id 与第 {row} 行重复"}
    assert said.in_language(lambda t: zh.get(t, t)) == ("line_id 为必填项；seller（缺失）不是成员；product_owner“XX”不是成员；"
                                                        "line_id 与第 2 行重复")


def test_an_unknown_code_is_shown_as_it_is() -> None:
    assert reason("something" + US + "else") == "something else"


def test_sql_writes_what_the_reader_reads_with_separators_removed_from_values() -> None:
    expression = sql_reason("other_seller", "sale", "sold_by", "'HW'")
    (coded,) = duckdb.sql(f"SELECT {expression} FROM (SELECT 'S' || chr(30) || '1' AS sale, 'SW' || chr(31) AS sold_by)"
                          ).fetchone()
    assert reason(coded) == "refund_of 'S1' was sold by SW, not HW"
