"""The pure import check: header mapping in both languages, every bad row reported, nothing partial."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from alliance.core.errors import InvalidInput
from alliance.core.money import Money
from alliance.registry.credit_code import with_check_character
from alliance.registry.importing import map_header, plan_member_import
from alliance.registry.model import CompanySize, MemberRole
from alliance.registry.records import ParseContext

CTX = ParseContext(currency="CNY", today=date(2026, 11, 22))
CC1 = with_check_character("91330200MA2H0001K")
CC2 = with_check_character("91330200MA2H0002K")
CC3 = with_check_character("91330200MA2H0003K")


def problems_of(header: list[str], rows: list[list[str]], existing: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    with pytest.raises(InvalidInput) as caught:
        plan_member_import(header, rows, CTX, existing or {})
    return [(p.where, p.field, p.reason) for p in caught.value.problems]


def test_english_headers() -> None:
    drafts = plan_member_import(
        ["code", "name", "credit_code", "revenue", "debt_ratio", "size", "role", "joined_on", "patent_count"],
        [["NB1", "宁波甬精机械有限公司", CC1, "1,200,000.50", "45%", "small", "hub", "2025/03/01", "12"]],
        CTX,
        {},
    )
    (d,) = drafts
    assert d.code == "NB1" and d.credit_code == CC1
    assert d.profile.revenue == Money(120000050, "CNY")
    assert d.profile.debt_ratio == Decimal("0.45")
    assert d.size is CompanySize.SMALL and d.role is MemberRole.HUB
    assert d.joined_on == date(2025, 3, 1)
    assert d.profile.patent_count == 12


def test_chinese_headers_and_labels() -> None:
    (d,) = plan_member_import(
        ["编码", "名称", "统一社会信用代码", "行业", "地区", "规模", "角色", "资产负债率", "市场声誉"],
        [["NB2", "宁波精工模具有限公司", CC2, "精密制造", "浙江宁波", "中型", "核心企业", "0.3", "8.5"]],
        CTX,
        {},
    )
    assert d.industry == "精密制造" and d.region == "浙江宁波"
    assert d.size is CompanySize.MEDIUM and d.role is MemberRole.HUB
    assert d.profile.reputation == Decimal("8.5")
    assert d.joined_on == CTX.today  # defaults to today in the alliance's time zone


def test_header_problems_are_all_reported() -> None:
    found = problems_of(["名称", "name", "备注"], [])
    assert ("header", "name", "repeats the column '名称'") in found
    assert any(p[1] == "备注" and p[2].startswith("unknown column") for p in found)
    assert ("header", "code", "required column missing (code or 编码)") in found
    assert ("header", "credit_code", "required column missing (credit_code or 统一社会信用代码)") in found


def test_every_bad_row_is_reported_with_its_spreadsheet_row_number() -> None:
    found = problems_of(
        ["code", "name", "credit_code", "revenue", "patent_count"],
        [
            ["A1", "甲公司", CC1, "100", "1"],  # row 2: fine
            ["A2", "", CC2, "100", "1"],  # row 3: missing name
            ["A3", "丙公司", CC3[:-1] + ("0" if CC3[-1] != "0" else "1"), "100", "1"],  # row 4: bad check char
            ["A1", "丁公司", with_check_character("91330200MA2H0009K"), "1.001", "x"],  # row 5: dup code, bad numbers
            ["", "", "", "", ""],  # blank rows are skipped
            ["A6", "戊公司", CC1, "5", "1"],  # row 7: credit code repeats row 2
        ],
    )
    assert ("row 3", "name", "is required") in found
    assert any(w == "row 4" and f == "credit_code" and "check character is wrong" in r for w, f, r in found)
    assert ("row 5", "code", "'A1' repeats row 2") not in found  # parse errors come first; dup checks need a draft
    assert any(w == "row 5" and f == "revenue" and "more than 2 decimal places" in r for w, f, r in found)
    assert any(w == "row 5" and f == "patent_count" for w, f, r in found)
    assert ("row 7", "credit_code", f"{CC1!r} repeats row 2") in found
    assert not any(w == "row 2" for w, _, _ in found)


def test_duplicates_within_the_file_and_with_existing_members() -> None:
    found = problems_of(
        ["code", "name", "credit_code"],
        [["A1", "甲", CC1], ["A1", "乙", CC2], ["B1", "丙", CC3]],
        existing={CC3: "OLD"},
    )
    assert ("row 3", "code", "'A1' repeats row 2") in found
    assert ("row 4", "credit_code", f"{CC3!r} is already registered as member 'OLD'") in found
    found = problems_of(["code", "name", "credit_code"], [["OLD", "甲", CC1]], existing={CC3: "OLD"})
    assert ("row 2", "code", "'OLD' is already the code of a member of this alliance") in found


def test_error_message_counts_bad_rows() -> None:
    with pytest.raises(InvalidInput, match="2 bad row"):
        plan_member_import(["code", "name", "credit_code"], [["A", "", CC1], ["B", "", CC2]], CTX, {})


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("debt_ratio", "1200%", "not a ratio"),
        ("reputation", "11", "outside the 0-10 score range"),
        ("api_count", "-1", "not a whole, non-negative count"),
        ("api_count", "2.5", "not a whole, non-negative count"),
        ("joined_on", "yesterday", "not a date"),
        ("size", "huge", "not one of: micro, small, medium, large"),
        ("code", "has space", "not a valid code"),
        ("credit_code", "9.13302e+17", "stored as a number"),
    ],
)
def test_field_reasons(column: str, value: str, reason: str) -> None:
    header = ["code", "name", "credit_code", column] if column not in ("code", "credit_code") else ["code", "name", "credit_code"]
    row = {"code": "A1", "name": "甲", "credit_code": CC1, column: value}
    found = problems_of(header, [[row[h] for h in header]])
    assert any(f == column and reason in r for _, f, r in found), found


def test_map_header_ignores_case_and_spaces() -> None:
    mapped = map_header(["Code", " Name ", "Credit Code"])
    assert mapped.positions == {"code": 0, "name": 1, "credit_code": 2}


def test_repeats_are_found_exactly_once_the_codes_seen_spill_to_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    from alliance.registry import importing
    from alliance.registry.importing import RowIndex

    with RowIndex(spill=3) as index:
        for row, value in enumerate("abcde", start=2):
            index.add(value, row)
        assert [index.get(v) for v in "abcdez"] == [2, 3, 4, 5, 6, None]
    monkeypatch.setattr(importing, "SPILL_AFTER", 2)
    codes = [with_check_character(f"91330200MA2H{n:04d}K") for n in range(1, 7)]
    rows = [[f"NB{n}", f"企业{n}", codes[n - 1]] for n in range(1, 7)]
    rows += [["NB2", "重复", codes[4]], ["NB9", "又一个", codes[0]]]
    found = problems_of(["code", "name", "credit_code"], rows)
    assert found == [("row 8", "code", "'NB2' repeats row 3"), ("row 8", "credit_code", f"{codes[4]!r} repeats row 6"),
                     ("row 9", "credit_code", f"{codes[0]!r} repeats row 2")]
