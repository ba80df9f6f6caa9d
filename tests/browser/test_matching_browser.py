"""The matching pages in Chromium, in Chinese: the members' heat map is drawn (a canvas, no script or
console error) and a click on a cell opens that pair's explanation; the coalition form answers with
which need nobody covers, the best partial coalition and its coverage chart; a recommended outside
candidate goes into the partner pipeline from the best partners' list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, screenshot, serve, signed_in
from tests.e2e.test_web_matching import declare_world
from tests.support.web import add_user

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    clock = FrozenClock(datetime(2026, 12, 5, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    declare_world(store, clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "h")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url
    store.close()


def test_the_heat_map_draws_and_opens_a_pair_and_the_coalition_answers(served: str) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            page = signed_in(browser, base, "coord", "zh-CN")
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(f"{base}/alliances/h")
            page.locator(".alliance-nav a", has_text="资源匹配").click()
            expect(page.locator("#heatmap[data-chart-ready=true]")).to_be_visible()
            expect(page.locator("#heatmap canvas")).to_have_count(1)
            screenshot(page, "matching-heatmap")
            # The cell of the first row and the second column, where ECharts draws it.
            x, y = page.evaluate("""() => {
                const el = document.getElementById("heatmap");
                const chart = echarts.getInstanceByDom(el);
                const [px, py] = chart.convertToPixel({seriesIndex: 0}, [1, 0]);
                const box = el.getBoundingClientRect();
                return [box.left + px, box.top + py];
            }""")
            page.mouse.click(x, y)
            page.wait_for_url("**/matching/pair/**")
            expect(page.locator("h1")).to_contain_text("互补在哪里")
            expect(page.locator("#pair-groups[data-chart-ready=true]")).to_be_visible()
            page.locator("#matching-tabs a", has_text="伙伴组合").click()
            page.locator("#f-holder").select_option("A")
            page.locator("#f-k").fill("2")
            page.locator("#solve").click()
            expect(page.locator("#answer")).to_be_visible()
            expect(page.locator("#uncoverable")).to_contain_text("线上旗舰店代运营")
            expect(page.locator("#coalition-table [data-partner=X1]")).to_be_visible()
            expect(page.locator("#coverage[data-chart-ready=true]")).to_be_visible()
            screenshot(page, "matching-coalition")
            page.locator("#matching-tabs a", has_text="最佳伙伴").click()
            page.locator("#f-holder").select_option("A")
            page.locator("#partners-form button[type=submit]").click()
            page.locator("#send-X1").click()  # the outside candidate into the partner pipeline
            expect(page.locator("#sent")).to_contain_text("X 物流")
            expect(page.locator("#partners-table [data-partner=X1]")).to_contain_text("已在拓展流程中")
            screenshot(page, "matching-partners")
            assert errors == []
        finally:
            browser.close()
