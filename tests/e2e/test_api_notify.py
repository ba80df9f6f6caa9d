"""Notifications over the API: a person's inbox and preferences (a session; an API key has no
inbox), webhooks per alliance and per member with the delivery log and a test call; refusals are
problem+json and leave nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.core.messages import Message
from alliance.language import get_translations
from alliance.notify import service
from alliance.notify.notice import Audience, EventKind, Notice
from alliance.notify.outbox import publish
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import make_alliance, member_values
from tests.support.http import member_headers, problem
from tests.support.web import PASSWORD, add_user

API = "/api/v1"
TITLE = Message("no alliance with code {code!r}", code="nb")


@pytest.fixture
def client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n in (1, 2):
            registry.add_member(store, code, member_values(n), clock)
    add_user(store, clock, "hw", Role.MEMBER_ADMIN, "nb", "M0001")
    with store.unit_of_work() as uow:
        publish(uow, Notice(EventKind.RATING_CHANGED, uow.alliances.require("nb").id, Audience.MEMBER, TITLE,
                            Message("Now AA."), link="/alliances/nb", member="M0001"), clock.now())
        uow.commit()
    service.dispatch(store, clock, service.Postman())
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as c:
        yield c


def key(store: Store, clock: FrozenClock, role: Role, alliance: str = "nb", member: str | None = None) -> dict[str, str]:
    from alliance.access.service import create_api_key

    issued = create_api_key(store, role=role, alliance=alliance, member=member, name="t", created_by="t", clock=clock)
    return {"Authorization": f"Bearer {issued.key}"}


def test_a_persons_inbox_and_preferences_over_a_session(client: TestClient, store: Store, clock: FrozenClock) -> None:
    problem(client.get(f"{API}/inbox", headers=key(store, clock, Role.COORDINATOR)), 403, "forbidden")  # a key: no inbox
    csrf = client.post(f"{API}/auth/sign-in", json={"username": "hw", "password": PASSWORD}).json()["csrf_token"]
    inbox = client.get(f"{API}/inbox", headers={"Accept-Language": "zh-CN"}).json()
    assert inbox["unread"] == 1
    [item] = inbox["items"]
    assert item["title"] == TITLE.in_language(get_translations("zh_CN").gettext) and item["link"] == "/alliances/nb"
    assert client.get(f"{API}/inbox").json()["items"][0]["title"] == str(TITLE)  # English unless asked
    assert client.post(f"{API}/inbox/{item['id']}/read").status_code == 403  # no CSRF token
    problem(client.post(f"{API}/inbox/999/read", headers={"X-CSRF-Token": csrf}), 404, "not_found")
    assert client.post(f"{API}/inbox/{item['id']}/read", headers={"X-CSRF-Token": csrf}).json() == {"marked": 1}
    assert client.post(f"{API}/inbox/read-all", headers={"X-CSRF-Token": csrf}).json() == {"marked": 0}
    prefs = client.get(f"{API}/account/notifications").json()
    assert prefs["choices"]["warning.fired:email"] is True and prefs["choices"]["rating.changed:email"] is False
    changed = client.put(f"{API}/account/notifications", headers={"X-CSRF-Token": csrf}, json={
        "email": "hw@example.cn", "language": "en", "choices": {"warning.fired:email": False}})
    assert changed.status_code == 200 and changed.json()["choices"]["warning.fired:email"] is False
    for bad in ({"email": "x", "language": "en"}, {"language": "de"}, {"choices": {"nope:inbox": True}}):
        problem(client.put(f"{API}/account/notifications", headers={"X-CSRF-Token": csrf}, json=bad), 422,
                "invalid_input")
    assert client.get(f"{API}/account/notifications").json() == changed.json()


def test_webhooks_over_the_api(client: TestClient, store: Store, clock: FrozenClock) -> None:
    coordinator = key(store, clock, Role.COORDINATOR)
    hooks = f"{API}/alliances/nb/webhooks"
    problem(client.post(hooks, headers=coordinator, json={"url": "file:///etc/passwd", "events": ["warning.fired"]}),
            422, "invalid_input")
    problem(client.post(hooks, headers=coordinator, json={"url": "https://a.cn", "events": ["nope"]}), 422,
            "invalid_input")
    assert client.get(hooks, headers=coordinator).json() == {"items": []}
    added = client.post(hooks, headers=coordinator, json={"url": "https://a.example.cn/h", "events": ["warning.fired"]})
    assert added.status_code == 201 and added.json()["secret"].startswith("whsec_")
    hook = added.json()["id"]
    assert "secret" not in client.get(hooks, headers=coordinator).json()["items"][0]
    tested = client.post(f"{hooks}/{hook}/test", headers=coordinator)
    assert tested.status_code == 202 and tested.json()["status"] == "pending"
    log = client.get(f"{hooks}/{hook}/deliveries", headers=coordinator).json()["items"]
    assert [(d["event"], d["status"]) for d in log] == [("webhook.test", "pending")]
    assert client.post(f"{hooks}/{hook}/disable", headers=coordinator).json()["enabled"] is False
    assert client.post(f"{hooks}/{hook}/enable", headers=coordinator).json()["enabled"] is True
    # A member's admin has its own webhooks and never reaches the alliance's (or another member's).
    m2 = member_headers(store, "nb", "M0002")
    assert client.get(hooks, headers=m2).json() == {"items": []}
    for method, path in (("GET", f"{hooks}/{hook}/deliveries"), ("DELETE", f"{hooks}/{hook}"),
                         ("POST", f"{hooks}/{hook}/test")):
        problem(client.request(method, path, headers=m2), 404, "not_found")
    own = client.post(hooks, headers=m2, json={"url": "http://m2.example.cn/h", "events": ["rating.changed"]}).json()
    assert own["member"] == "M0002"
    problem(client.delete(f"{hooks}/{own['id']}", headers=member_headers(store, "nb", "M0001")), 404, "not_found")
    problem(client.get(hooks, headers=key(store, clock, Role.AUDITOR)), 403, "forbidden")
    problem(client.get(f"{API}/alliances/other/webhooks", headers=coordinator), 404, "alliance_not_found")
    assert client.delete(f"{hooks}/{hook}", headers=coordinator).status_code == 204
    assert client.get(hooks, headers=coordinator).json() == {"items": []}
