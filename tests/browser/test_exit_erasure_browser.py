"""The erasure on the coordinator's exit case page in Chromium. M3 went insolvent on 1 December: its
archive's retrieval window runs through the 31st (end date + 30). On 17 December and on the window's
last day the page gives the window and offers no erasure; on 1 January the coordinator sees what will
be erased with the counts and what is kept by law (in Chinese too), the browser will not send the form
before the box is ticked, and once confirmed the data step is done with the erasure's summary and no
second erasure is offered; the stored case says the same."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.exits import erasure_service
from alliance.exits import service as exits
from alliance.exits.erasure import KIND_NAMES
from alliance.exits.model import Status, StepKey, Trigger
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve, signed_in
from tests.support.exits import CODE, COORDINATOR, at, build
from tests.support.web import PASSWORD, add_user

pytestmark = pytest.mark.browser

PAGE = f"/alliances/{CODE}/exits/1"
# Whether an element lies within the horizontal view of the step table's scroller.
IN_VIEW = """(selector) => {
  const box = document.querySelector(selector).getBoundingClientRect();
  const view = document.querySelector("#exit-step-table").parentElement.getBoundingClientRect();
  return box.left >= view.left && box.right <= view.right + 1;
}"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store, FrozenClock]]:
    clock = at(11, 22)
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    build(store, clock, tmp_path).close()
    exits.open_case(store, CODE, "M3", Trigger.INSOLVENCY, datetime(2026, 12, 1).date(), at(12, 2),
                    principal=COORDINATOR)
    exits.record_ends_due(store, at(12, 2, 3))
    add_user(store, clock, "coord", Role.COORDINATOR, CODE)
    add_user(store, clock, "m3-admin", Role.MEMBER_ADMIN, CODE, "M3")
    now = FrozenClock(datetime(2026, 12, 17, 2, tzinfo=UTC))  # 10:00 in Shanghai
    with serve(create_app(store, now, tmp_path / "facts.duckdb")) as url:
        yield url, store, now
    store.close()


def watch_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def test_the_coordinator_erases_after_the_window_once(served: tuple[str, Store, FrozenClock]) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, store, now = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            page = signed_in(browser, base, "coord", "en-US")
            errors = watch_errors(page)
            page.goto(base + PAGE)
            expect(page.locator("#step-data")).to_contain_text("to 2026-12-31, then what the alliance no longer "
                                                               "needs is deleted or anonymised")
            expect(page.locator("#step-data .step-status")).to_have_attribute("data-status", "open")
            expect(page.locator("#exit-erase")).to_have_count(0)
            expect(page.locator("#erase-form")).to_have_count(0)

            now.advance(timedelta(days=14))  # 31 December: the window's last day, still no erasure
            page = signed_in(browser, base, "coord", "en-US")
            errors += watch_errors(page)
            page.goto(base + PAGE)
            expect(page.locator("#step-data")).to_contain_text("2026-12-31")
            expect(page.locator("#erase-form")).to_have_count(0)

            now.advance(timedelta(days=1))  # 1 January: the window has passed
            preview = erasure_service.preview_erasure(store, CODE, 1, now, principal=COORDINATOR)
            assert preview["ready"] and preview["counts"]["accounts"] == 1 and preview["counts"]["api_keys"] == 0
            zh = signed_in(browser, base, "coord", "zh-CN")
            errors += watch_errors(zh)
            zh.goto(base + PAGE)
            expect(zh.locator("#exit-erase-title")).to_have_text("删除联盟不再需要的数据")
            expect(zh.locator("#keep-list")).to_contain_text("会计凭证和会计账簿：保管30年")
            expect(zh.locator("#erase-form button[type=submit]")).to_be_visible()
            screenshot(zh, "exit-erasure-00-offered-zh")

            page = signed_in(browser, base, "coord", "en-US")
            errors += watch_errors(page)
            page.goto(base + PAGE)
            expect(page.locator("#exit-erase-title")).to_have_text("Erase what the alliance no longer needs")
            expect(page.locator("#exit-erase")).to_contain_text("its archive's retrieval window ran until 2026-12-31")
            expect(page.locator("#erase-list li")).to_have_text(
                [f"{KIND_NAMES[kind]}: {n}" for kind, n in preview["counts"].items()])
            expect(page.locator("#keep-list")).to_contain_text("accounting vouchers and books: 30 years")
            assert contrast_failures(page) == []
            screenshot(page, "exit-erasure-01-offered-en")
            submit = page.locator("#erase-form button[type=submit]")
            submit.click()  # the box is not ticked: the browser keeps the form
            box = page.locator("#erase-form input[name=confirm]")
            assert box.evaluate("e => e.validity.valueMissing") is True
            expect(page.locator("#erase-form")).to_be_visible()
            assert exits.get_case(store, CODE, 1, COORDINATOR).step(StepKey.DATA).status is Status.OPEN
            box.check()
            submit.click()
            expect(page.locator("#erasure-done")).to_be_visible()
            expect(page.locator("#step-data .step-status")).to_have_attribute("data-status", "done")
            erased = [f"{KIND_NAMES[kind]}: {n}" for kind, n in preview["counts"].items() if n]
            expect(page.locator("#step-data li").filter(has_text=": ")).to_contain_text(erased)
            expect(page.locator("#exit-erase")).to_have_count(0)
            expect(page.locator("#erase-form")).to_have_count(0)
            screenshot(page, "exit-erasure-02-done-en")
            # The summary is in the step table's view, not pushed out to its right (the scroller's edge).
            assert page.evaluate(IN_VIEW, "#erasure-done") is True
            step = exits.get_case(store, CODE, 1, COORDINATOR).step(StepKey.DATA)
            assert step.status is Status.DONE and step.detail["erasure"]["counts"] == preview["counts"]

            page.reload()  # a second erasure is not offered
            expect(page.locator("#erasure-done")).to_be_visible()
            expect(page.locator("#erase-form")).to_have_count(0)
            zh.goto(base + PAGE)
            expect(zh.locator("#erasure-done")).to_contain_text("删除（所删除内容的 SHA-256")
            expect(zh.locator("#erase-form")).to_have_count(0)

            # M3's admin account was erased with M3's data: it signs in no more.
            gone = browser.new_context(locale="en-US").new_page()
            gone.goto(f"{base}/sign-in?lang=en")
            gone.locator("input[name=username]").fill("m3-admin")
            gone.locator("input[name=password]").fill(PASSWORD)
            with gone.expect_response(lambda r: "/sign-in" in r.url and r.request.method == "POST"):
                gone.locator("form button[type=submit]").first.click()
            expect(gone.locator("input[name=password]")).to_be_visible()
            assert "/sign-in" in gone.url
            assert errors == []
        finally:
            browser.close()
