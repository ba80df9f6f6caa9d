"""The contract set: projects under their framework, supplements, the tree and the clauses in force."""

from __future__ import annotations

from datetime import UTC, date, datetime

import yaml

from alliance.sharing.agreement import Agreement, canonical_json, digest, load_agreement_text
from alliance.sharing.clauses import ClauseKind
from alliance.sharing.layers import clauses_in_force, conflicts, merged_clauses, tree
from alliance.sharing.versions import AgreementVersion, Signature

FRAMEWORK = {
    "agreement": "frame", "kind": "framework", "effective_from": "2027-01-01", "effective_until": "2028-12-31",
    "parties": ["A", "B", "C"],
    "clauses": [
        {"clause": "scope", "text": "范围", "channels": ["online", "store"]},
        {"clause": "data_use", "text": "数据", "data": ["order lines"], "purposes": ["settlement"], "retention_days": 365},
        {"clause": "exit", "text": "退出", "notice_days": 90, "survives": ["confidentiality"]},
        {"clause": "disputes", "text": "争议", "negotiation_days": 30, "arbitration_body": "CIETAC", "seat": "上海"},
        {"clause": "confidentiality", "text": "保密", "years_after_exit": 3},
        {"clause": "non_compete", "text": "竞业", "until": "2028-06-30", "scope": "同类"},
        {"clause": "ip", "text": "IP", "after_exit": "owners_keep"},
    ],
}
RULES = [{"id": "split", "kind": "fixed_split", "shares": {"A": "0.5", "B": "0.5"}}]


def agreement(raw: dict[str, object]) -> Agreement:
    return load_agreement_text(yaml.safe_dump(raw, allow_unicode=True))


def project(**changes: object) -> dict[str, object]:
    raw: dict[str, object] = {"agreement": "p1", "kind": "project", "under": "frame", "effective_from": "2027-03-01",
                              "effective_until": "2028-06-30", "parties": ["A", "B"], "rules": RULES, "clauses": []}
    raw.update(changes)
    return raw


def fields(found: list) -> list[str]:
    return [c.field for c in found]


def test_a_project_inside_its_framework_has_no_conflict() -> None:
    clauses = [{"clause": "data_use", "text": "d", "data": ["order lines"], "purposes": ["settlement"], "retention_days": 180},
               {"clause": "exit", "text": "e", "notice_days": 120, "survives": ["confidentiality", "ip"]},
               {"clause": "scope", "text": "s", "channels": ["online"]}]
    assert conflicts(agreement(project(clauses=clauses)), {"frame": agreement(FRAMEWORK)}, None) == []


def test_every_contradiction_of_the_framework_is_named() -> None:
    clauses = [
        {"clause": "scope", "text": "s", "channels": ["online", "wholesale"]},
        {"clause": "data_use", "text": "d", "data": ["order lines", "phone numbers"], "purposes": ["settlement", "ads"],
         "retention_days": 800},
        {"clause": "exit", "text": "e", "notice_days": 30},
        {"clause": "disputes", "text": "x", "negotiation_days": 10, "arbitration_body": "SHIAC", "seat": "北京"},
        {"clause": "confidentiality", "text": "c", "years_after_exit": 1},
        {"clause": "non_compete", "text": "n", "until": "2028-12-31", "scope": "同类"},
        {"clause": "ip", "text": "i", "after_exit": "licence_survives"},
    ]
    raw = project(parties=["A", "B", "D"], effective_from="2027-01-01", effective_until=None, clauses=clauses)
    raw["agreement"] = "p2"
    found = conflicts(load_agreement_text(yaml.safe_dump(raw, allow_unicode=True).replace("effective_from: '2027-01-01'",
                                                                                         "effective_from: '2026-12-01'")),
                      {"frame": agreement(FRAMEWORK)}, None)
    said = {(c.field, str(c.reason)) for c in found}
    assert ("parties", "D not a party of framework frame (A, B, C)") in said
    assert ("effective_from", "2026-12-01 is before framework frame takes effect (2027-01-01)") in said
    assert ("effective_until", "the project runs beyond framework frame, which ends on 2028-12-31") in said
    for kind in ("scope", "data_use", "exit", "disputes", "confidentiality", "non_compete", "ip"):
        assert f"clauses.{kind}" in fields(found), kind
    assert sum(1 for f in fields(found) if f == "clauses.data_use") == 3  # longer, other purposes, other data
    assert any("keeps data 800 days, longer than the framework's 365" == str(c.reason) for c in found)


def test_a_project_needs_a_framework() -> None:
    assert [str(c.reason) for c in conflicts(agreement(project()), {}, None)] == [
        "there is no agreement 'frame' in this alliance"]
    standalone = agreement({"agreement": "frame", "effective_from": "2027-01-01", "parties": ["A", "B"], "rules": RULES})
    assert [str(c.reason) for c in conflicts(agreement(project()), {"frame": standalone}, None)] == [
        "'frame' is a standalone agreement, not a framework"]


def test_an_agreement_keeps_its_kind_and_place() -> None:
    as_framework = agreement({**FRAMEWORK, "agreement": "p1"})
    found = conflicts(agreement(project()), {"frame": agreement(FRAMEWORK)}, as_framework)
    assert fields(found) == ["kind", "under"]


def test_supplements_replace_clauses_and_are_checked_against_the_framework() -> None:
    base = agreement(project(clauses=[{"clause": "confidentiality", "text": "三年", "years_after_exit": 3}]))
    supplement_raw = {"agreement": "p1-s1", "kind": "supplement", "amends": "p1", "effective_from": "2027-06-01",
                      "parties": ["B", "A"],
                      "clauses": [{"clause": "confidentiality", "text": "五年", "years_after_exit": 5}]}
    latest = {"frame": agreement(FRAMEWORK), "p1": base}
    assert conflicts(agreement(supplement_raw), latest, None) == []
    merged = merged_clauses(base, [agreement(supplement_raw)])
    assert [(c.kind, c.params.years_after_exit) for c in merged] == [(ClauseKind.CONFIDENTIALITY, 5)]
    # Fewer years than the framework's, through a supplement, is still a contradiction of it.
    weaker = dict(supplement_raw, clauses=[{"clause": "confidentiality", "text": "一年", "years_after_exit": 1}])
    found = conflicts(agreement(weaker), latest, None)
    assert [str(c.reason) for c in found] == [
        "with this supplement, p1 keeps secrets 1 years after an exit, fewer than the framework's 3"]
    # Signed by every party of what it amends; not a supplement of a supplement; after what it amends.
    found = conflicts(agreement(dict(supplement_raw, parties=["A", "C"], effective_from="2027-02-01")), latest, None)
    assert fields(found) == ["parties", "effective_from"]
    latest["p1-s1"] = agreement(supplement_raw)
    found = conflicts(agreement(dict(supplement_raw, agreement="s2", amends="p1-s1")), latest, None)
    assert fields(found) == ["amends"]


def test_a_new_framework_version_may_not_strand_its_projects() -> None:
    narrower = dict(FRAMEWORK, parties=["A", "C"], effective_until="2028-03-31")
    found = conflicts(agreement(narrower), {"p1": agreement(project())}, agreement(FRAMEWORK))
    assert {str(c.reason) for c in found} == {
        "project p1: B not a party of framework frame (A, C)",
        "project p1: the project runs beyond framework frame, which ends on 2028-03-31"}


def version(document: Agreement, n: int = 1, signed: bool = True) -> AgreementVersion:
    when = datetime(2026, 12, 1, tzinfo=UTC)
    signatures = tuple(Signature(p, p, digest(document), when) for p in document.parties) if signed else ()
    return AgreementVersion(document.code, n, document.title, document.effective_from, document.effective_until,
                            document.parties, DOCS[document.code], canonical_json(document), digest(document),
                            "t", when, signatures)


DOCS: dict[str, str] = {}


def stored(raw: dict[str, object]) -> Agreement:
    text = yaml.safe_dump(raw, allow_unicode=True)
    parsed = load_agreement_text(text)
    DOCS[parsed.code] = text
    return parsed


def test_the_tree_and_the_clauses_in_force() -> None:
    frame = stored(FRAMEWORK)
    p1 = stored(project(clauses=[{"clause": "confidentiality", "text": "三年", "years_after_exit": 3}]))
    s1 = stored({"agreement": "p1-s1", "kind": "supplement", "amends": "p1", "effective_from": "2027-06-01",
                 "parties": ["A", "B"], "clauses": [{"clause": "confidentiality", "text": "五年", "years_after_exit": 5}]})
    alone = stored({"agreement": "alone", "effective_from": "2027-01-01", "parties": ["A", "B"], "rules": RULES})
    versions = {a.code: [version(a)] for a in (frame, p1, s1, alone)}
    roots = tree([(vs[0], load_agreement_text(vs[0].document)) for vs in versions.values()])
    assert [(n.code, [(c.code, [g.code for g in c.children]) for c in n.children]) for n in roots] == [
        ("alone", []), ("frame", [("p1", ["p1-s1"])])]

    def years(day: date) -> list[int]:
        return [c.params.years_after_exit for c in clauses_in_force("p1", day, versions, load_agreement_text)]

    assert years(date(2027, 2, 28)) == []  # before the project takes effect
    assert years(date(2027, 5, 31)) == [3]
    assert years(date(2027, 6, 1)) == [5]  # the supplement's clause from its own effective date
    versions["p1-s1"] = [version(s1, signed=False)]
    assert years(date(2027, 6, 1)) == [3]  # an unsigned supplement binds nobody


def test_a_supplement_to_a_framework_may_not_strand_its_projects() -> None:
    stricter = {"agreement": "frame-s1", "kind": "supplement", "amends": "frame", "effective_from": "2027-02-01",
                "parties": ["A", "B", "C"],
                "clauses": [{"clause": "confidentiality", "text": "十年", "years_after_exit": 10}]}
    project_raw = project(clauses=[{"clause": "confidentiality", "text": "三年", "years_after_exit": 3}])
    found = conflicts(agreement(stricter), {"frame": agreement(FRAMEWORK), "p1": agreement(project_raw)}, None)
    assert [str(c.reason) for c in found] == [
        "with this supplement, project p1: keeps secrets 3 years after an exit, fewer than the framework's 10"]
    assert conflicts(agreement(dict(stricter, clauses=[{"clause": "confidentiality", "text": "两年",
                                                        "years_after_exit": 2}])),
                     {"frame": agreement(FRAMEWORK), "p1": agreement(project_raw)}, None) == []
