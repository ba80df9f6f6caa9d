"""A coordinator's first day on the living demo, in Chromium, on the real clock: the demo's history
ends yesterday, so the newcomer signs in and reads a settled statement with money at once, without
importing or settling anything and without any clock being moved.

The demo is loaded and the app served on the clock the platform itself uses (SystemClock), as
`scripts/start` does; the test asks that same clock for "yesterday" in the alliance's time zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from alliance.core.clock import SystemClock, local_today
from alliance.demo_history import LivingDemo, load_living_demo
from alliance.server import create_app
from alliance.settlement import service as settlement
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ALLIANCE = "yuejia-retail"
MILK = "内蒙古草原鲜乳业有限公司"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store, LivingDemo]]:
    require_chromium()
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    facts = FactStore(tmp_path / "facts.duckdb")
    try:
        demo = load_living_demo(Stores(store, facts), SystemClock())
    finally:
        facts.close()  # the app opens it again for its requests
    with serve(create_app(store, SystemClock(), tmp_path / "facts.duckdb")) as url:
        yield url, store, demo
    store.close()


def _yuan(text: str) -> Decimal:
    """'¥31,637.76' or '-¥1,000.00' as an exact amount."""
    match = re.fullmatch(r"(-?)¥([\d,]+\.\d\d)", text.strip())
    assert match, text
    return Decimal(match.group(1) + match.group(2).replace(",", ""))


def test_a_newcomer_reads_yesterdays_statement_from_the_demo(served: tuple[str, Store, LivingDemo]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    base, store, demo = served
    (password,) = [c.secret for c in demo.credentials if c.username == f"{ALLIANCE}.coordinator"]
    # Yesterday on the platform's own clock, never moved: the last day the demo settled (taken from the
    # load itself, so a midnight passing during the test leaves it a settled day, the one before).
    (history,) = [h for h in demo.histories if h.alliance == ALLIANCE]
    yesterday = history.last
    assert yesterday == local_today(SystemClock(), "Asia/Shanghai") - timedelta(days=1) or \
        yesterday == local_today(SystemClock(), "Asia/Shanghai") - timedelta(days=2)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
            expect = sync_api.expect

            # Sign in as the demo coordinator and open the alliance.
            page.goto(base + f"/alliances/{ALLIANCE}")
            page.get_by_label("用户名").fill(f"{ALLIANCE}.coordinator")
            page.get_by_label("密码").fill(password)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(base + f"/alliances/{ALLIANCE}")
            expect(page.get_by_role("heading", level=1)).to_have_text("悦家优选品牌联营联盟")

            # The settlement calendar: every day of the history is settled, yesterday included.
            page.get_by_role("link", name="结算", exact=True).first.click()
            cell = page.locator(f'td[data-day="{yesterday.isoformat()}"]')
            page.locator("td.calendar__day").first.wait_for()
            if cell.count() == 0:  # on the 1st of a month, yesterday is in the month before
                page.get_by_role("link", name="上个月").click()
            expect(cell).to_have_class(re.compile(r"calendar__day--settled"))
            screenshot(page, "demo-01-calendar")
            cell.get_by_role("link").click()
            page.wait_for_url(f"**/settlement/{yesterday.isoformat()}")

            # Yesterday's settled day, then the dairy brand's statement: money, to the cent.
            page.get_by_role("link", name=MILK).click()
            expect(page.locator("#statement-lines")).to_contain_text("milk-consignment")
            total = _yuan(page.locator("#statement-total").inner_text())
            expected = settlement.statement(store, ALLIANCE, "MILK", yesterday).total
            assert total == expected.amount > 0
            screenshot(page, "demo-02-statement")
            assert contrast_failures(page) == []
            # A long rate (the three-level rule's pool arithmetic) wraps in its cell: the amounts stay
            # in view on a laptop's screen, with no sideways scrolling of the table.
            wrap = page.locator("#statement-lines").locator("xpath=..")
            assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth"), "the statement scrolls sideways"
        finally:
            browser.close()
