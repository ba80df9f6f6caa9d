"""A member votes in Chromium, in Chinese: from the proposals list to the proposal, the vote buttons,
the running count (figures and chart) swapped in by htmx, then a changed vote; the stored ballots
are the ones clicked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.governance import service_meetings as meetings
from alliance.governance import service_proposals as proposals
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, contrast_failures, require_chromium, screenshot, serve
from tests.support.factories import credit_code, make_alliance
from tests.support.web import PASSWORD, add_user, in_chinese

pytestmark = pytest.mark.browser
COORDINATOR = Principal("coord", Role.COORDINATOR, "nb", kind="user")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store, int]]:
    clock = FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    store = Store.open(f"sqlite:///{tmp_path}/a.db")
    make_alliance(store, clock, code="nb")
    for n, (member, name) in enumerate((("M1", "宁波甬江精工有限公司"), ("M2", "宁波海曙模具有限公司"),
                                        ("M3", "慈溪新材料有限公司")), start=1):
        registry.add_member(store, "nb", {"code": member, "name": name, "credit_code": credit_code(n)}, clock)
    body = meetings.create_body(store, "nb", COORDINATOR, name="联合管理委员会", kind="joint_committee",
                                term_from=date(2026, 12, 1), term_to=None, cadence="quarterly",
                                meeting_time=time(10, 0), duration_minutes=120,
                                seats=[("M1", "chair", None), ("M2", "secretary", None), ("M3", "member", None)],
                                rules={}, clock=clock)
    number = proposals.draft(store, "nb", COORDINATOR, proposals.Draft(
        body_id=body.id, type="approve_budget", title="2027 年度预算", text="预算总额 120 万元。", no_discussion=True,
        voting_until=clock.now() + timedelta(days=7)), clock).number
    proposals.submit(store, "nb", number, COORDINATOR, clock)
    proposals.cast(store, "nb", number, Principal("m2", Role.MEMBER_ADMIN, "nb", "M2", kind="user"), "no", clock)
    add_user(store, clock, "m1", Role.MEMBER_ADMIN, "nb", "M1")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, store, number
    store.close()


def test_a_member_votes_and_sees_the_running_count(served: tuple[str, Store, int]) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, store, number = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
            page.goto(base + "/sign-in")
            page.get_by_label("用户名").fill("m1")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(lambda url: "/sign-in" not in url)  # the sign-in lands before the next navigation
            page.goto(f"{base}/alliances/nb/proposals")
            expect(page.locator("#proposal-table tbody tr")).to_have_count(1)
            assert contrast_failures(page) == []
            page.get_by_role("link", name="2027 年度预算").click()
            page.wait_for_url(f"{base}/alliances/nb/proposals/{number}")
            expect(page.locator("#running-no")).to_have_text("1")
            expect(page.locator("#running-yes")).to_have_text("0")

            def vote(choice: str) -> None:
                """Click a vote button and wait until htmx has swapped the proposal's page back in."""
                with page.expect_response(lambda r: r.request.method == "GET"
                                          and r.url.split("#")[0].endswith(f"/proposals/{number}")):
                    page.locator(f'#vote-form button[value="{choice}"]').click()
                page.wait_for_function(
                    "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")

            vote("yes")
            expect(page.locator("#running-yes")).to_have_text("1")
            expect(page.locator("#own-choice")).to_contain_text(in_chinese("yes"))
            expect(page.locator("#turnout")).to_contain_text("2")
            expect(page.locator("#tally-chart canvas")).to_have_count(1)
            assert contrast_failures(page) == []
            screenshot(page, "proposals-00-running-count")
            vote("abstain")  # changed while the vote is open
            expect(page.locator("#running-yes")).to_have_text("0")
            expect(page.locator("#running-abstain")).to_have_text("1")
            with store.unit_of_work() as uow:
                from alliance.store.proposal_repository import ProposalRepository

                alliance = uow.alliances.require("nb")
                found = ProposalRepository(uow.connection).by_number(alliance.id, number)
                assert found is not None
                ballots = ProposalRepository(uow.connection).ballots(alliance.id, found.id)
            assert [(b.voter, b.choice.value) for b in ballots] == [("M2", "no"), ("M1", "yes"), ("M1", "abstain")]
        finally:
            browser.close()
