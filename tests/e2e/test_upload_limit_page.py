"""An upload over the body limit on a web page: a page in the user's language that says the limit
and points to the command line, status 413; the API keeps problem+json (issue 17)."""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_user, grant_role
from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import make_alliance
from tests.support.http import admin_headers
from tests.support.web import sign_in_form

PASSWORD = "a long enough password"
URL = "/alliances/nb/members/import"
BIG = b"x" * (2 * 2**20)  # the limit is 1 MiB here


@pytest.fixture
def app(store: Store, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setenv("ALLIANCE_MAX_BODY_MB", "1")
    make_alliance(store, clock, code="nb")
    create_user(store, "coord", PASSWORD, "coord", clock)
    grant_role(store, "coord", Role.COORDINATOR, "nb", None)
    application = create_app(store, clock)
    with TestClient(application, base_url="https://testserver"):
        yield application


def browser(app: object) -> TestClient:
    c = TestClient(app, base_url="https://testserver")  # type: ignore[arg-type]
    assert c.post("/sign-in", data=sign_in_form(c, "coord", PASSWORD), follow_redirects=False).status_code == 303
    return c


HTML = {"Accept": "text/html,application/xhtml+xml"}


def test_a_page_upload_over_the_limit_gets_a_page_in_the_users_language(app: object) -> None:
    c = browser(app)
    r = c.post(URL, files={"file": ("members.csv", BIG, "text/csv")}, headers={**HTML, "Accept-Language": "en"})
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
    text = unescape(r.text)
    assert "<html" in r.text and "at most 1 MiB in one request" in text
    assert "alliance member import FILE --alliance CODE" in text and "problem" not in r.headers["content-type"]
    zh = c.post(URL, files={"file": ("members.csv", BIG, "text/csv")}, headers={**HTML, "Accept-Language": "zh-CN"})
    assert zh.status_code == 413 and "上传的文件过大" in unescape(zh.text) and "1 MiB" in zh.text


def test_a_streamed_upload_and_an_htmx_upload_get_it_too(app: object) -> None:
    c = browser(app)

    def chunks() -> Iterator[bytes]:
        for _ in range(3):
            yield b"x" * 2**20  # no Content-Length: counted as it arrives

    r = c.post(URL, content=chunks(), headers={**HTML, "Accept-Language": "en",
                                               "Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413 and "at most 1 MiB" in unescape(r.text)
    htmx = c.post("/alliances/nb/orders/import", files={"file": ("lines.csv", BIG, "text/csv")},
                  headers={"HX-Request": "true", "Accept-Language": "en"})
    assert htmx.status_code == 413 and "<html" not in htmx.text and 'id="upload-too-large"' in htmx.text
    assert "alliance orders import FILE --alliance CODE" in htmx.text


def test_the_api_keeps_problem_json(app: object, store: Store) -> None:
    c = TestClient(app)  # type: ignore[arg-type]
    r = c.post("/api/v1/alliances/nb/order-lines", content=BIG,
               headers={**admin_headers(store), "Content-Type": "text/csv", "Accept": "text/html"})
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "body_too_large"
