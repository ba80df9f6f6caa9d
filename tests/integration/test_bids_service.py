"""Joint bids (operations.bids) in the store, SQLite and PostgreSQL: the lead drafts, builds the
consortium, each member confirms its own part, the lead submits and records the outcome; a won bid
proposes the project agreement (a fixed split by the bid's shares) that each party signs for itself
and that settles the project's revenue to the cent. Refusals store nothing; outsiders see no terms."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceNotFound
from alliance.operations.bids import service
from alliance.operations.bids.model import (BidDocumentInvalid, BidInvalid, BidNotFound, BidStateConflict, Request,
                                            Role as BidRole, SharesDoNotAddUp, State)
from alliance.registry import service as registry
from alliance.settlement import service as settlement
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import metadata
from tests.support.factories import admin_of, credit_code, make_alliance

NOW = FrozenClock(datetime(2026, 12, 1, 2, tzinfo=UTC))
COORDINATOR = Principal("coord", Role.COORDINATOR, "bid")
AUDITOR = Principal("audit", Role.AUDITOR, "bid")
OPERATOR = Principal("cli", Role.PLATFORM_ADMIN, None)
A, B, C, D = (admin_of("bid", m) for m in "ABCD")
REQUEST = Request("宁波港集团", "智慧码头改造", "NBG-2026-88", date(2026, 12, 20), "CNY", 1_000_000_00)


@pytest.fixture
def facts(store: Store, tmp_path: Path) -> Iterator[FactStore]:
    make_alliance(store, NOW, code="bid")
    make_alliance(store, NOW, code="other")
    for n, code in enumerate("ABCD", start=1):
        registry.add_member(store, "bid", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, NOW)
    f = FactStore(tmp_path / "facts.duckdb")
    yield f
    f.close()


def rows(store: Store) -> dict[str, list[Any]]:
    with store.engine.connect() as c:
        return {t.name: sorted(map(repr, c.execute(select(t)).all())) for t in metadata.sorted_tables
                if t.name.startswith("bid") or t.name in ("evidence_files", "agreement_versions")}


def consortium(store: Store) -> None:
    service.create(store, "bid", A, REQUEST, NOW, lead_scope="总包与集成", lead_share="0.5")
    service.set_part(store, "bid", A, 1, "B", BidRole.PARTNER, "软件平台", "0.3", NOW)
    service.set_part(store, "bid", A, 1, "C", BidRole.SUBCONTRACTOR, "安装调试", "0.2", NOW)


def won(store: Store) -> None:
    consortium(store)
    for who in (A, B, C):
        service.confirm(store, "bid", who, 1, NOW)
    service.submit(store, "bid", A, 1, NOW)
    service.record_outcome(store, "bid", A, 1, State.WON, NOW, awarded_minor=95_000_000)


def test_the_whole_flow_with_history(store: Store, facts: FactStore) -> None:
    consortium(store)
    service.confirm(store, "bid", B, 1, NOW)
    service.confirm(store, "bid", C, 1, NOW)
    service.set_part(store, "bid", A, 1, "C", BidRole.SUBCONTRACTOR, "安装调试", "0.2", NOW)  # same: still resets
    b = service.bid(store, "bid", A, 1).bid
    assert not any(p.confirmed for p in b.parts)
    with pytest.raises(BidStateConflict, match="not confirmed yet by A, B, C"):
        service.submit(store, "bid", A, 1, NOW)
    for who in (A, B, C):
        service.confirm(store, "bid", who, 1, NOW)
    service.add_document(store, "bid", B, 1, "技术方案.pdf", b"%PDF-1.7 tech", NOW)
    submitted = service.submit(store, "bid", A, 1, NOW)
    assert submitted.state is State.SUBMITTED
    with pytest.raises(BidStateConflict):
        service.set_part(store, "bid", A, 1, "D", BidRole.PARTNER, "x", "0.1", NOW)
    with pytest.raises(BidStateConflict):
        service.add_document(store, "bid", A, 1, "b.pdf", b"%PDF-1.7", NOW)
    done = service.record_outcome(store, "bid", A, 1, State.WON, NOW, awarded_minor=95_000_000)
    assert (done.state, done.awarded_minor) == (State.WON, 95_000_000)
    assert [s.what for s in done.history] == ["created", "part", "part", "confirmed", "confirmed", "part",
                                              "confirmed", "confirmed", "confirmed", "document", "submitted", "won"]
    assert all(s.actor and s.at for s in done.history)
    document, content = service.document(store, "bid", C, 1, done.documents[0].sha256)
    assert (document.name, document.content_type, content) == ("技术方案.pdf", "application/pdf", b"%PDF-1.7 tech")


def test_shares_not_adding_up_are_refused_naming_the_sum(store: Store, facts: FactStore) -> None:
    service.create(store, "bid", A, REQUEST, NOW, lead_scope="总包", lead_share="0.5")
    service.set_part(store, "bid", A, 1, "B", BidRole.PARTNER, "软件", "0.4", NOW)
    service.confirm(store, "bid", A, 1, NOW)
    service.confirm(store, "bid", B, 1, NOW)
    before = rows(store)
    with pytest.raises(SharesDoNotAddUp, match="0.9"):
        service.submit(store, "bid", A, 1, NOW)
    assert rows(store) == before


def test_each_member_acts_only_for_itself(store: Store, facts: FactStore) -> None:
    consortium(store)
    before = rows(store)
    with pytest.raises(Forbidden):  # only the lead changes the consortium
        service.set_part(store, "bid", B, 1, "D", BidRole.PARTNER, "x", "0.1", NOW)
    with pytest.raises(Forbidden):  # the coordinator does not act for members
        service.confirm(store, "bid", COORDINATOR, 1, NOW)
    with pytest.raises(BidNotFound):  # D is not in the consortium
        service.confirm(store, "bid", D, 1, NOW)
    with pytest.raises(Forbidden):
        service.confirm(store, "bid", B, 1, NOW, as_member="C")
    with pytest.raises(BidInvalid):  # not a member of the alliance
        service.set_part(store, "bid", A, 1, "ZZ", BidRole.PARTNER, "x", "0.1", NOW)
    with pytest.raises(AllianceNotFound):
        service.bids(store, "other", A)
    with pytest.raises(Forbidden):  # the platform operator does not act for members either
        service.confirm(store, "bid", OPERATOR, 1, NOW, as_member="B")
    with pytest.raises(Forbidden):
        service.submit(store, "bid", OPERATOR, 1, NOW, as_member="A")
    assert rows(store) == before
    assert service.confirm(store, "bid", B, 1, NOW, as_member="B").part("B").confirmed  # type: ignore[union-attr]


def test_outsiders_see_the_bid_but_not_its_terms(store: Store, facts: FactStore) -> None:
    consortium(store)
    assert service.bid(store, "bid", B, 1).sees_terms
    assert service.bid(store, "bid", COORDINATOR, 1).sees_terms
    assert service.bid(store, "bid", AUDITOR, 1).sees_terms
    outside = service.bid(store, "bid", D, 1)
    assert not outside.sees_terms and not outside.may_confirm
    service.add_document(store, "bid", A, 1, "报价.txt", "报价单".encode(), NOW)
    sha = service.bid(store, "bid", A, 1).bid.documents[0].sha256
    with pytest.raises(BidNotFound):
        service.document(store, "bid", D, 1, sha)


def test_bad_documents_store_nothing(store: Store, facts: FactStore) -> None:
    consortium(store)
    before = rows(store)
    for name, content in (("a.exe", b"MZ"), ("a.pdf", b"<html>"), ("a.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024))):
        with pytest.raises(BidDocumentInvalid):
            service.add_document(store, "bid", B, 1, name, content, NOW)
    assert rows(store) == before


def test_outcomes_follow_the_states(store: Store, facts: FactStore) -> None:
    consortium(store)
    with pytest.raises(BidStateConflict):
        service.record_outcome(store, "bid", A, 1, State.WON, NOW, awarded_minor=1)
    with pytest.raises(BidStateConflict):
        service.create_agreement(store, "bid", A, 1, NOW)
    lost = service.record_outcome(store, "bid", A, 1, State.WITHDRAWN, NOW, reason="工期不够")
    assert (lost.state, lost.reason) == (State.WITHDRAWN, "工期不够")
    with pytest.raises(BidStateConflict):
        service.record_outcome(store, "bid", A, 1, State.LOST, NOW)


def test_a_won_bid_proposes_the_agreement_that_settles_to_the_cent(store: Store, facts: FactStore,
                                                                   tmp_path: Path) -> None:
    won(store)
    with pytest.raises(Forbidden):
        service.create_agreement(store, "bid", B, 1, NOW)
    b, version = service.create_agreement(store, "bid", A, 1, NOW, effective_from=date(2026, 12, 2))
    assert (b.agreement_code, b.agreement_alliance, b.agreement_version) == ("bid-1", "bid", 1)
    assert version.parties == ["A", "B", "C"] or list(version.parties) == ["A", "B", "C"]
    with pytest.raises(BidStateConflict):
        service.create_agreement(store, "bid", A, 1, NOW)
    assert sharing.version_in_force(store, "bid", "bid-1", date(2026, 12, 2)) is None  # proposed, not signed
    for who in (A, B, C):
        sharing.sign(store, "bid", "bid-1", 1, who.member, "", NOW, principal=who)  # type: ignore[arg-type]
    header = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency,attributed_to,refund_of"
    lines = ["P1,O1,2026-12-02T10:00:00+08:00,A,A,bid-1,PRJ,1,1000.01,CNY,,",
             "P2,O2,2026-12-02T11:00:00+08:00,A,A,store,X,1,50.00,CNY,,"]
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    stores = Stores(store, facts)
    settlement.import_order_lines(stores, "bid", path, None, NOW)
    later = FrozenClock(datetime(2026, 12, 3, 2, tzinfo=UTC))
    settlement.settle(stores, "bid", date(2026, 12, 2), "t", later)
    totals = {m: settlement.statement(store, "bid", m, date(2026, 12, 2)).total.minor for m in "ABC"}
    # 1000.01 of project revenue collected by A: B 30%, C 20%, to the cent, adding back to zero.
    assert sum(totals.values()) == 0
    assert totals["B"] + totals["C"] == -totals["A"]
    assert totals["B"] in (30000, 30001) and totals["C"] in (20000, 20001)
    assert totals["A"] == -(totals["B"] + totals["C"])


def test_correcting_the_request_resets_the_confirmations(store: Store, facts: FactStore) -> None:
    consortium(store)
    service.confirm(store, "bid", B, 1, NOW)
    changed = service.change_request(store, "bid", A, 1, Request("宁波港集团", "智慧码头改造（二期）", "NBG-2026-89",
                                                                  date(2026, 12, 22), "CNY", 1_200_000_00), NOW)
    assert (changed.request.offered_minor, changed.request.title) == (1_200_000_00, "智慧码头改造（二期）")
    assert not any(p.confirmed for p in changed.parts)
    assert changed.history[-1].what == "request"
