"""The governance pages over HTTP: the overview, a body, a meeting run by its secretary from forms
(agenda, attendance, minutes, action items), errors beside their fields with nothing stored, the
calendar download, the printable minutes, and who sees what (a member without a seat, another
alliance's people)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.governance import service_meetings as service
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, sign_in

G = "/alliances/nb/governance"
COORDINATOR = Principal("coord", Role.COORDINATOR, "nb")


@pytest.fixture
def world(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[tuple[TestClient, int, int]]:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3", "M4"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    body = service.create_body(store, "nb", COORDINATOR, name="联合管理委员会", kind="joint_committee",
                               term_from=date(2026, 12, 1), term_to=None, cadence="quarterly", meeting_time=time(10, 0),
                               duration_minutes=120, seats=[("M1", "chair", None), ("M2", "secretary", "wang"),
                                                            ("M3", "member", None)], rules={}, clock=clock)
    meeting = service.schedule(store, "nb", COORDINATOR, body.id, date(2027, 1, 15), 2, clock)[0]
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    add_user(store, clock, "wang", Role.MEMBER_ADMIN, "nb", "M2")        # the secretary, named in the seat
    add_user(store, clock, "m3", Role.MEMBER_ADMIN, "nb", "M3")          # a seated member
    add_user(store, clock, "m4", Role.MEMBER_ADMIN, "nb", "M4")          # no seat
    add_user(store, clock, "aud", Role.AUDITOR, "nb")
    add_user(store, clock, "far", Role.COORDINATOR, "other")
    add_user(store, clock, "farm", Role.MEMBER_ADMIN, "other", "M1")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client, body.id, meeting.id


def _form(token: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": token, **fields}


def _stored(store: Store) -> Any:
    return service.meeting_record(store, "nb", COORDINATOR, 1)


def test_the_secretary_runs_the_meeting_from_forms(world: Any, store: Store) -> None:
    client, body_id, meeting = world
    token = sign_in(client, "wang")
    page = client.get(f"{G}/meetings/{meeting}?lang=zh_CN")
    assert page.status_code == 200 and 'id="agenda-form"' in page.text and 'hx-post=' in page.text
    answer = client.post(f"{G}/meetings/{meeting}/agenda", data=_form(token, **{
        "agenda-title": "2027 预算", "agenda-time_box": "30", "agenda-owner": "M1", "agenda-proposal": "17"}),
        follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].endswith(f"/meetings/{meeting}#agenda")
    item = _stored(store).agenda[0]
    assert (item.title, item.time_box, item.owner, item.proposal) == ("2027 预算", 30, "M1", "17")
    answer = client.post(f"{G}/meetings/{meeting}/attendance", data=_form(token, **{
        "presence-M1": "present", "presence-M2": "present", "presence-M3": "proxy", "proxy-M3": "M2"}),
        follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert {m: (a.presence.value, a.proxy) for m, a in _stored(store).attendance.items()} == {
        "M1": ("present", None), "M2": ("present", None), "M3": ("proxy", "M2")}
    assert client.post(f"{G}/meetings/{meeting}/minutes/{item.id}", data=_form(token, minutes="预算通过。\n下季度复核。"),
                       follow_redirects=False).status_code == 303
    assert _stored(store).agenda[0].minutes == "预算通过。\n下季度复核。"
    answer = client.post(f"{G}/meetings/{meeting}/actions", data=_form(token, **{
        "action-title": "提交预算明细", "action-owner": "M2", "action-due_on": "2027-01-31",
        "action-agenda_item": str(item.id)}), follow_redirects=False)
    assert answer.status_code == 303, answer.text
    action = _stored(store).actions[0]
    assert (action.title, action.owner, action.due_on, action.agenda_item_id) == ("提交预算明细", "M2",
                                                                                   date(2027, 1, 31), item.id)
    page = client.get(f"{G}/meetings/{meeting}?lang=zh_CN").text
    assert "提交预算明细" in page and "预算通过。" in page
    printed = client.get(f"{G}/meetings/{meeting}/print")
    assert printed.status_code == 200 and "governance-print.css" in printed.text and "预算通过。" in printed.text
    overview = client.get(G).text
    assert "提交预算明细" in overview and f"{G}/meetings/{meeting}" in overview
    assert client.post(f"{G}/actions/{action.id}", data=_form(token, status="done"),
                       follow_redirects=False).status_code == 303
    assert _stored(store).actions[0].status.value == "done"


def test_bad_input_shows_beside_the_field_and_stores_nothing(world: Any, store: Store) -> None:
    client, body_id, meeting = world
    token = sign_in(client, "coord")
    client.post(f"{G}/meetings/{meeting}/attendance", data=_form(token, **{"presence-M1": "present",
                                                                            "presence-M2": "absent"}))
    before = _stored(store)
    cases = [
        (f"{G}/meetings/{meeting}/agenda", {"agenda-title": "x", "agenda-time_box": "0"}, "f-agenda-time_box-error"),
        (f"{G}/meetings/{meeting}/agenda", {"agenda-title": "x", "agenda-time_box": "abc"}, "f-agenda-time_box-error"),
        (f"{G}/meetings/{meeting}/agenda", {"agenda-title": "", "agenda-time_box": "10"}, "f-agenda-title-error"),
        (f"{G}/meetings/{meeting}/actions", {"action-title": "x", "action-owner": "M1", "action-due_on": "2027-01-01"},
         "f-action-due_on-error"),
        (f"{G}/meetings/{meeting}/actions", {"action-title": "x", "action-owner": "", "action-due_on": "2027-02-01"},
         "f-action-owner-error"),
        (f"{G}/meetings/{meeting}/attendance", {"presence-M3": "proxy", "proxy-M3": "M2"}, "f-attendance-M3-error"),
        (f"{G}/meetings/{meeting}/attendance", {"presence-M3": "proxy", "proxy-M3": "M3"}, "f-attendance-M3-error"),
        (f"{G}/bodies/{body_id}/schedule", {"schedule-starts_on": "2026-01-01", "schedule-count": "1"},
         "f-schedule-starts_on-error"),
        (G + "/bodies", {"body-name": "工作组", "body-kind": "working_group", "body-term_from": "2027-01-01",
                         "body-term_to": "2026-01-01", "body-cadence": "weekly", "body-meeting_time": "09:00",
                         "body-duration_minutes": "60", "body-seats": "M1 chair"}, "f-body-term_to-error"),
        (G + "/bodies", {"body-name": "工作组", "body-kind": "working_group", "body-term_from": "2027-01-01",
                         "body-cadence": "weekly", "body-meeting_time": "09:00", "body-duration_minutes": "60",
                         "body-seats": "M9 chair\nM1 boss"}, "f-body-seats-error"),
    ]
    for path, fields, error_id in cases:
        answer = client.post(path + "?lang=zh_CN", data=_form(token, **fields), headers={"HX-Request": "true"})
        assert answer.status_code == 422, (path, fields, answer.text[:300])
        assert f'id="{error_id}"' in answer.text, (path, fields)
        assert 'id="meeting-main"' in answer.text or path.endswith(("/bodies", "/schedule"))
        assert _stored(store) == before, (path, fields)
    assert len(service.list_bodies(store, "nb", COORDINATOR)) == 1
    # The problem is said in Chinese.
    answer = client.post(f"{G}/meetings/{meeting}/actions?lang=zh_CN", data=_form(token, **{
        "action-title": "x", "action-owner": "M1", "action-due_on": "2027-01-01"}))
    error = re.search(r'id="f-action-due_on-error">([^<]+)<', answer.text)
    assert error and any("\u4e00" <= ch <= "\u9fff" for ch in error.group(1)), answer.text[-2000:]


def test_who_sees_which_pages(world: Any) -> None:
    client, body_id, meeting = world
    sign_in(client, "m3")  # seated, not running
    page = client.get(f"{G}/meetings/{meeting}")
    assert page.status_code == 200 and 'id="agenda-form"' not in page.text
    ics = client.get(f"{G}/bodies/{body_id}/calendar.ics")
    assert ics.status_code == 200 and ics.content.startswith(b"BEGIN:VCALENDAR\r\n")
    token = sign_in(client, "m3")
    assert client.post(f"{G}/meetings/{meeting}/agenda", data=_form(token, **{
        "agenda-title": "x", "agenda-time_box": "5"})).status_code == 403
    menu = client.get(G).text.split('class="alliance-nav"', 1)[1].split("</nav>", 1)[0]
    assert f'href="{G}" aria-current="page"' in menu  # the section is in the alliance's menu
    sign_in(client, "m4")  # no seat: the body exists, its meetings are not there
    body = client.get(f"{G}/bodies/{body_id}")
    assert body.status_code == 200 and "联合管理委员会" in body.text and "calendar.ics" not in body.text
    assert client.get(f"{G}/meetings/{meeting}").status_code == 404
    assert client.get(f"{G}/meetings/{meeting}/print").status_code == 404
    assert client.get(f"{G}/bodies/{body_id}/calendar.ics").status_code == 404
    assert f"/meetings/{meeting}" not in client.get(G).text
    sign_in(client, "aud")
    assert client.get(f"{G}/meetings/{meeting}").status_code == 200
    for outsider in ("far", "farm"):
        sign_in(client, outsider)
        for path in (G, f"{G}/bodies/{body_id}", f"{G}/meetings/{meeting}", f"{G}/bodies/{body_id}/calendar.ics"):
            assert client.get(path).status_code == 404, (outsider, path)
        assert client.get(f"/alliances/other/governance/meetings/{meeting}").status_code in (403, 404)


def test_the_governance_page_lists_the_most_urgent_action_items_and_counts_them_all(world: Any, store: Store,
                                                                                   clock: FrozenClock) -> None:
    client, body_id, meeting = world
    for n in range(52):
        service.add_action(store, "nb", COORDINATOR, meeting, title=f"事项 {n:02d}", owner="M1",
                           due_on=date(2027, 2, 1) + timedelta(days=n), clock=clock)
    sign_in(client, "coord")
    page = client.get(G + "?lang=en").text
    listed = re.findall(r">事项 (\d\d)</a>", page)
    assert listed == [f"{n:02d}" for n in range(50)]  # the earliest due first
    assert "The 50 due first of 52 open action items." in page
    assert re.search(r"<td>M1 公司 <code>M1</code></td><td>52</td>", page)  # the counts cover all


def test_an_extraordinary_meeting_by_hand(world: Any, store: Store) -> None:
    client, body_id, meeting = world
    token = sign_in(client, "wang")
    refused = client.post(f"{G}/bodies/{body_id}/meetings", data=_form(token, **{
        "meeting-day": "2026-11-21", "meeting-at": "14:00", "meeting-title": "临时会议"}))
    assert refused.status_code == 422 and 'id="f-meeting-day-error"' in refused.text
    refused = client.post(f"{G}/bodies/{body_id}/meetings", data=_form(token, **{"meeting-day": "2027-02-01",
                                                                                   "meeting-at": "2pm"}))
    assert refused.status_code == 422 and 'id="f-meeting-at-error"' in refused.text
    upcoming, _ = service.body_meetings(store, "nb", COORDINATOR, body_id, FrozenClock(datetime(2026, 11, 22, tzinfo=UTC)))
    assert len(upcoming) == 2  # nothing stored by the refusals
    made = client.post(f"{G}/bodies/{body_id}/meetings", data=_form(token, **{
        "meeting-day": "2027-02-01", "meeting-at": "14:00", "meeting-title": "临时会议", "meeting-location": "宁波"}),
        follow_redirects=False)
    assert made.status_code == 303, made.text
    page = client.get(made.headers["location"])
    assert page.status_code == 200 and "临时会议" in page.text and "2027-02-01 14:00" in page.text
