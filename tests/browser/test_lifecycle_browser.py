"""The alliance's lifecycle in Chromium: the coordinator opens Details and status from the overview,
changes the status (a confirmation first, then the change), edits the details, and sees both in the
history; a member sees the history but no form."""

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


def sign_in(page, base: str, user: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/sign-in")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_the_coordinator_suspends_the_alliance_and_edits_its_details_in_chromium(served: tuple[str, Store]) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, store = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
            sign_in(page, base, "zhang")
            page.goto(base + "/alliances/tea")
            page.get_by_role("link", name="Details, status and history").click()
            page.wait_for_url(base + "/alliances/tea/settings")
            expect(page.locator("#alliance-status")).to_have_text("Active")
            assert contrast_failures(page) == []

            page.get_by_label("New status").select_option("suspended")
            page.get_by_label("Decided by").fill("proposal 4")
            page.get_by_label("Reason (optional)").fill("Dispute over the May settlement")
            page.get_by_role("button", name="Change the status…").click()
            confirm = page.locator("#status-confirm")
            expect(confirm).to_contain_text("Change the status from Active to Suspended?")
            expect(confirm).to_contain_text("no new members, agreements or signatures")
            screenshot(page, "lifecycle-01-confirm")
            assert registry.get_alliance(store, "tea").status.value == "active"  # nothing until confirmed
            page.get_by_role("button", name="Yes, change the status").click()
            page.wait_for_url(base + "/alliances/tea/settings?saved=status")
            expect(page.locator("#settings-notice")).to_contain_text("The status is changed.")
            expect(page.locator("#alliance-status")).to_have_text("Suspended")

            page.get_by_label("Name").fill("龙井茶产业联盟")
            page.get_by_label("Planned end").fill("2027-06-30")
            page.get_by_role("button", name="Save the details").click()
            page.wait_for_url(base + "/alliances/tea/settings?saved=details")
            rows = page.locator("#alliance-history tbody tr")
            expect(rows).to_have_count(3)
            expect(page.locator('#alliance-history tr[data-field="status"]')).to_contain_text("Dispute over the May")
            expect(page.locator('#alliance-history tr[data-field="name"]')).to_contain_text("龙井茶产业联盟")
            screenshot(page, "lifecycle-02-history")
            assert registry.get_alliance(store, "tea").status.value == "suspended"

            member = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
            sign_in(member, base, "li")
            member.goto(base + "/alliances/tea/settings")
            expect(member.locator("#alliance-history tbody tr")).to_have_count(3)
            expect(member.locator("#details-form")).to_have_count(0)
            expect(member.locator("#status-form")).to_have_count(0)
        finally:
            browser.close()
