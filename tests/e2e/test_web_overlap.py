"""Customer overlap (PSI) pages over HTTP, in Chinese and English: a member's page (levels, sessions,
pending consents, the forms of its own acts, the command to run a consented session), the overlap
matrix (a member sees its own pairs, the coordinator and auditors every pair; pairs never compared
are empty), the access log a page at a time. Refused forms say why and store nothing; a reader
cannot post; another member's pages are not found, and another alliance's neither."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Role
from alliance.core.clock import FrozenClock
from alliance.privacy import service
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.tables import psi_access_log, psi_levels, psi_sessions
from tests.support.factories import credit_code, make_alliance
from tests.support.psi import emails, run_session
from tests.support.web import add_user, sign_in

M1 = "/alliances/nb/sharing/members/M1/overlap"
M2 = "/alliances/nb/sharing/members/M2/overlap"
MATRIX = "/alliances/nb/sharing/overlap"


@pytest.fixture
def world(store: Store, clock: FrozenClock) -> Iterator[TestClient]:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    add_user(store, clock, "aud", Role.AUDITOR, "nb")
    for member in ("M1", "M2", "M3"):
        add_user(store, clock, member.lower(), Role.MEMBER_ADMIN, "nb", member)
    add_user(store, clock, "reader", Role.MEMBER_ANALYST, "nb", "M1")
    add_user(store, clock, "x1", Role.MEMBER_ADMIN, "other", "M1")
    with TestClient(create_app(store, clock), base_url="https://testserver") as client:
        yield client


def _counts(store: Store) -> tuple[int, int, int]:
    with store.engine.connect() as c:
        return tuple(int(c.execute(select(func.count()).select_from(t)).scalar_one())  # type: ignore[return-value]
                     for t in (psi_levels, psi_sessions, psi_access_log))


def _share(store: Store, clock: FrozenClock, a: str, b: str, level: str = "count") -> None:
    service.set_level(store, "nb", a, b, level, a.lower(), clock)
    service.set_level(store, "nb", b, a, level, b.lower(), clock)


def _done(store: Store, clock: FrozenClock, a: str, b: str, mine: list[str], theirs: list[str]) -> int:
    opened = service.open_session(store, "nb", a, b, "count", "email", a.lower(), clock)
    service.answer(store, "nb", opened.id, b, True, b.lower(), clock)
    return run_session(store, "nb", opened.id, clock, mine, theirs)


def test_levels_open_consent_and_the_command_in_chinese(world: TestClient, store: Store, clock: FrozenClock) -> None:
    client = world
    token = sign_in(client, "m1")
    page = client.get(M1)
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text and "客户重合" in page.text
    assert 'id="levels-table"' in page.text and 'id="save-level-M2"' in page.text and 'id="open-form"' in page.text
    for action in (f"{M1}/levels", f"{M1}/sessions"):  # the forms post to this member's routes
        assert f'action="{action}"' in page.text, action
    saved = client.post(f"{M1}/levels", data={"csrf_token": token, "partner": "M2", "level": "count"},
                        follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("/overlap?saved=level#levels")
    assert service.levels(store, "nb", "M1")[0] == {"partner": "M2", "mine": "count", "theirs": "hidden",
                                                     "effective": "hidden", "my_fields": None, "their_fields": None}
    # The stricter side wins: M2 is still hidden toward M1, so no session opens (nothing stored).
    before = _counts(store)
    refused = client.post(f"{M1}/sessions", data={"csrf_token": token, "partner": "M2", "kind": "email",
                                                  "mode": "count"})
    assert refused.status_code == 409 and 'id="overlap-refused"' in refused.text
    assert "共享级别" in refused.text and _counts(store) == before
    token = sign_in(client, "m2")
    assert client.post(f"{M2}/levels", data={"csrf_token": token, "partner": "M1", "level": "list"},
                       follow_redirects=False).status_code == 303
    token = sign_in(client, "m1")
    opened = client.post(f"{M1}/sessions", data={"csrf_token": token, "partner": "M2", "kind": "email",
                                                 "mode": "count"}, follow_redirects=False)
    assert opened.status_code == 303 and "saved=opened" in opened.headers["location"]
    shown = client.get(M1)
    assert 'id="session-1"' in shown.text and "等待同意" in shown.text and 'id="cancel-1"' in shown.text
    assert 'id="consent-1"' not in shown.text  # the opener does not answer its own session
    assert f'action="{M1}/sessions/1/cancel"' in shown.text
    # The partner sees it among its pending consents and consents.
    token = sign_in(client, "m2")
    theirs = client.get(M2)
    assert 'id="pending-1"' in theirs.text and 'id="consent-1"' in theirs.text and 'id="refuse-1"' in theirs.text
    answered = client.post(f"{M2}/sessions/1/answer", data={"csrf_token": token, "decision": "consent"},
                           follow_redirects=False)
    assert answered.status_code == 303 and "saved=consented" in answered.headers["location"]
    ready = client.get(f"{M2}?saved=consented")
    assert "alliance psi run 1 customers.csv --api https://testserver" in ready.text
    assert 'data-copy="command-1"' in ready.text and "在自己的电脑上" in ready.text and "已同意" in ready.text
    # Answering twice is refused in Chinese; nothing changes.
    before = _counts(store)
    again = client.post(f"{M2}/sessions/1/answer", data={"csrf_token": token, "decision": "refuse"})
    assert again.status_code == 409 and 'id="overlap-refused"' in again.text and _counts(store) == before
    assert service.session(store, "nb", 1, "M2", clock).status == "consented"
    # Done: the overlap shows on both pages.
    assert run_session(store, "nb", 1, clock, emails(0, 150), emails(100, 120)) == 50
    done = client.get(M2)
    assert "已完成" in done.text and 'id="cancel-1"' not in done.text and "alliance psi run 1" not in done.text
    assert re.search(r'class="num session-overlap">50<', done.text)


def test_the_member_page_in_english_and_a_refused_form(world: TestClient, store: Store) -> None:
    client = world
    token = sign_in(client, "m1")
    client.cookies.set("lang", "en")
    page = client.get(M1)
    assert page.status_code == 200 and 'lang="en"' in page.text and "Customer overlap of M1 公司" in page.text
    assert "Open a session" in page.text and "No session yet." in page.text
    before = _counts(store)
    missing = client.post(f"{M1}/sessions", data={"csrf_token": token, "partner": "", "kind": "email", "mode": "count"})
    assert missing.status_code == 422 and "Fill this in." in missing.text and _counts(store) == before
    bad = client.post(f"{M1}/levels", data={"csrf_token": token, "partner": "M2", "level": "everything"})
    assert bad.status_code == 422 and "sharing level &#39;everything&#39; is not one of" in bad.text
    unknown = client.post(f"{M1}/levels", data={"csrf_token": token, "partner": "M9", "level": "count"})
    assert unknown.status_code == 404 and 'id="overlap-refused"' in unknown.text
    itself = client.post(f"{M1}/levels", data={"csrf_token": token, "partner": "M1", "level": "count"})
    assert itself.status_code == 422 and "no sharing level toward itself" in itself.text
    nothing = client.post(f"{M1}/sessions/99/cancel", data={"csrf_token": token})
    assert nothing.status_code == 404 and "No such PSI session" in nothing.text
    assert _counts(store) == before


def test_readers_see_but_cannot_act_and_others_find_nothing(world: TestClient, store: Store,
                                                             clock: FrozenClock) -> None:
    client = world
    _share(store, clock, "M1", "M2")
    service.open_session(store, "nb", "M1", "M2", "count", "email", "m1", clock)
    before = _counts(store)
    token = sign_in(client, "reader")
    seen = client.get(M1)
    assert seen.status_code == 200 and 'id="session-1"' in seen.text
    assert 'id="open-form"' not in seen.text and 'id="save-level-M2"' not in seen.text and 'id="cancel-1"' not in seen.text
    assert client.post(f"{M1}/levels", data={"csrf_token": token, "partner": "M2", "level": "hidden"}).status_code == 403
    assert client.post(f"{M1}/sessions/1/cancel", data={"csrf_token": token}).status_code == 403
    # The coordinator reads a member's page but does not act for it.
    token = sign_in(client, "coord")
    assert client.get(M1).status_code == 200
    assert client.post(f"{M1}/sessions/1/cancel", data={"csrf_token": token}).status_code == 403
    # Another member: A's page, log and acts are not there for it.
    token = sign_in(client, "m3")
    for path in (M1, f"{M1}/log"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"{M1}/sessions/1/cancel", data={"csrf_token": token}).status_code == 404
    # ... nor its own page shows A's session with M2.
    assert 'id="session-1"' not in client.get("/alliances/nb/sharing/members/M3/overlap").text
    token = sign_in(client, "x1")  # another alliance's member admin
    for path in (M1, f"{M1}/log", MATRIX):
        assert client.get(path).status_code == 404, path
    assert client.post(f"{M1}/sessions/1/cancel", data={"csrf_token": token}).status_code == 404
    assert _counts(store) == before


def test_the_matrix_shows_each_reader_its_pairs_and_leaves_pairs_never_compared_empty(
        world: TestClient, store: Store, clock: FrozenClock) -> None:
    client = world
    for a, b in (("M1", "M2"), ("M2", "M3"), ("M1", "M3")):
        _share(store, clock, a, b)
    _done(store, clock, "M1", "M2", emails(0, 200), emails(150, 100))  # 50 of the smaller 100
    _done(store, clock, "M3", "M2", emails(0, 100), emails(1000, 100))  # 0 shared: a zero, not empty
    open_only = service.open_session(store, "nb", "M1", "M3", "count", "email", "m1", clock)  # never finished
    assert open_only.status == "proposed"
    sign_in(client, "coord")
    page = client.get(MATRIX)
    assert page.status_code == 200 and "客户重合矩阵" in page.text
    option = json.loads(re.search(r'<script type="application/json" id="overlap-heatmap-option">(.*?)</script>',
                                  page.text, re.S).group(1))
    values = sorted(item["value"] for item in option["series"][0]["data"])
    assert values == [[0, 1, 0.5, 50], [1, 0, 0.5, 50], [1, 2, 0.0, 0], [2, 1, 0.0, 0]]
    assert option["visualMap"]["dimension"] == 2
    assert 'id="cell-M1-M3"' in page.text and "未比较" in page.text
    assert re.search(r'id="cell-M1-M2">50 / 100', page.text) and re.search(r'id="cell-M2-M3">0 / 100', page.text)
    assert client.get(MATRIX).status_code == 200 and (sign_in(client, "aud") and client.get(MATRIX).status_code == 200)
    # A member sees its own row only: M3 never sees the M1-M2 figure.
    sign_in(client, "m3")
    client.cookies.set("lang", "en")
    own = client.get(MATRIX)
    assert own.status_code == 200 and "Customer overlap matrix" in own.text and 'id="matrix-scope"' in own.text
    assert 'id="cell-M1-M2"' not in own.text and 'id="cell-M3-M2">0 / 100' in own.text
    assert 'id="cell-M3-M1"' in own.text and "not compared" in own.text
    mine = json.loads(re.search(r'id="overlap-heatmap-option">(.*?)</script>', own.text, re.S).group(1))
    assert [item["value"] for item in mine["series"][0]["data"]] == [[1, 0, 0.0, 0]]


def test_an_empty_matrix_and_the_access_log_a_page_at_a_time(world: TestClient, store: Store,
                                                              clock: FrozenClock) -> None:
    client = world
    sign_in(client, "m1")
    empty = client.get(MATRIX)
    assert 'id="matrix-empty"' in empty.text and "overlap-heatmap-option" not in empty.text
    assert 'id="log-empty"' in client.get(f"{M1}/log").text
    _share(store, clock, "M1", "M2")
    for _ in range(3):  # the pair's allowance for the day: proposed and cancelled, 6 lines
        opened = service.open_session(store, "nb", "M1", "M2", "count", "email", "m1", clock)
        service.cancel(store, "nb", opened.id, "M2", "m2", clock)
    with store.unit_of_work() as uow:
        alliance_id = uow.alliances.require("nb").id
        for n in range(50):
            uow.privacy.log(alliance_id, "M1", 1, "M2", "m2", clock.now(), "message", {"seq": 1, "bytes": 3500 + n,
                                                                                         "by": "M2"})
        uow.commit()
    page = client.get(f"{M1}/log")
    assert page.status_code == 200 and "访问日志" in page.text and 'id="log-next"' in page.text
    assert "3,549" in page.text and "请求" in page.text  # newest first
    second = client.get(f"{M1}/log?offset=50")
    assert "已取消" in second.text and 'rel="prev"' in second.text and 'id="log-next"' not in second.text
    client.cookies.set("lang", "en")
    english = client.get(f"{M1}/log?offset=50")
    assert "Proposed" in english.text and "Cancelled" in english.text and "Customer overlap access log" in english.text


def test_links_from_the_sharing_section_and_the_member_profile(world: TestClient) -> None:
    client = world
    sign_in(client, "m1")
    sharing = client.get("/alliances/nb/sharing")
    assert 'id="own-overlap"' in sharing.text and f'href="{M1}"' in sharing.text and 'id="overlap-matrix"' in sharing.text
    assert 'id="member-overlap"' in client.get("/alliances/nb/members/M1").text
    assert 'id="member-overlap"' not in client.get("/alliances/nb/members/M2").text
    sign_in(client, "coord")
    sharing = client.get("/alliances/nb/sharing")
    assert 'id="own-overlap"' not in sharing.text and 'id="overlap-matrix"' in sharing.text


def test_a_list_level_carries_the_fields_chosen_in_the_form(world: TestClient, store: Store, clock: FrozenClock) -> None:
    client = world
    token = sign_in(client, "m1")
    saved = client.post(f"{M1}/levels", data={"csrf_token": token, "partner": "M2", "level": "list",
                                               "fields": "会员等级，城市"}, follow_redirects=False)
    assert saved.status_code == 303
    assert service.levels(store, "nb", "M1")[0]["my_fields"] == ["会员等级", "城市"]
    page = client.get(M1)
    assert "会员等级, 城市" in page.text and "重合名单中共享的字段" in page.text
    # back to a count: the leftover text in the field is not sent, so nothing is refused
    again = client.post(f"{M1}/levels", data={"csrf_token": token, "partner": "M2", "level": "count",
                                               "fields": "会员等级, 城市"}, follow_redirects=False)
    assert again.status_code == 303 and service.levels(store, "nb", "M1")[0]["mine"] == "count"
