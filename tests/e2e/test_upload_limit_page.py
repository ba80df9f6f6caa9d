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


# One body limit (ALLIANCE_MAX_BODY_MB, edge.guards.BodyLimit) for the API and the pages: a body of
# exactly the limit reaches the route, one byte more is refused before it does (issue 18).
LIMIT = 2**20


def _multipart(size: int) -> tuple[bytes, str]:
    """A multipart form with one CSV file, `size` bytes in all."""
    head = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="members.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\n")
    tail = b"\r\n--b--\r\n"
    return head + b"x" * (size - len(head) - len(tail)) + tail, "multipart/form-data; boundary=b"


def test_an_api_upload_at_the_limit_reaches_the_route_and_one_byte_more_does_not(app: object, store: Store) -> None:
    c = TestClient(app)  # type: ignore[arg-type]
    headers = {**admin_headers(store), "Content-Type": "text/csv"}
    at = c.post("/api/v1/alliances/nb/order-lines", content=b"x" * LIMIT, headers=headers)
    assert at.status_code == 422 and at.json()["code"] != "body_too_large"  # read whole: its lines are refused
    over = c.post("/api/v1/alliances/nb/order-lines", content=b"x" * (LIMIT + 1), headers=headers)
    assert over.status_code == 413 and over.json()["code"] == "body_too_large"


def test_a_page_upload_at_the_limit_reaches_the_page_and_one_byte_more_does_not(app: object) -> None:
    c = browser(app)
    page = c.get("/alliances/nb/members/import", headers=HTML)
    csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    body, content_type = _multipart(LIMIT)
    assert len(body) == LIMIT
    at = c.post(URL, content=body, headers={**HTML, "Content-Type": content_type, "X-CSRF-Token": csrf,
                                            "Accept-Language": "en"})
    assert at.status_code in (200, 422) and "at most 1 MiB" not in unescape(at.text)  # the page read it
    body, content_type = _multipart(LIMIT + 1)
    over = c.post(URL, content=body, headers={**HTML, "Content-Type": content_type, "X-CSRF-Token": csrf,
                                              "Accept-Language": "en"})
    assert over.status_code == 413 and "at most 1 MiB" in unescape(over.text)
