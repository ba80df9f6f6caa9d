"""A coordinator declares a member's need in Chromium, in Chinese, and sees it on the resource map: the
form (kind chosen by name from the taxonomy's groups), the declaration listed by its kind's name, and the
map's graph drawn (a canvas) with an arrow from the member that has the resource, in its table too; no
console errors on either page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.matching import service as matching
from alliance.matching.model import Declaration, Side
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, screenshot, serve, signed_in
from tests.support.factories import admin_of, credit_code, make_alliance
from tests.support.web import add_user

pytestmark = pytest.mark.browser
COORD = Principal("coord", Role.COORDINATOR, "nb", kind="user")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    clock = FrozenClock(datetime(2026, 12, 5, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="nb")
    for n, (member, name) in enumerate((("M1", "宁波甬江冷链有限公司"), ("M2", "宁波海曙食品有限公司")), start=1):
        registry.add_member(store, "nb", {"code": member, "name": name, "credit_code": credit_code(n)}, clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    add_user(store, clock, "m2", Role.MEMBER_ADMIN, "nb", "M2")  # a member's needs are its own accounts' to declare
    matching.declare(store, "nb", admin_of("nb", "M1"), "M1", Declaration(Side.RESOURCE, "warehouse/cold_chain", "宁波冷库 2000 平方米",
                                                           region="宁波"), clock)
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, store
    store.close()


def test_a_member_adds_a_need_and_the_coordinator_sees_it_on_the_map(served: tuple[str, Store]) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, store = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            errors: list[str] = []
            page = signed_in(browser, base, "m2")
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base}/alliances/nb/members/M2")
            page.locator("#member-resources").click()
            expect(page.locator("h1")).to_contain_text("资源与需求")
            form = page.locator("#declaration-form")
            form.get_by_label("资源还是需求").select_option("need")
            form.get_by_label("资源类型", exact=True).select_option(label="冷链")
            form.get_by_label("说明", exact=True).fill("需要冷库存放冻品")
            form.get_by_label("数量（需求：所需数量）").fill("500")
            form.get_by_label("地区", exact=True).fill("宁波")
            form.locator("button[type=submit]").click()
            expect(page.locator("#saved")).to_be_visible()
            expect(page.locator('table[data-side="need"]')).to_contain_text("仓储物流 · 冷链")
            screenshot(page, "resource-map-01-member")
            page = signed_in(browser, base, "coord")
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base}/alliances/nb/members/M2/resources")
            page.locator("#to-map").click()
            expect(page.locator("#resource-graph canvas")).to_have_count(1)
            expect(page.locator("#resource-graph")).to_have_attribute("data-chart-ready", "true")
            expect(page.locator('#edges-table tr[data-offerer="M1"][data-seeker="M2"]')).to_contain_text("需要冷库存放冻品")
            screenshot(page, "resource-map-00-coordinator")
            assert errors == []
            (need,) = matching.declarations(store, "nb", COORD, "M2")
            assert need.declaration.side is Side.NEED and str(need.declaration.capacity) == "500"
        finally:
            browser.close()
