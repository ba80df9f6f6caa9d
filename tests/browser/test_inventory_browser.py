"""The inventory board in Chromium: a coordinator, in Chinese, opens it from the data-sharing page,
sees the totals, a slow-moving row flagged (a badge, not only a colour) and a transfer suggestion,
raises the threshold (the flag and the suggestion go), and the turnover chart is drawn beside its
table; a member that publishes no inventory view sees only its own stock and the invitation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import (CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve,
                                   signed_in)
from tests.e2e.test_inventory_pages import AS_OF, world
from tests.support.web import add_user

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path, clock: FrozenClock) -> Iterator[str]:
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    world(store, clock, tmp_path / "facts.duckdb")
    add_user(store, clock, "m2", Role.MEMBER_ANALYST, "nb", "M0004")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url
    store.close()


def test_the_board_in_chinese_and_a_member_off_it(served: str) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            page = signed_in(browser, base, "coord", "zh-CN")
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(f"{base}/alliances/nb/sharing")
            page.locator("#inventory-link").click()
            expect(page.locator("h1")).to_have_text("库存看板")
            page.locator("#f-as_of").fill(AS_OF.isoformat())
            page.locator("#board-show").click()
            expect(page.locator("#total-units")).to_have_text("60")
            expect(page.locator("#slow-units")).to_have_text("40")
            slow = page.locator('#stock-table tr[data-member="M0001"][data-sku="SKU-1"]')
            expect(slow).to_have_class("flagged")
            expect(slow.locator(".slow-badge")).to_have_text("滞销")
            expect(page.locator('#stock-table tr[data-slow="yes"]')).to_have_count(1)
            suggestion = page.locator('#suggestions-table tr[data-source="M0001"][data-target="M0002"]')
            expect(suggestion).to_contain_text("SKU-1")
            expect(suggestion.locator("td.num")).to_have_text("40")
            expect(page.locator("#suggestions-table tbody tr")).to_have_count(2)
            expect(page.locator("#turnover-chart[data-chart-ready=true]")).to_be_visible()
            expect(page.locator("#turnover-chart canvas")).to_have_count(1)
            expect(page.locator("#turnover-table tbody tr")).to_have_count(4)  # the alliance and three members
            assert contrast_failures(page) == []
            screenshot(page, "inventory-board-zh")

            page.locator("#f-slow_after").fill("150")  # older than any stock: nothing is slow-moving
            page.locator("#board-show").click()
            expect(page.locator("#board-summary")).to_contain_text("150")
            expect(page.locator('#stock-table tr[data-slow="yes"]')).to_have_count(0)
            expect(page.locator("#no-suggestions")).to_be_visible()
            expect(page.locator("#slow-units")).to_have_text("0")

            page.locator("#f-slow_after").fill("-3")  # refused, named beside the field; the board stays
            page.locator("#board-show").click()
            expect(page.locator("#f-slow_after-error")).to_be_visible()
            expect(page.locator("#board-error")).to_be_visible()
            expect(page.locator("#stock-table")).to_be_visible()
            expect(page.locator("#turnover-chart[data-chart-ready=true]")).to_be_visible()
            screenshot(page, "inventory-board-refused-zh")
            # The refused threshold answers 422: the console reports that status, nothing else.
            assert [e for e in errors if "status of 422" not in e] == [], errors

            page = signed_in(browser, base, "m2", "en-US")  # an analyst of M0004, which is not on the board
            page.goto(f"{base}/alliances/nb/inventory?as_of={AS_OF.isoformat()}")
            expect(page.locator("#join-board")).to_be_visible()
            expect(page.locator("#stock-table tbody tr")).to_have_count(1)
            expect(page.locator('#stock-table tr[data-member="M0004"]')).to_contain_text("SKU-9")
            expect(page.locator("#suggestions")).to_have_count(0)
            expect(page.locator("#member-totals")).to_have_count(0)
            expect(page.locator('#turnover-table tr[data-series="alliance"]')).to_have_count(0)
            expect(page.locator("#publish-inventory")).to_have_attribute("href", "/alliances/nb/sharing")
            assert contrast_failures(page) == []
            screenshot(page, "inventory-board-own-en")
        finally:
            browser.close()
