"""The warning-rule editor in Chromium, in Chinese: the coordinator makes a rule from the form (an
indicator, a condition, a threshold, periods running, severity, an agenda item), with no YAML, and
finds it in the rule list; a mistake is shown beside its field first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.health.warnings import service
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, serve, signed_in
from tests.support.warnings import COORDINATOR, setup_alliance
from tests.support.web import add_user

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    setup_alliance(store, clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "tea")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, store
    store.close()


def test_a_coordinator_makes_a_rule_from_the_form_in_chinese(served: tuple[str, Store]) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, store = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = signed_in(browser, base, "coord")
            page.goto(base + "/alliances/tea/health/warnings?lang=zh_CN")
            assert page.locator("html").get_attribute("lang", timeout=5000).startswith("zh")
            page.locator("#new-rule").click()
            page.wait_for_url(base + "/alliances/tea/health/warnings/rules/new")
            page.locator("#f-id").fill("idle")
            page.locator("#f-name_zh").fill("资源闲置率过高")
            page.locator("#f-name_en").fill("Resources idle")
            page.locator("#f-kpi").select_option("resource_idle_rate")
            page.locator("#f-kind").select_option("above")
            page.locator("#f-threshold").fill("百分之十五")  # not a number: refused beside the field
            page.locator("#f-for").fill("2")
            page.locator("#f-severity").select_option("critical")
            page.locator("#f-runbook_zh").fill("召开资源再分配会议")
            page.locator("#f-agenda_item").check()
            page.locator("#save-rule").click()
            page.wait_for_load_state()
            sync_api.expect(page.locator("#f-threshold-error")).to_be_visible()
            assert service.list_rules(store, "tea", COORDINATOR) == []
            page.locator("#f-threshold").fill("0.15")
            page.locator("#save-rule").click()
            page.wait_for_url(base + "/alliances/tea/health/warnings#rules")
            sync_api.expect(page.locator("#rule-idle")).to_contain_text("资源闲置率过高")
        finally:
            browser.close()
    [view] = service.list_rules(store, "tea", COORDINATOR)
    rule = view.rule
    assert (rule.kpi, str(rule.condition.threshold), rule.for_periods, rule.severity) == (
        "resource_idle_rate", "0.15", 2, "critical")
    assert [a.kind for a in rule.actions] == ["agenda_item", "notify"] and rule.runbook.zh == "召开资源再分配会议"
