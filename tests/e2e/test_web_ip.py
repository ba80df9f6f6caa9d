"""The IP register's pages: a member's admin registers its background IP in the browser (in Chinese),
the coordinator registers foreground IP with exact shares (shares not summing to 1: the form again with
the error, nothing stored) and changes the shares (a new version in the history); the table filters by
member and kind; a coordinator sees no background form; another alliance's people see nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.tables import ip_versions
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, in_chinese, sign_in

P = "/alliances/rd/ip"
PROJECT = """
agreement: rd-project-1
effective_from: 2026-12-01
parties: [A, B]
rules:
  - {id: r, kind: fixed_split, select: {channel: store}, base: revenue, shares: {A: 0.5, B: 0.5}}
"""


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("the service is tested on PostgreSQL; the pages only adapt it")
    for code in ("rd", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("A", "B", "C"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    sharing.propose_version(store, "rd", PROJECT, "秘书长", clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "rd")
    add_user(store, clock, "aboss", Role.MEMBER_ADMIN, "rd", "A")
    add_user(store, clock, "far", Role.COORDINATOR, "other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def _count(store: Store) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(ip_versions)).scalar_one())


def test_register_and_change_in_the_browser(client: TestClient, store: Store) -> None:
    token = sign_in(client, "aboss")
    form = client.get(f"{P}/background?lang=zh_CN")
    assert form.status_code == 200 and in_chinese("Licence granted to the alliance") in form.text
    assert 'value="B"' not in form.text.split('id="f-owner"')[1].split("</select>")[0]  # only its own member
    done = client.post(f"{P}/background", data={
        "csrf_token": token, "owner": "A", "kind": "patent", "title": "一种热处理方法", "number": "CN1",
        "licence_text": "非独占、免费", "licence_territory": "中国大陆", "licence_from": "2026-12-01",
        "licence_until": "2026-01-01"}, follow_redirects=False)
    assert done.status_code == 422 and 'id="ip-error"' in done.text and "一种热处理方法" in done.text
    assert _count(store) == 0
    done = client.post(f"{P}/background", data={
        "csrf_token": token, "owner": "A", "kind": "patent", "title": "一种热处理方法", "number": "CN1",
        "licence_text": "非独占、免费", "licence_territory": "中国大陆", "licence_exclusive": "on"},
        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith(f"{P}/1")

    token = sign_in(client, "coord")
    page = client.get(f"{P}?lang=zh_CN")
    assert page.status_code == 200 and in_chinese("IP register") in page.text and "一种热处理方法" in page.text
    assert 'id="register-background"' not in page.text and 'id="register-foreground"' in page.text
    shares = {"csrf_token": token, "kind": "patent", "title": "联合密封结构", "number": "CN2", "project": "rd-project-1",
              "member-0": "A", "share-0": "1/3", "member-1": "B", "share-1": "1/3"}
    refused = client.post(f"{P}/foreground?lang=zh_CN", data=shares, follow_redirects=False)
    assert refused.status_code == 422 and 'id="ip-error"' in refused.text and "2/3" in refused.text
    assert _count(store) == 1
    done = client.post(f"{P}/foreground", data={**shares, "share-1": "2/3"}, follow_redirects=False)
    assert done.status_code == 303
    changed = client.post(f"{P}/2", data={"csrf_token": token, "title": "联合密封结构", "number": "CN2", "project": "rd-project-1",
                                          "member-0": "A", "share-0": "1/2", "member-1": "C", "share-1": "1/2",
                                          "note": "B 退出"}, follow_redirects=False)
    assert changed.status_code == 303
    history = client.get(f"{P}/2")
    assert history.status_code == 200 and 'id="version-table"' in history.text and "B 退出" in history.text
    assert 'id="ip-change-form"' in history.text
    assert 'id="ip-change-form"' not in client.get(f"{P}/1").text  # background IP: the owner's act only
    filtered = client.get(f"{P}?member=C&kind=patent")
    assert "联合密封结构" in filtered.text and "一种热处理方法" not in filtered.text
    assert "联合专利" in filtered.text and "：1<" in filtered.text  # the language chosen stays

    sign_in(client, "far")
    assert client.get(P).status_code == 404
    assert client.get(f"{P}/1").status_code == 404


def test_the_coordinator_cannot_bring_a_members_background_ip_in_as_foreground(client: TestClient,
                                                                                store: Store) -> None:
    token = sign_in(client, "aboss")
    assert client.post(f"{P}/background", data={
        "csrf_token": token, "owner": "A", "kind": "patent", "title": "一种热处理方法", "number": "ZL2023 1.5",
        "licence_text": "非独占、免费"}, follow_redirects=False).status_code == 303
    token = sign_in(client, "coord")
    refused = client.post(f"{P}/foreground?lang=zh_CN", data={
        "csrf_token": token, "kind": "patent", "title": "换个名字", "number": "zl20231.5", "member-0": "B",
        "share-0": "1"}, follow_redirects=False)
    assert refused.status_code == 403 and 'id="ip-error"' in refused.text and "换个名字" in refused.text
    assert in_chinese("{number} is {member}'s background IP (asset {asset}): only {member}'s own account may bring "
                      "it into the alliance as foreground IP", number="zl20231.5", member="A", asset=1) in refused.text
    assert _count(store) == 1
