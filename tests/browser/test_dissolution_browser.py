"""The dissolution page in Chromium: `parent` (A, B, C, a growth fund holding 18.00) with its
sub-alliance `sub`. The coordinator starts the winding-up with the page's form (the browser will not
send it without the deciding decision), sees each alliance's blockers in words, shares out the funds,
is refused finishing with nothing changed, and downloads the whole alliance's archive; in Chinese the
status and blockers are Chinese. A's admin reads the status and the blockers but gets no button and
no archive link."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from alliance.access.roles import Role
from alliance.exits import dissolution_service as dissolution
from alliance.registry import service as registry
from alliance.registry.model import AllianceStatus
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import exit_cases, fund_releases
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve, signed_in
from tests.support.dissolution import NOW, build
from tests.support.exits import at
from tests.support.web import add_user

pytestmark = pytest.mark.browser

PAGE = "/alliances/parent/dissolution"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    clock = at(11, 22)
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    build(store, clock, tmp_path).facts.close()
    add_user(store, clock, "coord", Role.COORDINATOR, "parent")
    add_user(store, clock, "a-admin", Role.MEMBER_ADMIN, "parent", "A")
    with serve(create_app(store, NOW, tmp_path / "facts.duckdb")) as url:
        yield url, store
    store.close()


def watch_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def rows(store: Store, table: Any) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())


def test_the_coordinator_winds_up_and_a_member_reads_along(served: tuple[str, Store], tmp_path: Path) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, store = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            page = signed_in(browser, base, "coord", "en-US")
            errors = watch_errors(page)
            page.goto(base + PAGE)
            expect(page.locator("#dissolution-parent")).to_contain_text("Active")
            # Not being dissolved: nothing is listed as blocking, and only starting is offered.
            expect(page.locator("#dissolution-parent")).to_contain_text("Not being dissolved.")
            expect(page.locator("#dissolution-funds")).to_have_count(0)
            expect(page.locator("#dissolution-finish")).to_have_count(0)
            start = page.locator("#dissolution-start")
            start.locator("button[type=submit]").click()  # no decision named: the browser keeps the form
            assert start.locator("input[name=decided_by]").evaluate("e => e.validity.valueMissing") is True
            assert rows(store, exit_cases) == 0
            start.locator("input[name=decided_by]").fill("members' meeting of 2026-12-07")
            start.locator("input[name=last_trading_day]").fill("2026-12-06")
            start.locator("button[type=submit]").click()
            expect(page.locator("#dissolution-result")).to_have_text("The winding-up has started: 5 exit case(s) opened.")
            assert rows(store, exit_cases) == 5
            assert registry.get_alliance(store, "parent").status is AllianceStatus.DISSOLVING
            states = {s.alliance: s for s in dissolution.status(store, "parent")}
            for code in ("sub", "parent"):
                item = page.locator(f"#dissolution-{code}")
                expect(item).to_contain_text("Dissolving")
                expect(item).to_contain_text("last trading day 2026-12-06")
                expect(item.locator("ul > li")).to_have_text([str(b.what) for b in states[code].blockers])
            expect(page.locator("#dissolution-parent")).to_contain_text(
                "its sub-alliances sub are not dissolved yet: they are wound up first")
            expect(page.locator("#dissolution-parent")).to_contain_text("funds not yet shared out: growth-fund")
            expect(page.locator("#dissolution-parent")).to_contain_text("the exit cases of A, B, C are not closed")
            assert contrast_failures(page) == []
            screenshot(page, "dissolution-00-started-en")

            page.locator("#dissolution-funds button[type=submit]").click()
            expect(page.locator("#dissolution-result")).to_have_text(
                "Funds scheduled to be shared out: growth-fund. The next settlement run books them.")
            assert rows(store, fund_releases) == 1
            expect(page.locator("#dissolution-parent")).to_contain_text(
                "funds not yet shared out: growth-fund 18.00 (release pending: booked by the next settlement run)")

            page.locator("#dissolution-finish button[type=submit]").click()
            error = page.locator("#dissolution-error")
            expect(error).to_contain_text("Nothing was changed.")
            expect(error).to_contain_text("exit cases of A, B, C")
            assert error.locator("p.alert__lines").evaluate("e => getComputedStyle(e).whiteSpace") == "pre-line"
            assert registry.get_alliance(store, "parent").status is AllianceStatus.DISSOLVING
            screenshot(page, "dissolution-01-refused-en")

            with page.expect_download() as started:
                page.locator("#dissolution-archive").click()
            download = started.value
            assert download.failure() is None and download.suggested_filename == "parent-alliance-archive.zip"
            saved = tmp_path / "downloaded" / download.suggested_filename
            download.save_as(str(saved))
            with zipfile.ZipFile(saved) as z:
                assert {"members/A.zip", "members/B.zip", "members/C.zip", "ledger/entries.jsonl"} <= set(z.namelist())

            zh = signed_in(browser, base, "coord", "zh-CN")
            errors += watch_errors(zh)
            zh.goto(base + PAGE)
            expect(zh.locator("#dissolution-parent")).to_contain_text("解散中")
            expect(zh.locator("#dissolution-parent")).to_contain_text("A, B, C 的退出案件尚未结案")
            expect(zh.locator("#dissolution-parent")).to_contain_text(
                "尚未分配的基金：growth-fund 18.00（待分配：下一次结算入账）")
            expect(zh.locator("#dissolution-archive")).to_be_visible()
            screenshot(zh, "dissolution-02-coordinator-zh")

            for locale in ("zh-CN", "en-US"):
                member = signed_in(browser, base, "a-admin", locale)
                errors += watch_errors(member)
                member.goto(base + PAGE)
                expect(member.locator("#dissolution-parent")).to_contain_text("解散中" if locale == "zh-CN" else "Dissolving")
                expect(member.locator("#dissolution-parent ul > li")).not_to_have_count(0)
                expect(member.locator("#dissolution-actions")).to_have_count(0)
                expect(member.locator(f'form[action*="{PAGE}/"]')).to_have_count(0)
                expect(member.locator("#dissolution-archive")).to_have_count(0)
                screenshot(member, f"dissolution-03-member-{locale}")
            # The refused finish answers 409: the console reports that status, nothing else.
            assert [e for e in errors if "status of 409" not in e] == [], errors
        finally:
            browser.close()
