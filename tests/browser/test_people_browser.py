"""People in Chromium: a coordinator resets a member user's password from the people page; that user
opens the one-time link, sets a new password, is signed in, and later signs in with it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve
from tests.support.factories import credit_code, make_alliance
from tests.support.web import PASSWORD, add_user

pytestmark = pytest.mark.browser
NEW_PASSWORD = "chosen by li herself, long"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="tea")
    registry.add_member(store, "tea", {"code": "LJ", "name": "杭州龙井茶业有限公司", "credit_code": credit_code(1)}, clock)
    add_user(store, clock, "zhang", Role.COORDINATOR, "tea")
    add_user(store, clock, "li", Role.MEMBER_ADMIN, "tea", "LJ")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, store
    store.close()


def test_a_coordinator_resets_a_member_users_password_in_chromium(served: tuple[str, Store]) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, _store = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            coordinator = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
            coordinator.goto(base + "/sign-in")
            coordinator.get_by_label("用户名").fill("zhang")
            coordinator.get_by_label("密码").fill(PASSWORD)
            coordinator.get_by_role("button", name="登录").click()
            coordinator.wait_for_url(lambda url: "/sign-in" not in url)  # the sign-in lands before the next navigation
            coordinator.goto(base + "/alliances/tea")
            coordinator.get_by_role("navigation", name="联盟栏目").get_by_role("link", name="人员").click()
            coordinator.wait_for_url(base + "/alliances/tea/people")
            expect(coordinator.locator("#people-table tr[data-user]")).to_have_count(2)
            assert contrast_failures(coordinator) == []
            screenshot(coordinator, "people-01-list")
            coordinator.get_by_role("button", name="重置 li 的密码").click()
            code = coordinator.locator("#one-time-code").inner_text().strip()
            link = coordinator.locator("#one-time-link").inner_text().strip()
            assert link.endswith(f"/reset-password?code={code}") and len(code) >= 24
            screenshot(coordinator, "people-02-code")

            # Li, in her own browser: the link, a mistake first, then the new password.
            li = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
            li.goto(link)
            expect(li.get_by_label("一次性验证码")).to_have_value(code)
            li.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
            li.get_by_label("再次输入新密码").fill(NEW_PASSWORD + "x")
            li.get_by_role("button", name="设置密码并登录").click()
            expect(li.get_by_role("alert")).to_contain_text("两次输入的密码不一致")
            li.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
            li.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
            li.get_by_role("button", name="设置密码并登录").click()
            li.wait_for_url(base + "/account?password=set")
            expect(li.get_by_role("status")).to_contain_text("密码已设置")
            expect(li.locator(".user-menu__name")).to_have_text("li")
            screenshot(li, "people-03-password-set")

            # Signed out, she signs in with the new password; the old one is gone.
            li.get_by_role("button", name="退出").click()
            li.wait_for_url(base + "/sign-in")
            li.get_by_label("用户名").fill("li")
            li.get_by_label("密码").fill(PASSWORD)
            li.get_by_role("button", name="登录").click()
            expect(li.get_by_role("alert")).to_contain_text("用户名或密码错误")
            li.get_by_label("密码").fill(NEW_PASSWORD)
            li.get_by_role("button", name="登录").click()
            li.wait_for_url(base + "/")
            expect(li.locator(".user-menu__name")).to_have_text("li")

            # The code was used: the coordinator's list no longer shows it pending.
            coordinator.goto(base + "/alliances/tea/people")
            expect(coordinator.locator('tr[data-user="li"]')).not_to_contain_text("一次性验证码待使用")
        finally:
            browser.close()
