"""The home page in a real browser: Debian's Chromium driven by Playwright against a live uvicorn.

Playwright never downloads a browser here: it launches /usr/bin/chromium. Without it the test is
skipped, unless ALLIANCE_REQUIRE_BROWSER=1 (then it fails).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.core.clock import FrozenClock
from alliance.registry import service
from alliance.registry.credit_code import with_check_character
from alliance.registry.model import AllianceKind, AllianceSpec, AllianceStructure
from alliance.server import create_app
from alliance.access.roles import Role
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, PNG_SIGNATURE, require_chromium, serve
from tests.support.web import PASSWORD, add_user

pytestmark = pytest.mark.browser

@pytest.fixture
def seeded_store(tmp_path: Path) -> Iterator[Store]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    service.create_alliance(
        store, AllianceSpec("TEA", "杭州茶业联盟", AllianceKind.MARKET, AllianceStructure.STAR), clock
    )
    for n, (code, name, role) in enumerate(
        [("LJ", "杭州龙井茶业有限公司", "hub"), ("YP", "余杭云平包装有限公司", "member")], start=1
    ):
        service.add_member(
            store,
            "TEA",
            {"code": code, "name": name, "credit_code": with_check_character(f"91330100MA2XXXX{n:02d}"),
             "industry": "茶叶", "region": "浙江杭州", "role": role},
            clock,
        )
    add_user(store, clock, "admin", Role.PLATFORM_ADMIN)
    yield store
    store.close()


@pytest.fixture
def base_url(seeded_store: Store) -> Iterator[str]:
    with serve(create_app(seeded_store)) as url:
        yield url


def test_home_page_in_chromium(base_url: str, tmp_path: Path) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    requested: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            # A Chinese user's browser; headless Chromium would otherwise send Accept-Language: en-US.
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page = context.new_page()
            page.on("request", lambda r: requested.append(r.url))

            response = page.goto(base_url + "/")
            assert response is not None and response.ok
            assert page.url.startswith(base_url + "/sign-in")  # the directory is behind sign-in
            assert page.locator("html").get_attribute("lang") == "zh-CN"
            page.get_by_label("用户名").fill("admin")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(base_url + "/")
            assert page.locator("html").get_attribute("lang") == "zh-CN"
            assert page.get_by_role("heading", level=1).inner_text() == "我的联盟"
            assert page.get_by_role("heading", name="杭州茶业联盟").is_visible()
            table = page.locator("#alliance-TEA table")
            assert table.locator("tbody tr").count() == 2
            assert "杭州龙井茶业有限公司" in table.inner_text()
            assert "余杭云平包装有限公司" in table.inner_text()
            assert "核心企业" in table.inner_text()
            # The stylesheet applied: the header has its dark background, not the default.
            header_bg = page.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor")
            assert header_bg not in ("rgba(0, 0, 0, 0)", "transparent")
            page.screenshot(path=str(tmp_path / "home-zh.png"), full_page=True)

            page.get_by_role("link", name="English").click()
            page.wait_for_load_state()
            assert page.locator("html").get_attribute("lang") == "en"
            assert page.get_by_role("heading", level=1).inner_text() == "Your alliances"
            assert "Hub company" in page.locator("#alliance-TEA table").inner_text()
            assert any(c["name"] == "lang" and c["value"] == "en" for c in context.cookies())

            page.goto(base_url + "/")  # no ?lang= now: the cookie must keep English
            assert page.locator("html").get_attribute("lang") == "en"
            page.reload()
            assert page.locator("html").get_attribute("lang") == "en"
            assert page.get_by_role("link", name="English").get_attribute("aria-current") == "true"

            # On a phone the member table scrolls inside its card; the page itself never scrolls sideways.
            page.set_viewport_size({"width": 390, "height": 844})
            widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], widths
            page.set_viewport_size({"width": 1280, "height": 900})

            shot = tmp_path / "home.png"
            page.screenshot(path=str(shot), full_page=True)
            data = shot.read_bytes()
            assert data.startswith(PNG_SIGNATURE) and len(data) > 1000
        finally:
            browser.close()
    assert requested and all(url.startswith(base_url) for url in requested), requested
