"""The glossary and knowledge base in the store (operations.glossary.service): proposing, the
duplicate refusal within a scope (texts and synonyms, case- and width-insensitive) with nothing
stored, versions kept, who agrees (the coordinator, a body's chair), the ledger's record of an
agreement, search in both languages, articles linked to terms and their versions."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import func, select

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceNotFound, InvalidInput
from alliance.governance import service_meetings
from alliance.ledger import service as ledger
from alliance.operations.glossary import service
from alliance.operations.glossary.articles import ArticleInvalid
from alliance.operations.glossary.model import Status, TermDraft, TermExists, TermInvalid
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.tables import glossary_term_versions, glossary_terms, kb_articles
from tests.support.factories import admin_of, credit_code, make_alliance

COORDINATOR = Principal("coord", Role.COORDINATOR, "g")
AUDITOR = Principal("audit", Role.AUDITOR, "g")
ANALYST = Principal("ana", Role.MEMBER_ANALYST, "g", "A")
OUTSIDER = Principal("other", Role.COORDINATOR, "other")
PALLET = TermDraft("托盘位", "pallet position", "仓库里可放一个标准托盘的位置。", "The space for one standard pallet.",
                   ("板位",), "仓储")


@pytest.fixture
def world(store: Store, clock: FrozenClock) -> Store:
    for code in ("g", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate("ABC", start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    service_meetings.create_body(
        store, "g", COORDINATOR, name="仓储工作组", kind="working_group", term_from=date(2026, 1, 1), term_to=None,
        cadence="weekly", meeting_time=time(10, 0), duration_minutes=60,
        seats=[("B", "chair", None), ("A", "member", None)], rules=None, clock=clock)
    return store


def _count(store: Store, table: object) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _body(store: Store) -> int:
    return service_meetings.list_bodies(store, "g", COORDINATOR)[0].id


def test_a_member_proposes_and_the_coordinator_agrees_with_a_ledger_record(world: Store, clock: FrozenClock) -> None:
    made = service.propose(world, "g", admin_of("g", "A"), PALLET, clock, note="常用")
    assert made.number == 1 and made.status is Status.PROPOSED and made.current.draft.owner == "A"
    assert not service.highlighter(world, "g", AUDITOR)  # proposed terms are never explained
    with pytest.raises(Forbidden):
        service.agree(world, "g", admin_of("g", "A"), 1, clock)  # the alliance's terms: the coordinator's
    agreed = service.agree(world, "g", COORDINATOR, 1, clock)
    assert agreed.status is Status.AGREED and [v.version for v in agreed.versions] == [1, 2]
    entries = [e["entry"] for e in ledger.entries(world, "g", limit=1000) if e["type"] == "glossary.term_agreed"]
    assert len(entries) == 1 and entries[0]["payload"]["term"] == 1 and len(entries[0]["payload"]["sha256"]) == 64
    assert service.highlighter(world, "g", ANALYST).mark("三个托盘位", "zh").count("<abbr") == 1
    assert ledger.verify_store(world, "g").ok
    with pytest.raises(service.TermAlreadyAgreed):
        service.agree(world, "g", COORDINATOR, 1, clock)


def test_an_edit_is_a_new_proposed_version_and_the_agreed_one_is_still_explained(world: Store, clock: FrozenClock) -> None:
    service.propose(world, "g", admin_of("g", "A"), PALLET, clock)
    service.agree(world, "g", COORDINATOR, 1, clock)
    edited = service.edit(world, "g", admin_of("g", "A"), 1,
                          TermDraft("托盘位", "pallet position", "新的定义", "A new definition", ("板位",), "仓储"), clock)
    assert edited.status is Status.PROPOSED and len(edited.versions) == 3
    assert edited.agreed is not None and edited.agreed.draft.definition_en == "The space for one standard pallet."
    assert "standard pallet" in service.highlighter(world, "g", ANALYST).mark("pallet position", "en")
    with pytest.raises(Forbidden):  # another member's term
        service.edit(world, "g", admin_of("g", "C"), 1, PALLET, clock)
    with pytest.raises(InvalidInput):
        service.edit(world, "g", COORDINATOR, 1, edited.current.draft, clock)  # nothing changes


@pytest.mark.parametrize("draft", [
    TermDraft("托盘位", "", "x", "", (), ""),
    TermDraft("新词", "PALLET  POSITION", "", "y", (), ""),
    TermDraft("新词", "new", "", "y", ("板位",), ""),
    TermDraft("板位", "", "z", "", (), ""),
    TermDraft("ｐａｌｌｅｔ ｐｏｓｉｔｉｏｎ", "", "z", "", (), ""),  # full width
])
def test_a_term_that_exists_in_the_scope_is_refused_naming_it(world: Store, clock: FrozenClock, draft: TermDraft) -> None:
    service.propose(world, "g", admin_of("g", "A"), PALLET, clock)
    before = _count(world, glossary_term_versions)
    with pytest.raises(TermExists) as refused:
        service.propose(world, "g", admin_of("g", "B"), draft, clock)
    assert refused.value.number == 1 and "托盘位" in str(refused.value)
    assert _count(world, glossary_term_versions) == before


def test_the_same_text_in_another_scope_is_another_term(world: Store, clock: FrozenClock) -> None:
    service.propose(world, "g", admin_of("g", "A"), PALLET, clock)
    other = service.propose(world, "g", admin_of("g", "B"), PALLET, clock, scope=_body(world))
    assert other.number == 2 and other.scope == _body(world)
    with pytest.raises(service.ScopeNotFound):
        service.propose(world, "g", admin_of("g", "B"), TermDraft("x1", "", "d", ""), clock, scope=999)


def test_a_bodys_chair_agrees_its_terms_and_no_one_else_among_members(world: Store, clock: FrozenClock) -> None:
    service.propose(world, "g", admin_of("g", "A"), PALLET, clock, scope=_body(world))
    with pytest.raises(Forbidden):
        service.agree(world, "g", admin_of("g", "A"), 1, clock)  # a seat, not the chair
    assert service.agree(world, "g", admin_of("g", "B"), 1, clock).status is Status.AGREED  # B chairs it
    assert service.edit(world, "g", admin_of("g", "B"), 1, PALLET.__class__(**{**PALLET.as_json(), "synonyms": ()}),
                        clock).current.version == 3  # the chair edits the body's terms too


def test_bad_input_names_every_problem_and_stores_nothing(world: Store, clock: FrozenClock) -> None:
    with pytest.raises(TermInvalid) as refused:
        service.propose(world, "g", admin_of("g", "A"), TermDraft("", "", "", "", (), "x" * 101), clock)
    assert {p.field for p in refused.value.problems} == {"zh", "definition", "industry"}
    assert _count(world, glossary_terms) == 0


def test_who_may_read_and_write(world: Store, clock: FrozenClock) -> None:
    with pytest.raises(Forbidden):
        service.propose(world, "g", ANALYST, PALLET, clock)
    with pytest.raises(Forbidden):
        service.propose(world, "g", AUDITOR, PALLET, clock)
    with pytest.raises(AllianceNotFound):
        service.terms(world, "g", OUTSIDER)
    service.propose(world, "g", admin_of("g", "A"), PALLET, clock)
    assert [t.number for t in service.terms(world, "g", AUDITOR)] == [1]
    assert service.terms(world, "other", OUTSIDER) == []


def test_search_in_both_languages(world: Store, clock: FrozenClock) -> None:
    service.propose(world, "g", admin_of("g", "A"), PALLET, clock)
    service.propose(world, "g", admin_of("g", "A"), TermDraft("集采", "joint purchasing", "多家一起采购", "", (), ""), clock)
    for query, found in (("托盘", [1]), ("PALLET", [1]), ("板位", [1]), ("standard", [1]), ("采购", [2]),
                         ("Joint", [2]), ("%", []), ("", [1, 2])):
        assert [t.number for t in service.terms(world, "g", ANALYST, query=query)] == found, query


def test_articles_link_terms_keep_versions_and_are_found_by_a_linked_terms_words(world: Store, clock: FrozenClock) -> None:
    service.propose(world, "g", admin_of("g", "A"), PALLET, clock)
    made = service.write_article(world, "g", admin_of("g", "A"), clock, title="入库须知", body="# 入库\n\n先预约。",
                                 terms=[1])
    assert made.number == 1 and made.terms == (1,) and made.author == "A"
    assert [a.number for a in service.articles(world, "g", ANALYST, query="pallet")] == [1]  # via term 1
    assert [a.number for a in service.articles(world, "g", ANALYST, query="预约")] == [1]
    assert service.articles(world, "g", ANALYST, query="nothing here") == []
    with pytest.raises(Forbidden):
        service.write_article(world, "g", admin_of("g", "B"), clock, title="x", body="y", number=1)
    again = service.write_article(world, "g", COORDINATOR, clock, title="入库须知（修订）", body="先预约，再入库。",
                                  terms=[1], number=1)
    assert again.version == 2 and [v.title for v in again.versions] == ["入库须知", "入库须知（修订）"]
    assert [a.number for a in service.articles_linking(world, "g", ANALYST, 1)] == [1]
    with pytest.raises(ArticleInvalid) as refused:
        service.write_article(world, "g", admin_of("g", "A"), clock, title="", body="z", terms=[7])
    assert {p.field for p in refused.value.problems} == {"title", "terms"}
    assert _count(world, kb_articles) == 1
