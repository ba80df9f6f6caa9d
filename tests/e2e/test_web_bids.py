"""Joint bids' pages over HTTP, in Chinese and English: the list and the form to draft a bid, a bid's
page with the consortium table and chart, each member's confirmation, a document, submitting, the
outcome and the project agreement; refusals said in the page's language with nothing stored; a member
outside the consortium sees no terms, another alliance's user finds nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import metadata
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, sign_in

A = "/alliances/nb/bids"
BID = {"customer": "宁波港集团", "title": "智慧码头改造", "reference": "NBG-88", "due_on": "2026-12-20",
       "currency": "CNY", "offered": "1000000.00", "scope": "总包与集成", "share": "0.6"}


@pytest.fixture
def world(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    clock = FrozenClock(datetime(2026, 12, 1, 2, tzinfo=UTC))
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    for m in ("M1", "M2", "M3"):
        add_user(store, clock, m.lower(), Role.MEMBER_ADMIN, "nb", m)
    add_user(store, clock, "stranger", Role.MEMBER_ADMIN, "other", "M1")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def rows(store: Store) -> dict[str, list[str]]:
    with store.engine.connect() as c:
        return {t.name: sorted(map(repr, c.execute(select(t)).all())) for t in metadata.sorted_tables
                if t.name.startswith("bid") or t.name == "evidence_files"}


def test_a_bid_through_its_pages_in_chinese(world: Any, store: Store) -> None:
    client = world
    token = sign_in(client, "m1")
    page = client.get(A)
    assert page.status_code == 200 and "联合投标" in page.text and 'id="new-bid-form"' in page.text
    made = client.post(A, data={"csrf_token": token, **BID}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].endswith("/bids/1?saved=created"), made.text
    r = client.post(f"{A}/1/members", data={"csrf_token": token, "member": "M2", "role": "partner", "scope": "软件",
                                            "share": "0.4"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    shown = client.get(f"{A}/1?saved=part")
    assert "联合体已变更" in shown.text and 'id="consortium-table"' in shown.text and 'id="shares-chart"' in shown.text
    assert 'data-share="0.4"' in shown.text and "¥400,000.00" in shown.text
    for who in ("m1", "m2"):
        token = sign_in(client, who)
        assert client.post(f"{A}/1/confirm", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    r = client.post(f"{A}/1/documents", data={"csrf_token": token},
                    files={"file": ("方案.pdf", b"%PDF-1.7 ok", "application/pdf")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    token = sign_in(client, "m1")
    assert client.post(f"{A}/1/submit", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    r = client.post(f"{A}/1/outcome", data={"csrf_token": token, "outcome": "won", "awarded": "990000.00",
                                            "reason": ""}, follow_redirects=False)
    assert r.status_code == 303, r.text
    r = client.post(f"{A}/1/agreement", data={"csrf_token": token, "agreement_code": "", "effective_from": "",
                                              "channel": "", "in_alliance": ""}, follow_redirects=False)
    assert r.status_code == 303, r.text
    done = client.get(f"{A}/1?saved=agreement")
    assert "项目协议已提议" in done.text and 'id="agreement-link"' in done.text and "中标" in done.text
    assert [s in done.text for s in ('data-step="submitted"', 'data-step="won"', 'data-step="agreement"')] == [True] * 3


def test_refusals_are_said_and_store_nothing(world: Any, store: Store) -> None:
    client = world
    token = sign_in(client, "m1")
    client.post(A, data={"csrf_token": token, **BID})
    client.post(f"{A}/1/members", data={"csrf_token": token, "member": "M2", "role": "partner", "scope": "软件",
                                        "share": "0.3"})
    before = rows(store)
    r = client.post(f"{A}/1/submit", data={"csrf_token": token})
    assert r.status_code == 422 and "报价份额之和为 0.9" in r.text
    r = client.post(f"{A}/1/documents", data={"csrf_token": token},
                    files={"file": ("a.exe", b"MZ", "application/octet-stream")})
    assert r.status_code == 422 and "只接受以下类型的文件" in r.text
    r = client.post(f"{A}/1/outcome", data={"csrf_token": token, "outcome": "won", "awarded": "1", "reason": ""})
    assert r.status_code == 409
    bad = client.post(A, data={"csrf_token": token, **BID, "offered": "abc", "due_on": "x"})
    assert bad.status_code == 422 and 'id="new-bid-form"' in bad.text
    assert rows(store) == before


def test_outsiders_see_no_terms_in_english(world: Any) -> None:
    client = world
    token = sign_in(client, "m1")
    client.post(A, data={"csrf_token": token, **BID})
    sign_in(client, "m3")
    listed = client.get(A, headers={"Accept-Language": "en"})
    assert "Shown to the consortium only" in listed.text and "宁波港集团" not in listed.text
    page = client.get(f"{A}/1", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and 'id="terms-hidden"' in page.text and "¥1,000,000.00" not in page.text
    assert 'id="confirm-form"' not in page.text and 'id="document-form"' not in page.text
    sign_in(client, "stranger")
    assert client.get(f"{A}/1").status_code == 404
