"""The coordinator sets the alliance's voting weights in Chromium, in Chinese: a refused weight shown
beside its field (htmx, nothing stored), then the table saved, each source's weights as a table and a
bar chart, and the change in the history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.governance import service_weights
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve
from tests.support.factories import credit_code, make_alliance
from tests.support.web import PASSWORD, add_user

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="nb")
    for n, (member, name) in enumerate((("M1", "宁波甬江精工有限公司"), ("M2", "宁波海曙模具有限公司"),
                                        ("M3", "慈溪新材料有限公司")), start=1):
        registry.add_member(store, "nb", {"code": member, "name": name, "credit_code": credit_code(n)}, clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, store
    store.close()


def test_the_coordinator_sets_the_weights_in_chinese(served: tuple[str, Store]) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, store = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
            page.goto(base + "/sign-in")
            page.get_by_label("用户名").fill("coord")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(lambda url: "/sign-in" not in url)  # the sign-in lands before the next navigation
            page.goto(f"{base}/alliances/nb/governance")
            page.locator("#weights-link").click()
            expect(page.locator("#weights-form")).to_be_visible()

            def save() -> None:
                with page.expect_response(lambda r: r.request.method == "POST"):
                    page.locator("#weights-form button[type=submit]").click()
                page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")

            page.get_by_label("宁波甬江精工有限公司 (M1)").fill("45")
            page.get_by_label("宁波海曙模具有限公司 (M2)").fill("-30")
            save()
            expect(page.locator("#f-weight-M2-error")).to_be_visible()
            expect(page.get_by_label("宁波海曙模具有限公司 (M2)")).to_have_value("-30")
            assert service_weights.weight_table(store, "nb", Principal("coord", Role.COORDINATOR, "nb")) == []

            page.get_by_label("宁波海曙模具有限公司 (M2)").fill("30.5")
            page.get_by_label("慈溪新材料有限公司 (M3)").fill("24.5")
            save()
            expect(page.locator('#weights-table tr[data-member="M2"] td[data-source="table"]')).to_contain_text("30.5")
            expect(page.locator('#weights-table tr[data-member="M2"] td[data-source="table"]')).to_contain_text("30.50%")
            expect(page.locator("#weights-chart canvas, #weights-chart svg").first).to_be_visible()
            expect(page.locator("#history tbody tr")).to_have_count(1)
            assert contrast_failures(page) == []
            screenshot(page, "weights-00-set")
            stored = service_weights.weight_table(store, "nb", Principal("coord", Role.COORDINATOR, "nb"))
            assert [(w.member, w.weight) for w in stored] == [("M1", "45"), ("M2", "30.5"), ("M3", "24.5")]
        finally:
            browser.close()
