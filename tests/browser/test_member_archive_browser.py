"""The member's data archive in Chromium: HW's admin downloads its own archive from its member page
(the browser's download, a ZIP that verifies offline against the alliance's published key); SW's
page offers it no link; the auditor, who may not take members' raw data, sees no link and is refused
the address (403); in Chinese the link says so in Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.exits.archive_format import verify_member_archive
from alliance.ledger import service as ledger
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, screenshot, serve, signed_in
from tests.support.payouts import settled_alliance
from tests.support.web import add_user

pytestmark = pytest.mark.browser

PAGE = "/alliances/cloud-hw/members/{member}"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    settled_alliance(store, clock, tmp_path).close()
    add_user(store, clock, "hw-admin", Role.MEMBER_ADMIN, "cloud-hw", "HW")
    add_user(store, clock, "checker", Role.AUDITOR, "cloud-hw")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, store
    store.close()


def watch_errors(page: Any) -> list[str]:
    """The page's script errors and console errors, as they come."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def test_the_member_downloads_its_archive_and_no_one_else_sees_the_link(served: tuple[str, Store],
                                                                        tmp_path: Path) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, store = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            page = signed_in(browser, base, "hw-admin", "en-US")
            errors = watch_errors(page)
            page.goto(base + PAGE.format(member="HW"))
            link = page.locator("#member-archive")
            expect(link).to_have_text("Download the data archive")
            with page.expect_download() as started:
                link.click()
            download = started.value
            assert download.failure() is None
            assert download.suggested_filename == "cloud-hw-HW-archive.zip"
            saved = tmp_path / "downloaded" / download.suggested_filename
            download.save_as(str(saved))
            verdict = verify_member_archive(saved, ledger.public_key(store, "cloud-hw"))
            assert verdict.ok and verdict.member == "HW" and verdict.alliance == "cloud-hw", verdict.problems
            screenshot(page, "member-archive-00-own-page-en")
            page.goto(base + PAGE.format(member="SW"))  # another member's page: not its data
            expect(page.locator("h1")).to_have_text("SW 公司")
            expect(page.locator("#member-archive")).to_have_count(0)
            assert errors == []

            auditor = signed_in(browser, base, "checker", "en-US")
            auditor.goto(base + PAGE.format(member="SW"))
            expect(auditor.locator("h1")).to_have_text("SW 公司")
            expect(auditor.locator("#member-archive")).to_have_count(0)
            refused = auditor.goto(base + PAGE.format(member="SW") + "/archive")
            assert refused is not None and refused.status == 403

            zh = signed_in(browser, base, "hw-admin", "zh-CN")
            zh_errors = watch_errors(zh)
            zh.goto(base + PAGE.format(member="HW"))
            expect(zh.locator("#member-archive")).to_have_text("下载数据档案")
            expect(zh.locator("html")).to_have_attribute("lang", "zh-CN")
            screenshot(zh, "member-archive-01-own-page-zh")
            assert zh_errors == []
        finally:
            browser.close()
