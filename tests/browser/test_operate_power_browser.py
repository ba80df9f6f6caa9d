"""The `operate` power of attorney in Chromium, in Chinese: B's admin grants it to the coordinator on
B's member page (choosing the power with its radio button), and the coordinator then commits to the
joint purchase for B on the campaign's page; no script or console error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.operations.purchasing import service as purchasing
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, serve, signed_in
from tests.e2e.test_web_purchasing import campaign_form, purchasing_world
from tests.support.web import add_user, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    purchasing_world(store, clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "h")
    add_user(store, clock, "b_admin", Role.MEMBER_ADMIN, "h", "B")
    app = create_app(store, clock, tmp_path / "facts.duckdb")
    with TestClient(app, base_url="https://testserver") as client:  # campaign 1, opened by the coordinator
        token = sign_in(client, "coord")
        opened = client.post("/alliances/h/purchasing", content=urlencode(campaign_form(token)),
                             headers={"content-type": "application/x-www-form-urlencoded"}, follow_redirects=False)
        assert opened.status_code == 303
    with serve(app) as url:
        yield url, store
    store.close()


def test_a_member_grants_operate_and_the_coordinator_commits_for_it(world: tuple[str, Store]) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, store = world
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            errors: list[str] = []
            page = signed_in(browser, base, "b_admin", "zh-CN")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(f"{base}/alliances/h/members/B")
            section = page.locator("#attorneys")
            section.locator("#grantee").fill("coordinator")
            section.locator("input[name=power][value=operate]").check()
            section.get_by_role("button", name="授权", exact=True).click()
            expect(page.locator("#attorneys .power-name")).to_have_text("运营操作")
            expect(page.locator("#attorneys")).to_contain_text("role:coordinator")

            coordinator = signed_in(browser, base, "coord", "zh-CN")
            coordinator.on("pageerror", lambda exc: errors.append(str(exc)))
            coordinator.goto(f"{base}/alliances/h/purchasing/1")
            form = coordinator.locator("#commit-form")
            expect(form).to_be_visible()
            form.locator("#f-member").select_option("B")
            expect(form.locator("#f-member option[value=A]")).to_have_count(0)  # A gave no power
            form.locator("#f-quantity").fill("30")
            form.locator("#save-commitment").click()
            expect(coordinator.locator("#saved")).to_be_visible()
            assert errors == []
        finally:
            browser.close()
    setup = Principal("setup", Role.COORDINATOR, "h")
    assert purchasing.position(store, "h", setup, 1, "B").quantity == 30
