"""Joint purchasing in Chromium, in Chinese: the coordinator opens a campaign, typing its tier table
and adding a row and a second supplier in the browser; two members commit; at the deadline (a frozen
clock moved past it) the coordinator closes the campaign and the page shows the split, each member
seeing only its own line; the price chart is drawn with no script or console error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, screenshot, serve, signed_in
from tests.e2e.test_web_purchasing import purchasing_world
from tests.support.web import add_user

pytestmark = pytest.mark.browser


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[str, FrozenClock]]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    purchasing_world(store, clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "h")
    add_user(store, clock, "a_admin", Role.MEMBER_ADMIN, "h", "A")
    add_user(store, clock, "b_admin", Role.MEMBER_ADMIN, "h", "B")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, clock
    store.close()


def test_a_campaign_is_opened_committed_to_closed_and_split(world: tuple[str, FrozenClock]) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, clock = world
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            errors: list[str] = []
            page = signed_in(browser, base, "coord", "zh-CN")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            # The refused form's page comes back as a 422, which Chromium notes in the console; nothing else may.
            page.on("console", lambda msg: errors.append(msg.text)
                    if msg.type == "error" and "status of 422" not in msg.text else None)
            page.goto(f"{base}/alliances/h")
            page.locator(".alliance-nav a", has_text="集采").click()
            expect(page.locator("#no-campaigns")).to_be_visible()
            page.locator("#new-campaign").click()
            page.locator("#f-title").fill("A4 复印纸联合采购")
            page.locator("#f-item").fill("A4 复印纸")
            page.locator("#f-unit").fill("箱")
            page.locator("#f-organiser").select_option("C")
            page.locator("#f-deadline").fill("2026-11-22T13:00")  # three hours ahead
            page.locator("#f-min_quantity").fill("100")
            page.locator("#f-fee_percent").fill("10")
            page.locator("#f-q0-supplier").fill("甲纸业")
            page.locator("#f-q0-account").fill("jia-paper")
            rows = page.locator("#tiers-0 tr")
            rows.nth(0).locator("input[name=q0_price]").fill("5.00")
            rows.nth(1).locator("input[name=q0_min]").fill("100")
            rows.nth(1).locator("input[name=q0_price]").fill("4.50")
            page.locator("#add-tier-0").click()  # a fourth row, added in the browser
            expect(rows).to_have_count(4)
            rows.nth(3).locator("input[name=q0_min]").fill("50")  # out of order: refused, named in its row
            rows.nth(3).locator("input[name=q0_price]").fill("4.00")
            page.locator("#add-quote").click()  # a second supplier, added in the browser
            expect(page.locator("#quote-1 legend")).to_contain_text("2")
            page.locator("#f-q1-supplier").fill("乙纸业")
            second = page.locator("#tiers-1 tr")
            second.nth(0).locator("input[name=q1_min]").fill("1")
            second.nth(0).locator("input[name=q1_price]").fill("5.20")
            second.nth(1).locator("input[name=q1_min]").fill("150")
            second.nth(1).locator("input[name=q1_price]").fill("4.20")
            page.locator("#open-campaign").click()
            wrong = page.locator("#tiers-0 tr.row--error")
            expect(wrong).to_have_count(1)
            expect(wrong.locator("input[name=q0_min]")).to_have_value("50")
            expect(page.locator("#f-q1-supplier")).to_have_value("乙纸业")  # everything as typed
            screenshot(page, "purchasing-new-refused")
            wrong.locator("input[name=q0_min]").fill("200")
            page.locator("#open-campaign").click()
            page.wait_for_url("**/purchasing/1?saved=opened")
            expect(page.locator("#saved")).to_be_visible()
            expect(page.locator("#price-chart[data-chart-ready=true]")).to_be_visible()
            expect(page.locator("[data-quote] tbody tr")).to_have_count(5)
            for user, quantity in (("a_admin", "40"), ("b_admin", "70")):
                member = signed_in(browser, base, user, "zh-CN")
                member.on("pageerror", lambda exc: errors.append(str(exc)))
                member.goto(f"{base}/alliances/h/purchasing/1")
                member.locator("#f-quantity").fill(quantity)
                member.locator("#save-commitment").click()
                member.wait_for_url("**saved=committed**")
                expect(member.locator("#own-commitment")).to_contain_text(quantity)
                member.context.close()
            page.reload()
            expect(page.locator("#aggregate")).to_contain_text("110")
            expect(page.locator("[data-reached=true]")).to_contain_text("100")
            expect(page.locator("#commitments-table tbody tr")).to_have_count(2)
            screenshot(page, "purchasing-open")
            clock.advance(timedelta(hours=4))  # past the deadline (the sessions, 12 hours, still live)
            page.reload()
            page.locator("#close-campaign").click()
            page.wait_for_url("**saved=closed**")
            expect(page.locator("#split-table [data-member=A]")).to_be_visible()
            expect(page.locator("#split-table [data-member=B]")).to_be_visible()
            expect(page.locator("#pays-total")).to_contain_text("500.50")  # invoice 495.00 + fee 5.50
            expect(page.locator("#invoice")).to_contain_text("495.00")
            screenshot(page, "purchasing-split")
            own = signed_in(browser, base, "a_admin", "zh-CN")
            own.goto(f"{base}/alliances/h/purchasing/1")
            expect(own.locator("#split-table [data-member=A]")).to_contain_text("182.00")
            expect(own.locator("#split-table [data-member=B]")).to_have_count(0)
            own.context.close()
            assert errors == []
        finally:
            browser.close()
