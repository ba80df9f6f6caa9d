"""Guards on every request: security headers, closed CORS, body size, unknown fields, rate limit."""

from __future__ import annotations

import json

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from alliance.edge.guards import RateLimited, RateLimiter
from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import make_alliance
from tests.support.http import admin_headers, problem


@pytest.fixture
def client(store: Store, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("ALLIANCE_MAX_BODY_MB", "1")
    make_alliance(store, clock, code="nb")
    with TestClient(create_app(store, clock)) as c:
        c.headers.update(admin_headers(store))
        yield c


def test_security_headers_and_closed_cors(client: TestClient) -> None:
    r = client.get("/api/v1/alliances/nb", headers={"Origin": "https://evil.example"})
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "access-control-allow-origin" not in r.headers
    assert "frame-ancestors 'none'" in client.get("/").headers["content-security-policy"]
    preflight = client.options("/api/v1/alliances", headers={"Origin": "https://evil.example",
                                                              "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers


def test_body_limit_and_unknown_fields(client: TestClient) -> None:
    big = "x" * (2 * 2**20)
    problem(client.post("/api/v1/alliances/nb/prospects", content=big, headers={"content-type": "application/json"}),
            413, "body_too_large")
    r = client.post("/api/v1/alliances/nb/prospects", json={"name": "甲公司", "source": "referral", "colour": "red"})
    assert r.status_code == 422 and any(e["field"] == "colour" for e in r.json()["errors"])


def test_the_front_door_answers_in_the_language_asked_for(client: TestClient) -> None:
    """Problems sent by the middleware, before the app, are said in Accept-Language's language too."""
    big = "x" * (2 * 2**20)
    english = problem(client.post("/api/v1/alliances/nb/prospects", content=big,
                                  headers={"content-type": "application/json"}), 413, "body_too_large")
    assert english["title"] == "Request body too large" and english["detail"] == "the request body is over 1 MiB"
    r = client.post("/api/v1/alliances/nb/prospects", content=big,
                    headers={"content-type": "application/json", "accept-language": "zh-CN,zh;q=0.9"})
    assert problem(r, 413, "body_too_large")["title"] == "请求内容过大"
    assert r.headers["content-language"] == "zh-CN"
    anonymous = TestClient(client.app)
    r = anonymous.get("/api/v1/alliances/nb", headers={"accept-language": "zh-CN"})
    assert problem(r, 401, "not_authenticated")["title"] == "需要登录"


def test_rate_limit_answers_429_with_retry_after(client: TestClient, store: Store, clock: FrozenClock,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # A slow refill, so that a busy machine's slow requests do not earn tokens back mid-test.
    monkeypatch.setenv("ALLIANCE_RATE_LIMIT", "0.01")
    monkeypatch.setenv("ALLIANCE_RATE_BURST", "5")
    client = TestClient(create_app(store, clock))
    client.headers.update(admin_headers(store))
    answers = [client.get("/api/v1/alliances/nb").status_code for _ in range(8)]
    assert answers[:5] == [200] * 5 and 429 in answers[5:]
    r = client.get("/api/v1/alliances/nb")
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and r.json()["code"] == "rate_limited"


def test_token_bucket_refills() -> None:
    limiter = RateLimiter(rate=2, burst=2)
    limiter.take("k", now=0.0)
    limiter.take("k", now=0.0)
    with pytest.raises(RateLimited) as caught:
        limiter.take("k", now=0.1)
    assert caught.value.retry_after == 1
    limiter.take("k", now=1.0)  # 1.8 tokens by then
    limiter.take("other", now=0.1)  # buckets are per key


def test_any_write_is_idempotent_with_a_key(client: TestClient, store: Store) -> None:
    body = {"name": "甲公司", "source": "referral"}
    first = client.post("/api/v1/alliances/nb/prospects", json=body, headers={"Idempotency-Key": "p-1"})
    again = client.post("/api/v1/alliances/nb/prospects", json=body, headers={"Idempotency-Key": "p-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert len(client.get("/api/v1/alliances/nb/prospects").json()["items"]) == 1
    problem(client.post("/api/v1/alliances/nb/prospects", json={**body, "name": "乙公司"}, headers={"Idempotency-Key": "p-1"}),
            409, "idempotency_key_reused")
    # The scheme in lower case is the same key to the app, so the same retry: replayed, not run again.
    lower = {"Authorization": client.headers["Authorization"].replace("Bearer", "bearer"), "Idempotency-Key": "p-1"}
    replay = client.post("/api/v1/alliances/nb/prospects", json=body, headers=lower)
    assert replay.headers.get("idempotent-replayed") == "true" and replay.json() == first.json()
    # Another API key's "p-1" is its own.
    other = client.post("/api/v1/alliances/nb/prospects", json={**body, "name": "乙公司"},
                        headers={"Idempotency-Key": "p-1", **admin_headers(store)})
    assert other.status_code == 201 and "idempotent-replayed" not in other.headers
    # A refused request is kept too: the same retry gets the same refusal without running again.
    bad = {"name": "丙公司", "source": "nowhere"}
    first_bad = client.post("/api/v1/alliances/nb/prospects", json=bad, headers={"Idempotency-Key": "p-2"})
    assert first_bad.status_code == 422
    assert client.post("/api/v1/alliances/nb/prospects", json=bad, headers={"Idempotency-Key": "p-2"}).headers["idempotent-replayed"] == "true"


def test_a_stored_answer_is_replayed_to_its_own_key_only(client: TestClient) -> None:
    key = client.headers["Authorization"].split(" ")[1]
    body = {"name": "甲公司", "source": "referral"}
    assert client.post("/api/v1/alliances/nb/prospects", json=body, headers={"Idempotency-Key": "k-1"}).status_code == 201
    # Someone who knows the key's prefix (it is not a secret) but not its secret gets nothing back.
    forged = key[:12] + "A" * 43
    r = client.post("/api/v1/alliances/nb/prospects", json=body, headers={"Idempotency-Key": "k-1", "Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and "idempotent-replayed" not in r.headers and "甲公司" not in r.text


def test_a_streamed_body_over_the_limit_is_413_with_an_idempotency_key(client: TestClient) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(3):
            yield b"x" * (2**20)  # no Content-Length: counted while it streams

    r = client.post("/api/v1/alliances/nb/prospects", content=chunks(),
                    headers={"Idempotency-Key": "big", "content-type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "body_too_large"
    r = client.post("/api/v1/alliances/nb/prospects", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_a_key_still_running_is_not_run_twice(client: TestClient, store: Store, clock: FrozenClock) -> None:
    from alliance.edge.idempotency import request_digest, scoped_key

    key = client.headers["Authorization"].split(" ")[1]

    def reserve(idempotency_key: bytes, digest: str) -> None:
        with store.unit_of_work() as uow:
            uow.idempotency.reserve(uow.alliances.require("nb").id, scoped_key(key[3:11], idempotency_key), digest,
                                    clock.now())
            uow.commit()

    # As if the same request were in flight on another connection: the key is reserved.
    reserve(b"same", "digest")
    body = {"name": "甲公司", "source": "referral"}
    problem(client.post("/api/v1/alliances/nb/prospects", json=body, headers={"Idempotency-Key": "same"}),
            409, "idempotency_key_reused")  # a different request digest
    raw = json.dumps(body).encode()
    reserve(b"running", request_digest(b"POST", b"/api/v1/alliances/nb/prospects", b"", raw))
    problem(client.post("/api/v1/alliances/nb/prospects", content=raw,
                        headers={"Idempotency-Key": "running", "content-type": "application/json"}),
            409, "idempotency_key_in_use")  # the same request, still in flight elsewhere
    assert client.get("/api/v1/alliances/nb/prospects").json()["items"] == []  # and not run again
    with store.unit_of_work() as uow:
        uow.connection.exec_driver_sql("DELETE FROM idempotency_keys")
        uow.commit()
    first = client.post("/api/v1/alliances/nb/prospects", json=body, headers={"Idempotency-Key": "same"})
    assert first.status_code == 201
    assert len(client.get("/api/v1/alliances/nb/prospects").json()["items"]) == 1
    # A refused request gives its key back: the same key can be used once the request is right.
    r = client.post("/api/v1/alliances/other/prospects", json=body, headers={"Idempotency-Key": "later"})
    assert r.status_code == 404
    with store.unit_of_work() as uow:
        assert uow.connection.exec_driver_sql("SELECT count(*) FROM idempotency_keys WHERE status = 0").scalar_one() == 0
