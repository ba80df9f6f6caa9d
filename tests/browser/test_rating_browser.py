"""A member reads its own star rating in Chromium: the table of stars links only to its own rating,
the explanation (each input's figures, score, weight, contribution), what the next tier needs, its
elimination procedure, and the appeal sent from the page (the procedure then shows it paused)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.health.ratings import service as ratings
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve, signed_in
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user

pytestmark = pytest.mark.browser
COORD = Principal("coord", Role.COORDINATOR, "nb", kind="user")
DEPUTY = Principal("deputy", Role.COORDINATOR, "nb", kind="user")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="nb")
    for n, (member, name) in enumerate((("M1", "宁波甬江精工有限公司"), ("M2", "宁波海曙模具有限公司"),
                                        ("M3", "慈溪新材料有限公司")), start=1):
        registry.add_member(store, "nb", {"code": member, "name": name, "credit_code": credit_code(n)}, clock)
    add_user(store, clock, "m3", Role.MEMBER_ADMIN, "nb", "M3")
    ratings.set_weights(store, "nb", COORD, {"reviews": "0.5", "fulfilment": "0.3", "innovation": "0.2"},
                        {"delivery": "0.7", "disputes": "0.3"}, clock)
    ratings.set_policy(store, "nb", COORD, clock, improvement_days=30, grace_days=0, appeal_days=7, move=2, floor=1)
    ratings.import_reviews(store, "nb", COORD, ["member", "date", "stars"],
                           [["M3", "2026-11-01", "1"], ["M3", "2026-11-02", "1"], ["M1", "2026-11-02", "5"]], clock)
    ratings.enter_innovation(store, "nb", COORD, "M3", "2026Q4", "0", clock)
    made = ratings.run(store, "nb", COORD, "2026Q4", clock)
    for rating in made:
        if rating.status == "pending":
            ratings.decide(store, "nb", DEPUTY, rating.id, True, clock)
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, store
    store.close()


def test_a_member_reads_its_rating_and_appeals(served: tuple[str, Store]) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, store = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            page = signed_in(browser, base, "m3", "en-US")
            page.goto(f"{base}/alliances/nb/ratings")
            expect(page.locator('#ratings-table tr[data-member="M1"] [data-stars]')).to_have_attribute("data-stars", "4")
            expect(page.locator('#ratings-table tr[data-member="M1"] a')).to_have_count(0)   # not its rating to read
            page.locator('#ratings-table tr[data-member="M3"] a').click()
            expect(page.locator("#explanation-table")).to_be_visible()
            expect(page.locator('#explanation-table tr[data-input="reviews"]')).to_contain_text("mean_stars")
            expect(page.locator("#score")).to_have_text("19.50")
            expect(page.locator("#advice")).to_contain_text("0.50")            # 20 - 19.50 to reach 2 stars
            expect(page.locator("#procedure-stage")).to_contain_text("Improvement period")
            assert contrast_failures(page) == []
            screenshot(page, "rating-00-member")
            page.get_by_label("Reason of the appeal").fill("The one-star reviews came from a competitor")
            page.locator("#appeal-button").click()
            expect(page.locator("#procedure-stage")).to_contain_text("Appealed")
            expect(page.locator("#appeal-form")).to_have_count(0)
            (procedure,) = ratings.procedures(store, "nb", COORD)
            assert procedure.stage == "appealed" and procedure.appealed_by == "user:m3"
        finally:
            browser.close()
