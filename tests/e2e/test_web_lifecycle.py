"""The alliance's settings page: details, a status change with confirmation, the history; only the
coordinator (and the platform admin) may change anything; a dissolved alliance refuses writes as a
page, in Chinese and English. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, sign_in

A = "/alliances/cloud-hw"


@pytest.fixture
def c(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[TestClient]:
    for code in ("cloud-hw", "other"):
        make_alliance(store, clock, code=code)
        registry.add_member(store, code, {"code": "HW", "name": "HW 科技有限公司", "credit_code": credit_code(2)}, clock)
    add_user(store, clock, "admin", Role.PLATFORM_ADMIN)
    add_user(store, clock, "coord", Role.COORDINATOR, "cloud-hw")
    add_user(store, clock, "hw", Role.MEMBER_ADMIN, "cloud-hw", "HW")
    add_user(store, clock, "stranger", Role.COORDINATOR, "other")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        client.headers["Accept-Language"] = "en"
        yield client


def test_the_coordinator_edits_details_and_sees_them_in_the_history(c: TestClient, store: Store) -> None:
    token = sign_in(c, "coord")
    assert 'id="settings-link"' in c.get(A).text
    page = c.get(f"{A}/settings").text
    assert 'id="details-form"' in page and 'id="status-form"' in page and "No change since" in page
    saved = c.post(f"{A}/settings", data={"name": "云硬件联盟", "charter": "第一条", "planned_end": "2027-06-30",
                                           "csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("/settings?saved=details")
    page = c.get(f"{A}/settings?saved=details").text
    assert 'id="settings-notice"' in page and 'data-field="name"' in page and "宁波精密零部件企业联盟" in page
    assert registry.get_alliance(store, "cloud-hw").name == "云硬件联盟"


def test_a_bad_planned_end_is_shown_on_the_form_and_changes_nothing(c: TestClient, store: Store) -> None:
    token = sign_in(c, "coord")
    r = c.post(f"{A}/settings", data={"name": "新", "charter": "", "planned_end": "2026-11-21", "csrf_token": token})
    assert r.status_code == 422 and "in the past" in r.text and 'value="新"' in r.text
    r = c.post(f"{A}/settings", data={"name": "新", "charter": "", "planned_end": "soon", "csrf_token": token})
    assert r.status_code == 422 and "is not a date" in r.text
    assert registry.get_alliance(store, "cloud-hw").name == "宁波精密零部件企业联盟"
    assert registry.alliance_history(store, "cloud-hw") == []


def test_a_status_change_is_confirmed_before_it_is_made(c: TestClient, store: Store) -> None:
    token = sign_in(c, "coord")
    undecided = c.post(f"{A}/status", data={"status": "suspended", "reason": "争议", "csrf_token": token})
    assert undecided.status_code == 422 and "only by the alliance" in undecided.text
    asked = c.post(f"{A}/status", data={"status": "suspended", "reason": "争议", "decided_by": "proposal 4",
                                        "csrf_token": token})
    assert asked.status_code == 200 and 'id="status-confirm"' in asked.text and "no new members, agreements" in asked.text
    assert registry.get_alliance(store, "cloud-hw").status.value == "active"  # not yet
    done = c.post(f"{A}/status", data={"status": "suspended", "reason": "争议", "confirm": "yes",
                                       "decided_by": "proposal 4", "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert registry.get_alliance(store, "cloud-hw").status.value == "suspended"
    assert 'id="lifecycle-notice"' in c.get(A).text
    refused = c.post(f"{A}/status", data={"status": "dissolved", "confirm": "yes", "csrf_token": token})
    assert refused.status_code == 409 and "cannot go from suspended to dissolved" in refused.text
    unknown = c.post(f"{A}/status", data={"status": "paused", "confirm": "yes", "csrf_token": token})
    assert unknown.status_code == 422 and "unknown status" in unknown.text
    assert registry.get_alliance(store, "cloud-hw").status.value == "suspended"


def test_a_dissolved_alliance_reads_but_refuses_writes_as_a_page(c: TestClient, store: Store,
                                                               clock: FrozenClock) -> None:
    sign_in(c, "coord")
    assert "/members/import" in c.get(f"{A}/members").text
    registry.change_status(store, "cloud-hw", "dissolving", "coord", clock, decided_by="proposal 5")
    registry.change_status(store, "cloud-hw", "dissolved", "coord", clock, decided_by="proposal 6")
    token = sign_in(c, "coord")
    assert "/members/import" not in c.get(f"{A}/members").text  # not offered: it would be refused
    assert "/members/import" not in c.get(A).text
    page = c.get(f"{A}/settings").text
    assert "This status is final." in page and 'id="details-form"' not in page
    r = c.post(f"{A}/settings", data={"name": "复活", "charter": "", "planned_end": "", "csrf_token": token})
    assert r.status_code == 409 and "is dissolved" in r.text
    zh = c.post(f"{A}/settings", data={"name": "复活", "charter": "", "planned_end": "", "csrf_token": token},
                headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 409 and "已解散：不再接受基本信息变更" in zh.text
    assert c.get(f"{A}/members").status_code == 200
    assert registry.get_alliance(store, "cloud-hw").name == "宁波精密零部件企业联盟"


def test_members_see_the_history_but_no_form_and_cannot_post(c: TestClient, store: Store) -> None:
    token = sign_in(c, "hw")
    page = c.get(f"{A}/settings")
    assert page.status_code == 200 and 'id="details-form"' not in page.text and 'id="status-form"' not in page.text
    assert c.post(f"{A}/settings", data={"name": "夺权", "csrf_token": token}).status_code == 403
    assert c.post(f"{A}/status", data={"status": "suspended", "confirm": "yes", "csrf_token": token}).status_code == 403
    token = sign_in(c, "stranger")
    assert c.get(f"{A}/settings").status_code == 404
    assert c.post(f"{A}/status", data={"status": "suspended", "confirm": "yes", "csrf_token": token}).status_code == 404
    assert registry.get_alliance(store, "cloud-hw").status.value == "active"
    assert registry.alliance_history(store, "cloud-hw") == []


def test_the_page_speaks_chinese(c: TestClient) -> None:
    sign_in(c, "coord")
    page = c.get(f"{A}/settings", headers={"Accept-Language": "zh-CN"}).text
    assert "详情与状态" in page and "历史" in page


def test_a_project_alliance_past_its_planned_end_says_so_until_it_winds_down(c: TestClient, store: Store,
                                                                            clock: FrozenClock) -> None:
    from datetime import date, timedelta

    registry.edit_alliance(store, "cloud-hw", registry.AllianceEdit(planned_end=date(2026, 11, 30)), "coord", clock)
    sign_in(c, "coord")
    assert 'id="planned-end-passed"' not in c.get(A).text
    clock.advance(timedelta(days=9))  # 2026-12-01 in Asia/Shanghai
    sign_in(c, "coord")  # the session of nine days ago has ended
    assert 'id="planned-end-passed"' in c.get(A).text
    registry.change_status(store, "cloud-hw", "dissolving", "coord", clock, decided_by="proposal 5")
    page = c.get(A).text
    assert 'id="planned-end-passed"' not in page and 'id="lifecycle-notice"' in page
