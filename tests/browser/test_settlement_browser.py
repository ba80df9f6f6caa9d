"""Settling in place in Chromium: a day with order lines but no agreement in force asks first (the
count of lines, nothing shared), and each run refreshes the calendar and offers the next open day
without a reload; the day before the alliance's first lines shows as never to be settled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
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
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve
from tests.support.factories import admin_of, credit_code, make_alliance
from tests.support.web import PASSWORD, add_user

pytestmark = pytest.mark.browser

# In force from 2026-11-25; the alliance is founded on 2026-11-22 and trades from the 23rd.
AGREEMENT = """agreement: tea-split
effective_from: 2026-11-25
parties: [LJ, YP]
rules:
  - {id: gift-box, kind: fixed_split, select: {product_owner: YP}, shares: {LJ: 0.30, YP: 0.70}}
"""
ORDERS = ("line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
          "T1,O1,2026-11-23T10:00:00+08:00,LJ,YP,store,BOX-1,1,100.00,CNY\n"
          "T2,O2,2026-11-23T15:30:00+08:00,LJ,YP,store,BOX-2,2,276.00,CNY\n")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, FrozenClock]]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="tea")
    for n, code in ((1, "LJ"), (2, "YP")):
        registry.add_member(store, "tea", {"code": code, "name": f"{code} 茶业", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, "tea", AGREEMENT, "秘书长", clock)
    for member in ("LJ", "YP"):
        sharing.sign(store, "tea", "tea-split", 1, member, "代表", clock, principal=admin_of("tea", member))
    orders = tmp_path / "orders.csv"
    orders.write_text(ORDERS, encoding="utf-8")
    facts = FactStore(tmp_path / "facts.duckdb")
    try:
        assert settlement.import_order_lines(Stores(store, facts), "tea", orders, None, clock).kept
    finally:
        facts.close()
    add_user(store, clock, "coord", Role.COORDINATOR, "tea")
    clock.advance(timedelta(days=4))  # 10:00 on the 26th in Shanghai: the 23rd to the 25th are over
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, clock
    store.close()


def test_settling_in_place_asks_and_refreshes_the_calendar(served: tuple[str, FrozenClock]) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, _ = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
            expect = sync_api.expect
            page.goto(base + "/alliances/tea/settlement?month=2026-11&lang=en")
            page.get_by_label("Username").fill("coord")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(base + "/alliances/tea/settlement?month=2026-11&lang=en")

            day = page.locator("#f-day")
            cell = lambda d: page.locator(f'td[data-day="2026-11-{d:02d}"]')  # noqa: E731
            expect(cell(22)).to_have_class("calendar__day calendar__day--never")  # founded, no lines yet
            expect(cell(22)).to_contain_text("Nothing to settle")
            expect(page.locator(".legend")).to_contain_text("Nothing to settle")
            expect(cell(23)).to_have_class("calendar__day calendar__day--open")
            expect(day).to_have_value("2026-11-23")  # the next open day, not yesterday
            page.evaluate("window.notReloaded = true")

            # The 23rd has two lines and no agreement in force: the page asks before closing it.
            page.get_by_role("button", name="Settle", exact=True).click()
            question = page.locator("#unshared-confirm")
            expect(question).to_contain_text("would close with nothing shared")
            expect(question).to_contain_text("2 order lines of this day would be settled, but no agreement is in force")
            expect(cell(23)).to_have_class("calendar__day calendar__day--open")  # nothing closed yet
            assert contrast_failures(page) == []
            screenshot(page, "settle-unshared-question")
            question.get_by_role("button", name="Close Nov 23, 2026 with 2 lines shared with nobody").click()
            expect(page.locator("#settle-result")).to_contain_text("Nothing was shared: no agreement was in force")

            # Without a reload: the day shows settled, and the field offers the 24th.
            expect(cell(23)).to_have_class("calendar__day calendar__day--settled")
            expect(cell(23)).to_contain_text("Settled, nothing shared")
            expect(day).to_have_value("2026-11-24")
            assert page.evaluate("window.notReloaded") is True

            # The 24th has no lines: it settles at once; the 25th is offered next.
            page.get_by_role("button", name="Settle", exact=True).click()
            expect(page.locator("#settle-result")).to_contain_text("is settled")
            expect(cell(24)).to_have_class("calendar__day calendar__day--settled")
            expect(day).to_have_value("2026-11-25")
            assert page.evaluate("window.notReloaded") is True
            screenshot(page, "settle-in-place")

            # The closed day's page says for good that nothing was shared, and why.
            cell(23).get_by_role("link").click()
            expect(page.locator("#nothing-shared")).to_contain_text("No agreement was in force on this day")
            assert contrast_failures(page) == []
        finally:
            browser.close()
