"""The customer-journey metrics page in Chromium, in Chinese: the coordinator opens it from the data
sharing page over generated customer events, reads the last ended month's figures (each equal to a
plain count written here), changes the month with the picker, records it as period metrics, sees
every value marked recorded and the chart of the recorded months drawn; then records the other
month too. No script or console error."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve, signed_in
from tests.e2e.test_journey_pages import share_events
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user

pytestmark = pytest.mark.browser
MEMBERS = ("M1", "M2", "M3")
KINDS = ("visit", "purchase", "purchase", "referral", "service")


def generated(seed: int = 27) -> dict[str, list[tuple[str, str, str, str]]]:
    """About 300 events of 40 customers at three members over September and October 2026."""
    rng = random.Random(seed)
    events: dict[str, list[tuple[str, str, str, str]]] = {m: [] for m in MEMBERS}
    for n in range(300):
        member = rng.choice(MEMBERS)
        month, day = rng.choice((9, 10)), rng.randint(1, 30)
        events[member].append((f"E{n}", f"c{rng.randint(1, 40)}", rng.choice(KINDS),
                               f"2026-{month:02d}-{day:02d}T{rng.randint(8, 21):02d}:00:00+08:00"))
    return events


def repurchase_rate(events: dict[str, list[tuple[str, str, str, str]]], member: str, month: str) -> str:
    """The plain count: buyers with two or more purchases at the member in the month / its buyers."""
    purchases: dict[str, int] = {}
    for _e, who, kind, at in events[member]:
        if kind == "purchase" and at.startswith(month):
            purchases[who] = purchases.get(who, 0) + 1
    if not purchases:
        return "0.0000"
    rate = Decimal(sum(1 for n in purchases.values() if n >= 2)) / Decimal(len(purchases))
    return str(rate.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, list[tuple[str, str, str, str]]]]]:
    clock = FrozenClock(datetime(2026, 11, 12, 2, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="nb")
    for n, member in enumerate(MEMBERS, start=1):
        registry.add_member(store, "nb", {"code": member, "name": f"{member} 母婴", "credit_code": credit_code(n),
                             "joined_on": "2026-01-01"},
                            clock)
    events = generated()
    share_events(store, clock, tmp_path / "facts.duckdb", events=events)
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, events
    store.close()


def test_read_change_month_record_and_the_chart(served: tuple[str, dict[str, list[tuple[str, str, str, str]]]]) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, events = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            errors: list[str] = []
            page = signed_in(browser, base, "coord", "zh-CN")
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(f"{base}/alliances/nb/sharing")
            page.locator("#journeys-link").click()
            expect(page.locator("h1")).to_have_text("客户旅程指标")
            expect(page.locator("#journey-period")).to_have_attribute("data-period", "2026-10")
            october = sum(1 for rows in events.values() for _e, _w, _k, at in rows if at.startswith("2026-10"))
            expect(page.locator("#journey-events")).to_have_attribute("data-events", str(october))
            for member in MEMBERS:
                cell = page.locator(f"#metric-repurchase_rate [data-member={member}] [data-value]")
                expect(cell).to_have_text(repurchase_rate(events, member, "2026-10"))
            expect(page.locator("#formula-referral_coefficient")).to_contain_text("公式")
            expect(page.locator("#no-history")).to_be_visible()

            page.locator("#f-period").select_option("2026-09")
            page.locator("#show-month").click()
            expect(page.locator("#journey-period")).to_have_attribute("data-period", "2026-09")
            expect(page.locator("#metric-repurchase_rate [data-member=M2] [data-value]")).to_have_text(
                repurchase_rate(events, "M2", "2026-09"))
            page.locator("#record").click()
            expect(page.locator("#recorded-notice")).to_contain_text("已记录为期间指标")
            expect(page.locator("[data-recorded=no]")).to_have_count(0)
            expect(page.locator("[data-recorded=yes]")).to_have_count(len(MEMBERS) * 4)
            expect(page.locator("#record")).to_have_count(0)
            expect(page.locator("#history [data-chart-ready=true]")).to_be_visible()

            page.locator("#f-period").select_option("2026-10")
            page.locator("#show-month").click()
            page.locator("#record").click()
            expect(page.locator("#recorded-notice")).to_be_visible()
            page.locator("#metric-tabs [data-metric=user_assets]").click()
            expect(page.locator("#metric-tabs [data-metric=user_assets]")).to_have_attribute("aria-current", "page")
            expect(page.locator("#journey-chart-user_assets[data-chart-ready=true]")).to_be_visible()
            screenshot(page, "journey-metrics")
            assert contrast_failures(page) == []
            assert errors == []
        finally:
            browser.close()
