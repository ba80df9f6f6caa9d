"""Erasing a departed member's data after its retrieval window (exits.erasure_service), on SQLite and
PostgreSQL: exactly what the plan says is removed or pseudonymised and nothing kept by law changes
(statements, order lines, the ledger, agreements: compared before and after); the member's former user
no longer signs in, its key no longer authenticates, verification passes and then names an erased row
restored behind its back; every refusal (before the window, twice, not the coordinator, a member that
has not left) changes nothing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Table, insert, select, update

from alliance.access import service as access
from alliance.access.policy import Forbidden
from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import Conflict
from alliance.exits import erasure_service
from alliance.exits import service as exits
from alliance.exits.erasure import ERASED_PASSWORD, pseudonym
from alliance.exits.errors import DataErased, MemberNotLeft, StepNotByHand, WindowOpen
from alliance.exits.model import Status, StepKey, Trigger
from alliance.ledger import service as ledger
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.tables import (agreement_signatures, agreement_versions, api_keys, exit_items, ledger_entries,
                                   member_resources, members, notify_accounts, notify_preferences, notify_webhooks, settlement_runs,
                                   shared_views, statement_lines, user_roles, users, view_access_log)
from tests.support.exits import AUDITOR, CODE, COORDINATOR, M1_ADMIN, at, build, settle_through

D1 = date(2026, 12, 1)
PASSWORD = "correct horse battery staple"
KEPT = (statement_lines, settlement_runs, agreement_versions, agreement_signatures)
ERASABLE = (users, user_roles, api_keys, shared_views, view_access_log, notify_accounts, notify_preferences,
            notify_webhooks, members, exit_items)


def day(month: int, d: int, year: int = 2027) -> FrozenClock:
    return FrozenClock(datetime(year, month, d, 2, tzinfo=UTC))


@pytest.fixture
def facts(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[FactStore]:
    found = build(store, clock, tmp_path)
    yield found
    found.close()


def _digest(store: Store, tables: tuple[Table, ...]) -> dict[str, str]:
    with store.engine.connect() as c:
        return {t.name: hashlib.sha256(json.dumps([list(r) for r in c.execute(select(t).order_by(t.c[t.primary_key.columns
                                                                                                  .keys()[0]]))],
                                                  default=str).encode()).hexdigest() for t in tables}


def _rows(store: Store, table: Table, *where: object) -> list[object]:
    with store.engine.connect() as c:
        return list(c.execute(select(table).where(*where)))


def _people(store: Store) -> dict[str, str]:
    """M1's people and things, M2's alike (which must stay), and the keys issued (name -> full key)."""
    clock = at(12, 3)
    for name, role, member in (("m1alice", Role.MEMBER_ADMIN, "M1"), ("m2bob", Role.MEMBER_ADMIN, "M2"),
                               ("both", Role.MEMBER_ANALYST, "M1")):
        access.create_user(store, name, PASSWORD, f"{name} 的名字", clock)
        access.grant_role(store, name, role, CODE, member)
    access.grant_role(store, "both", Role.AUDITOR, "other", None)  # also works elsewhere: keeps its name
    keys = {m: access.create_api_key(store, role=Role.MEMBER_ADMIN, alliance=CODE, member=m, name=f"{m} ERP",
                                     created_by="m1alice (member_admin of exit-a/M1)", clock=clock).key
            for m in ("M1", "M2")}
    now = clock.now()
    with store.engine.begin() as c:
        aid = c.execute(select(members.c.alliance_id).where(members.c.code == "M1")).scalars().first()
        c.execute(update(members).where(members.c.alliance_id == aid).values(
            contact_name="联系人", contact_phone="+86 10 1234 5678", contact_email="contact@example.cn"))
        views = {}
        for m in ("M1", "M2"):
            views[m] = c.execute(insert(shared_views).values(
                alliance_id=aid, member_code=m, name=f"{m} sales", dataset="order_lines", policies={"sku": "visible"},
                k=5, created_by=f"{'m1alice' if m == 'M1' else 'm2bob'} (member_admin of {CODE}/{m})",
                created_at=now)).inserted_primary_key[0]
        for m, by in (("M1", "m2bob (member_admin of exit-a/M2)"), ("M2", "m1alice (member_admin of exit-a/M1)"),
                      ("M2", "m2bob (member_admin of exit-a/M2)")):
            c.execute(insert(view_access_log).values(alliance_id=aid, view_id=views[m], member_code=m, accessed_by=by,
                                                     accessed_at=now, kind="rows", query={}, returned=3))
        # A resource M1's admin last changed: its name there is pseudonymised with the rest.
        m1 = c.execute(select(members.c.id).where(members.c.alliance_id == aid, members.c.code == "M1")).scalar_one()
        c.execute(insert(member_resources).values(alliance_id=aid, member_id=m1, direction="offer", category="warehouse",
                                                  description="冷库", capacity=None, unit="", priority=3, region="",
                                                  updated_by="m1alice (member_admin of exit-a/M1)", updated_at=now))
        for name in ("m1alice", "m2bob"):
            uid = c.execute(select(users.c.id).where(users.c.username == name)).scalar_one()
            c.execute(insert(notify_accounts).values(user_id=uid, email=f"{name}@example.cn", language="zh-CN"))
            c.execute(insert(notify_preferences).values(user_id=uid, event="day.settled", channel="email",
                                                        enabled=True))
        for m in ("M1", "M2"):
            c.execute(insert(notify_webhooks).values(alliance_id=aid, member=m, url=f"https://{m}.example.cn/hook",
                                                     secret="s" * 32, events=["day.settled"], enabled=True,
                                                     created_at=now, created_by="coord"))
    return keys


def _left(store: Store, facts: FactStore) -> tuple[int, dict[str, str]]:
    """M1's case, with a seconded person, M1 gone on 12-15 and its days settled; the keys issued."""
    keys = _people(store)
    number = exits.open_case(store, CODE, "M1", Trigger.VOLUNTARY, D1, at(12, 2), principal=COORDINATOR).number
    exits.add_item(store, CODE, number, StepKey.STAFF, {"person": "张三", "role": "仓库主管"}, at(12, 3),
                   principal=COORDINATOR)
    exits.record_ends_due(store, at(12, 15))
    settle_through(store, facts, date(2026, 12, 16), at(12, 17, 3))
    access.authenticate(store, keys["M1"], at(12, 18))  # M1's key works (for what a departed member keeps)
    return number, keys


def _entries(store: Store) -> list[tuple[int, int, str, bytes]]:
    with store.engine.connect() as c:
        return [(r.alliance_id, r.idx, r.event_type, bytes(r.leaf))
                for r in c.execute(select(ledger_entries).order_by(ledger_entries.c.alliance_id, ledger_entries.c.idx))]


def test_the_erasure_removes_what_it_says_and_keeps_what_the_law_keeps(store: Store, facts: FactStore) -> None:
    number, keys = _left(store, facts)
    kept, lines, entries = _digest(store, KEPT), facts.count(CODE), _entries(store)
    preview = erasure_service.preview_erasure(store, CODE, number, day(1, 15), principal=COORDINATOR)
    assert preview["ready"] and preview["retrieval_until"] == "2027-01-14"
    access.authenticate(store, keys["M1"], day(1, 15))  # read lately: the erasure must make this process forget it

    case = erasure_service.erase_member_data(store, CODE, number, day(1, 15), principal=COORDINATOR)

    step = case.step(StepKey.DATA)
    assert step.status is Status.DONE and step.detail["erasure"]["counts"] == preview["counts"] == {
        "accounts": 1, "roles_removed": 1, "notification_settings": 1, "api_keys": 1, "shared_views": 1,
        "view_logs_deleted": 1, "log_names_pseudonymised": 5, "webhooks": 1, "contact_fields": 3, "staff_names": 1}
    assert step.detail["erasure"]["sha256"] == preview["sha256"]
    # M1's person: pseudonymised, no password, disabled, its notification settings gone.
    alias = pseudonym("m1alice")
    (alice,) = _rows(store, users, users.c.username == alias)
    assert (alice.display_name, alice.password_hash, alice.disabled_at is not None) == (alias, ERASED_PASSWORD, True)
    assert not _rows(store, notify_accounts, notify_accounts.c.user_id == alice.id)
    assert not _rows(store, users, users.c.username == "m1alice")
    assert not access.check_password(store, "m1alice", PASSWORD) and not access.check_password(store, alias, PASSWORD)
    with pytest.raises(access.NotAuthenticated):
        access.sign_in(store, "m1alice", PASSWORD, day(1, 15))
    with pytest.raises(access.NotAuthenticated):
        access.authenticate(store, keys["M1"], day(1, 15))
    # The account that also works elsewhere keeps its name, without its role for M1.
    (both,) = _rows(store, users, users.c.username == "both")
    assert [r.member_code for r in _rows(store, user_roles, user_roles.c.user_id == both.id)] == [None]
    # M1's key: revoked, its secret's hash removed; its view withdrawn, the log of it deleted; the logs of
    # M2's view name M1's person by its pseudonym.
    (key,) = _rows(store, api_keys, api_keys.c.member_code == "M1")
    assert key.revoked_at is not None and key.secret_sha256 == "" and key.created_by.startswith(alias + " (")
    (view,) = _rows(store, shared_views, shared_views.c.member_code == "M1")
    assert view.revoked_at is not None and view.created_by == f"{alias} (member_admin of {CODE}/M1)"
    assert not _rows(store, view_access_log, view_access_log.c.member_code == "M1")
    assert sorted(r.accessed_by for r in _rows(store, view_access_log)) == [
        f"{alias} (member_admin of exit-a/M1)", "m2bob (member_admin of exit-a/M2)"]
    assert [(w.member) for w in _rows(store, notify_webhooks)] == ["M2"]
    (m1,) = _rows(store, members, members.c.code == "M1", members.c.alliance_id == key.alliance_id)
    assert (m1.contact_name, m1.contact_phone, m1.contact_email, m1.legal_name) == ("", "", "", "M1 公司")
    (resource,) = _rows(store, member_resources)
    assert resource.updated_by == f"{alias} (member_admin of exit-a/M1)"
    (item,) = _rows(store, exit_items)
    assert item.fields == {"person": pseudonym("张三"), "role": "仓库主管"}
    # M2 is untouched: its person signs in, its key works, its contact and webhook stay.
    assert access.check_password(store, "m2bob", PASSWORD)
    access.authenticate(store, keys["M2"], day(1, 15))
    (m2,) = _rows(store, members, members.c.code == "M2", members.c.alliance_id == key.alliance_id)
    assert m2.contact_email == "contact@example.cn"
    # Kept by law: unchanged; the ledger only grew (the erasure, the staff item again, the step, the case).
    assert _digest(store, KEPT) == kept and facts.count(CODE) == lines
    after = _entries(store)
    assert set(entries) <= set(after)
    added = [e for e in after if e not in entries]
    assert [e[2] for e in added] == ["member.data_erased", "exit.item_added", "exit.step"]
    assert not any(text.encode() in e[3] for e in added for text in ("张三", "m1alice", "contact@example.cn"))
    report = ledger.verify_store(store, CODE)
    assert report.ok, report.first_mismatch
    # No one is given a role for the erased member again (what the erasure emptied stays empty);
    # a role for M2 is given as ever.
    access.create_user(store, "newcomer", PASSWORD, "新人", day(1, 15))
    with pytest.raises(Conflict, match="M1's data was erased"):
        access.grant_role(store, "newcomer", Role.MEMBER_ADMIN, CODE, "M1")
    access.grant_role(store, "newcomer", Role.MEMBER_ADMIN, CODE, "M2")
    assert ledger.verify_store(store, CODE).ok


def test_verification_names_an_erased_row_restored(store: Store, facts: FactStore) -> None:
    number, _keys = _left(store, facts)
    erasure_service.erase_member_data(store, CODE, number, day(1, 20), principal=COORDINATOR)
    assert ledger.verify_store(store, CODE).ok
    with store.engine.begin() as c:
        c.execute(update(members).where(members.c.code == "M1").values(contact_email="contact@example.cn"))
    report = ledger.verify_store(store, CODE)
    assert "the erased data of member M1" in str(report.first_mismatch)
    assert "contact_fields contact_email" in str(report.first_mismatch)
    with store.engine.begin() as c:
        c.execute(update(members).where(members.c.code == "M1").values(contact_email=""))
        c.execute(update(users).where(users.c.username == pseudonym("m1alice")).values(password_hash="$argon2id$x"))
    report = ledger.verify_store(store, CODE)
    assert "the erased data of member M1" in str(report.first_mismatch) and "accounts " in str(report.first_mismatch)
    with store.engine.begin() as c:
        c.execute(update(users).where(users.c.username == pseudonym("m1alice")).values(password_hash=ERASED_PASSWORD))
        c.execute(update(exit_items).values(fields={"person": "张三", "role": "仓库主管"}))
    report = ledger.verify_store(store, CODE)
    assert "what its erasure removed is stored again: staff_names 1.1" in str(report.first_mismatch)


def test_refusals_change_nothing(store: Store, facts: FactStore) -> None:
    number, _keys = _left(store, facts)
    other = exits.open_case(store, CODE, "M2", Trigger.VOLUNTARY, date(2027, 1, 10), day(1, 10),
                            principal=COORDINATOR).number
    before, entries = _digest(store, ERASABLE), len(_rows(store, ledger_entries))
    with pytest.raises(WindowOpen, match="2027-01-15"):  # the window's last day: still the member's
        erasure_service.erase_member_data(store, CODE, number, day(1, 14), principal=COORDINATOR)
    for who in (M1_ADMIN, AUDITOR):
        with pytest.raises(Forbidden):
            erasure_service.erase_member_data(store, CODE, number, day(1, 15), principal=who)
    with pytest.raises(StepNotByHand):  # the data step is done by the erasure only
        exits.change_step(store, CODE, number, StepKey.DATA, Status.DONE, "deleted", day(1, 15), principal=COORDINATOR)
    with pytest.raises(MemberNotLeft):
        erasure_service.erase_member_data(store, CODE, other, day(1, 20), principal=COORDINATOR)
    assert _digest(store, ERASABLE) == before and len(_rows(store, ledger_entries)) == entries
    erasure_service.erase_member_data(store, CODE, number, day(1, 15), principal=COORDINATOR)
    after, entries = _digest(store, ERASABLE), len(_rows(store, ledger_entries))
    with pytest.raises(DataErased):
        erasure_service.erase_member_data(store, CODE, number, day(1, 15), principal=COORDINATOR)
    assert _digest(store, ERASABLE) == after and len(_rows(store, ledger_entries)) == entries
    assert ledger.verify_store(store, CODE).ok
