"""A quarterly meeting run by its secretary in Chromium, in Chinese: from the body's page to the
meeting, the agenda, the attendance (with a proxy), the minutes of an item and an action item; a
refused due date shown beside its field; the minutes to print."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.governance import service_meetings as service
from alliance.governance.meetings import Presence
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
    for n, (member, name) in enumerate((("M1", "宁波甬江精工有限公司"), ("M2", "宁波海曙模具有限公司"),
                                        ("M3", "慈溪新材料有限公司")), start=1):
        registry.add_member(store, "nb", {"code": member, "name": name, "credit_code": credit_code(n)}, clock)
    body = service.create_body(store, "nb", COORDINATOR, name="联合管理委员会", kind="joint_committee",
                               term_from=date(2026, 12, 1), term_to=None, cadence="quarterly", meeting_time=time(10, 0),
                               duration_minutes=120, seats=[("M1", "chair", None), ("M2", "secretary", "wang"),
                                                            ("M3", "member", None)], rules={}, clock=clock)
    meeting = service.schedule(store, "nb", COORDINATOR, body.id, date(2027, 1, 15), 4, clock)[0]
    add_user(store, clock, "wang", Role.MEMBER_ADMIN, "nb", "M2")
    with serve(create_app(store, clock, tmp_path / "facts.duckdb")) as url:
        yield url, store, body.id, meeting.id
    store.close()


def test_the_secretary_runs_a_quarterly_meeting_in_chinese(served: tuple[str, Store, int, int]) -> None:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, store, body_id, meeting_id = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            expect = sync_api.expect
            here = f"/governance/meetings/{meeting_id}"

            def submit(button: str, answer: str = "GET") -> None:
                """Click a form's button and wait until htmx has swapped the answer in (the redirect's
                page, or for a refused form the POST's own answer)."""
                ends = here if answer == "GET" else ("/agenda", "/actions", "/attendance")
                with page.expect_response(lambda r: r.request.method == answer
                                          and r.url.split("#")[0].split("?")[0].endswith(ends)):
                    page.get_by_role("button", name=button).click()
                page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")

            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
            page.goto(base + "/sign-in")
            page.get_by_label("用户名").fill("wang")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(lambda url: "/sign-in" not in url)  # the sign-in lands before the next navigation
            page.goto(f"{base}/alliances/nb/governance")
            expect(page.locator("#next-meetings li")).to_have_count(4)
            assert contrast_failures(page) == []
            screenshot(page, "governance-00-overview")
            page.get_by_role("link", name="联合管理委员会", exact=True).click()
            expect(page.locator("#ics-link")).to_be_visible()
            assert contrast_failures(page) == []
            page.locator("#meetings a[href$='/meetings/%d']" % meeting_id).click()
            page.wait_for_url(f"{base}/alliances/nb/governance/meetings/{meeting_id}")
            expect(page.get_by_role("heading", name="议程和纪要")).to_be_visible()

            page.get_by_label("议程事项", exact=True).fill("2027 年度预算")
            page.get_by_label("限时（分钟）").fill("30")
            page.locator("#f-agenda-owner").select_option("M1")
            submit("加入议程")
            expect(page.locator("#agenda h3").first).to_contain_text("2027 年度预算")

            page.locator("#f-presence-M1").select_option("present")
            page.locator("#f-presence-M2").select_option("present")
            page.locator("#f-presence-M3").select_option("proxy")
            page.locator("#f-proxy-M3").select_option("M2")
            submit("保存出席情况")
            expect(page.locator("#f-presence-M3")).to_have_value("proxy")

            page.get_by_label("本事项纪要").fill("预算通过，下季度复核。")
            submit("保存纪要")
            expect(page.get_by_label("本事项纪要")).to_have_value("预算通过，下季度复核。")

            # A due date before the meeting: refused, said beside the field in Chinese, nothing stored.
            page.locator("#f-action-title").fill("提交预算明细")
            page.locator("#f-action-owner").select_option("M2")
            page.locator("#f-action-due_on").fill("2027-01-10")
            submit("添加行动事项", "POST")
            expect(page.locator("#f-action-due_on-error")).to_contain_text("早于会议日期")
            assert service.meeting_record(store, "nb", COORDINATOR, meeting_id).actions == []
            page.locator("#f-action-due_on").fill("2027-01-31")
            submit("添加行动事项")
            expect(page.locator("#actions table")).to_contain_text("提交预算明细")
            assert contrast_failures(page) == []
            screenshot(page, "governance-01-meeting")

            record = service.meeting_record(store, "nb", COORDINATOR, meeting_id)
            assert [i.title for i in record.agenda] == ["2027 年度预算"]
            assert record.agenda[0].minutes == "预算通过，下季度复核。"
            assert record.attendance["M3"].presence is Presence.PROXY and record.attendance["M3"].proxy == "M2"
            assert [(a.title, a.owner, a.due_on) for a in record.actions] == [("提交预算明细", "M2", date(2027, 1, 31))]

            page.get_by_role("link", name="可打印的会议纪要和出席记录").click()
            expect(page.locator("#minutes-document")).to_contain_text("委托出席")
            assert contrast_failures(page) == []
            screenshot(page, "governance-02-print")
        finally:
            browser.close()
