"""The shared warehouse's pages in Chromium, in Chinese: the coordinator opens the section from the
menu and creates a warehouse with a day and a week price; member B's admin books it full; member
C's admin sees the refusal (the first full day, the waitlist offer, another member's storage from
the resource map) and puts that booking on the waitlist (each member books for itself: the
coordinator does not act for members); once the month is over the coordinator bills it and reads
the invoice, each line explained. The occupancy chart is drawn (a canvas, no script or console
error)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import (CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve,
                                   signed_in)
from tests.e2e.test_web_warehouse import world
from tests.support.web import add_user

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, FrozenClock]]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))  # 10:00 in Asia/Shanghai
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    world(store, clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "h")
    add_user(store, clock, "b_admin", Role.MEMBER_ADMIN, "h", "B")
    add_user(store, clock, "c_admin", Role.MEMBER_ADMIN, "h", "C")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, clock
    store.close()


def test_create_book_until_full_join_the_waitlist_and_bill_the_month(served: tuple[str, FrozenClock]) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, clock = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            page = signed_in(browser, base, "coord", "zh-CN")
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(f"{base}/alliances/h")
            page.locator(".alliance-nav a", has_text="共享云仓").click()
            expect(page.locator("#no-warehouses")).to_be_visible()
            page.locator("#new-warehouse").click()
            page.locator("#f-name").fill("杭州冷库")
            page.locator("#f-owner").select_option("A")
            page.locator("#f-location").fill("杭州")
            page.locator("#f-capacity").fill("10")
            page.locator("#f-unit").select_option("pallet")
            page.locator("#f-price_day").fill("10")
            page.locator("#f-price_week").fill("60")
            page.locator("#f-free_days").fill("1")
            page.locator("#save-warehouse").click()
            expect(page.locator("#saved")).to_contain_text("云仓已保存")
            expect(page.locator("#price-lines")).to_contain_text("每单位每周（7 天）¥60.00")
            expect(page.locator("#occupancy-chart[data-chart-ready=true]")).to_be_visible()
            expect(page.locator("#occupancy-chart canvas")).to_have_count(1)

            def book(member: str, quantity: str, start: str, end: str, button: str = "#book-submit") -> None:
                page.locator("#f-member").select_option(member)
                page.locator("#f-quantity").fill(quantity)
                page.locator("#f-starts_on").fill(start)
                page.locator("#f-ends_on").fill(end)
                page.locator(button).click()

            def as_member(user: str) -> None:
                nonlocal page
                page = signed_in(browser, base, user, "zh-CN")
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
                page.goto(f"{base}/alliances/h/warehouses/1")

            assert page.locator("#f-member").count() == 0  # the coordinator books for no member
            as_member("b_admin")
            book("B", "10", "2026-11-23", "2026-11-30", "#quote-submit")  # the price first
            expect(page.locator("#priced")).to_contain_text("这次存放的费用为 ¥600.00")
            expect(page.locator("#bookings-table")).to_have_count(0)
            page.locator("#book-submit").click()  # the form kept what was typed
            expect(page.locator("#saved")).to_contain_text("已预订")
            expect(page.locator("#bookings-table [data-booking='1']")).to_contain_text("计费 7 天 = 1 × 周")
            as_member("c_admin")
            book("C", "4", "2026-11-25", "2026-11-27")
            expect(page.locator("#refusal")).to_contain_text("云仓在 2026年11月25日 已满")
            expect(page.locator("#suggestions-table")).to_have_count(0)  # C's own cold store is not suggested to C
            screenshot(page, "warehouse-full")
            assert contrast_failures(page) == []
            page.locator("#join-waitlist").click()
            expect(page.locator("#saved")).to_contain_text("候补名单")
            expect(page.locator("#bookings-table [data-booking='2']")).to_contain_text("候补中")
            screenshot(page, "warehouse-page")

            clock.advance(timedelta(days=10))  # December: November is over (the session too: sign in again)
            page = signed_in(browser, base, "coord", "zh-CN")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(f"{base}/alliances/h/warehouses/1")
            page.locator("#to-billing").click()
            expect(page.locator("#not-billed")).to_be_visible()
            page.locator("#bill-month").click()
            expect(page.locator("#saved")).to_contain_text("该月已出账")
            line = page.locator("#invoice-table [data-booking='1']")
            expect(line).to_contain_text("¥600.00")  # 10 pallets × 1 week ¥60.00 (8 days, 1 free)
            expect(line).to_contain_text("计费 7 天 = 1 × 周，单价 ¥60.00；免费 1 天；× 10 托盘位 = ¥600.00")
            expect(page.locator("#invoice-table [data-booking='2']")).to_have_count(0)  # a waitlisted booking bills nothing
            expect(page.locator("#owner-total")).to_contain_text("¥600.00")
            screenshot(page, "warehouse-invoice")
            assert contrast_failures(page) == []
            # The refused booking answers 409: the console reports that status, nothing else.
            assert [e for e in errors if "status of 409" not in e] == [], errors
            assert len(errors) == 1
        finally:
            browser.close()
