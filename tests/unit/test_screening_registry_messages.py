"""What screening and the registry tell a user travels as Messages: said in the page's language,
nested parts (a credit code's reason, a candidate's several exclusions, "row N") included."""

from __future__ import annotations

from datetime import date

import pytest

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.registry.credit_code import InvalidCreditCode, normalise_credit_code, with_check_character
from alliance.registry.importing import ProblemLog, plan_member_import
from alliance.registry.model import AllianceKind, AllianceSpec, AllianceStructure, check_alliance_spec
from alliance.registry.records import ParseContext
from alliance.screening.candidates import table_from_members, table_from_rows
from alliance.screening.criteria import parse_spec
from alliance.screening.scoring import rank

CTX = ParseContext(currency="CNY", today=date(2026, 11, 22))
# A stand-in catalogue: every template it knows comes back marked, so a test sees what was translated.
KNOWN = {
    "row {row}": "第 {row} 行",
    "{first}; {rest}": "{first}；{rest}",
    "{criterion} = {value:g} is below the minimum {minimum:g}": "{criterion} = {value:g}，低于最小值 {minimum:g}",
    "{criterion} = {value:g} is above the maximum {maximum:g}": "{criterion} = {value:g}，高于最大值 {maximum:g}",
    "{value!r} is not a valid unified social credit code: {reason}": "{value!r} 不是有效的统一社会信用代码：{reason}",
    "check character is wrong (expected {expected})": "校验码错误（应为 {expected}）",
    "{bad_rows} bad row(s); nothing was imported": "{bad_rows} 行有误，未导入任何数据",
}


def zh(text: str) -> str:
    assert isinstance(text, Message), f"{text!r} is plain text: it cannot be translated"
    return text.in_language(lambda template: KNOWN.get(template, template))


def test_an_excluded_candidate_gives_every_reason_in_the_users_language() -> None:
    spec = parse_spec({"a": {"weight": 0.5, "min": 3}, "b": {"weight": 0.5, "max": 8}})
    table = table_from_rows(spec, ["name", "a", "b"], [["x", "1", "9"], ["y", "5", "5"]])
    (excluded,) = rank(spec, table).excluded
    assert excluded.reason == "a = 1 is below the minimum 3; b = 9 is above the maximum 8"
    assert zh(excluded.reason) == "a = 1，低于最小值 3；b = 9，高于最大值 8"


def test_a_bad_cell_is_placed_by_a_translated_row() -> None:
    spec = parse_spec({"a": 1})
    with pytest.raises(InvalidInput) as caught:
        table_from_rows(spec, ["name", "a"], [["x", "1"], ["y", "q"]])
    (problem,) = caught.value.problems
    assert problem.where == "row 3" and zh(problem.where) == "第 3 行"
    assert isinstance(problem.reason, Message)


def test_a_member_files_reasons_nest_the_credit_codes_own() -> None:
    good = with_check_character("91330200MA2H0001K")
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(InvalidInput) as caught:
        plan_member_import(["code", "name", "credit_code"], [["A1", "甲公司", wrong]], CTX, {})
    (problem,) = caught.value.problems
    assert zh(problem.where) == "第 2 行"
    assert zh(problem.reason).startswith(f"{wrong!r} 不是有效的统一社会信用代码：校验码错误（应为 ")
    assert zh(caught.value.message) == "1 行有误，未导入任何数据"


def test_a_credit_codes_reason_is_a_message() -> None:
    with pytest.raises(InvalidCreditCode) as caught:
        normalise_credit_code("91110000600037341")
    assert caught.value.reason == "must be 18 characters, got 17" and isinstance(caught.value.reason, Message)


def test_an_alliance_specs_reasons_are_messages() -> None:
    spec = AllianceSpec("bad code", "", AllianceKind.SME, AllianceStructure.MESH, timezone="Mars/Olympus")
    reasons = check_alliance_spec(spec)
    assert len(reasons) == 3 and all(isinstance(r, Message) for r in reasons)


def test_a_problem_log_says_how_many_rows_were_bad() -> None:
    log = ProblemLog(shown=1)
    assert zh(log.error().message) == "0 行有误，未导入任何数据"


def test_screening_no_members_says_so() -> None:
    with pytest.raises(InvalidInput) as caught:
        table_from_members(parse_spec({"revenue": 1}), [])
    assert caught.value.message == "the alliance has no members to screen"
