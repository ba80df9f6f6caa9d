"""The coordinator uploads exchange rates in Chromium: a bad file shows its rejected rows with their
reasons and stores nothing; the good file fills the register and draws a line chart per currency,
in Chinese as in English."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve, signed_in
from tests.support.factories import make_alliance
from tests.support.web import add_user

pytestmark = pytest.mark.browser
GOOD = "day,currency,rate,source\n" + "".join(
    f"2026-11-{d:02d},USD,7.{1200 + d * 7},PBOC central parity\n2026-11-{d:02d},EUR,7.{5000 + d * 11},ECB reference\n"
    for d in range(1, 21))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="nb")
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    (tmp_path / "good.csv").write_text(GOOD, encoding="utf-8-sig")
    (tmp_path / "bad.csv").write_text(GOOD + "2026-11-21,USD,0,PBOC\n2026-11-21,CNY,1,PBOC\n", encoding="utf-8")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, tmp_path
    store.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_upload_rates_see_rejected_rows_then_the_register_and_charts(served: tuple[str, Path], locale: str) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, folder = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            page = signed_in(browser, base, "coord", locale)
            page.goto(f"{base}/alliances/nb/settlement")
            page.locator('a[href$="/alliances/nb/exchange-rates"]').first.click()
            expect(page.locator("#fx-form")).to_be_visible()
            page.locator("#f-file").set_input_files(str(folder / "bad.csv"))
            page.locator("#fx-form button[type=submit]").click()
            expect(page.locator("#fx-problems tbody tr")).to_have_count(2)
            expect(page.locator("#fx-empty")).to_be_visible()  # nothing stored
            screenshot(page, f"exchange-rates-00-refused-{locale}")
            page.locator("#f-file").set_input_files(str(folder / "good.csv"))
            page.locator("#fx-form button[type=submit]").click()
            expect(page.locator("#fx-result")).to_be_visible()
            expect(page.locator("#fx-rates tbody tr")).to_have_count(40)
            expect(page.locator("#fx-chart-USD canvas")).to_have_count(1)
            expect(page.locator("#fx-chart-EUR canvas")).to_have_count(1)
            assert contrast_failures(page) == []
            screenshot(page, f"exchange-rates-01-register-{locale}")
        finally:
            browser.close()
