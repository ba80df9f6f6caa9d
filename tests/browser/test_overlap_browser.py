"""The customer overlap (PSI) pages in Chromium, in Chinese: each member sets its sharing level toward
the other, one opens a session, the other consents from its pending consents and copies the command
that runs the comparison on its own computer; once the session is done (the protocol driven here
through the service layer, as the two `alliance psi run` clients would), the overlap matrix draws its
heat map and the exact figures beside it. No script or console error."""

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
from tests.support.psi import emails, run_session
from tests.support.web import add_user

pytestmark = pytest.mark.browser
CLOCK = FrozenClock(datetime(2026, 11, 8, 2, tzinfo=UTC))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, CLOCK, code="nb")
    for n, member in enumerate(("M1", "M2", "M3"), start=1):
        registry.add_member(store, "nb", {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)}, CLOCK)
    add_user(store, CLOCK, "m1", Role.MEMBER_ADMIN, "nb", "M1")
    add_user(store, CLOCK, "m2", Role.MEMBER_ADMIN, "nb", "M2")
    with serve(create_app(store, CLOCK)) as url:
        yield url, store
    store.close()


def test_levels_a_session_consent_and_the_heat_map(served: tuple[str, Store]) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, store = served
    overlap = f"{base}/alliances/nb/sharing/members"
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            errors: list[str] = []

            def watched(username: str):  # type: ignore[no-untyped-def]
                page = signed_in(browser, base, username, "zh-CN")
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
                return page

            page = watched("m1")
            page.goto(f"{base}/alliances/nb/sharing")
            page.locator("#own-overlap").click()
            page.locator("#level-M2").select_option("count")
            page.locator("#save-level-M2").click()
            expect(page.locator("#overlap-notice")).to_contain_text("共享级别已保存")
            expect(page.locator("#level-row-M2 .level-in-force")).to_have_text("隐藏")  # M2 is still hidden
            page.context.close()

            page = watched("m2")
            page.goto(f"{overlap}/M2/overlap")
            page.locator("#level-M1").select_option("count")
            page.locator("#save-level-M1").click()
            expect(page.locator("#level-row-M1 .level-in-force")).to_have_text("仅重合数量")
            page.context.close()

            page = watched("m1")
            page.goto(f"{overlap}/M1/overlap")
            page.locator("#f-partner").select_option("M2")
            page.locator("#f-kind").select_option("email")
            page.locator("#open-session").click()
            expect(page.locator("#overlap-notice")).to_contain_text("会话已发起")
            expect(page.locator("#session-1 .session-status")).to_have_text("等待同意")
            page.context.close()

            page = watched("m2")
            page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
            page.goto(f"{base}/alliances/nb/sharing")
            page.locator("#own-overlap").click()
            expect(page.locator("#pending-1")).to_be_visible()
            page.locator("#consent-1").click()
            expect(page.locator("#overlap-notice")).to_contain_text("您已同意")
            expect(page.locator("#command-1")).to_have_text(f"alliance psi run 1 customers.csv --api {base}")
            page.locator("#copy-1").click()
            expect(page.locator("#copied-1")).to_be_visible()
            assert page.evaluate("navigator.clipboard.readText()") == f"alliance psi run 1 customers.csv --api {base}"
            screenshot(page, "overlap-consented")
            page.context.close()

            assert run_session(store, "nb", 1, CLOCK, emails(0, 200), emails(150, 100)) == 50

            page = watched("m1")
            page.goto(f"{overlap}/M1/overlap")
            expect(page.locator("#session-1 .session-overlap")).to_have_text("50")
            page.locator("#overlap-matrix-link").click()
            expect(page.locator("#overlap-heatmap[data-chart-ready=true]")).to_be_visible()
            expect(page.locator("#cell-M1-M2")).to_contain_text("50 / 100")
            expect(page.locator("#cell-M1-M3")).to_contain_text("未比较")
            screenshot(page, "overlap-matrix")
            assert errors == []
        finally:
            browser.close()
