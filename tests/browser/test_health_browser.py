"""The alliance health dashboard in Chromium (signed in in Chinese, the dashboard in English): the 12-axis radar drawn (ECharts reports
`data-chart-ready`), the trend charts, the scorecard with a coloured band, and the member picker
opening a member's scorecard with its own radar."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.health.kpis import records
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, screenshot, serve, signed_in
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user

pytestmark = pytest.mark.browser
COORDINATOR = Principal("coord", Role.COORDINATOR, "nb")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="nb")
    for n, (member, name) in enumerate((("M1", "宁波甬江精工有限公司"), ("M2", "宁波海曙模具有限公司")), start=1):
        registry.add_member(store, "nb", {"code": member, "name": name, "credit_code": credit_code(n)}, clock)
    for kpi, value in (("market_influence", "8"), ("learning", "4"), ("risk_resilience", "6")):
        records.enter_value(store, "nb", COORDINATOR, kpi, "2026Q4", value, clock, member="M1")
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url
    store.close()


def test_the_dashboard_draws_the_radar_and_opens_a_members_scorecard(served: str) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            page = signed_in(browser, base, "coord")
            page.goto(f"{base}/alliances/nb/health?lang=en")
            expect(page.locator("#alliance-radar[data-chart-ready=true]")).to_have_count(1)
            expect(page.locator("#alliance-radar canvas, #alliance-radar svg").first).to_be_visible()
            expect(page.locator("#alliance-trend-process[data-chart-ready=true]")).to_have_count(1)
            expect(page.locator('#alliance-scorecard tr[data-kpi="learning"] [data-band="red"]')).to_be_visible()
            expect(page.locator('nav.alliance-nav a[aria-current="page"]')).to_have_text("Health")
            screenshot(page, "health-00-dashboard")
            page.locator("#f-member").select_option("M1")
            page.locator("#member-picker button[type=submit]").click()
            expect(page).to_have_url(f"{base}/alliances/nb/health/members/M1?period=2026Q4")
            expect(page.locator("#member-radar[data-chart-ready=true]")).to_have_count(1)
            expect(page.locator('#member-scorecard tr[data-kpi="market_influence"] [data-band="green"]')).to_be_visible()
        finally:
            browser.close()
