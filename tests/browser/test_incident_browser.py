"""Incidents in Chromium: a member's admin reports a user complaint; the coordinator finds it on the
board (in the Open column, P1, its clock running), ticks a checklist step in place (htmx: the page is
not reloaded) and publishes a status update; the reporter reads the update on the incident's page."""

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
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, screenshot, serve, signed_in
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user

pytestmark = pytest.mark.browser
NOW = FrozenClock(datetime(2026, 12, 8, 2, tzinfo=UTC))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="tea")
    for n, code in enumerate(("A", "B"), start=1):
        registry.add_member(store, "tea", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    add_user(store, clock, "adm-a", Role.MEMBER_ADMIN, "tea", "A")
    add_user(store, clock, "coord", Role.COORDINATOR, "tea")
    with serve(create_app(store, NOW, tmp_path / "facts.duckdb")) as url:
        yield url
    store.close()


def test_an_incident_is_reported_ticked_and_updated_in_chromium(served: str) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            reporter = signed_in(browser, base, "adm-a", "en-US")
            reporter.goto(base + "/alliances/tea/incidents")
            reporter.locator("#report-incident").click()
            reporter.wait_for_url(base + "/alliances/tea/incidents/new")
            reporter.locator("#f-title").fill("Customer complaint: late delivery")
            reporter.locator("#f-kind").select_option("user_complaint")
            reporter.locator("#f-severity").select_option("SEV1")
            reporter.locator("#incident-form button[type=submit]").click()
            reporter.wait_for_url(base + "/alliances/tea/incidents/1")

            lead = signed_in(browser, base, "coord", "en-US")
            lead.goto(base + "/alliances/tea/incidents")
            card = lead.locator("[data-column=open] #incident-1")
            expect(card).to_contain_text("Customer complaint: late delivery")
            expect(card.locator("[data-priority='1']")).to_have_text("P1")
            expect(card.locator("[data-clock=running]")).to_contain_text("left")
            screenshot(lead, "incident-board")
            card.locator("a").click()
            lead.wait_for_url(base + "/alliances/tea/incidents/1")
            lead.evaluate("window.__notReloaded = true")
            lead.locator("#tick-1").click()
            expect(lead.locator("#checklist li[data-step='1']")).to_have_attribute("data-done", "yes")
            expect(lead.locator("#checklist li[data-step='1']")).to_contain_text("by coord")
            assert lead.evaluate("window.__notReloaded") is True  # ticked in place, not by a reload
            lead.locator("#f-update").fill("We called the customer; a new parcel leaves today.")
            lead.locator("#update-form button[type=submit]").click()
            lead.wait_for_url(base + "/alliances/tea/incidents/1")
            expect(lead.locator("#timeline li[data-kind=update]")).to_contain_text("a new parcel leaves today")
            screenshot(lead, "incident-page")

            reporter.reload()
            expect(reporter.locator("#timeline li[data-kind=update]")).to_contain_text("a new parcel leaves today")
            expect(reporter.locator("#checklist li[data-step='1']")).to_have_attribute("data-done", "yes")
            expect(reporter.locator("#update-form")).to_have_count(0)
        finally:
            browser.close()
