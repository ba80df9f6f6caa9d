"""The IP register's pure engine: exact shares (parsed from text, never floats; a property test that
shares stay exact and sum to 1 across any number of changes, through their stored text), every
problem of an entry found at once, duplicate numbers per holder, and what a leaving member may keep
using under each exit policy; joint patents."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from alliance.ip.checks import (DuplicateIpNumber, IpInvalid, LicenceDatesReversed, NotAMember, SharesNotWhole,
                                UnknownIpKind, check_entry, check_shares, parse_kind, parse_share)
from alliance.ip.exit import Basis, ExitPolicy, joint_patents, usable_after_exit
from alliance.ip.model import (Asset, IpKind, Licence, Origin, Share, Version, number_key, share_percent,
                               share_text)

AT = datetime(2026, 12, 5, tzinfo=UTC)
MEMBERS = {"A", "B", "C"}


def _v(owner: str | None = None, shares: tuple[tuple[str, Fraction], ...] = (), number: str | None = "N1",
       version: int = 1) -> Version:
    return Version(version, "t", number, owner, Licence("l") if owner else None,
                   tuple(Share(m, s) for m, s in shares), None, "", "x", AT)


def _asset(n: int, origin: Origin, kind: IpKind, *versions: Version) -> Asset:
    return Asset(n, origin, kind, versions)


def _fg(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {"origin": Origin.FOREGROUND, "kind": "patent", "title": "密封结构", "number": "CN1",
                                 "owner": None, "licence": None, "contributors": [("A", "1/3"), ("B", "2/3")],
                                 "project": None, "note": "", "members": MEMBERS, "register": []}
    return values | changes


@pytest.mark.parametrize("text, value", [("1/3", Fraction(1, 3)), ("0.25", Fraction(1, 4)), ("25%", Fraction(1, 4)),
                                         (" 2 / 3 ", Fraction(2, 3)), ("1", Fraction(1)),
                                         ("0.1", Fraction(1, 10))])
def test_shares_are_parsed_exactly(text: str, value: Fraction) -> None:
    assert parse_share(text) == value
    assert parse_share(share_text(value)) == value


@pytest.mark.parametrize("text", ["", "abc", "1/0", "0", "-1/2", "3/2", "nan", "1e999999", "1e-9", "0x1", "+0.5", "1/3%",
                                  "1.", ".5", "x" * 50])
def test_bad_shares_are_refused(text: str) -> None:
    with pytest.raises(IpInvalid):
        parse_share(text)


def test_shares_must_sum_to_exactly_one() -> None:
    with pytest.raises(SharesNotWhole) as raised:
        check_entry(**_fg(contributors=[("A", "0.33"), ("B", "0.67"), ("C", "0.0001")]))  # type: ignore[arg-type]
    assert raised.value.code == "ip_shares_not_one" and "10001/10000" in str(raised.value)
    entry = check_entry(**_fg(contributors=[("A", "1/3"), ("B", "1/3"), ("C", "1/3")]))  # type: ignore[arg-type]
    assert sum(s.share for s in entry.contributors) == 1


def test_every_problem_is_found_at_once_and_the_first_names_the_error() -> None:
    with pytest.raises(IpInvalid) as raised:
        check_entry(**_fg(title="", contributors=[("Z", "1/2"), ("A", "1/3")]))  # type: ignore[arg-type]
    found = [str(p) for p in raised.value.problems]
    assert raised.value.code == "ip_invalid" and "title is required" in str(raised.value)
    assert len(found) == 3 and any("title" in p for p in found) and any("sum to 5/6" in p for p in found)


def test_kinds_numbers_and_licences() -> None:
    assert parse_kind("Know-how") is IpKind.KNOW_HOW
    with pytest.raises(UnknownIpKind):
        check_entry(**_fg(kind="poem"))  # type: ignore[arg-type]
    with pytest.raises(IpInvalid, match="needs its registration"):
        check_entry(**_fg(number=" "))  # type: ignore[arg-type]
    assert check_entry(**_fg(kind="know_how", number=None)).number is None  # type: ignore[arg-type]
    background = _fg(origin=Origin.BACKGROUND, owner="A", contributors=[],
                     licence=Licence("x", starts_on=date(2027, 1, 2), until=date(2027, 1, 1)))
    with pytest.raises(LicenceDatesReversed):
        check_entry(**background)  # type: ignore[arg-type]
    with pytest.raises(IpInvalid, match="licence"):
        check_entry(**background | {"licence": None})  # type: ignore[arg-type]
    with pytest.raises(NotAMember):
        check_entry(**background | {"owner": "Z", "licence": Licence("x")})  # type: ignore[arg-type]


def test_a_number_is_registered_once_per_holder_and_kind() -> None:
    register = [_asset(1, Origin.BACKGROUND, IpKind.PATENT, _v(owner="A", number="CN1")),
                _asset(2, Origin.FOREGROUND, IpKind.PATENT, _v(shares=(("A", Fraction(1)),), number="CN9"))]
    background = _fg(origin=Origin.BACKGROUND, owner="A", contributors=[], licence=Licence("x"), register=register)
    with pytest.raises(DuplicateIpNumber):
        check_entry(**background | {"number": "cn1"})  # type: ignore[arg-type]
    assert check_entry(**background | {"owner": "B"}).owner == "B"  # type: ignore[arg-type]
    assert check_entry(**background | {"asset": 1}).number == "CN1"  # the asset itself, changed
    with pytest.raises(DuplicateIpNumber):
        check_entry(**_fg(number="CN9", register=register))  # type: ignore[arg-type]
    assert check_entry(**_fg(kind="design", number="CN9", register=register)).kind is IpKind.DESIGN


@pytest.mark.parametrize("typed", ["ZL 2024 1234567.8", "zl202412345678", "ＺＬ２０２４１２３４５６７．８",
                                   "ZL　2024-1234567.8", " Zl 2024 1234567·8 ", "ZL2024/12345678", "ｚｌ 2024 12345678"])
def test_a_number_spaced_punctuated_or_full_width_is_the_same_number(typed: str) -> None:
    register = [_asset(1, Origin.BACKGROUND, IpKind.PATENT, _v(owner="A", number="ZL202412345678"))]
    background = _fg(origin=Origin.BACKGROUND, owner="A", contributors=[], licence=Licence("x"), register=register)
    with pytest.raises(DuplicateIpNumber, match="asset 1 \\(as ZL202412345678\\)"):
        check_entry(**background | {"number": typed})  # type: ignore[arg-type]
    stored = [_asset(1, Origin.BACKGROUND, IpKind.PATENT, _v(owner="A", number=typed))]
    with pytest.raises(DuplicateIpNumber):  # and the other way round
        check_entry(**background | {"number": "ZL202412345678", "register": stored})  # type: ignore[arg-type]
    assert check_entry(**background | {"number": typed, "register": []}).number == typed.strip()  # kept as entered


def test_letters_digits_and_symbols_still_tell_numbers_apart() -> None:
    assert number_key("ZL 2024 1234567.8") == number_key("ｚｌ２０２４１２３４５６７８") == "zl202412345678"
    assert number_key("ZL202412345678") != number_key("ZL202412345679")
    assert number_key("US-D123,456") == "usd123456" and number_key("C++ 1") != number_key("C 1")
    with pytest.raises(IpInvalid, match="no letter or digit"):
        check_entry(**_fg(number=" - . / "))  # type: ignore[arg-type]


def _register() -> list[Asset]:
    third = Fraction(1, 3)
    return [
        _asset(1, Origin.BACKGROUND, IpKind.PATENT, _v(owner="A")),
        _asset(2, Origin.BACKGROUND, IpKind.SOFTWARE, _v(owner="A"), _v(owner="B", version=2)),  # transferred
        _asset(3, Origin.FOREGROUND, IpKind.PATENT, _v(shares=(("A", third), ("B", 2 * third)))),
        _asset(4, Origin.FOREGROUND, IpKind.PATENT, _v(shares=(("B", Fraction(1)),))),
        _asset(5, Origin.FOREGROUND, IpKind.DESIGN, _v(shares=(("B", third), ("C", 2 * third)))),
        _asset(6, Origin.FOREGROUND, IpKind.PATENT, _v(shares=(("A", Fraction(1)),)),
               _v(shares=(("A", Fraction(1, 2)), ("C", Fraction(1, 2))), version=2)),
    ]


def test_what_a_leaving_member_keeps_using_under_each_policy() -> None:
    register = _register()

    def kept(member: str, policy: ExitPolicy) -> list[tuple[int, str]]:
        return [(u.asset.asset, u.basis.value) for u in usable_after_exit(register, member, policy)]

    assert kept("A", ExitPolicy.NONE_BEYOND_OWN) == [(1, "own_background")]
    assert kept("A", ExitPolicy.OWNERS_KEEP) == [(1, "own_background"), (3, "co_owner"), (6, "co_owner")]
    assert kept("A", ExitPolicy.LICENCE_SURVIVES) == [(1, "own_background"), (3, "co_owner"),
                                                      (4, Basis.LICENCE.value), (5, Basis.LICENCE.value),
                                                      (6, "co_owner")]
    assert kept("B", ExitPolicy.NONE_BEYOND_OWN) == [(2, "own_background")]  # transferred to B
    assert kept("Z", ExitPolicy.OWNERS_KEEP) == []
    assert usable_after_exit(register, "C", "owners_keep")  # type: ignore[arg-type]  # the clause's text value


def test_joint_patents_count_foreground_patents_with_two_or_more_contributors() -> None:
    assert joint_patents(_register()) == 2  # 3 and 6 (now); 5 is a design, 1 background
    assert joint_patents([]) == 0


def test_shares_are_shown_as_percentages_only_for_people() -> None:
    assert share_percent(Fraction(1, 3)) == "33.33%" and share_percent(Fraction(1)) == "100%"


members = st.lists(st.sampled_from([f"M{n}" for n in range(8)]), min_size=1, max_size=8, unique=True)


@settings(max_examples=150, deadline=None)
@given(members=members, weights=st.lists(st.integers(1, 10**6), min_size=8, max_size=8),
       moves=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7), st.integers(1, 97), st.integers(1, 97)),
                      max_size=10))
def test_shares_stay_exact_and_sum_to_one_across_changes(members: list[str], weights: list[int],
                                                          moves: list[tuple[int, int, int, int]]) -> None:
    """Each change moves part of one contributor's share to another (possibly a new one) and goes
    through the text the store keeps; the check accepts it and the sum stays exactly 1."""
    total = sum(weights[:len(members)])
    shares = {m: Fraction(w, total) for m, w in zip(members, weights)}
    everyone = {f"M{n}" for n in range(8)}
    for giver, taker, top, bottom in moves:
        source = sorted(shares)[giver % len(shares)]
        target = f"M{taker}"
        part = shares[source] * Fraction(min(top, bottom), max(top, bottom))
        if target == source:
            continue
        shares[source] -= part
        shares[target] = shares.get(target, Fraction(0)) + part
        shares = {m: s for m, s in shares.items() if s}
        found: list[object] = []
        checked = check_shares(found, [(m, share_text(s)) for m, s in shares.items()], everyone)  # type: ignore[arg-type]
        assert found == []
        assert sum(s.share for s in checked) == 1
        assert {s.member: s.share for s in checked} == shares
    assert sum(shares.values()) == 1


def test_the_exit_policies_are_those_the_agreements_ip_clause_chooses_from() -> None:
    """The IP clause (sharing.clauses.ip) names the policy; the register applies it: same values."""
    from alliance.sharing.clauses.ip import AfterExit

    assert {p.value for p in ExitPolicy} == {a.value for a in AfterExit}
    for chosen in AfterExit:
        assert usable_after_exit(_register(), "A", chosen) == usable_after_exit(_register(), "A", ExitPolicy(chosen))
