"""The coordinator screens a market in Chromium, in Chinese: adds a row to the shares table, enters the
members' and the other firms' shares, and sees the result: HHI 2,600 -> 3,400 and ΔHHI 800, the
thresholds crossed in plain Chinese, both charts drawn, the notice that it is no legal advice; then
records the justification."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.registry.model import AllianceStatus
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve, signed_in
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="nb", status=AllianceStatus.FORMING)
    for n, member in enumerate(("A", "B"), start=1):
        registry.add_member(store, "nb", {"code": member, "name": f"{member} 精密公司", "credit_code": credit_code(n)},
                            clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url
    store.close()


def test_screen_a_market_in_chinese_and_justify(served: str) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            page = signed_in(browser, base, "coord", "zh-CN")
            page.goto(f"{base}/alliances/nb")
            expect(page.locator("#competition-none")).to_be_visible()
            page.goto(f"{base}/alliances/nb/competition")
            expect(page.locator("#no-screening")).to_be_visible()
            page.locator("#new-screening").click()
            expect(page.locator("#competition-form")).to_be_visible()
            page.locator("#f-m0-product").fill("精密轴承")
            page.locator("#f-m0-region").fill("中国大陆")
            page.locator("#add-row-0").click()  # a fifth row
            expect(page.locator("#market-0-table tbody tr")).to_have_count(5)
            rows = [("A", "member", "20"), ("B", "member", "20"), ("甲公司", "other", "30"), ("乙公司", "other", "30")]
            for j, (name, role, share) in enumerate(rows):
                page.locator(f'[name="m0-p{j}-name"]').fill(name)
                page.locator(f'[name="m0-p{j}-role"]').select_option(role)
                page.locator(f'[name="m0-p{j}-share"]').fill(share)
            screenshot(page, "competition-00-form-zh-CN")
            page.locator("#run-screening").click()
            expect(page.locator("#screening-summary")).to_be_visible()
            expect(page.locator("#figures-0")).to_contain_text("2,600")
            expect(page.locator("#figures-0")).to_contain_text("3,400")
            expect(page.locator("#figures-0")).to_contain_text("800")
            expect(page.locator("#verdicts-0")).to_contain_text("推定实质性减少竞争")
            expect(page.locator("#verdicts-0")).to_contain_text("超过阈值")
            expect(page.locator("#not-legal-advice")).to_contain_text("不构成法律意见")
            expect(page.locator("#shares-0 canvas")).to_have_count(1)
            expect(page.locator("#hhi-0 canvas")).to_have_count(1)
            assert contrast_failures(page) == []
            screenshot(page, "competition-01-result-zh-CN")
            page.locator("#f-text").fill("联盟仅限联合研发，不协调价格与产量；已取得律师意见。")
            page.locator("#record-justification").click()
            expect(page.locator("#justification-text")).to_contain_text("仅限联合研发")
        finally:
            browser.close()
