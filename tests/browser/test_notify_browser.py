"""Notifications in Chromium: a member admin sees the unread count in the header, opens the inbox,
opens a notice (which marks it read and goes to its page), marks the rest read, and turns e-mail
for an event off and on in the preferences table, which the page keeps after saving."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.messages import Message
from alliance.notify import service, service_account
from alliance.notify.notice import Audience, EventKind, Notice
from alliance.notify.outbox import publish
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, screenshot, serve, signed_in
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="tea")
    registry.add_member(store, "tea", {"code": "LJ", "name": "杭州龙井茶业有限公司", "credit_code": credit_code(1)}, clock)
    add_user(store, clock, "li", Role.MEMBER_ADMIN, "tea", "LJ")
    with store.unit_of_work() as uow:
        aid = uow.alliances.require("tea").id
        publish(uow, Notice(EventKind.RATING_CHANGED, aid, Audience.MEMBER, Message("Rating changed"),
                            Message("Now AA."), link="/alliances/tea/members", member="LJ"), clock.now())
        publish(uow, Notice(EventKind.SETTLEMENT_CLOSED, aid, Audience.MEMBERS, Message("Day closed"),
                            Message("Statements are ready."), link="/alliances/tea/settlement"), clock.now())
        uow.commit()
    service.dispatch(store, clock, service.Postman())
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, store
    store.close()


def test_inbox_and_preferences_in_chromium(served: tuple[str, Store]) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, store = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            page = signed_in(browser, base, "li", "en-US")
            expect(page.locator("#unread-count")).to_have_text("2")
            page.locator("#inbox-link").click()
            page.wait_for_url(base + "/inbox")
            expect(page.locator("#inbox-list li[data-read=no]")).to_have_count(2)
            screenshot(page, "notify-01-inbox")
            page.locator("li[data-read=no]", has_text="Rating changed").get_by_role("button").click()
            page.wait_for_url(base + "/alliances/tea/members")
            expect(page.locator("#unread-count")).to_have_text("1")
            page.locator("#inbox-link").click()
            page.locator("#read-all button").click()
            page.wait_for_url(base + "/inbox")
            expect(page.locator("#inbox-list li[data-read=yes]")).to_have_count(2)
            expect(page.locator("#unread-count")).to_have_count(0)

            page.goto(base + "/account/notifications")
            email_box = page.locator("#on-warning\\.fired-email")
            expect(email_box).to_be_checked()  # urgent: e-mail on by default
            page.locator("#f-email").fill("li@example.cn")
            email_box.uncheck()
            page.locator("#on-rating\\.changed-email").check()
            page.locator("#notification-preferences button[type=submit]").click()
            page.wait_for_url(base + "/account/notifications?saved=1")
            expect(page.locator("#prefs-saved")).to_be_visible()
            expect(page.locator("#on-warning\\.fired-email")).not_to_be_checked()
            expect(page.locator("#on-rating\\.changed-email")).to_be_checked()
            expect(page.locator("#f-email")).to_have_value("li@example.cn")
            screenshot(page, "notify-02-preferences")
        finally:
            browser.close()
    prefs = service_account.preferences(store, Principal("li", Role.MEMBER_ADMIN, "tea", "LJ", kind="user"))
    assert prefs.email == "li@example.cn" and not prefs.on("warning.fired", "email") and prefs.on("rating.changed", "email")
