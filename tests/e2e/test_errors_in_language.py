"""An error is said whole in the reader's language: the API answers the language Accept-Language asks
for (English by default), a page the page's language (the alliance's locale unless chosen)."""

from __future__ import annotations

import re
from markupsafe import escape
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.language import get_translations
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import make_alliance
from tests.support.http import admin_headers, problem
from tests.support.web import add_user, sign_in

CJK = re.compile(r"[\u4e00-\u9fff]")
ZH = get_translations("zh_CN").gettext


@pytest.fixture
def api(store: Store, clock: FrozenClock) -> Iterator[TestClient]:
    make_alliance(store, clock)
    with TestClient(create_app(store, clock)) as c:
        c.headers.update(admin_headers(store))
        yield c


def test_the_api_speaks_english_unless_asked_for_chinese(api: TestClient) -> None:
    english = api.get("/api/v1/alliances/nope")
    body = problem(english, 404, "alliance_not_found")
    assert body["title"] == "Alliance not found" and body["detail"] == "no alliance with code 'nope'"
    assert english.headers["content-language"] == "en"
    chinese = api.get("/api/v1/alliances/nope", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    body = problem(chinese, 404, "alliance_not_found")
    assert chinese.headers["content-language"] == "zh-CN" and "Accept-Language" in chinese.headers["vary"]
    assert body["title"] == ZH("Alliance not found") and CJK.search(str(body["title"]))
    assert body["detail"] == ZH("no alliance with code {code!r}").format(code="nope")
    assert CJK.search(str(body["detail"])) and "'nope'" in str(body["detail"])
    assert body["code"] == "alliance_not_found"  # what a client switches on never changes


def test_each_problem_of_a_refused_document_is_said_in_chinese(api: TestClient) -> None:
    game = {"type": "table", "players": ["A", "B"], "values": {"A": "12x", "B": "1", "A;B": "3"}}
    english = problem(api.post("/api/v1/games/solve", json={"game": game}), 422, "game_invalid")
    assert any("is not a number" in p["reason"] for p in english["errors"])
    chinese = problem(api.post("/api/v1/games/solve", json={"game": game}, headers={"Accept-Language": "zh"}),
                      422, "game_invalid")
    assert len(chinese["errors"]) == len(english["errors"])
    for said, original in zip(chinese["errors"], english["errors"], strict=True):
        assert said["field"] == original["field"]
        assert CJK.search(said["reason"]) and said["reason"] != original["reason"]
    assert CJK.search(str(chinese["detail"])) and CJK.search(str(chinese["title"]))


@pytest.fixture
def pages(store: Store, clock: FrozenClock) -> Iterator[TestClient]:
    make_alliance(store, clock)
    add_user(store, clock, "admin", Role.PLATFORM_ADMIN)
    with TestClient(create_app(store, clock), base_url="https://testserver") as c:
        sign_in(c, "admin")
        yield c


def test_a_page_says_the_whole_error_in_its_language(pages: TestClient) -> None:
    english_detail = escape("no alliance with code 'nope'")
    chinese = pages.get("/alliances/nope", headers={"Accept": "text/html"})  # the default language: Chinese
    assert chinese.status_code == 404
    assert escape(ZH("no alliance with code {code!r}").format(code="nope")) in chinese.text
    assert english_detail not in chinese.text and 'lang="en"' not in chinese.text.split("<main", 1)[-1]
    english = pages.get("/alliances/nope?lang=en", headers={"Accept": "text/html"})
    assert english.status_code == 404 and english_detail in english.text
