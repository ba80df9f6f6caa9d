"""A dispute in Chromium: a member's admin opens one from the form with an evidence file, lands on
the dispute page with the neutral data report and its chart drawn, and where it stands on the ladder;
the other party then answers from the browser."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.settlement import service as settlement
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, screenshot, serve
from tests.integration.test_disputes import AGREEMENT, HEADER, LINES
from tests.support.factories import admin_of, credit_code, make_alliance
from tests.support.web import PASSWORD, add_user

pytestmark = pytest.mark.browser
NOW = FrozenClock(datetime(2026, 12, 8, 2, tzinfo=UTC))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="refer")
    for n, code in enumerate(("A", "B", "C"), start=1):
        registry.add_member(store, "refer", {"code": code, "name": f"{code} 公司", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, "refer", AGREEMENT, "秘书长", clock)
    for member in ("A", "B", "C"):
        sharing.sign(store, "refer", "referrals", 1, member, "代表", clock, principal=admin_of("refer", member))
    facts = FactStore(tmp_path / "facts.duckdb")
    stores = Stores(store, facts)
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    try:
        settlement.import_order_lines(stores, "refer", path, None, FrozenClock(datetime(2026, 12, 6, 12, tzinfo=UTC)))
        settlement.settle(stores, "refer", date(2026, 12, 5), "财务", FrozenClock(datetime(2026, 12, 7, tzinfo=UTC)))
    finally:
        facts.close()
    add_user(store, clock, "adm-a", Role.MEMBER_ADMIN, "refer", "A")
    add_user(store, clock, "adm-b", Role.MEMBER_ADMIN, "refer", "B")
    with serve(create_app(store, NOW, tmp_path / "facts.duckdb")) as url:
        yield url
    store.close()


def _sign_in(page, base: str, user: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/sign-in?lang=en")
    page.locator("input[name=username]").fill(user)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state()


def test_a_dispute_is_opened_read_and_answered_in_chromium(served: str, tmp_path: Path) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base = served
    evidence = tmp_path / "contract.txt"
    evidence.write_text("合同第 2 条", encoding="utf-8")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            claimant = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
            _sign_in(claimant, base, "adm-a")
            claimant.goto(base + "/alliances/refer/disputes")
            claimant.locator("#open-dispute").click()
            claimant.wait_for_url(base + "/alliances/refer/disputes/new")
            claimant.locator("input[name=respondents][value=B]").check()
            claimant.locator("#f-rule").select_option("referrals:1:refer")
            claimant.locator("#f-days").fill("2026-12-05")
            claimant.locator("#f-amount").fill("12.50")
            claimant.locator("#f-statement").fill("The referral split of 5 December is wrong.")
            claimant.locator("#f-evidence").set_input_files(str(evidence))
            claimant.locator("#dispute-form button[type=submit]").click()
            claimant.wait_for_url(base + "/alliances/refer/disputes/1")
            expect(claimant.locator("#dispute-status")).to_have_text("Open")
            expect(claimant.locator("#dispute-due")).to_have_text("2026-12-22 10:00 +08:00")
            expect(claimant.locator("#dispute-evidence")).to_contain_text("contract.txt")
            expect(claimant.locator("#dispute-chart canvas")).to_have_count(1)  # ECharts drew the shares
            expect(claimant.locator("#report-recomputed tbody tr")).to_have_count(3)  # A, B, and the other member
            screenshot(claimant, "dispute-01-opened")
            respondent = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
            _sign_in(respondent, base, "adm-b")
            respondent.goto(base + "/alliances/refer/disputes/1")
            respondent.locator("#f-answer").fill("The split follows clause 2.")
            respondent.locator("#answer-form button[type=submit]").click()
            respondent.wait_for_url(base + "/alliances/refer/disputes/1")
            expect(respondent.locator("#dispute-status")).to_have_text("Answered")
            expect(respondent.locator("#dispute-answer")).to_have_text("The split follows clause 2.")
        finally:
            browser.close()
