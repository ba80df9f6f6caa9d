"""Lead referral's pages over HTTP, in Chinese and English: the list and programme, the form to refer a
lead (refused without consent, every wrong field named, nothing stored; a duplicate names the
earlier referral), a referral's page with the receiving member's actions and candidate orders, the
commission line by line, and the leaderboard with its chart. The lead's name is shown only to the
two members and the coordinator; a third member's admin finds nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.settlement import service as settlement
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import referrals
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, sign_in

A = "/alliances/nb/referrals"
HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency,attributed_to,refund_of"
LINES = ["L1,O1,2026-11-05T10:00:00+08:00,M2,M2,store,S-1,1,1000.00,CNY,M1,",
         "L2,O2,2026-11-05T11:00:00+08:00,M2,M2,store,S-1,1,99.99,CNY,,"]
LEAD = {"to_member": "M2", "kind": "customer", "name": "宁波悦佳贸易有限公司", "contact": "13800001111",
        "products": "A4 复印纸", "note": "", "consent_given": "yes", "consent_by": "王经理", "consent_at": "2026-11-01",
        "consent_how": "written"}


@pytest.fixture
def world(store: Store, tmp_path: Path) -> Iterator[tuple[TestClient, FrozenClock]]:
    clock = FrozenClock(datetime(2026, 11, 2, 2, tzinfo=UTC))
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    facts = FactStore(tmp_path / "facts.duckdb")
    settlement.import_order_lines(Stores(store, facts), "nb", path, None, FrozenClock(datetime(2026, 11, 6, tzinfo=UTC)))
    facts.close()
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    add_user(store, clock, "m1", Role.MEMBER_ADMIN, "nb", "M1")
    add_user(store, clock, "m2", Role.MEMBER_ADMIN, "nb", "M2")
    add_user(store, clock, "m3", Role.MEMBER_ADMIN, "nb", "M3")
    add_user(store, clock, "aud", Role.AUDITOR, "nb")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client, clock


def _count(store: Store) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(referrals)).scalar_one())


def test_refer_answer_link_in_chinese(world: Any, store: Store) -> None:
    client, clock = world
    token = sign_in(client, "m1")
    page = client.get(f"{A}/new")
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text and "转介线索" in page.text
    assert 'id="referral-form"' in page.text and "线索本人已同意被转介给该成员" in page.text
    made = client.post(A, data={"csrf_token": token, **LEAD}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].endswith("/referrals/1?saved=submitted"), made.text
    shown = client.get(f"{A}/1?saved=submitted")
    assert "线索已转介" in shown.text and "宁波悦佳贸易有限公司" in shown.text and 'id="accept"' not in shown.text
    # M2 answers: accepts, then (after the order) links it from the candidates.
    token = sign_in(client, "m2")
    received = client.get(f"{A}/1")
    assert 'id="accept"' in received.text and "拒绝原因" in received.text
    assert client.post(f"{A}/1/accept", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    clock.advance(timedelta(days=5))  # the order comes; a new session (the old one timed out)
    token = sign_in(client, "m2")
    accepted = client.get(f"{A}/1")
    assert 'data-candidate="O1"' in accepted.text and 'data-candidate="O2"' not in accepted.text
    linked = client.post(f"{A}/1/orders", data={"csrf_token": token, "order": "O1"}, follow_redirects=False)
    assert linked.status_code == 303, linked.text
    converted = client.get(f"{A}/1")
    assert 'data-state="converted"' in converted.text and "已成交" in converted.text
    assert 'id="commission-table"' in converted.text and "¥50.00" in converted.text
    board = client.get(f"{A}/leaderboard?period=2026-11")
    assert board.status_code == 200 and 'data-member="M1"' in board.text and 'id="board-chart"' in board.text


def test_without_consent_every_field_is_named_and_nothing_stored(world: Any, store: Store) -> None:
    client, _ = world
    token = sign_in(client, "m1")
    refused = client.post(A, data={"csrf_token": token, **LEAD, "consent_given": "", "name": ""})
    assert refused.status_code == 422
    assert 'id="f-consent_given-error"' in refused.text and 'id="f-name-error"' in refused.text
    assert _count(store) == 0
    client.post(A, data={"csrf_token": token, **LEAD})
    token = sign_in(client, "m3")
    duplicate = client.post(A, data={"csrf_token": token, **LEAD, "name": "宁波 悦佳贸易"})
    assert duplicate.status_code == 409 and "第 1 号转介" in duplicate.text
    assert _count(store) == 1


def test_who_sees_the_lead_and_english(world: Any, store: Store) -> None:
    client, _ = world
    token = sign_in(client, "m1")
    client.post(A, data={"csrf_token": token, **LEAD})
    sign_in(client, "m3")
    assert client.get(f"{A}/1").status_code == 404
    assert 'id="no-referrals"' in client.get(A).text
    sign_in(client, "aud")
    audited = client.get(f"{A}/1")
    assert audited.status_code == 200 and 'id="lead-hidden"' in audited.text and "宁波悦佳" not in audited.text
    assert client.get(f"{A}/new").status_code == 403
    token = sign_in(client, "coord")
    client.cookies.set("lang", "en")
    listed = client.get(A)
    assert 'lang="en"' in listed.text and "Lead referral" in listed.text and "宁波悦佳贸易有限公司" in listed.text
    assert 'id="programme-form"' in listed.text
    bad = client.post(f"{A}/programme", data={"csrf_token": token, "commission_rate": "x", "hold_days": "30",
                                              "window_days": "90", "max_extension_days": "-1"})
    assert bad.status_code == 422 and 'id="f-commission_rate-error"' in bad.text
    assert 'id="f-max_extension_days-error"' in bad.text
    saved = client.post(f"{A}/programme", data={"csrf_token": token, "commission_rate": "0.08", "hold_days": "14",
                                                "window_days": "60", "max_extension_days": "30"},
                        follow_redirects=False)
    assert saved.status_code == 303
    assert "8% of the referred orders" in client.get(A).text
