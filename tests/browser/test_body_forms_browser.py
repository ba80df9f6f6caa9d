"""In Chromium: the coordinator sets a body's seats and a weighted decision rule from forms (picking
the rule shows its settings through htmx; a refused threshold is said beside its field and nothing
is stored), and a member signs off the held meeting's minutes from the meeting page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.governance import service_meetings as service
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve
from tests.support.factories import credit_code, make_alliance
from tests.support.web import PASSWORD, add_user

pytestmark = pytest.mark.browser
COORDINATOR = Principal("coord", Role.COORDINATOR, "nb")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store, int, int]]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="nb")
    for n, member in enumerate(("M1", "M2", "M3"), start=1):
        registry.add_member(store, "nb", {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)}, clock)
    body = service.create_body(store, "nb", COORDINATOR, name="联合管理委员会", kind="joint_committee",
                               term_from=date(2026, 12, 1), term_to=None, cadence="quarterly", meeting_time=time(10, 0),
                               duration_minutes=120, seats=[("M1", "chair", None), ("M2", "secretary", None),
                                                            ("M3", "member", None)], rules={}, clock=clock)
    meeting = service.schedule(store, "nb", COORDINATOR, body.id, date(2027, 1, 15), 1, clock)[0]
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    add_user(store, clock, "m1", Role.MEMBER_ADMIN, "nb", "M1")
    clock.advance(timedelta(days=60))  # the meeting has been held
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, store, body.id, meeting.id
    store.close()


def test_body_forms_and_a_sign_off_in_the_browser(served: tuple[str, Store, int, int]) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, store, body_id, meeting_id = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect

            def settle(page) -> None:  # type: ignore[no-untyped-def]
                page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")

            def sign_in(name: str):  # type: ignore[no-untyped-def]
                page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en").new_page()
                page.goto(base + "/sign-in?lang=en")
                page.locator("#f-username").fill(name)
                page.locator("#f-password").fill(PASSWORD)
                page.locator("form[action='/sign-in'] button[type=submit]").click()
                page.wait_for_url(base + "/**")
                return page

            page = sign_in("coord")
            page.goto(f"{base}/alliances/nb/governance/bodies/{body_id}?lang=en")
            # Picking a rule shows its settings (htmx asks for the form again), no script typed by anyone.
            expect(page.locator("#f-param-approve_budget-threshold")).to_have_count(0)
            with page.expect_response(lambda r: f"/bodies/{body_id}?" in r.url and r.request.method == "GET"):
                page.locator("#f-rule-approve_budget").select_option("weighted")
            settle(page)
            expect(page.locator("#f-rule-approve_budget-summary")).to_contain_text("Each member votes with its weight")
            page.locator("#f-param-approve_budget-threshold").fill("150%")
            with page.expect_response(lambda r: r.url.endswith("/rules") and r.request.method == "POST"):
                page.locator("#rules-form button[type=submit]").click()
            settle(page)
            expect(page.locator("#f-param-approve_budget-threshold-error")).to_contain_text("between 0 and 100%")
            assert service.get_body(store, "nb", COORDINATOR, body_id).rules == {}
            page.locator("#f-param-approve_budget-threshold").fill("60%")
            page.locator("input[name='param-approve_budget-vetoes'][value='M1']").check()
            page.locator("#rules-form button[type=submit]").click()
            settle(page)
            expect(page.locator("#rules")).to_contain_text("weighted")
            assert service.get_body(store, "nb", COORDINATOR, body_id).rules["approve_budget"].to_mapping() == {
                "rule": "weighted", "params": {"threshold": "60%", "vetoes": "M1"}}
            assert contrast_failures(page) == []
            screenshot(page, "body-forms-00-rules")

            page.locator("#f-seat-role-M3").select_option("observer")
            page.locator("#f-seat-person-M1").select_option("m1")
            page.locator("#seats-form button[type=submit]").click()
            settle(page)
            expect(page.locator("#f-seat-role-M3")).to_have_value("observer")
            seats = service.get_body(store, "nb", COORDINATOR, body_id).seats
            assert [(s.member, s.role.value, s.person) for s in seats] == [
                ("M1", "chair", "m1"), ("M2", "secretary", None), ("M3", "observer", None)]

            page = sign_in("m1")
            page.goto(f"{base}/alliances/nb/governance/meetings/{meeting_id}?lang=en")
            expect(page.locator("#no-signoffs")).to_be_visible()
            page.locator("#signoff-form button").click()
            settle(page)
            expect(page.locator("#signoff-table")).to_contain_text("these minutes")
            expect(page.locator("#signoff-form")).to_have_count(0)
            assert contrast_failures(page) == []
            screenshot(page, "body-forms-01-signoff")
            assert [s.signoff.member for s in service.meeting_record(store, "nb", COORDINATOR, meeting_id).signoffs] == [
                "M1"]
        finally:
            browser.close()
