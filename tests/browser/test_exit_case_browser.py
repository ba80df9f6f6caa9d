"""An exit case in Chromium: the coordinator opens M1's case from its notice with the form, sees the
steps as a checklist with the timeline chart, waives the holdback and is refused (M3's dispute runs),
marks the final settlement done; M1's admin opens its own case and acknowledges the final statement;
in Chinese as in English."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from alliance.access.roles import Principal, Role
from alliance.exits.model import StepKey
from alliance.governance import disputes
from alliance.governance.disputes import Claim
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.stores import Stores
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve, signed_in
from tests.support.exits import CODE, at, build, settle_through
from tests.support.web import add_user

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    clock = at(11, 22)
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    facts = build(store, clock, tmp_path)
    settle_through(store, facts, date(2026, 12, 10), at(12, 11, 1))
    disputes.open_dispute(Stores(store, facts), CODE, Claim("M3", ["M1"], "main", 1, "split", [date(2026, 12, 10)],
                                                            "123.45", "分成有误"),
                          Principal("m3adm", Role.MEMBER_ADMIN, CODE, "M3"), at(12, 11, 2))
    settle_through(store, facts, date(2026, 12, 16), at(12, 17, 1))
    facts.close()
    add_user(store, clock, "coord", Role.COORDINATOR, CODE)
    add_user(store, clock, "m1-admin", Role.MEMBER_ADMIN, CODE, "M1")
    with serve(create_app(store, at(12, 17, 3), tmp_path / "facts.duckdb")) as url:
        yield url
    store.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_coordinator_opens_a_case_and_the_member_acknowledges(served: str, locale: str) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            page = signed_in(browser, base, "coord", locale)
            page.goto(f"{base}/alliances/{CODE}")
            page.locator(f'nav a[href$="/alliances/{CODE}/exits"]').first.click()
            expect(page.locator("#exit-open-form")).to_be_visible()
            page.locator("#f-member").select_option("M1")
            page.locator("#f-trigger").select_option("voluntary")
            page.locator("#f-decided_on").fill("2026-12-01")
            page.locator("#exit-open-form button[type=submit]").click()
            expect(page.locator("#exit-step-table tbody tr")).to_have_count(len(StepKey))
            expect(page.locator("#exit-end")).to_have_text("2026-12-15")
            expect(page.locator("#exit-timeline canvas")).to_have_count(1)
            expect(page.locator("#step-holdback .step-status")).to_have_attribute("data-status", "open")
            assert contrast_failures(page) == []
            screenshot(page, f"exit-case-00-opened-{locale}")
            page.locator("#f-step").select_option("holdback")
            page.locator("#f-status").select_option("waived")
            page.locator("#f-reason").fill("agreed")
            page.locator("#step-form button[type=submit]").click()
            expect(page.locator(".error-page__status")).to_have_text("409")  # nothing stored
            page.goto(f"{base}/alliances/{CODE}/exits/1")
            expect(page.locator("#step-holdback .step-status")).to_have_attribute("data-status", "open")
            page.locator("#f-step").select_option("settlement")
            page.locator("#f-status").select_option("done")
            page.locator("#step-form button[type=submit]").click()
            expect(page.locator("#step-settlement .step-status")).to_have_attribute("data-status", "done")
            member = signed_in(browser, base, "m1-admin", locale)
            member.goto(f"{base}/alliances/{CODE}/exits/1")
            expect(member.locator("#st-payable")).to_have_text("883.01")
            expect(member.locator("#step-form")).to_have_count(0)
            member.locator("#ack-form button[type=submit]").click()
            expect(member.locator("#acknowledgements li")).to_have_count(1)
            expect(member.locator("#ack-form")).to_have_count(0)
            screenshot(member, f"exit-case-01-acknowledged-{locale}")
        finally:
            browser.close()
