"""The lead referral pages in Chromium, in Chinese: the receiving member opens a referral from the
section's list, ticks a candidate order and links it (the referral converts and its commission is
shown line by line); the referrer's form refuses a lead without consent, naming the field, then
refers it; the leaderboard draws its chart. No script or console error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.operations.referrals import service
from alliance.operations.referrals.model import Consent, ConsentHow, LeadDraft, LeadKind
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.settlement import service as settlement
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, screenshot, serve, signed_in
from tests.support.factories import admin_of, credit_code, make_alliance
from tests.support.web import add_user

pytestmark = pytest.mark.browser

HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency,attributed_to,refund_of"
LINES = ["L1,O1,2026-11-05T10:00:00+08:00,M2,M2,store,S-1,1,1000.00,CNY,M1,",
         "L2,O1,2026-11-05T10:01:00+08:00,M2,M2,store,S-2,1,234.57,CNY,M1,"]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    earlier = FrozenClock(datetime(2026, 11, 2, 2, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, earlier, code="nb")
    for n, member in enumerate(("M1", "M2", "M3"), start=1):
        registry.add_member(store, "nb", {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                            earlier)
    service.submit(store, "nb", admin_of("nb", "M1"), LeadDraft(
        "M2", LeadKind.CUSTOMER, "宁波悦佳贸易有限公司", "13800001111", "A4 复印纸",
        Consent("王经理", date(2026, 11, 1), ConsentHow.WRITTEN)), earlier)
    service.accept(store, "nb", admin_of("nb", "M2"), 1, earlier)
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    facts = FactStore(tmp_path / "facts.duckdb")
    settlement.import_order_lines(Stores(store, facts), "nb", path, None, FrozenClock(datetime(2026, 11, 6, tzinfo=UTC)))
    facts.close()
    clock = FrozenClock(datetime(2026, 11, 8, 2, tzinfo=UTC))
    add_user(store, clock, "m1", Role.MEMBER_ADMIN, "nb", "M1")
    add_user(store, clock, "m2", Role.MEMBER_ADMIN, "nb", "M2")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url
    store.close()


def test_link_a_candidate_refer_with_consent_and_the_leaderboard(served: str) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            errors: list[str] = []
            page = signed_in(browser, base, "m2", "zh-CN")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(f"{base}/alliances/nb")
            page.locator(".alliance-nav a", has_text="线索转介").click()
            page.locator("#referrals-table [data-referral='1'] a").click()
            expect(page.locator("#lead-name")).to_have_text("宁波悦佳贸易有限公司")
            expect(page.locator("#candidates-table [data-candidate=O1]")).to_be_visible()
            page.locator("#candidates-table [data-candidate=O1] input[type=checkbox]").check()
            page.locator("#link-orders").click()
            expect(page.locator("#saved")).to_contain_text("订单已关联")
            expect(page.locator("#state")).to_have_text("已成交")
            expect(page.locator("#commission-table [data-line=L2]")).to_contain_text("¥11.73")
            screenshot(page, "referral-converted")
            page.context.close()

            page = signed_in(browser, base, "m1", "zh-CN")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            # The refused form answers 422 on purpose; Chromium logs that status as a console error.
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "422" not in msg.text
                    else None)
            page.goto(f"{base}/alliances/nb/referrals")
            page.locator("#new-referral-link").click()
            page.locator("#f-to_member").select_option("M3")
            page.locator("#f-name").fill("杭州云栖文具")
            page.locator("#f-contact").fill("buyer@example.com")
            page.locator("#f-products").fill("办公文具")
            page.locator("#submit-referral").click()  # consent not ticked
            expect(page.locator("#f-consent_given-error")).to_be_visible()
            page.locator("#f-consent_given").check()
            page.locator("#f-consent_by").fill("李采购")
            page.locator("#submit-referral").click()
            expect(page.locator("#saved")).to_contain_text("线索已转介")
            expect(page.locator("h1")).to_contain_text("第 2 号转介")
            screenshot(page, "referral-submitted")
            page.locator("#leaderboard-link").click()
            expect(page.locator("#board-chart[data-chart-ready=true]")).to_be_visible()
            expect(page.locator("#board-table [data-member=M1]")).to_contain_text("2")
            screenshot(page, "referral-leaderboard")
            assert errors == []
        finally:
            browser.close()
