"""Which parties of the versions in force have left: the warning the coordinator acts on."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alliance.sharing.versions import AgreementVersion, DepartedParty, departed_parties


def version(code: str, n: int, parties: tuple[str, ...]) -> AgreementVersion:
    return AgreementVersion(code, n, code, date(2027, 1, 1), None, parties, "", "", "0" * 64, "秘书长",
                            datetime(2026, 12, 1, tzinfo=UTC))


def test_a_party_counts_as_gone_from_its_leaving_day_on() -> None:
    v = version("split", 2, ("A", "B", "C"))
    departures = {"B": date(2027, 1, 10), "C": date(2027, 1, 20), "X": date(2027, 1, 1)}
    assert departed_parties([v], departures, date(2027, 1, 9)) == []
    assert departed_parties([v], departures, date(2027, 1, 10)) == [DepartedParty("split", 2, "B", date(2027, 1, 10))]
    assert [d.member_code for d in departed_parties([v], departures, date(2027, 1, 20))] == ["B", "C"]


def test_only_parties_of_the_versions_given_are_listed_in_agreement_order() -> None:
    versions = [version("zeta", 1, ("A", "B")), version("alpha", 3, ("B",)), version("beta", 1, ("C",))]
    listed = departed_parties(versions, {"B": date(2027, 1, 5)}, date(2027, 2, 1))
    assert [(d.agreement_code, d.version) for d in listed] == [("alpha", 3), ("zeta", 1)]
    assert departed_parties(versions, {}, date(2027, 2, 1)) == []
