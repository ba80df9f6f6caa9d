"""The joint marketing pages in Chromium, in Chinese: the lead member proposes a campaign from the
section's list (ratios that do not sum to 1 are refused naming the sum, then corrected), the other
member consents on the campaign page, the lead records a cost and the page shows each member's share,
the attributed revenue and the ROI bar chart. No script or console error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.settlement import service as settlement
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, screenshot, serve, signed_in
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user

pytestmark = pytest.mark.browser

HEADER = "line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency,attributed_to,refund_of"
LINES = ["L1,O1,2026-11-05T10:00:00+08:00,M1,M1,live,S-1,1,1000.00,CNY,,",
         "L2,O2,2026-11-05T10:01:00+08:00,M2,M2,live,S-2,1,300.00,CNY,,"]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    clock = FrozenClock(datetime(2026, 11, 12, 2, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="nb")
    for n, member in enumerate(("M1", "M2", "M3"), start=1):
        registry.add_member(store, "nb", {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                            clock)
    path = tmp_path / "lines.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    facts = FactStore(tmp_path / "facts.duckdb")
    settlement.import_order_lines(Stores(store, facts), "nb", path, None, clock)
    facts.close()
    add_user(store, clock, "m1", Role.MEMBER_ADMIN, "nb", "M1")
    add_user(store, clock, "m2", Role.MEMBER_ADMIN, "nb", "M2")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url
    store.close()


def test_propose_consent_add_a_cost_and_the_roi_chart(served: str) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            errors: list[str] = []
            page = signed_in(browser, base, "m1", "zh-CN")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            # The refused form answers 422 on purpose; Chromium logs that status as a console error.
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "422" not in msg.text
                    else None)
            page.goto(f"{base}/alliances/nb")
            page.locator(".alliance-nav a", has_text="联合营销").click()
            page.locator("#new-campaign-link").click()
            page.locator("#f-title").fill("双十一联合直播")
            page.locator("#f-lead").select_option("M1")
            page.locator("#f-first_day").fill("2026-11-01")
            page.locator("#f-last_day").fill("2026-11-11")
            page.locator("#f-budget").fill("1000.00")
            page.locator("#f-ratio_M1").fill("0.6")
            page.locator("#f-ratio_M2").fill("0.3")
            page.locator("#f-values").fill("live")
            page.locator("#submit-campaign").click()
            expect(page.locator(".alert--error")).to_contain_text("费用分摊比例之和为 0.9，不是 1")
            page.locator("#f-ratio_M2").fill("0.4")
            page.locator("#submit-campaign").click()
            expect(page.locator("#saved")).to_contain_text("活动已发起")
            expect(page.locator("#participants-table [data-member=M2] [data-consented]")).to_contain_text("待同意")
            page.context.close()

            page = signed_in(browser, base, "m2", "zh-CN")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(f"{base}/alliances/nb/marketing/1")
            page.locator("#consent").click()
            expect(page.locator("#saved")).to_contain_text("已记录您所在成员的同意")
            expect(page.locator("#state")).to_have_attribute("data-state", "active")
            page.context.close()

            page = signed_in(browser, base, "m1", "zh-CN")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(f"{base}/alliances/nb/marketing/1")
            page.locator("#f-amount").fill("500.00")
            page.locator("#f-description").fill("直播场地")
            page.locator("#f-day").fill("2026-11-03")
            page.locator("#add-cost").click()
            expect(page.locator("#saved")).to_contain_text("费用已登记并分摊")
            expect(page.locator("#costs-table [data-cost='1']")).to_contain_text("¥300.00")
            expect(page.locator("#roi-table [data-member=M1] [data-roi]")).to_have_text("2.33")
            expect(page.locator("#roi-table [data-member=M2] [data-roi]")).to_have_text("0.50")
            expect(page.locator("#roi-chart[data-chart-ready=true]")).to_be_visible()
            screenshot(page, "marketing-campaign")
            assert errors == []
        finally:
            browser.close()
