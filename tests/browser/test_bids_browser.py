"""The joint bid pages in Chromium, in Chinese: the lead opens the section from the alliance's menu,
drafts a bid, adds a partner with a share that leaves the sum at 90% (the page says so), corrects it,
and the shares chart is drawn; the partner confirms its own part; the lead submits and records the win,
then proposes the project agreement. No script or console error."""

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


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    clock = FrozenClock(datetime(2026, 12, 1, 2, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="nb")
    for n, member in enumerate(("M1", "M2", "M3"), start=1):
        registry.add_member(store, "nb", {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                            clock)
    add_user(store, clock, "m1", Role.MEMBER_ADMIN, "nb", "M1")
    add_user(store, clock, "m2", Role.MEMBER_ADMIN, "nb", "M2")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url
    store.close()


def test_draft_confirm_submit_win_and_propose(served: str) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            errors: list[str] = []

            def watch(page: object) -> None:
                page.on("pageerror", lambda exc: errors.append(str(exc)))  # type: ignore[attr-defined]
                page.on("console", lambda msg: errors.append(msg.text)  # type: ignore[attr-defined]
                        if msg.type == "error" and "422" not in msg.text else None)

            page = signed_in(browser, base, "m1", "zh-CN")
            watch(page)
            page.goto(f"{base}/alliances/nb")
            page.locator(".alliance-nav a", has_text="联合投标").click()
            page.locator("#f-customer").fill("宁波港集团")
            page.locator("#f-title").fill("智慧码头改造")
            page.locator("#f-due_on").fill("2026-12-20")
            page.locator("#f-offered").fill("1000000.00")
            page.locator("#f-share").fill("0.6")
            page.locator("#f-scope").fill("总包与集成")
            page.locator("#draft-bid").click()
            expect(page.locator("#saved")).to_contain_text("投标已起草")
            page.locator("#f-member").select_option("M2")
            page.locator("#f-scope").fill("软件平台")
            page.locator("#f-share").fill("0.3")
            page.locator("#set-member").click()
            expect(page.locator("#share-sum")).to_contain_text("90")
            page.locator("#submit-bid").click()
            expect(page.locator("#refused")).to_contain_text("报价份额之和为 0.9")
            page.locator("#f-member").select_option("M2")
            page.locator("#f-scope").fill("软件平台")
            page.locator("#f-share").fill("40%")
            page.locator("#set-member").click()
            expect(page.locator("#consortium-table [data-member=M2]")).to_contain_text("¥400,000.00")
            expect(page.locator("#shares-chart[data-chart-ready=true]")).to_be_visible()
            page.locator("#confirm").click()
            expect(page.locator("#saved")).to_contain_text("你方分工已确认")
            screenshot(page, "bid-draft")
            page.context.close()

            page = signed_in(browser, base, "m2", "zh-CN")
            watch(page)
            page.goto(f"{base}/alliances/nb/bids/1")
            page.locator("#confirm").click()
            expect(page.locator("#consortium-table [data-member=M2] [data-confirmed=yes]")).to_be_visible()
            page.context.close()

            page = signed_in(browser, base, "m1", "zh-CN")
            watch(page)
            page.goto(f"{base}/alliances/nb/bids/1")
            page.locator("#submit-bid").click()
            expect(page.locator("#state")).to_have_text("已提交")
            page.locator("#f-outcome").select_option("won")
            page.locator("#f-awarded").fill("990000.00")
            page.locator("#record-outcome").click()
            expect(page.locator("#state")).to_have_text("中标")
            page.locator("#propose-agreement").click()
            expect(page.locator("#agreement-link")).to_contain_text("nb/bid-1")
            expect(page.locator("#timeline-list [data-step=agreement]")).to_be_visible()
            screenshot(page, "bid-won")
            assert errors == []
        finally:
            browser.close()
