"""Sign-in for people: cookie flags, CSRF on cookie writes, sign-out, roles per alliance."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.access.service import create_user, grant_role
from alliance.core.clock import FrozenClock
from alliance.core.errors import InvalidInput, NotFound
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import make_alliance, member_values
from tests.support.http import problem

PASSWORD = "a long enough password"


@pytest.fixture
def client(store: Store, clock: FrozenClock) -> Iterator[TestClient]:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        registry.add_member(store, code, member_values(1), clock)
    create_user(store, "zhang", PASSWORD, "张秘书长", clock)
    grant_role(store, "zhang", Role.COORDINATOR, "nb", None)
    create_user(store, "li", PASSWORD, "李", clock)
    with TestClient(create_app(store, clock), base_url="https://testserver") as c:
        yield c


def sign_in(client: TestClient, username: str = "zhang", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/sign-in", json={"username": username, "password": password})


def test_sign_in_sets_a_safe_cookie_and_reads_work(client: TestClient) -> None:
    r = sign_in(client)
    assert r.status_code == 200 and len(r.json()["csrf_token"]) > 30
    cookie = r.headers["set-cookie"]
    assert "alliance_session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    me = client.get("/api/v1/auth/me").json()
    assert me == {"subject": "zhang", "role": "coordinator", "alliance": "nb", "member": None, "scopes": None}
    assert client.get("/api/v1/alliances/nb/members").status_code == 200
    problem(client.get("/api/v1/alliances/other/members"), 404, "alliance_not_found")


def test_cookie_writes_need_the_csrf_token(client: TestClient) -> None:
    csrf = sign_in(client).json()["csrf_token"]
    body = {"name": "甲公司", "source": "referral"}
    problem(client.post("/api/v1/alliances/nb/prospects", json=body), 403, "csrf_failed")
    problem(client.post("/api/v1/alliances/nb/prospects", json=body, headers={"X-CSRF-Token": "forged"}), 403, "csrf_failed")
    assert client.post("/api/v1/alliances/nb/prospects", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    assert client.post("/api/v1/auth/sign-out", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.clear()
    problem(client.get("/api/v1/auth/me"), 401, "not_authenticated")


def test_a_signed_out_session_stops_at_once(client: TestClient) -> None:
    csrf = sign_in(client).json()["csrf_token"]
    token = client.cookies.get("alliance_session")
    client.post("/api/v1/auth/sign-out", headers={"X-CSRF-Token": csrf})
    client.cookies.set("alliance_session", token or "", domain="testserver")
    problem(client.get("/api/v1/auth/me"), 401, "not_authenticated")


def test_wrong_passwords_and_roleless_users(client: TestClient, store: Store) -> None:
    body = problem(sign_in(client, password="wrong password!"), 401, "not_authenticated")
    assert body["detail"].startswith("the username or password is wrong")
    assert problem(sign_in(client, username="nobody"), 401, "not_authenticated")["detail"] == body["detail"]
    assert sign_in(client, username="li").status_code == 200
    problem(client.get("/api/v1/auth/me"), 401, "not_authenticated")  # no role yet
    with pytest.raises(InvalidInput, match="needs a member"):
        grant_role(store, "li", Role.MEMBER_ADMIN, "nb", None)
    with pytest.raises(NotFound):
        grant_role(store, "ghost", Role.AUDITOR, "nb", None)


def test_repeated_failures_make_the_account_wait_longer_each_time_but_never_long(client: TestClient,
                                                                               clock: FrozenClock) -> None:
    from datetime import timedelta

    for _ in range(5):
        problem(sign_in(client, password="wrong password!"), 401, "not_authenticated")
    waiting = problem(sign_in(client), 401, "not_authenticated")  # even the right password, for a second
    unknown = problem(sign_in(client, username="nobody"), 401, "not_authenticated")
    assert waiting["detail"] == unknown["detail"]  # a waiting account looks like any failure
    clock.advance(timedelta(seconds=1))
    assert sign_in(client).status_code == 200
    for _ in range(4):
        sign_in(client, password="wrong password!")
    assert sign_in(client).status_code == 200  # a success resets the count



def test_a_guesser_waits_longer_each_time_but_the_user_is_never_kept_out_long(client: TestClient,
                                                                              clock: FrozenClock) -> None:
    from datetime import timedelta

    from alliance.access.throttle import AddressBackOff
    from alliance.edge.guards import RateLimiter

    # Only the account's back-off here: the address's limits are tested on their own.
    client.app.state.sign_in_limiter = RateLimiter(rate=1000, burst=1000)  # type: ignore[attr-defined]
    client.app.state.sign_in_backoff = AddressBackOff(free=10**6)  # type: ignore[attr-defined]
    for _ in range(5):
        sign_in(client, password="wrong password!")
    for wait in (1, 2, 4, 8, 16, 32, 60, 60, 60):
        for _ in range(3):  # while waiting: refused, even the right password, and not counted
            problem(sign_in(client, password="another wrong one"), 401, "not_authenticated")
        clock.advance(timedelta(seconds=wait - 1))
        problem(sign_in(client), 401, "not_authenticated")
        clock.advance(timedelta(seconds=1))
        problem(sign_in(client, password="wrong password!"), 401, "not_authenticated")  # counted: the next wait
    clock.advance(timedelta(seconds=60))  # at most a minute after the guesser's last try
    assert sign_in(client).status_code == 200


def test_an_admin_unlocks_a_user(client: TestClient, store: Store, clock: FrozenClock) -> None:
    from alliance.access.service import unlock_user

    for _ in range(5):
        sign_in(client, password="wrong password!")
    problem(sign_in(client), 401, "not_authenticated")
    unlock_user(store, "zhang")
    assert sign_in(client).status_code == 200
    with pytest.raises(NotFound):
        unlock_user(store, "ghost")


def test_failed_sign_ins_back_off_per_address(client: TestClient, clock: FrozenClock) -> None:
    from datetime import timedelta

    from alliance.access.throttle import AddressBackOff
    from alliance.edge.guards import RateLimiter

    client.app.state.sign_in_limiter = RateLimiter(rate=1000, burst=1000)  # type: ignore[attr-defined]
    client.app.state.sign_in_backoff = AddressBackOff(free=3, cap=timedelta(minutes=15))  # type: ignore[attr-defined]
    # Guesses spread over many accounts from one address: each account is below its own limit.
    answers = [sign_in(client, username=f"user{i}").status_code for i in range(3)]
    assert answers == [401, 401, 401]
    r = sign_in(client)  # the address now waits a second, whoever it tries
    assert r.status_code == 429 and r.headers["retry-after"] == "1" and r.json()["code"] == "rate_limited"
    # A spoofed X-Forwarded-For is not another address (no proxy is trusted).
    spoofed = client.post("/api/v1/auth/sign-in", json={"username": "zhang", "password": PASSWORD},
                          headers={"X-Forwarded-For": "203.0.113.9"})
    assert spoofed.status_code == 429
    clock.advance(timedelta(seconds=1))
    assert sign_in(client).status_code == 200


def test_parallel_guesses_still_lock(client: TestClient, store: Store, clock: FrozenClock) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from alliance.access.service import NotAuthenticated
    from alliance.access.service import sign_in as service_sign_in

    create_user(store, "wang", PASSWORD, "王", clock)
    grant_role(store, "wang", Role.AUDITOR, "nb", None)

    def guess(_: int) -> None:
        with pytest.raises(NotAuthenticated):
            service_sign_in(store, "wang", "a wrong guess!!", clock)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(guess, range(8)))
    with pytest.raises(NotAuthenticated):
        service_sign_in(store, "wang", PASSWORD, clock)  # locked: the count was not lost to the race


def test_sign_in_attempts_are_limited_per_address(client: TestClient) -> None:
    from alliance.edge.guards import RateLimiter

    client.app.state.sign_in_limiter = RateLimiter(rate=0.001, burst=3)  # type: ignore[attr-defined]
    answers = [sign_in(client, username="nobody").status_code for _ in range(4)]
    assert answers == [401, 401, 401, 429]


def test_shared_view_queries_with_a_session_need_the_csrf_token(client: TestClient, store: Store, clock: FrozenClock) -> None:
    from alliance.datashare import service as datashare

    view = datashare.publish(store, "nb", "M0001", "v", "sales", {"channel": "visible"}, 10, "t", clock)
    csrf = sign_in(client).json()["csrf_token"]
    url = f"/api/v1/alliances/nb/views/{view.id}/groups"
    problem(client.get(url), 403, "csrf_failed")  # another site could make the browser run this GET
    assert client.get(url, headers={"X-CSRF-Token": csrf}).status_code == 200
