"""Notifications in the browser over HTTP: the inbox with the header's unread count, marking read,
the preferences table, and webhooks pages; every refusal is tried (another member, another
alliance's coordinator, an auditor, no CSRF token) and leaves things as they were."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.messages import Message
from alliance.notify import service, service_account, service_webhooks
from alliance.notify.notice import Audience, EventKind, Notice
from alliance.notify.outbox import publish
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, in_chinese, sign_in

A = "/alliances/cloud-hw"
TITLE = Message("no alliance with code {code!r}", code="cloud-hw")  # a message the catalogue translates
UNREAD = re.compile(r'id="unread-count"[^>]*>(\d+)<')


@pytest.fixture
def app_client(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    for code in ("cloud-hw", "other"):
        make_alliance(store, clock, code=code)
        for n, member in ((1, "SW"), (2, "HW")):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "cloud-hw")
    add_user(store, clock, "hw", Role.MEMBER_ADMIN, "cloud-hw", "HW")
    add_user(store, clock, "sw", Role.MEMBER_ADMIN, "cloud-hw", "SW")
    add_user(store, clock, "auditor", Role.AUDITOR, "cloud-hw")
    add_user(store, clock, "stranger", Role.COORDINATOR, "other")
    with store.unit_of_work() as uow:
        aid = uow.alliances.require("cloud-hw").id
        publish(uow, Notice(EventKind.RATING_CHANGED, aid, Audience.MEMBER, TITLE, Message("Now AA."),
                            link=f"{A}/members", member="HW"), clock.now())
        publish(uow, Notice(EventKind.SETTLEMENT_CLOSED, aid, Audience.MEMBERS, Message("Day closed"),
                            Message("Statements are ready."), link=f"{A}/settlement"), clock.now())
        uow.commit()
    service.dispatch(store, clock, service.Postman())
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as c:
        yield c


def notices(html: str) -> dict[str, str]:
    """notice id -> read yes/no, as the inbox lists them."""
    return dict(re.findall(r'data-notice="(\d+)" data-read="(yes|no)"', html))


def test_inbox_unread_count_and_marking_read(app_client: TestClient) -> None:
    token = sign_in(app_client, "hw")
    page = app_client.get("/inbox")
    assert page.status_code == 200 and UNREAD.search(page.text).group(1) == "2"  # type: ignore[union-attr]
    assert in_chinese(TITLE) in page.text  # said in the page's language (Chinese by default)
    listed = notices(page.text)
    assert set(listed.values()) == {"no"} and len(listed) == 2
    first = max(listed, key=int)  # newest first: the settlement notice
    assert app_client.post(f"/inbox/{first}/read", data={"next": f"{A}/settlement"}).status_code == 403  # no CSRF
    opened = app_client.post(f"/inbox/{first}/read", data={"csrf_token": token, "next": f"{A}/settlement"},
                             follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"].endswith(f"{A}/settlement")
    away = app_client.post(f"/inbox/{min(listed, key=int)}/read", data={"csrf_token": token, "next": "//evil.example"},
                           follow_redirects=False)
    assert away.headers["location"].endswith("/inbox")  # never an address elsewhere
    token = sign_in(app_client, "hw")
    assert set(notices(app_client.get("/inbox").text).values()) == {"yes"}
    assert not UNREAD.search(app_client.get("/inbox").text)


def test_another_members_people_never_see_nor_mark_its_notices(app_client: TestClient) -> None:
    token = sign_in(app_client, "hw")
    hw_notices = notices(app_client.get("/inbox").text)
    token = sign_in(app_client, "sw")
    sw_page = app_client.get("/inbox")
    assert len(notices(sw_page.text)) == 1 and in_chinese(TITLE) not in sw_page.text  # HW's rating: not SW's news
    for notice in set(hw_notices) - set(notices(sw_page.text)):
        assert app_client.post(f"/inbox/{notice}/read", data={"csrf_token": token}).status_code == 404
    assert app_client.post("/inbox/read-all", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    sign_in(app_client, "hw")
    assert set(notices(app_client.get("/inbox").text).values()) == {"no"}  # SW's "all" was SW's only
    sign_in(app_client, "stranger")
    assert notices(app_client.get("/inbox").text) == {}


def test_preferences_table_saves_and_refuses(app_client: TestClient, store: Store) -> None:
    token = sign_in(app_client, "hw")
    page = app_client.get("/account/notifications")
    assert page.status_code == 200
    assert 'value="warning.fired:email" id="on-warning.fired-email" ' in page.text
    assert re.search(r'value="warning.fired:email"[^>]*checked', page.text)  # urgent: e-mail on by default
    assert not re.search(r'value="rating.changed:email"[^>]*checked', page.text)
    saved = app_client.post("/account/notifications", data={
        "csrf_token": token, "email": "hw@example.cn", "language": "en",
        "on": ["rating.changed:email", "rating.changed:inbox"]}, follow_redirects=False)
    assert saved.status_code == 303
    page = app_client.get("/account/notifications?saved=1").text
    assert 'id="prefs-saved"' in page and 'value="hw@example.cn"' in page
    assert re.search(r'value="rating.changed:email"[^>]*checked', page)
    assert not re.search(r'value="warning.fired:email"[^>]*checked', page)  # not ticked: turned off
    before = service_account.preferences(store, Principal("hw", Role.MEMBER_ADMIN, "cloud-hw", "HW", kind="user"))
    refused = app_client.post("/account/notifications", data={"csrf_token": token, "email": "nope", "language": "en"})
    assert refused.status_code == 422 and "nope" in refused.text
    assert service_account.preferences(store, Principal("hw", Role.MEMBER_ADMIN, "cloud-hw", "HW", kind="user")) == before


def _hook_ids(html: str) -> list[str]:
    return re.findall(r'<tr data-webhook="(\d+)">', html)


def test_webhooks_pages_for_the_coordinator(app_client: TestClient) -> None:
    token = sign_in(app_client, "coord")
    assert app_client.get(f"{A}/webhooks").status_code == 200
    refused = app_client.post(f"{A}/webhooks", data={"csrf_token": token, "url": "ftp://x.cn/h",
                                                      "events": ["warning.fired"]})
    assert refused.status_code == 422 and "ftp://x.cn/h" in refused.text and _hook_ids(refused.text) == []
    added = app_client.post(f"{A}/webhooks", data={"csrf_token": token, "url": "https://hooks.example.cn/a",
                                                    "events": ["warning.fired", "dispute.opened"]})
    assert added.status_code == 201 and re.search(r"<code>whsec_[0-9a-f]{64}</code>", added.text)
    [hook] = _hook_ids(added.text)
    assert "whsec_" not in app_client.get(f"{A}/webhooks").text  # shown once
    tested = app_client.post(f"{A}/webhooks/{hook}/test", data={"csrf_token": token}, follow_redirects=False)
    assert tested.status_code == 303 and tested.headers["location"].endswith(f"{A}/webhooks/{hook}")
    log = app_client.get(f"{A}/webhooks/{hook}")
    assert log.status_code == 200 and re.search(r'data-delivery="\d+" data-status="pending"', log.text)
    app_client.post(f"{A}/webhooks/{hook}/enabled", data={"csrf_token": token, "enabled": "0"})
    assert 'value="1"' in app_client.get(f"{A}/webhooks").text  # offers to enable it again
    app_client.post(f"{A}/webhooks/{hook}/delete", data={"csrf_token": token})
    assert _hook_ids(app_client.get(f"{A}/webhooks").text) == []


def test_webhooks_of_a_member_are_its_own(app_client: TestClient, store: Store, clock: FrozenClock) -> None:
    coordinator = Principal("coord", Role.COORDINATOR, "cloud-hw", kind="user")
    theirs = service_webhooks.add_webhook(store, coordinator, "cloud-hw", "https://a.example.cn", ["warning.fired"],
                                          clock).webhook.id
    token = sign_in(app_client, "hw")
    added = app_client.post(f"{A}/webhooks", data={"csrf_token": token, "url": "https://hw.example.cn/h",
                                                    "events": ["rating.changed"]})
    assert added.status_code == 201
    [own] = _hook_ids(added.text)
    assert str(theirs) not in _hook_ids(app_client.get(f"{A}/webhooks").text)
    for method, path in (("GET", f"{A}/webhooks/{theirs}"), ("POST", f"{A}/webhooks/{theirs}/delete"),
                         ("POST", f"{A}/webhooks/{theirs}/test")):
        assert app_client.request(method, path, data={"csrf_token": token} if method == "POST" else None
                                  ).status_code == 404
    token = sign_in(app_client, "sw")
    assert app_client.post(f"{A}/webhooks/{own}/delete", data={"csrf_token": token}).status_code == 404
    sign_in(app_client, "auditor")
    assert app_client.get(f"{A}/webhooks").status_code == 403
    sign_in(app_client, "stranger")
    assert app_client.get(f"{A}/webhooks").status_code == 404
    sign_in(app_client, "hw")
    assert _hook_ids(app_client.get(f"{A}/webhooks").text) == [own]
