"""A coordinator writes a whole agreement in Chromium, in Chinese, only with the agreement form: a
tiered and a three-level rule, a typo named by its field and corrected, the YAML following every
change and the form following the YAML, then the version proposed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.sharing import service as sharing
from alliance.sharing.agreement import RuleKind, load_agreement_text
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve
from tests.support.factories import credit_code, make_alliance
from tests.support.web import PASSWORD, add_user

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="tea")
    for n, member in enumerate(("LJ", "YP", "MJ"), start=1):
        registry.add_member(store, "tea", {"code": member, "name": f"{member} 茶业有限公司", "credit_code": credit_code(n)},
                            clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "tea")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, store
    store.close()


def test_a_coordinator_writes_an_agreement_with_the_form_only(served: tuple[str, Store]) -> None:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    base, store = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
            page.goto(base + "/alliances/tea/agreements/new")
            page.get_by_label("用户名").fill("coord")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url("**/agreements/new")
            yaml = page.get_by_label("协议（YAML）")
            expect(page.locator("#f-r0-id")).to_have_value("split")  # the starting document, as a form

            page.locator("#f-agreement").fill("tea-deal")
            page.locator("#f-title").fill("茶礼盒阶梯与三级分配")
            page.wait_for_load_state("networkidle")  # as a person would: the last change has been answered
            page.get_by_role("button", name="删除此规则").click()
            expect(page.locator("#f-r0-id")).to_have_count(0)

            # A tiered rule: the payer pays the rate of the tier each member's monthly volume reaches.
            page.locator("#f-new_kind").select_option(label="阶梯式分成")
            page.wait_for_load_state("networkidle")  # as a person would: the last change has been answered
            page.get_by_role("button", name="添加规则").click()
            expect(page.locator("#f-r0-id")).to_have_value("tiered-1")
            page.locator("#f-r0-select-seller").fill("LJ")
            page.locator("#f-r0-payer").select_option("LJ")
            page.locator("#f-r0-mode").select_option(label="分段：每段销售额按所在阶梯的比例")
            page.locator("#f-r0-tiers-0-up_to").fill("100000.00")
            page.locator("#f-r0-tiers-0-rate").fill("0.02")
            page.locator("#f-r0-tiers-1-rate").fill("两个点")
            page.locator("#f-r0-tiers-1-rate").blur()
            status = page.locator("#builder-status")
            expect(status).to_contain_text("YAML 未更改")
            expect(status).to_contain_text("阶梯 · 第 2 行 · 比例")
            expect(status).to_contain_text("不是数字")
            expect(page.locator("#f-r0-tiers-1-rate")).to_have_value("两个点")  # nothing typed is lost
            page.locator("#f-r0-tiers-1-rate").fill("0.05")
            page.locator("#f-r0-tiers-1-rate").blur()
            expect(status).to_contain_text("YAML 已按表单更新")
            expect(yaml).to_have_value(re.compile(r"kind: tiered\n(.*\n)*    tiers:\n      - \{up_to: \"100000.00\", rate: 0.02\}\n"
                                                  r"      - \{rate: 0.05\}\n"))

            # A three-level rule, with the period metric the long-term part is weighed by.
            page.locator("#f-new_kind").select_option(label="三级利益分配")
            page.wait_for_load_state("networkidle")  # as a person would: the last change has been answered
            page.get_by_role("button", name="添加规则").click()
            expect(page.locator("#f-r1-id")).to_have_value("three-level-1")
            expect(page.locator("#f-r0-tiers-1-rate")).to_have_value("0.05")  # the rule above is kept
            page.locator("#f-r1-pool_rate").fill("0.10")
            page.locator("#f-r1-parts-base").fill("0.40")
            page.locator("#f-r1-parts-incremental").fill("0.30")
            page.locator("#f-r1-parts-long_term").fill("0.30")
            for member, amount in (("LJ", "300000.00"), ("YP", "120000.00"), ("MJ", "80000.00")):
                page.locator(f"#f-r1-baseline-{member}").fill(amount)
            page.locator("#f-r1-long_term_metric").fill("user_assets")
            page.locator("#f-r1-long_term_metric").blur()
            expect(yaml).to_have_value(re.compile(r"kind: three_level\n(.*\n)*    long_term_metric: user_assets\n"))
            expect(page.locator("#check-verdict")).to_contain_text("协议文本有效")
            expect(page.locator("#check-verdict + dl + table tbody tr")).to_have_count(2)

            # The YAML is still there to edit: leaving it fills the form from it.
            yaml.fill(yaml.input_value().replace("user_assets", "repurchase_rate"))
            yaml.blur()
            expect(page.locator("#f-r1-long_term_metric")).to_have_value("repurchase_rate")
            expect(status).to_contain_text("表单已按 YAML 填好")
            expect(yaml).to_have_value(re.compile(r"long_term_metric: repurchase_rate\n"))
            screenshot(page, "agreement-builder")
            assert contrast_failures(page) == []

            page.get_by_role("button", name="提交此版本").click()
            page.wait_for_url("**/agreements/tea-deal?version=1")
        finally:
            browser.close()
    stored = load_agreement_text(sharing.get_version(store, "tea", "tea-deal").document)
    assert [r.kind for r in stored.rules] == [RuleKind.TIERED, RuleKind.THREE_LEVEL]
    assert stored.title == "茶礼盒阶梯与三级分配" and set(stored.parties) == {"LJ", "YP", "MJ"}
    assert stored.rules[1].params.long_term_metric == "repurchase_rate"
    assert [str(t.rate) for t in stored.rules[0].params.tiers] == ["0.02", "0.05"]
