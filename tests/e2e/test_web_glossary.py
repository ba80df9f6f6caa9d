"""The glossary's and knowledge base's pages and API: a member admin proposes a term in the browser (in
Chinese), a duplicate is refused naming the term with nothing stored, the coordinator agrees it (the
ledger records it), the agreed term is explained on hover on an agreement's clauses and in an article;
a script or an onclick typed in an article's Markdown never reaches the page; search in both
languages; the API answers the same with problem+json refusals; another alliance's people see nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.tables import glossary_term_versions, kb_articles
from tests.support.factories import credit_code, make_alliance
from tests.unit.test_glossary_engine import assert_harmless
from tests.support.web import add_user, in_chinese, sign_in

G = "/alliances/gl/glossary"
A = "/alliances/gl/articles"
API = "/api/v1/alliances/gl/glossary"
SPLIT = """
agreement: split
title: 云仓分成
effective_from: 2027-01-01
parties: [A, B]
clauses:
  - clause: duties
    text: 双方按托盘位的实际占用分摊云仓费用。
    duties: {A: 供货, B: 销售}
rules:
  - {id: r, kind: fixed_split, select: {channel: store}, base: revenue, shares: {A: 0.5, B: 0.5}}
"""
MALICIOUS = """# 入库须知

托盘位要提前预约。

<script>alert('x')</script>

<a href="#" onclick="alert('y')">点我</a> <img src=x onerror="alert('z')">

[危险](javascript:alert('w')) [安全](https://example.com/guide)
"""


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("the service is tested on PostgreSQL; the pages only adapt it")
    for code in ("gl", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("A", "B"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    sharing.propose_version(store, "gl", SPLIT, "秘书长", clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "gl")
    add_user(store, clock, "aboss", Role.MEMBER_ADMIN, "gl", "A")
    add_user(store, clock, "bana", Role.MEMBER_ANALYST, "gl", "B")
    add_user(store, clock, "far", Role.COORDINATOR, "other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client


def _count(store: Store, table: object) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


TERM = {"zh": "托盘位", "en": "pallet position", "definition_zh": "仓库里可放一个标准托盘的位置。",
        "definition_en": "The space for one standard pallet.", "synonyms": "板位, 托位", "industry": "仓储"}


def _propose(client: TestClient, token: str, **changes: str) -> object:
    return client.post(f"{G}/new", data={"csrf_token": token, **TERM, **changes}, follow_redirects=False)


def test_propose_refuse_a_duplicate_agree_and_see_the_history(client: TestClient, store: Store) -> None:
    token = sign_in(client, "aboss")
    form = client.get(f"{G}/new?lang=zh_CN")
    assert form.status_code == 200 and in_chinese("Term in Chinese") in form.text
    done = _propose(client, token)
    assert done.status_code == 303 and done.headers["location"].endswith(f"{G}/1")
    again = _propose(client, token, zh="新词", en="PALLET Position")
    assert again.status_code == 409 and 'id="glossary-error"' in again.text and "新词" in again.text
    assert _count(store, glossary_term_versions) == 1
    page = client.get(f"{G}/1?lang=zh_CN")
    assert in_chinese("proposed") in page.text and 'id="agree-form"' not in page.text  # a member admin: not its act
    token = sign_in(client, "coord")
    assert 'id="agree-form"' in client.get(f"{G}/1").text
    agreed = client.post(f"{G}/1/agree", data={"csrf_token": token, "note": "常用"}, follow_redirects=False)
    assert agreed.status_code == 303
    page = client.get(f"{G}/1?agreed=1&lang=en")
    assert 'id="agreed-now"' in page.text and page.text.count("<tr>") >= 3  # two versions in the history
    edit = client.post(f"{G}/1/edit", data={"csrf_token": token, **TERM, "definition_en": "One pallet's space."},
                       follow_redirects=False)
    assert edit.status_code == 303
    page = client.get(f"{G}/1?lang=en")
    assert 'id="agreed-still"' in page.text and "One pallet&#39;s space." in page.text


def test_the_list_searches_both_languages(client: TestClient) -> None:
    token = sign_in(client, "aboss")
    _propose(client, token)
    _propose(client, token, zh="集采", en="joint purchasing", definition_zh="多家一起采购", synonyms="",
             definition_en="Buying together.")
    sign_in(client, "bana")
    for query, shown, hidden in (("托盘", "托盘位", "集采"), ("JOINT", "集采", "托盘位"), ("板位", "托盘位", "集采")):
        page = client.get(G, params={"q": query, "lang": "en"})
        table = page.text.split('id="terms"')[1]
        assert shown in table and hidden not in table, query
    assert 'id="propose-term"' not in client.get(G).text  # an analyst changes nothing
    assert client.get(f"{G}/new").status_code == 403


def test_agreed_terms_are_explained_on_agreement_clauses_and_articles_without_scripts(
        client: TestClient, store: Store) -> None:
    token = sign_in(client, "aboss")
    _propose(client, token)
    clause = client.get("/alliances/gl/agreements/split?lang=zh_CN").text
    assert 'class="term"' not in clause  # proposed only: not explained
    coord = sign_in(client, "coord")
    client.post(f"{G}/1/agree", data={"csrf_token": coord}, follow_redirects=False)
    clause = client.get("/alliances/gl/agreements/split?lang=zh_CN").text
    assert '<abbr class="term" data-term="1" title="托盘位: 仓库里可放一个标准托盘的位置。" tabindex="0">托盘位</abbr>' in clause
    english = client.get("/alliances/gl/agreements/split?lang=en").text
    assert 'title="pallet position: The space for one standard pallet."' in english
    token = sign_in(client, "aboss")
    made = client.post(f"{A}/new", data={"csrf_token": token, "title": "入库须知", "body": MALICIOUS, "terms": ["1"]},
                       follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].endswith(f"{A}/1")
    page = client.get(f"{A}/1?lang=zh_CN").text
    body = page.split('id="article-body"')[1].split("</article>")[0]
    assert_harmless(body)
    assert 'href="https://example.com/guide"' in body and 'class="term"' in body
    assert "<h2>入库须知</h2>" in body  # below the page's own <h1>, the title
    assert 'id="linked-terms"' in page
    found = client.get(A, params={"q": "pallet"}).text  # English words find the Chinese article through its term
    assert 'id="article-1"' in found
    assert _count(store, kb_articles) == 1


def test_an_article_without_a_title_is_refused_with_nothing_stored(client: TestClient, store: Store) -> None:
    token = sign_in(client, "aboss")
    refused = client.post(f"{A}/new", data={"csrf_token": token, "title": " ", "body": "正文"}, follow_redirects=False)
    assert refused.status_code == 422 and 'id="glossary-error"' in refused.text and "正文" in refused.text
    assert _count(store, kb_articles) == 0


def test_another_alliance_sees_nothing(client: TestClient) -> None:
    token = sign_in(client, "aboss")
    _propose(client, token)
    sign_in(client, "far")
    assert client.get(G).status_code == 404
    assert client.get(f"{G}/1").status_code == 404


def _key(store: Store, clock: FrozenClock, role: Role, alliance: str, member: str | None = None) -> dict[str, str]:
    key = create_api_key(store, role=role, alliance=alliance, member=member, name=f"{role.value} {member}",
                         created_by="t", clock=clock).key
    return {"Authorization": f"Bearer {key}"}


def test_the_api(client: TestClient, store: Store, clock: FrozenClock) -> None:
    member = _key(store, clock, Role.MEMBER_ADMIN, "gl", "A")
    coord = _key(store, clock, Role.COORDINATOR, "gl")
    auditor = _key(store, clock, Role.AUDITOR, "gl")
    body = {**TERM, "synonyms": ["板位"]}
    made = client.post(f"{API}/terms", json=body, headers=member)
    assert made.status_code == 201 and made.json()["status"] == "proposed" and made.json()["owner"] == "A"
    dup = client.post(f"{API}/terms", json={**body, "zh": "板位", "en": ""}, headers=member)
    assert dup.status_code == 409 and dup.json()["code"] == "term_exists"
    bad = client.post(f"{API}/terms", json={"zh": "", "en": ""}, headers=member)
    assert bad.status_code == 422 and bad.json()["code"] == "term_invalid"
    assert client.post(f"{API}/terms/1/agreement", json={}, headers=member).status_code == 403
    assert client.post(f"{API}/terms", json=body, headers=auditor).status_code == 403
    agreed = client.post(f"{API}/terms/1/agreement", json={"note": "ok"}, headers=coord)
    assert agreed.status_code == 200 and agreed.json()["agreed_version"] == 2
    assert client.post(f"{API}/terms/1/agreement", json={}, headers=coord).json()["code"] == "term_already_agreed"
    assert [t["number"] for t in client.get(f"{API}/terms", params={"q": "PALLET"}, headers=auditor).json()["terms"]] == [1]
    article = client.post(f"{API}/articles", json={"title": "须知", "body": MALICIOUS, "terms": [1]}, headers=member)
    assert article.status_code == 201
    shown = client.get(f"{API}/articles/1", headers={**auditor, "Accept-Language": "en"}).json()
    assert_harmless(shown["html"])
    assert "pallet position:" in shown["html"]
    assert client.get(f"{API}/terms/1", headers=auditor).json()["articles"] == [1]
    edited = client.put(f"{API}/articles/1", json={"title": "须知 2", "body": "短", "terms": []}, headers=member)
    assert edited.status_code == 200 and edited.json()["version"] == 2
    assert client.get(f"{API}/terms/9", headers=auditor).json()["code"] == "term_not_found"
