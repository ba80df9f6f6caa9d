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
    with pytest.raises(InvalidInput, match="needs --member"):
        grant_role(store, "li", Role.MEMBER_ADMIN, "nb", None)
    with pytest.raises(NotFound):
        grant_role(store, "ghost", Role.AUDITOR, "nb", None)


def test_repeated_failures_lock_the_user_for_a_while(client: TestClient, clock: FrozenClock) -> None:
    from datetime import timedelta

    for _ in range(5):
        problem(sign_in(client, password="wrong password!"), 401, "not_authenticated")
    locked = problem(sign_in(client), 401, "not_authenticated")  # even the right password, for now
    unknown = problem(sign_in(client, username="nobody"), 401, "not_authenticated")
    assert locked["detail"] == unknown["detail"]  # a locked account looks like any failure
    clock.advance(timedelta(minutes=16))
    assert sign_in(client).status_code == 200
    for _ in range(4):
        sign_in(client, password="wrong password!")
    assert sign_in(client).status_code == 200  # a success resets the count


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
    from alliance.api.guards import RateLimiter

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
