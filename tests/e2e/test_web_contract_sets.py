"""Contract sets in the browser, in Chinese: a framework with clauses from the library, a project
under it whose contradiction is named beside its field, the tree and the clauses on the pages."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.sharing.agreement import AgreementKind, load_agreement_text
from alliance.sharing.clauses import ClauseKind
from alliance.store.database import Store
from tests.e2e.test_web_agreement_builder import form_fields, post, set_field, textarea
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, sign_in

A = "/alliances/yuejia"
MEMBERS = ["YJ", "MILK", "SNACK"]
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    for code in ("yuejia", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(MEMBERS, start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 有限公司",
                                              "credit_code": credit_code(n), "region": "上海"}, clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "yuejia")
    add_user(store, clock, "stranger", Role.COORDINATOR, "other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver",
                    headers=ZH) as c:
        yield c


def add_clause(client: TestClient, token: str, fields: list[tuple[str, str]], kind: str) -> list[tuple[str, str]]:
    answer = post(client, "builder", [*fields, ("op", "add-clause"), ("new_clause", kind), ("document", "")], token)
    assert answer.status_code == 200 and f'value="{kind}"' in answer.text
    return form_fields(answer.text)


def start(client: TestClient, token: str, document: str) -> list[tuple[str, str]]:
    return form_fields(post(client, "builder/load", [("document", document)], token).text)


def propose(client: TestClient, token: str, document: str):  # noqa: ANN201
    return client.post(f"{A}/agreements/new", data={"document": document, "csrf_token": token}, follow_redirects=False)


def test_a_framework_and_a_project_built_with_the_form(client: TestClient) -> None:
    token = sign_in(client, "coord")
    fields = start(client, token, "agreement: frame\ntitle: 悦家联盟框架协议\neffective_from: 2027-01-01\n"
                                  "effective_until: 2028-12-31\nparties: [YJ, MILK, SNACK]\nrules: []\n")
    fields = set_field(fields, "kind", "framework")
    for kind in ("confidentiality", "disputes"):
        fields = add_clause(client, token, fields, kind)
    # The library's words come in the page's language, the typical fields filled in.
    assert any(k == "c0-text" and "保密义务" in v for k, v in fields)
    assert ("c1-arbitration_body", "中国国际经济贸易仲裁委员会") in fields
    written = post(client, "builder", [*fields, ("document", "")], token)
    framework = textarea(written.text)
    parsed = load_agreement_text(framework, members=MEMBERS)
    assert parsed.kind is AgreementKind.FRAMEWORK and [c.kind for c in parsed.clauses] == [
        ClauseKind.DISPUTES, ClauseKind.CONFIDENTIALITY]
    assert propose(client, token, framework).status_code == 303

    # A project that keeps secrets for fewer years than its framework: named beside the clause, in Chinese.
    fields = start(client, token, "agreement: rd-1\ntitle: 新品研发项目\neffective_from: 2027-02-01\n"
                                  "effective_until: 2028-06-30\nparties: [YJ, MILK]\nrules:\n"
                                  "  - {id: split, kind: fixed_split, shares: {YJ: 0.5, MILK: 0.5}}\n")
    fields = set_field(set_field(fields, "kind", "project"), "under", "frame")
    fields = set_field(add_clause(client, token, fields, "confidentiality"), "c0-years_after_exit", "1")
    answer = post(client, "builder", [*fields, ("document", "")], token)
    shown = html.unescape(answer.text)
    assert "保密" in shown and "少于框架协议的 3 年" in shown, shown[:3000]
    assert 'id="f-c0-clause-error"' in answer.text or "f-c0-clause" in answer.text
    refused = propose(client, token, textarea(answer.text))
    assert refused.status_code == 422 and "少于框架协议的 3 年" in html.unescape(refused.text)
    assert "rd-1" not in client.get(f"{A}/agreements").text
    # A whole number is checked before anything is written.
    bad = post(client, "builder", [*set_field(fields, "c0-years_after_exit", "三"), ("document", "")], token)
    assert "不是整数" in html.unescape(bad.text)

    project = textarea(post(client, "builder", [*set_field(fields, "c0-years_after_exit", "5"), ("document", "")],
                            token).text)
    assert propose(client, token, project).status_code == 303
    listing = html.unescape(client.get(f"{A}/agreements").text)
    assert 'id="contract-set"' in listing and "框架协议" in listing and "项目协议" in listing
    tree = listing[listing.index('id="contract-set"'):]
    assert tree.index("frame") < tree.index("rd-1")
    page = html.unescape(client.get(f"{A}/agreements/rd-1").text)
    assert "框架协议" in page and f'{A}/agreements/frame"' in page
    clauses = page[page.index('id="clauses"'):]
    assert "保密" in clauses and "5 年" in clauses


def test_another_alliance_sees_no_contract_set(client: TestClient) -> None:
    token = sign_in(client, "coord")
    document = ("agreement: frame\nkind: framework\neffective_from: 2027-01-01\nparties: [YJ, MILK]\nclauses:\n"
                "  - {clause: confidentiality, text: 保密, years_after_exit: 3}\n")
    assert propose(client, token, document).status_code == 303
    sign_in(client, "stranger")
    assert client.get(f"{A}/agreements").status_code == 404
    assert client.get(f"{A}/agreements/frame").status_code == 404
    assert 'id="contract-set"' not in client.get("/alliances/other/agreements").text


@pytest.mark.parametrize("typed", ["三", "²", "①", "-3", "1.5"])
def test_a_whole_number_field_that_is_not_one_is_named_never_a_500(client: TestClient, typed: str) -> None:
    token = sign_in(client, "coord")
    fields = start(client, token, "agreement: frame\nkind: framework\neffective_from: 2027-01-01\n"
                                  "parties: [YJ, MILK]\nrules: []\n")
    fields = set_field(add_clause(client, token, fields, "confidentiality"), "c0-years_after_exit", typed)
    for headers in ({"HX-Request": "true", "X-CSRF-Token": token}, {"X-CSRF-Token": token}):
        from tests.e2e.test_web_agreement_builder import as_data
        answer = client.post(f"{A}/agreements/builder", data=as_data([*fields, ("document", "")]), headers=headers)
        assert answer.status_code in (200, 422), answer.text[:500]
        assert "不是整数" in html.unescape(answer.text)
