"""The front door: authentication before the body, limits on refused requests, the client's
address through trusted proxies only, and the caching and transport headers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alliance.edge.guards import ClientAddress
from alliance.core.clock import FrozenClock
from alliance.core.settings import Settings
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import make_alliance
from tests.support.http import admin_headers, problem

FORGED = "Bearer al_abcdefgh_" + "x" * 43


@pytest.fixture
def app(store: Store, clock: FrozenClock) -> Any:
    make_alliance(store, clock, code="fd")
    return create_app(store, clock)


def _call(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]], chunks: int = 30,
          client: tuple[str, int] = ("198.51.100.7", 4000)) -> tuple[int, dict[bytes, bytes], int]:
    """(status, headers, body chunks the app pulled) of a request whose body is `chunks` MiB, sent a
    MiB at a time: a server that reads the body pulls them, one that does not never asks."""
    pulled = 0
    answer: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * 2**20, "more_body": pulled < chunks}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"], answer["headers"] = message["status"], dict(message["headers"])

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "client": client,
             "server": ("testserver", 80),
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                         (b"content-length", str(chunks * 2**20).encode()), *headers]}
    asyncio.run(app(scope, receive, send))
    return answer["status"], answer["headers"], pulled


def test_a_large_body_without_a_valid_key_is_refused_unread(app: Any) -> None:
    for headers in ([], [(b"authorization", FORGED.encode())], [(b"cookie", b"alliance_session=forged")]):
        status, _, pulled = _call(app, "POST", "/api/v1/voting-power", headers)
        assert (status, pulled) == (401, 0)
    status, _, pulled = _call(app, "POST", "/api/v1/alliances/fd/prospects", [])
    assert (status, pulled) == (401, 0)


def test_with_a_valid_key_the_body_is_read(app: Any, store: Store) -> None:
    key = admin_headers(store)["Authorization"].encode()
    status, _, pulled = _call(app, "POST", "/api/v1/voting-power", [(b"authorization", key)], chunks=2)
    assert status == 422 and pulled == 2  # read, and refused for what it says (not JSON)


def test_requests_without_a_valid_key_are_limited_per_address(store: Store, clock: FrozenClock,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_ANONYMOUS_RATE_LIMIT", "0.001")
    monkeypatch.setenv("ALLIANCE_ANONYMOUS_RATE_BURST", "3")
    client = TestClient(create_app(store, clock))
    # A spoofed X-Forwarded-For changes nothing: no proxy is trusted, so the peer's address counts.
    answers = [client.get("/api/v1/alliances", headers={"Authorization": FORGED, "X-Forwarded-For": f"203.0.113.{i}"})
               for i in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]
    assert int(answers[-1].headers["retry-after"]) >= 1 and answers[-1].json()["code"] == "rate_limited"
    assert client.get("/api/v1/alliances", headers=admin_headers(store)).status_code == 200  # a valid key passes
    other = TestClient(create_app(store, clock), client=("192.0.2.9", 1))
    assert other.get("/api/v1/alliances").status_code == 401  # another address has its own allowance


def _seen(proxies: str, client: tuple[str, int], headers: list[tuple[bytes, bytes]]) -> tuple[str, str]:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope)

    networks = Settings(trusted_proxies=proxies).trusted_proxy_networks()
    asyncio.run(ClientAddress(app, networks)({"type": "http", "client": client, "scheme": "http", "headers": headers},
                                             None, None))
    return seen["client"][0], seen["scheme"]


def test_forwarded_headers_are_believed_only_from_trusted_proxies() -> None:
    spoofed = [(b"x-forwarded-for", b"203.0.113.5"), (b"x-forwarded-proto", b"https")]
    assert _seen("", ("198.51.100.7", 1), spoofed) == ("198.51.100.7", "http")
    assert _seen("10.0.0.0/8", ("198.51.100.7", 1), spoofed) == ("198.51.100.7", "http")
    assert _seen("10.0.0.0/8", ("10.1.2.3", 1), spoofed) == ("203.0.113.5", "https")
    # Through two trusted proxies: the right-most address that is not one of them; what the client
    # wrote itself further left is not believed.
    chain = [(b"x-forwarded-for", b"1.2.3.4, 203.0.113.5, 10.9.9.9")]
    assert _seen("10.0.0.0/8, 127.0.0.1", ("127.0.0.1", 1), chain) == ("203.0.113.5", "http")
    with pytest.raises(ValueError, match="ALLIANCE_TRUSTED_PROXIES"):
        Settings(trusted_proxies="not-an-address").trusted_proxy_networks()


@pytest.fixture
def client(app: Any, store: Store) -> Iterator[TestClient]:
    with TestClient(app) as c:
        c.headers.update(admin_headers(store))
        yield c


def test_answers_are_not_stored_by_caches_but_assets_may_be(client: TestClient) -> None:
    assert client.get("/api/v1/alliances/fd").headers["cache-control"] == "no-store"
    assert client.get("/api/v1/alliances/nope").headers["cache-control"] == "no-store"
    assert client.get("/", headers={"Authorization": ""}).headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/alliance.css").headers.get("cache-control", "")


def test_hsts_only_when_the_request_came_over_https(store: Store, clock: FrozenClock,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    plain = TestClient(create_app(store, clock))
    assert "strict-transport-security" not in plain.get("/healthz").headers
    assert "strict-transport-security" in TestClient(create_app(store, clock), base_url="https://testserver").get(
        "/healthz").headers
    spoofed = plain.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in spoofed.headers  # from an untrusted peer
    monkeypatch.setenv("ALLIANCE_TRUSTED_PROXIES", "127.0.0.1")
    proxied = TestClient(create_app(store, clock), client=("127.0.0.1", 5000))
    assert proxied.get("/healthz", headers={"X-Forwarded-Proto": "https"}).headers[
        "strict-transport-security"].startswith("max-age=")


def test_refusals_say_what_is_wrong(app: Any) -> None:
    client = TestClient(app)
    problem(client.post("/api/v1/voting-power", json={"quota": "1", "weights": {"a": "1"}}), 401, "not_authenticated")


def test_a_page_write_without_a_session_is_sent_to_sign_in_unread(app: Any) -> None:
    status, headers, pulled = _call(app, "POST", "/alliances/fd/contribution", [])
    assert (status, pulled) == (303, 0) and headers[b"location"].startswith(b"/sign-in?next=")
    status, _, pulled = _call(app, "POST", "/alliances/fd/contribution", [(b"cookie", b"alliance_session=forged")])
    assert (status, pulled) == (303, 0)
