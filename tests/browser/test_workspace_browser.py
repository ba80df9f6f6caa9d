"""The web workspace in a real browser (Debian's Chromium via Playwright against a live uvicorn):
a coordinator's day from founding an alliance to verifying its ledger, then a member analyst's view.

Screenshots of the main pages are saved under test-artifacts/screenshots/ (ignored by git).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve
from tests.support.factories import credit_code
from tests.support.web import PASSWORD, add_user

pytestmark = pytest.mark.browser

MEMBERS_HEADER = "编码,名称,统一社会信用代码,行业,地区,角色,营业收入,利润,现金流,资产负债率,合规记录\n"
MEMBERS_GOOD = (
    "LJ,杭州龙井茶业有限公司,{c1},茶叶,浙江杭州,核心企业,5000000.00,600000.00,400000.00,0.35,0\n"
    "YP,余杭云平包装有限公司,{c2},包装,浙江杭州,成员,1200000.00,150000.00,90000.00,0.55,1\n"
    "MJ,梅家坞茶农合作社,{c3},茶叶,浙江杭州,成员,800000.00,120000.00,60000.00,0.20,0\n"
)
AGREEMENT = """agreement: tea-split
title: 茶礼盒联营分账
effective_from: 2026-12-01
parties: [LJ, YP]
rules:
  - {id: gift-box, kind: fixed_split, select: {product_owner: YP}, shares: {LJ: 0.30, YP: 0.70}}
"""
ORDERS = ("line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
          "T1,O1,2026-12-05T10:00:00+08:00,LJ,YP,store,BOX-1,1,1000.01,CNY\n"
          "T2,O2,2026-12-05T15:30:00+08:00,LJ,YP,store,BOX-2,2,399.98,CNY\n")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))


@pytest.fixture
def served(tmp_path: Path, clock: FrozenClock) -> Iterator[tuple[str, Store]]:
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    add_user(store, clock, "admin", Role.PLATFORM_ADMIN)
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, store
    store.close()


def _file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_coordinators_day_in_chromium(served: tuple[str, Store], clock: FrozenClock, tmp_path: Path) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, store = served
    requested: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
            page = context.new_page()
            page.on("request", lambda r: requested.append(r.url))
            expect = sync_api.expect

            # Sign in.
            page.goto(base + "/alliances/new")
            assert "/sign-in" in page.url
            screenshot(page, "01-sign-in")
            page.get_by_label("用户名").fill("admin")
            page.get_by_label("密码").fill("wrong")
            page.get_by_role("button", name="登录").click()
            expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(base + "/alliances/new")  # back where it was going

            # Found an alliance (a mistake first: the error is shown, nothing created).
            page.get_by_label("编码").fill("tea leaves!")
            page.get_by_label("名称", exact=True).fill("杭州茶业联盟")
            page.get_by_label("组织结构").select_option("star")
            page.get_by_role("button", name="创建联盟").click()
            expect(page.get_by_role("alert")).to_contain_text("tea leaves!")
            page.get_by_label("编码").fill("tea")
            page.get_by_role("button", name="创建联盟").click()
            page.wait_for_url(base + "/alliances/tea")
            expect(page.get_by_role("heading", level=1)).to_have_text("杭州茶业联盟")

            # Import members: a file with a bad row is previewed with the error inline; fixed, it imports.
            page.goto(base + "/alliances/tea/members/import")
            bad = MEMBERS_HEADER + MEMBERS_GOOD.format(c1=credit_code(1), c2="91330100XXXXXXXX99", c3=credit_code(3))
            page.get_by_label("成员名单文件").set_input_files(_file(tmp_path, "members-bad.csv", bad))
            page.get_by_role("button", name="预览").click()
            expect(page.locator("tr.row--error")).to_have_count(1)
            expect(page.locator("tr.row--error")).to_contain_text("余杭云平包装有限公司")
            expect(page.get_by_role("button", name="导入这些成员")).to_have_count(0)
            screenshot(page, "02-member-import-errors")
            good = MEMBERS_HEADER + MEMBERS_GOOD.format(c1=credit_code(1), c2=credit_code(2), c3=credit_code(3))
            page.get_by_label("成员名单文件").set_input_files(_file(tmp_path, "members.csv", good))
            page.get_by_role("button", name="预览").click()
            page.get_by_role("button", name="导入这些成员").click()
            expect(page.get_by_role("status")).to_contain_text("已导入 3 个成员")
            page.get_by_label("搜索").fill("云平")
            expect(page.locator("#member-results tbody tr")).to_have_count(1)  # htmx live search
            page.goto(base + "/alliances/tea/members/LJ")
            expect(page.locator("#profile-radar[data-chart-ready=true]")).to_have_count(1)

            # Screen the members and move a weight slider: the ranking updates in place.
            page.goto(base + "/alliances/tea/screening")
            result = page.locator("#screening-result")
            expect(result).to_contain_text("杭州龙井茶业有限公司")
            before = result.inner_text()
            slider = page.locator("input[type=range]").first
            slider.focus()
            for _ in range(40):
                slider.press("ArrowLeft")
            expect(result).not_to_have_text(before)
            screenshot(page, "03-screening")
            assert contrast_failures(page) == []

            # Propose and sign an agreement.
            page.goto(base + "/alliances/tea/agreements/new")
            page.get_by_label("协议（YAML）").fill(AGREEMENT.replace("0.70", "0.60"))
            expect(page.locator("#check-verdict")).to_have_class("alert alert--error")  # checked as typed
            # "Line N" beside the problem selects that line of the editor.
            bad = AGREEMENT.replace("0.70", "0.60")
            goto = page.locator("#check-verdict [data-goto-line]").first
            line = int(goto.get_attribute("data-goto-line") or 0)
            goto.click()
            selected = page.get_by_label("协议（YAML）").evaluate("e => e.value.slice(e.selectionStart, e.selectionEnd)")
            assert selected == bad.splitlines()[line - 1] and "0.60" in selected
            assert contrast_failures(page) == []
            page.get_by_label("协议（YAML）").fill(AGREEMENT)
            expect(page.locator("#check-verdict")).to_contain_text("协议文本有效")
            # Leaving the YAML fills the form from it; a second rule added with the form lands in
            # the YAML and is checked with it (tests/browser/test_agreement_builder_browser.py does more).
            page.get_by_label("协议（YAML）").blur()
            expect(page.locator("#f-r0-id")).to_have_value("gift-box")
            # The form holds the corrected YAML (an earlier blur filled it from the 0.60 draft).
            expect(page.locator("#f-r0-shares-YP")).to_have_value("0.70")
            page.locator("#f-new_kind").select_option(label="固定比例分成")
            page.wait_for_load_state("networkidle")  # as a person would: the last change has been answered
            page.get_by_role("button", name="添加规则").click()
            page.locator("#f-r1-id").fill("online-split")
            page.locator("#f-r1-select-channel").fill("online")
            page.locator("#f-r1-shares-LJ").fill("0.50")
            page.locator("#f-r1-shares-YP").fill("0.50")
            page.locator("#f-r1-shares-YP").blur()
            expect(page.get_by_label("协议（YAML）")).to_have_value(re.compile(r"- id: online-split\n"))
            expect(page.locator("#check-verdict")).to_contain_text("协议文本有效")
            expect(page.locator("#check-verdict + dl + table tbody tr")).to_have_count(2)
            page.get_by_role("button", name="提交此版本").click()
            page.wait_for_url("**/agreements/tea-split?version=1")
            # The platform admin proposes but cannot sign for a member: each party signs in with its
            # own account, in its own browser.
            expect(page.get_by_role("button", name="代表 LJ 签署")).to_have_count(0)
            for member in ("LJ", "YP"):
                username = add_user(store, clock, f"{member.lower()}-admin", Role.MEMBER_ADMIN, "tea", member)
                party = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
                signer = party.new_page()
                signer.goto(base + "/alliances/tea/agreements/tea-split?version=1")
                signer.get_by_label("用户名").fill(username)
                signer.get_by_label("密码").fill(PASSWORD)
                signer.get_by_role("button", name="登录").click()
                signer.wait_for_url("**/agreements/tea-split?version=1")
                signer.get_by_role("button", name=f"代表 {member} 签署").click()
                expect(signer.get_by_role("status")).to_contain_text("已签署第 1 版")
                party.close()
            page.reload()
            expect(page.locator("#signatures tbody tr")).to_have_count(2)
            expect(page.get_by_text("各方均已签署").first).to_be_visible()
            screenshot(page, "04-agreement")
            assert contrast_failures(page) == []

            # Two weeks on: import the orders of 5 December and settle the day.
            clock.advance(timedelta(days=14))
            page.goto(base + "/alliances/tea/orders/import")
            assert "/sign-in" in page.url  # a session lasts 12 hours
            page.get_by_label("用户名").fill("admin")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(base + "/alliances/tea/orders/import")
            page.get_by_label("订单明细文件").set_input_files(_file(tmp_path, "orders.csv", ORDERS))
            page.evaluate("""() => { window.uploadProgress = [];
                document.addEventListener("htmx:xhr:progress",
                    () => window.uploadProgress.push(document.getElementById("orders-progress").value)); }""")
            page.get_by_role("button", name="导入", exact=True).click()
            expect(page.locator("#orders-inserted")).to_have_text("2")
            assert page.evaluate("window.uploadProgress")[-1] == 100  # the bar followed the upload
            expect(page.locator("#orders-progress")).to_be_hidden()
            page.goto(base + "/alliances/tea/settlement?month=2026-12")
            page.get_by_label("营业日", exact=True).fill("2026-12-05")
            page.get_by_role("button", name="结算", exact=True).click()
            expect(page.locator("#settle-result")).to_contain_text("已结算")
            page.get_by_role("link", name="查看当日结算单").click()
            screenshot(page, "05-settled-day")
            assert contrast_failures(page) == []

            # A member's statement, and its download.
            page.get_by_role("link", name="余杭云平包装有限公司").click()
            expect(page.locator("#statement-lines")).to_contain_text("gift-box")
            total = page.locator("#statement-total").inner_text()
            assert total == "¥979.99"  # the owner's 70% of 1,399.99, rounded to the cent
            with page.expect_download() as download:
                page.get_by_role("link", name="下载 CSV").click()
            rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))  # BOM: Excel opens it as UTF-8
            assert rows[0][:7] == ["agreement", "version", "rule", "kind", "base", "rate", "amount"]
            assert sum(Decimal(r[6]) for r in rows[1:]) == Decimal("979.99")
            screenshot(page, "06-statement")

            # The calendar shows the settled day and the trend chart is drawn.
            page.goto(base + "/alliances/tea/settlement?month=2026-12")
            expect(page.locator('td[data-day="2026-12-05"]')).to_have_class("calendar__day calendar__day--settled")
            expect(page.locator("#trend-chart[data-chart-ready=true]")).to_have_count(1)
            assert contrast_failures(page) == []

            # Verify the ledger from the overview.
            page.goto(base + "/alliances/tea")
            expect(page.locator("#structure-graph[data-chart-ready=true]")).to_have_count(1)
            page.get_by_role("button", name="校验账本").click()
            expect(page.locator("#ledger-verdict")).to_contain_text("账本完整")
            screenshot(page, "07-overview")
            assert contrast_failures(page) == []

            # Switch language: the same page in English.
            page.get_by_role("link", name="English").click()
            expect(page.locator("html")).to_have_attribute("lang", "en")
            expect(page.get_by_role("button", name="Verify the ledger")).to_be_visible()
            screenshot(page, "08-overview-en")

            # On a tablet the page never scrolls sideways.
            page.set_viewport_size({"width": 768, "height": 1024})
            widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], widths

            # A member analyst of YP sees YP's statement and not LJ's.
            add_user(store, clock, "yp.analyst", Role.MEMBER_ANALYST, "tea", "YP")
            page.get_by_role("button", name="Sign out").click()
            page.get_by_label("Username").fill("yp.analyst")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda url: "/sign-in" not in url)  # the sign-in lands before the next navigation
            page.goto(base + "/alliances/tea/settlement/2026-12-05")
            expect(page.locator("main table tbody tr")).to_have_count(1)
            expect(page.locator("main")).not_to_contain_text("杭州龙井茶业有限公司")
            response = page.goto(base + "/alliances/tea/settlement/2026-12-05/members/LJ")
            assert response is not None and response.status == 404
            expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
            screenshot(page, "09-analyst-refused")
        finally:
            browser.close()
    assert requested and all(url.startswith(base) for url in requested), [u for u in requested if not u.startswith(base)]
