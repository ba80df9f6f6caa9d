"""A member's admin imports a dataset in Chromium: from the sharing page to the import form, a file
with bad rows refused with each named (nothing stored), then the good file imported, in Chinese as
in English."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve, signed_in
from tests.support.factories import make_alliance, member_values
from tests.support.web import add_user

pytestmark = pytest.mark.browser
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "datasets" / "inventory.csv"


@pytest.fixture
def served(tmp_path: Path, clock: FrozenClock) -> Iterator[tuple[str, Path]]:
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="nb")
    for n in (1, 2):
        registry.add_member(store, "nb", member_values(n), clock)
    add_user(store, clock, "pub", Role.MEMBER_ADMIN, "nb", "M0001")
    good = EXAMPLE.read_text(encoding="utf-8")
    (tmp_path / "inventory.csv").write_text(good, encoding="utf-8-sig")
    (tmp_path / "bad.csv").write_text(good + "2027-01-10,TS-0003,WH-NB,浙江,-4,3,1.00\n"
                                             "2027-01-10,TS-0004,WH-NB,浙江,2,1,1.001\n", encoding="utf-8")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, tmp_path
    store.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_import_an_inventory_file_from_the_sharing_page(served: tuple[str, Path], locale: str) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, folder = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            page = signed_in(browser, base, "pub", locale)
            page.goto(f"{base}/alliances/nb/sharing")
            page.locator('a[href$="/sharing/members/M0001/datasets/import"]').first.click()
            expect(page.locator("#dataset-form")).to_be_visible()
            page.locator("#f-kind").select_option("inventory")
            page.locator("#f-file").set_input_files(str(folder / "bad.csv"))
            page.locator("#dataset-form button[type=submit]").click()
            expect(page.locator("#import-errors li")).to_have_count(2)
            expect(page.locator("#import-errors li").first).to_contain_text("quantity")
            screenshot(page, f"datasets-00-refused-{locale}")
            page.locator("#f-kind").select_option("inventory")
            page.locator("#f-file").set_input_files(str(folder / "inventory.csv"))
            page.locator("#dataset-form button[type=submit]").click()
            expect(page.locator("#import-report")).to_contain_text("3")
            assert contrast_failures(page) == []
            screenshot(page, f"datasets-01-imported-{locale}")
        finally:
            browser.close()
