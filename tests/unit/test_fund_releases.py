"""A fund's release, pure: every problem of its parts at once, and statement lines that sum to zero."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from alliance.settlement.fund_releases import FundRelease, Part, check_parts, parts_digest, statement_lines


def release(parts: list[tuple[str, int]]) -> FundRelease:
    return FundRelease(1, "growth-fund", "fund", "dissolution of hq", "CNY", datetime(2026, 12, 5, tzinfo=UTC), "x",
                       None, tuple(Part(m, a) for m, a in parts))


def test_every_problem_of_the_parts_is_named() -> None:
    found = check_parts([("A", 5), ("A", 1), ("Z", 1), ("B", -1), ("C", True)], {"A", "B", "C"}, 6, "CNY")
    assert [(str(p.where), p.field) for p in found] == [
        ("part 2", "member"), ("part 3", "member"), ("part 4", "amount"), ("part 5", "amount"), ("the release", "parts")]
    assert check_parts([("A", 5), ("B", 1)], {"A", "B"}, 6, "CNY") == []
    assert [p.field for p in check_parts([], {"A"}, 6, "CNY")] == ["parts"]


def test_the_digest_follows_the_parts_and_their_order() -> None:
    one = parts_digest([Part("A", 5), Part("B", 1)], "CNY")
    assert one == parts_digest([Part("A", 5), Part("B", 1)], "CNY")
    assert one != parts_digest([Part("B", 1), Part("A", 5)], "CNY") != parts_digest([Part("A", 6), Part("B", 1)], "CNY")


@given(st.lists(st.tuples(st.sampled_from("ABCDEFG"), st.integers(1, 10**12)), min_size=1, max_size=7,
                unique_by=lambda p: p[0]))
def test_the_lines_sum_to_zero_and_move_exactly_each_part(parts: list[tuple[str, int]]) -> None:
    lines = statement_lines(release(parts))
    assert sum(l["amount_minor"] for l in lines) == 0
    assert sum(l["amount_minor"] for l in lines if l["account"] == "growth-fund") == -sum(a for _m, a in parts)
    assert {l["account"]: l["amount_minor"] for l in lines if l["account"] != "growth-fund"} == dict(parts)
    assert {l["kind"] for l in lines} == {"fund_release"} and {l["correction_of"] for l in lines} == {"dissolution of hq"}
