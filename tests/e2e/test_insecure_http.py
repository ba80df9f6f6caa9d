"""Signing in over plain HTTP (issue 18): cookies are Secure, so a browser that reached the server at
http://<an office address> would drop them; the sign-in page says so and what to do. With
ALLIANCE_INSECURE_HTTP=1 (a closed office network) they are not Secure, and the sign-in page and the
server's log warn about it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import make_alliance
from tests.support.web import PASSWORD, add_user, sign_in_form

NEEDS_HTTPS = 'id="sign-in-needs-https"'
INSECURE = 'id="sign-in-insecure"'


def _app(store: Store, clock: FrozenClock) -> FastAPI:
    make_alliance(store, clock, code="nb")
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    return create_app(store, clock)


@pytest.fixture
def secure_app(store: Store, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    monkeypatch.delenv("ALLIANCE_INSECURE_HTTP", raising=False)
    yield _app(store, clock)


@pytest.fixture
def insecure_app(store: Store, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    monkeypatch.setenv("ALLIANCE_INSECURE_HTTP", "1")
    yield _app(store, clock)


def _set_cookie(response: object, name: str) -> str:
    found = [v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith(name + "=")]  # type: ignore[attr-defined]
    assert len(found) == 1, found
    return found[0].lower()


def test_over_plain_http_from_an_office_address_the_sign_in_page_explains_why_it_cannot_work(
        secure_app: FastAPI) -> None:
    page = TestClient(secure_app, base_url="http://192.168.1.20:8000").get("/sign-in", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and NEEDS_HTTPS in page.text and INSECURE not in page.text
    assert "HTTPS" in page.text and "ALLIANCE_INSECURE_HTTP=1" in page.text
    assert "; secure" in _set_cookie(page, "alliance_sign_in")
    zh = TestClient(secure_app, base_url="http://192.168.1.20:8000").get("/sign-in", headers={"Accept-Language": "zh-CN"})
    assert NEEDS_HTTPS in zh.text and "此处无法登录" in zh.text


@pytest.mark.parametrize("base_url", ["https://office.example", "http://localhost:8000", "http://127.0.0.1:8000"])
def test_over_https_or_on_the_machine_itself_the_page_says_nothing_of_it(secure_app: FastAPI, base_url: str) -> None:
    page = TestClient(secure_app, base_url=base_url).get("/sign-in")
    assert page.status_code == 200 and NEEDS_HTTPS not in page.text and INSECURE not in page.text
    assert "; secure" in _set_cookie(page, "alliance_sign_in")


def test_behind_a_tls_proxy_the_page_says_nothing_of_it(secure_app: FastAPI) -> None:
    page = TestClient(secure_app, base_url="http://192.168.1.20:8000").get("/sign-in",
                                                                        headers={"X-Forwarded-Proto": "https"})
    assert NEEDS_HTTPS not in page.text and INSECURE not in page.text


def test_over_https_the_session_cookie_is_secure(secure_app: FastAPI) -> None:
    c = TestClient(secure_app, base_url="https://office.example")
    answer = c.post("/sign-in", data=sign_in_form(c, "coord", PASSWORD), follow_redirects=False)
    assert answer.status_code == 303 and "; secure" in _set_cookie(answer, "alliance_session")
    api = TestClient(secure_app, base_url="https://office.example").post(
        "/api/v1/auth/sign-in", json={"username": "coord", "password": PASSWORD})
    assert api.status_code == 200 and "; secure" in _set_cookie(api, "alliance_session")


def test_with_insecure_http_a_browser_signs_in_over_plain_http_and_is_warned(insecure_app: FastAPI) -> None:
    c = TestClient(insecure_app, base_url="http://192.168.1.20:8000")
    page = c.get("/sign-in", headers={"Accept-Language": "en"})
    assert INSECURE in page.text and NEEDS_HTTPS not in page.text and "unencrypted" in page.text
    assert "secure" not in _set_cookie(page, "alliance_sign_in").split(";", 1)[1]
    answer = c.post("/sign-in", data=sign_in_form(c, "coord", PASSWORD), follow_redirects=False)
    assert answer.status_code == 303
    assert "secure" not in _set_cookie(answer, "alliance_session").split(";", 1)[1]
    home = c.get("/", follow_redirects=False)  # the browser sent the cookie back over http
    assert home.status_code == 200 and 'name="csrf-token"' in home.text
    api = TestClient(insecure_app, base_url="http://192.168.1.20:8000").post(
        "/api/v1/auth/sign-in", json={"username": "coord", "password": PASSWORD})
    assert api.status_code == 200 and "secure" not in _set_cookie(api, "alliance_session").split(";", 1)[1]


def test_with_insecure_http_the_server_warns_at_start(insecure_app: FastAPI, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="alliance.server"), TestClient(insecure_app):
        pass
    assert any("ALLIANCE_INSECURE_HTTP=1" in r.getMessage() for r in caplog.records if r.name == "alliance.server")


def test_without_it_the_server_starts_quietly(secure_app: FastAPI, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="alliance.server"), TestClient(secure_app):
        pass
    assert not [r for r in caplog.records if "INSECURE" in r.getMessage()]
