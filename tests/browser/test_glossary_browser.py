"""The glossary and knowledge base in Chromium, in Chinese: a member admin proposes a term from the
glossary page, the coordinator agrees it, the term's history shows both versions; an article written
in Markdown with a script and an onclick shows neither (no dialog opens, no script runs), and its agreed
term is underlined with its definition on hover and on keyboard focus; the agreement's clause explains
the term too; the search finds the Chinese term by English words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.sharing import service as sharing
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, screenshot, serve, signed_in
from tests.e2e.test_web_glossary import MALICIOUS, SPLIT
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    clock = FrozenClock(datetime(2026, 12, 5, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="gl")
    for n, member in enumerate(("A", "B"), start=1):
        registry.add_member(store, "gl", {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)}, clock)
    sharing.propose_version(store, "gl", SPLIT, "秘书长", clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "gl")
    add_user(store, clock, "aboss", Role.MEMBER_ADMIN, "gl", "A")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url
    store.close()


def test_propose_agree_and_see_the_term_explained_with_no_script_from_markdown(served: str) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            errors: list[str] = []
            dialogs: list[str] = []
            page = signed_in(browser, base, "aboss", "zh-CN")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(f"{base}/alliances/gl")
            page.locator(".alliance-nav a", has_text="行业词典").click()
            page.locator("#propose-term").click()
            page.locator("#f-zh").fill("托盘位")
            page.locator("#f-en").fill("pallet position")
            page.locator("#f-definition_zh").fill("仓库里可放一个标准托盘的位置。")
            page.locator("#f-definition_en").fill("The space for one standard pallet.")
            page.locator("#f-synonyms").fill("板位\n托位")
            page.locator("#save-term").click()
            expect(page.locator("#term-name")).to_contain_text("托盘位")
            expect(page.locator("#agree-form")).to_have_count(0)
            screenshot(page, "glossary-proposed")
            page.goto(f"{base}/alliances/gl/articles/new")
            page.locator("#f-title").fill("入库须知")
            page.locator("#f-body").fill(MALICIOUS)
            page.locator("#article-terms input[value='1']").check()
            page.locator("#save-article").click()
            expect(page.locator("#article-title")).to_have_text("入库须知")
            expect(page.locator("#article-body script")).to_have_count(0)
            expect(page.locator("#article-body [onclick]")).to_have_count(0)
            expect(page.locator("#article-body abbr.term")).to_have_count(0)  # not agreed yet

            coord = signed_in(browser, base, "coord", "zh-CN")
            coord.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            coord.goto(f"{base}/alliances/gl/glossary/1")
            coord.locator("#agree-term").click()
            expect(coord.locator("#agreed-now")).to_be_visible()
            expect(coord.locator("#term-versions tbody tr")).to_have_count(2)
            screenshot(coord, "glossary-agreed")
            coord.goto(f"{base}/alliances/gl/articles/1")
            term = coord.locator("#article-body abbr.term").first
            expect(term).to_have_attribute("title", "托盘位: 仓库里可放一个标准托盘的位置。")
            term.hover()
            term.focus()
            shown = coord.evaluate("() => getComputedStyle(document.activeElement, '::after').content")
            assert "仓库里可放一个标准托盘的位置" in shown
            expect(coord.locator("#article-body a", has_text="点我")).to_have_count(0)  # the raw <a onclick> is text
            screenshot(coord, "glossary-article")
            coord.goto(f"{base}/alliances/gl/agreements/split")
            expect(coord.locator("#clauses abbr.term")).to_have_attribute("title", "托盘位: 仓库里可放一个标准托盘的位置。")
            coord.goto(f"{base}/alliances/gl/glossary?q=pallet")
            expect(coord.locator("#terms")).to_contain_text("托盘位")
            coord.goto(f"{base}/alliances/gl/articles?q=pallet&lang=en")
            expect(coord.locator("#article-1")).to_be_visible()
            assert dialogs == [] and errors == []
        finally:
            browser.close()
