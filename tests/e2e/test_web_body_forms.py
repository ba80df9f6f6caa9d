"""In the browser's pages (over HTTP): the coordinator edits a body's seats and decision rules from
forms (no YAML or JSON typed), each refused field shown beside it and nothing stored; members sign
off a held meeting's minutes, the meeting and print pages list the sign-offs and mark those of an
earlier version; the escalation ladder as a form whose levels name a body; the dispute's page and
API name the body that hears its level."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.governance import disputes
from alliance.governance import service_meetings as service
from alliance.store.database import Store
from tests.e2e import test_api_disputes as disputes_api
from tests.e2e import test_web_governance as governance_web
from tests.e2e.test_api_disputes import CLAIM, URL, key
from tests.e2e.test_web_governance import COORDINATOR, G, _form
from tests.support.web import add_user, csrf_of, sign_in


world = governance_web.world  # the fixtures: an alliance with a body and its meeting; one with a settled day
app = disputes_api.app
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _body(store: Store, body_id: int) -> Any:
    return service.get_body(store, "nb", COORDINATOR, body_id)


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_the_coordinator_edits_the_seats_from_a_form(world: Any, store: Store) -> None:
    client, body_id, _ = world
    sign_in(client, "m3")
    page = client.get(f"{G}/bodies/{body_id}").text
    assert 'id="seats-form"' not in page and 'id="rules-form"' not in page  # a seated member reads, changes nothing
    token = sign_in(client, "m3")
    assert client.post(f"{G}/bodies/{body_id}/seats", data=_form(token, **{"seat-role-M3": "chair"})).status_code == 403
    token = sign_in(client, "coord")
    page = client.get(f"{G}/bodies/{body_id}?lang=zh_CN").text
    assert 'id="seats-form"' in page and 'name="seat-person-M2"' in page
    assert re.search(r'<option value="wang" selected>wang</option>', page)  # the named person, picked from M2's admins
    assert '<option value="M4">' in page  # a member without a seat may be added
    before = _body(store, body_id)
    refused = [
        ({"seat-role-M1": "chair", "seat-role-M2": "secretary", "seat-person-M2": "wang", "seat-role-M3": "chair"},
         "f-seats-error"),                                        # two chairs
        ({"seat-role-M1": "chair", "seat-role-M2": "secretary", "seat-person-M2": "m3", "seat-role-M3": "member"},
         "f-seat-person-M2-error"),                               # m3 is not an account of M2
        ({"seat-role-M1": "chair", "seat-role-M2": "secretary", "seat-role-M3": "boss"}, "f-seat-role-M3-error"),
        ({"seat-role-M1": "chair", "seat-role-M2": "secretary", "seat-role-M3": "member", "seat-member-new": "M9",
          "seat-role-new": "member"}, "f-seat-member-new-error"),  # not a member of the alliance
    ]
    for fields, error_id in refused:
        answer = client.post(f"{G}/bodies/{body_id}/seats?lang=zh_CN", data=_form(token, **fields),
                             headers={"HX-Request": "true"})
        assert answer.status_code == 422 and f'id="{error_id}"' in answer.text, (fields, answer.text[-1500:])
        assert _body(store, body_id) == before, fields
    # The problem is said in the reader's language (a message the catalogue has).
    error = re.search(r'id="f-seats-error">([^<]+)<', client.post(f"{G}/bodies/{body_id}/seats?lang=zh_CN", data=_form(
        token, **refused[0][0])).text)
    assert error and _chinese(error.group(1)), error
    saved = client.post(f"{G}/bodies/{body_id}/seats", data=_form(token, **{
        "seat-role-M1": "chair", "seat-role-M2": "secretary", "seat-person-M2": "", "seat-remove-M3": "1",
        "seat-member-new": "M4", "seat-role-new": "observer", "seat-person-new": "m4"}), follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith(f"/bodies/{body_id}#seats")
    assert [(s.member, s.role.value, s.person) for s in _body(store, body_id).seats] == [
        ("M1", "chair", None), ("M2", "secretary", None), ("M4", "observer", "m4")]
    sign_in(client, "far")
    assert client.post(f"{G}/bodies/{body_id}/seats", data=_form(token)).status_code in (403, 404)


def test_the_coordinator_sets_decision_rules_from_a_form(world: Any, store: Store) -> None:
    client, body_id, _ = world
    token = sign_in(client, "coord")
    page = client.get(f"{G}/bodies/{body_id}?lang=en").text
    assert 'name="rule-approve_budget"' in page and "Two-thirds majority" in page
    # Picking a rule shows its settings (htmx asks for the page again with the choice so far).
    picked = client.get(f"{G}/bodies/{body_id}?rule-sanction=weighted&lang=zh_CN", headers={"HX-Request": "true"}).text
    assert 'name="param-sanction-threshold"' in picked and 'name="param-sanction-vetoes" value="M1"' in picked
    assert 'id="f-rule-sanction-summary"' in picked
    before = _body(store, body_id)
    good = {"rule-approve_budget": "two_thirds", "param-approve_budget-quorum": "50%",
            "param-approve_budget-base": "all_members", "param-approve_budget-at_least": "true",
            "rule-sanction": "weighted", "param-sanction-threshold": "2/3"}
    refused = [
        ({**good, "param-approve_budget-quorum": "150%"}, "f-param-approve_budget-quorum-error"),
        ({**good, "param-sanction-threshold": "two thirds"}, "f-param-sanction-threshold-error"),
        ({**good, "param-sanction-threshold": "100%"}, "f-param-sanction-threshold-error"),
        ({**good, "param-approve_budget-base": "everyone"}, "f-param-approve_budget-base-error"),
        ({**good, "rule-other": "dictator"}, "f-rule-other-error"),
    ]
    for fields, error_id in refused:
        answer = client.post(f"{G}/bodies/{body_id}/rules?lang=zh_CN", data=_form(token, **fields),
                             headers={"HX-Request": "true"})
        assert answer.status_code == 422 and f'id="{error_id}"' in answer.text, (fields, answer.text[-2000:])
        assert 'value="150%"' in answer.text or "150%" not in str(fields)  # the typed value is shown again
        assert _body(store, body_id) == before, fields
    error = re.search(r'id="f-param-approve_budget-quorum-error">([^<]+)<', client.post(
        f"{G}/bodies/{body_id}/rules?lang=zh_CN", data=_form(token, **refused[0][0])).text)
    assert error and _chinese(error.group(1)), error  # said in the reader's language
    # Vetoes are member checkboxes; a member without a seat is refused beside them.
    answer = client.post(f"{G}/bodies/{body_id}/rules", content=urlencode([*_form(token, **good).items(),
                                                                           ("param-sanction-vetoes", "M4")]),
                         headers=FORM)
    assert answer.status_code == 422 and 'id="f-param-sanction-vetoes-error"' in answer.text
    saved = client.post(f"{G}/bodies/{body_id}/rules", content=urlencode([
        *_form(token, **good).items(), ("param-sanction-vetoes", "M1"), ("param-sanction-vetoes", "M3")]),
        headers=FORM, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    rules = {k: c.to_mapping() for k, c in _body(store, body_id).rules.items()}
    assert rules == {"approve_budget": {"rule": "two_thirds", "params": {"quorum": "50%", "base": "all_members",
                                                                        "at_least": "true"}},
                     "sanction": {"rule": "weighted", "params": {"threshold": "2/3", "vetoes": "M1,M3"}}}
    page = client.get(f"{G}/bodies/{body_id}").text  # the stored settings are shown in the form again
    assert 'name="param-approve_budget-quorum" type="text" value="50%"' in page
    assert re.search(r'name="param-sanction-vetoes" value="M3" checked', page)
    assert re.search(r'name="param-approve_budget-at_least" value="1" checked', page)


def test_members_sign_off_the_minutes_in_the_browser(world: Any, store: Store, clock: FrozenClock) -> None:
    client, body_id, meeting = world
    item = service.add_agenda_item(store, "nb", COORDINATOR, meeting, title="预算", time_box=30)
    service.write_minutes(store, "nb", COORDINATOR, meeting, item.id, "预算通过。")
    token = sign_in(client, "m3")
    page = client.get(f"{G}/meetings/{meeting}").text
    assert 'id="signoff-form"' not in page and 'id="no-signoffs"' in page  # not held yet
    refused = client.post(f"{G}/meetings/{meeting}/signoff", data=_form(token), headers={"HX-Request": "true"})
    assert refused.status_code == 409 and 'id="f-signoff-error"' in refused.text
    clock.advance(timedelta(days=60))
    token = sign_in(client, "m3")  # the session of 60 days ago has expired
    page = client.get(f"{G}/meetings/{meeting}").text
    assert 'id="signoff-form"' in page
    signed = client.post(f"{G}/meetings/{meeting}/signoff", data=_form(token), follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"].endswith("#signoff")
    again = client.post(f"{G}/meetings/{meeting}/signoff?lang=zh_CN", data=_form(token))
    assert again.status_code == 409 and 'id="f-signoff-error"' in again.text
    assert 'id="signoff-form"' not in client.get(f"{G}/meetings/{meeting}").text  # signed: no form
    token = sign_in(client, "wang")  # M2's seat names wang
    assert client.post(f"{G}/meetings/{meeting}/signoff", data=_form(token), follow_redirects=False).status_code == 303
    record = service.meeting_record(store, "nb", COORDINATOR, meeting)
    assert [(s.signoff.member, s.current) for s in record.signoffs] == [("M3", True), ("M2", True)]
    document = client.get(f"{G}/meetings/{meeting}/minutes.json")
    assert hashlib.sha256(document.content).hexdigest() == record.sha256 == document.headers["x-minutes-sha256"]
    # The secretary corrects the minutes after the sign-offs: allowed, with a notice, and they are marked.
    page = client.get(f"{G}/meetings/{meeting}").text
    assert 'id="signed-notice"' in page and record.sha256 in page
    assert client.post(f"{G}/meetings/{meeting}/minutes/{item.id}", data=_form(token, minutes="预算通过，附意见。"),
                       follow_redirects=False).status_code == 303
    for path in (f"{G}/meetings/{meeting}?lang=en", f"{G}/meetings/{meeting}/print?lang=en"):
        shown = client.get(path).text
        assert shown.count("signed an earlier version") == 2 and 'id="signoff-changed"' in shown, path
        assert 'data-signoff="M3" class="signoff--earlier"' in shown
    # Who may not: a member without a seat (404), an auditor (403), another alliance (404).
    token = sign_in(client, "m4")
    assert client.post(f"{G}/meetings/{meeting}/signoff", data=_form(token)).status_code == 404
    assert client.get(f"{G}/meetings/{meeting}/minutes.json").status_code == 404
    token = sign_in(client, "aud")
    assert client.post(f"{G}/meetings/{meeting}/signoff", data=_form(token)).status_code == 403
    for outsider in ("far", "farm"):
        token = sign_in(client, outsider)
        assert client.post(f"{G}/meetings/{meeting}/signoff", data=_form(token)).status_code == 404
        assert client.get(f"{G}/meetings/{meeting}/minutes.json").status_code == 404
    assert len(service.meeting_record(store, "nb", COORDINATOR, meeting).signoffs) == 2


def test_the_ladder_form_names_the_body_that_hears_each_level(app: TestClient, store: Store,
                                                               clock: FrozenClock) -> None:
    coordinator = COORDINATOR.__class__("coord", Role.COORDINATOR, "refer")
    committee = service.create_body(store, "refer", coordinator, name="联合管理委员会", kind="joint_committee",
                                    term_from=clock.now().date(), term_to=None, cadence="quarterly",
                                    meeting_time=__import__("datetime").time(10, 0), duration_minutes=120,
                                    seats=[("A", "chair", None), ("B", "member", None)], rules={}, clock=clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "refer")
    add_user(store, clock, "a-admin", Role.MEMBER_ADMIN, "refer", "A")
    sign_in(app, "a-admin")
    page = app.get("/alliances/refer/disputes").text
    assert 'id="ladder-form"' not in page
    assert app.post("/alliances/refer/disputes/ladder", data={"csrf_token": csrf_of(page)}).status_code == 403
    sign_in(app, "coord")
    page = app.get("/alliances/refer/disputes").text
    assert 'id="ladder-form"' in page and f'<option value="{committee.id}">联合管理委员会</option>' in page
    token = csrf_of(page)
    before = disputes.ladder_of(store, "refer")
    fields = {"csrf_token": token, "level-0-key": "working_group", "level-0-name": "联合委员会", "level-0-days": "7",
              "level-0-body": str(committee.id), "level-1-key": "", "level-1-name": "仲裁", "level-1-days": "abc",
              "level-1-body": "", "level-2-key": "", "level-2-name": "外部仲裁", "level-2-days": "",
              "level-2-body": "", "response_days": "10", "ruling_days": "60"}
    refused = app.post("/alliances/refer/disputes/ladder?lang=en", data=fields, headers={"HX-Request": "true"})
    assert refused.status_code == 422 and 'id="ladder-error"' in refused.text and "level 2" in refused.text
    refused = app.post("/alliances/refer/disputes/ladder?lang=en", data={**fields, "level-1-days": "21", "level-1-body": "999"})
    assert refused.status_code == 422 and "level 2 (仲裁): body 999 is not a body" in refused.text
    assert disputes.ladder_of(store, "refer") == before
    saved = app.post("/alliances/refer/disputes/ladder", data={**fields, "level-1-days": "21"}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    ladder = disputes.ladder_of(store, "refer")
    assert [(lv.key, lv.name, lv.days, lv.body) for lv in ladder.levels] == [
        ("working_group", "联合委员会", 7, committee.id), ("level_2", "仲裁", 21, None), ("level_3", "外部仲裁", None, None)]
    assert (ladder.response_days, ladder.ruling_days) == (10, 60)
    page = app.get("/alliances/refer/disputes").text
    assert f'href="/alliances/refer/governance/bodies/{committee.id}">联合管理委员会</a>' in page
    # A dispute opened under it stands at the first level, heard by the committee: the API and page say so.
    opened = app.post(URL, json=CLAIM, headers=key(store, Role.MEMBER_ADMIN, member="A"))
    assert opened.status_code == 201, opened.text
    number = opened.json()["number"]
    shown = app.get(f"{URL}/{number}", headers=key(store, Role.MEMBER_ADMIN, member="B")).json()
    assert shown["level"]["body"] == {"id": committee.id, "name": "联合管理委员会"}
    listed = app.get(URL, headers=key(store, Role.COORDINATOR)).json()["disputes"]
    assert [d["level"]["body"] for d in listed] == [{"id": committee.id, "name": "联合管理委员会"}]
    sign_in(app, "a-admin")
    page = app.get(f"/alliances/refer/disputes/{number}").text
    assert re.search(rf'id="dispute-body"><a href="/alliances/refer/governance/bodies/{committee.id}">联合管理委员会</a>',
                     page)
