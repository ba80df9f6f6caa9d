"""The proposal pages over HTTP: the coordinator drafts (in Chinese, times read in the alliance's time
zone), edits and submits; a proxy during the discussion; the vote opened early; a member votes and
changes its vote, a proxy holder casts for the giver, a refused vote shows its message and stores
nothing; the vote closes by the clock and the outcome shows. An anonymous vote's page never links a
choice to a voter; who sees what (no seat, another alliance, someone else's draft)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.messages import Message, to_document
from alliance.edge.routes import PAGES
from alliance.governance import service_meetings as meetings
from alliance.governance import service_proposals as proposals
from alliance.governance.proposals import ProposalStatus
from alliance.registry import service as registry
from alliance.server import create_app
from alliance.store.database import Store
from alliance.store.proposal_repository import ProposalRepository
from alliance.store.tables import gov_ballots, gov_proposals, gov_vote_proxies, ledger_entries
from tests.support.factories import credit_code, make_alliance
from tests.support.web import add_user, in_chinese, sign_in

P = "/alliances/nb/proposals"
COORDINATOR = Principal("coord", Role.COORDINATOR, "nb", kind="user")


def member_admin(username: str, member: str) -> Principal:
    return Principal(username, Role.MEMBER_ADMIN, "nb", member, kind="user")


@pytest.fixture
def world(store: Store, clock: FrozenClock, tmp_path: Path) -> Iterator[tuple[TestClient, int]]:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3", "M4"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    body = meetings.create_body(store, "nb", COORDINATOR, name="联合管理委员会", kind="joint_committee",
                                term_from=date(2026, 12, 1), term_to=None, cadence="quarterly",
                                meeting_time=time(10, 0), duration_minutes=120,
                                seats=[("M1", "chair", None), ("M2", "secretary", None), ("M3", "member", None)],
                                rules={}, clock=clock)
    add_user(store, clock, "coord", Role.COORDINATOR, "nb")
    for n in (1, 2, 3, 4):
        add_user(store, clock, f"m{n}", Role.MEMBER_ADMIN, "nb", f"M{n}")   # M4 has no seat
    add_user(store, clock, "aud", Role.AUDITOR, "nb")
    add_user(store, clock, "far", Role.COORDINATOR, "other")
    add_user(store, clock, "farm", Role.MEMBER_ADMIN, "other", "M1")
    with TestClient(create_app(store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as client:
        yield client, body.id


def _form(token: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": token, **fields}


def _counts(store: Store) -> tuple[int, int, int, int]:
    """Proposals, ballots, proxies and ledger entries stored (every alliance)."""
    with store.unit_of_work() as uow:
        c = uow.connection
        return tuple(c.execute(select(func.count()).select_from(t)).scalar_one()  # type: ignore[return-value]
                     for t in (gov_proposals, gov_ballots, gov_vote_proxies, ledger_entries))


def _draft(store: Store, clock: FrozenClock, body_id: int, **fields: Any) -> int:
    values: dict[str, Any] = dict(body_id=body_id, type="approve_budget", title="2027 年度预算", text="预算总额 120 万元。",
                                  discussion_until=None, no_discussion=True,
                                  voting_until=clock.now() + timedelta(days=3))
    values.update(fields)
    number = proposals.draft(store, "nb", COORDINATOR, proposals.Draft(**values), clock).number
    proposals.submit(store, "nb", number, COORDINATOR, clock)
    return number


def test_drafted_in_chinese_voted_with_a_proxy_and_closed_by_the_clock(world: Any, store: Store,
                                                                        clock: FrozenClock) -> None:
    client, body_id = world
    token = sign_in(client, "coord")
    form = client.get(f"{P}/new?lang=zh_CN")
    assert form.status_code == 200 and 'type="datetime-local"' in form.text and 'name="p-params-code"' in form.text
    assert '<html lang="zh-CN">' in form.text
    assert in_chinese("New proposal") in form.text and in_chinese("approve a budget") in form.text
    fields = {"p-body": str(body_id), "p-type": "approve_budget", "p-title": "2027 年度预算",
              "p-text": "预算总额 120 万元。\n分两期拨付。", "p-secrecy": "open", "p-vote_changes": "on",
              "p-discussion_until": "2026-11-23T10:00", "p-voting_until": "2026-11-30T18:00", "p-reminder_hours": "24"}

    # Refused drafts: each problem beside its field, in Chinese, and nothing stored.
    before = _counts(store)
    for changes, error_id in (({"p-title": ""}, "f-p-title-error"),
                              ({"p-voting_until": "next week"}, "f-p-voting_until-error"),
                              ({"p-reminder_hours": "9999"}, "f-p-reminder_hours-error"),
                              ({"p-type": "change_agreement", "p-params-version": "x"}, "f-p-params-agreement-error")):
        refused = client.post(f"{P}/new?lang=zh_CN", data=_form(token, **{**fields, **changes}))
        assert refused.status_code == 422, (changes, refused.text[-500:])
        assert f'id="{error_id}"' in refused.text, changes
        assert _counts(store) == before
    refused = client.post(f"{P}/new?lang=zh_CN", data=_form(token, **{**fields, "p-title": ""}))
    assert f'id="f-p-title-error">{in_chinese(Message("{what} is required", what=Message("the title")))}<' in refused.text

    made = client.post(f"{P}/new", data=_form(token, **fields),
                       files=[("attachments", ("预算明细.txt", "一期 60 万；二期 60 万。".encode(), "text/plain"))],
                       follow_redirects=False)
    assert made.status_code == 303, made.text[-800:]
    number = int(made.headers["location"].rsplit("/", 1)[1])
    stored = proposals.show(store, "nb", number, COORDINATOR, clock).proposal
    # The datetime-local inputs are wall-clock times in the alliance's zone (Asia/Shanghai, UTC+8).
    assert stored.discussion_until == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert stored.voting_until == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert stored.status is ProposalStatus.DRAFT and stored.attachments[0].name == "预算明细.txt"

    # The draft is its author's: the body's members do not see it yet.
    sign_in(client, "m1")
    assert client.get(f"{P}/{number}").status_code == 404
    assert f"{P}/{number}" not in client.get(P).text
    token = sign_in(client, "coord")
    page = client.get(f"{P}/{number}?lang=zh_CN").text
    assert 'id="submit-form"' in page and 'id="edit-proposal"' in page
    edit = client.get(f"{P}/{number}/edit")
    assert edit.status_code == 200 and 'value="2026-11-23T10:00"' in edit.text and "预算总额 120 万元。" in edit.text
    assert client.post(f"{P}/{number}/edit", data=_form(token, **{**fields, "p-title": "2027 年度预算（修订）"}),
                       follow_redirects=False).status_code == 303
    assert proposals.show(store, "nb", number, COORDINATOR, clock).proposal.title == "2027 年度预算（修订）"
    assert client.post(f"{P}/{number}/submit", data=_form(token), follow_redirects=False).status_code == 303
    page = client.get(f"{P}/{number}?lang=zh_CN").text
    assert in_chinese("open for discussion") in page and 'id="submit-form"' not in page
    assert client.get(f"{P}/{number}/edit", follow_redirects=False).status_code == 303   # no longer editable
    assert "2026-11-23 10:00 +08:00" in page          # times shown in the alliance's zone
    download = client.get(f"{P}/{number}/attachments/{stored.attachments[0].sha256}")
    assert download.status_code == 200 and download.content == "一期 60 万；二期 60 万。".encode()

    # During the discussion M3 gives its vote to M1.
    token = sign_in(client, "m3")
    page = client.get(f"{P}/{number}").text
    assert 'id="proxy-form"' in page and 'id="vote-form"' not in page
    assert client.post(f"{P}/{number}/proxy", data=_form(token, holder="M1"), follow_redirects=False).status_code == 303
    assert 'id="revoke-form"' in client.get(f"{P}/{number}").text

    # The chair opens the vote early.
    token = sign_in(client, "m1")
    assert client.post(f"{P}/{number}/open-voting", data=_form(token), follow_redirects=False).status_code == 303
    page = client.get(f"{P}/{number}?lang=en").text
    assert 'id="vote-form"' in page and 'id="vote-for-M3"' in page and 'id="rule-frozen"' in page
    assert "You may change your vote until 2026-11-30 18:00 +08:00." in page

    # A member votes, changes its vote, and casts the vote of the member whose proxy it holds.
    for choice in ("no", "yes"):
        answer = client.post(f"{P}/{number}/vote", data=_form(token, choice=choice), follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].endswith(f"/{number}#vote")
    assert client.post(f"{P}/{number}/vote", data=_form(token, choice="yes", **{"for": "M3"}),
                       follow_redirects=False).status_code == 303
    page = client.get(f"{P}/{number}?lang=en").text
    assert "Your vote: yes." in page
    assert re.search(r'id="running-yes">2<', page) and re.search(r'id="running-no">0<', page)
    assert "Turnout: 2 of 3 voters have voted." in page and 'data-chart="tally-chart-option"' in page

    # A refused vote: its message beside the form, nothing stored.
    token = sign_in(client, "m2")
    before = _counts(store)
    refused = client.post(f"{P}/{number}/vote?lang=zh_CN", data=_form(token, choice="maybe"),
                          headers={"HX-Request": "true"})
    assert refused.status_code == 422 and 'id="vote-error"' in refused.text and 'id="proposal-main"' in refused.text
    refused = client.post(f"{P}/{number}/vote?lang=en", data=_form(token, choice="yes", **{"for": "M3"}))
    assert refused.status_code == 422 and "does not hold the proxy of M3" in refused.text
    assert _counts(store) == before
    assert client.post(f"{P}/{number}/vote", data=_form(token, choice="no"), follow_redirects=False).status_code == 303

    # The clock closes the vote at the end of its window; the outcome shows with its figures.
    clock.advance(datetime(2026, 11, 30, 10, 0, tzinfo=UTC) - clock.now())
    token = sign_in(client, "m1")
    refused = client.post(f"{P}/{number}/vote", data=_form(token, choice="no"))
    assert refused.status_code == 409 and 'id="vote-error"' in refused.text
    page = client.get(f"{P}/{number}?lang=en").text
    assert 'id="proposal-status">closed<' in page and "<strong>Accepted</strong>" in page
    assert 'id="vote-form"' not in page and 'id="outcome-reasons"' in page
    assert "(by proxy: M1)" in page  # an open vote names who chose what, and who cast by proxy
    assert proposals.show(store, "nb", number, COORDINATOR, clock).proposal.outcome_status == "passed"
    # An accepted budget is implemented by the chair, secretary or coordinator.
    assert 'id="implement-form"' in page
    assert client.post(f"{P}/{number}/implement", data=_form(token), follow_redirects=False).status_code == 303
    assert proposals.show(store, "nb", number, COORDINATOR, clock).proposal.status is ProposalStatus.IMPLEMENTED


def _anonymous_page(client: TestClient, store: Store, clock: FrozenClock, body_id: int, secrecy: str,
                    votes: dict[str, str]) -> str:
    """The page of a closed vote with `votes`, as M1 sees it, with what differs between proposals
    (their number) taken out."""
    number = _draft(store, clock, body_id, secrecy=secrecy)
    for member, choice in votes.items():
        token = sign_in(client, member.lower())
        assert client.post(f"{P}/{number}/vote", data=_form(token, choice=choice),
                           follow_redirects=False).status_code == 303
        running = client.get(f"{P}/{number}?lang=en").text
        if secrecy == "anonymous":
            assert 'id="running"' not in running and 'id="ballots"' not in running
            assert "You have voted." in running and "Your vote:" not in running
    sign_in(client, "m1")
    page = client.get(f"{P}/{number}?lang=en").text
    return _normal(page, number)


def test_an_anonymous_vote_never_shows_who_chose_what(world: Any, store: Store, clock: FrozenClock) -> None:
    client, body_id = world
    first = _anonymous_page(client, store, clock, body_id, "anonymous", {"M1": "yes", "M2": "no", "M3": "yes"})
    second = _anonymous_page(client, store, clock, body_id, "anonymous", {"M1": "no", "M2": "yes", "M3": "yes"})
    clock.advance(timedelta(days=4))
    sign_in(client, "m1")
    first_closed = _closed(client, 1)
    second_closed = _closed(client, 2)
    # Swapping who chose what changes nothing a reader can see (text, title or data- attributes).
    assert first == second
    assert first_closed == second_closed and 'id="outcome-status"' in first_closed
    assert 'id="ballots"' not in first_closed and "Turnout: 3 of 3 voters have voted." in first_closed
    # The same swap on an open vote shows: the comparison can tell.
    third = _anonymous_page(client, store, clock, body_id, "open", {"M1": "yes", "M2": "no"})
    fourth = _anonymous_page(client, store, clock, body_id, "open", {"M1": "no", "M2": "yes"})
    assert third != fourth


def _normal(page: str, number: int) -> str:
    """The page's main part without what differs between two proposals and sessions (the number, the
    session's CSRF token)."""
    main = page.split("<main", 1)[1]
    main = re.sub(r'value="[A-Za-z0-9_-]{24,}"', "", main)
    return re.sub(rf"/proposals/{number}\b|Proposal {number}\b", "#", main)


def _closed(client: TestClient, number: int) -> str:
    page = client.get(f"{P}/{number}?lang=en").text
    return _normal(page, number)


def test_who_sees_which_proposals(world: Any, store: Store, clock: FrozenClock) -> None:
    client, body_id = world
    number = _draft(store, clock, body_id)
    pages = (f"{P}/{number}", f"{P}/{number}/edit")
    sign_in(client, "aud")
    assert client.get(f"{P}/{number}").status_code == 200
    token = sign_in(client, "m4")   # a member without a seat in the body
    assert client.get(P).status_code == 200 and f"{P}/{number}" not in client.get(P).text
    for path in pages:
        assert client.get(path).status_code == 404, path
    before = _counts(store)
    assert client.post(f"{P}/{number}/vote", data=_form(token, choice="yes")).status_code == 404
    assert client.post(f"{P}/{number}/proxy", data=_form(token, holder="M1")).status_code == 404
    assert _counts(store) == before
    sha = proposals.show(store, "nb", number, COORDINATOR, clock).proposal.text_sha256
    routes = [(method, path.replace("{code}", "nb").replace("{number}", str(number)).replace("{sha256}", str(sha)))
              for method, path in PAGES if path.startswith("/alliances/{code}/proposals")]
    assert len(routes) == 14
    for outsider in ("far", "farm"):
        token = sign_in(client, outsider)
        for method, path in routes:   # every proposal page and form, as another alliance's people
            answer = client.request(method, path, data=_form(token, choice="yes", holder="M1")
                                    if method == "POST" else None, follow_redirects=False)
            assert answer.status_code == 404, (outsider, method, path, answer.status_code)
            assert "2027 年度预算" not in answer.text
        assert client.post(f"{P}/{number}/vote", data=_form(token, choice="yes")).status_code == 404
        assert client.get(f"/alliances/other/proposals/{number}").status_code == 404
    assert _counts(store) == before
    # The coordinator cannot vote for a member.
    token = sign_in(client, "coord")
    assert client.post(f"{P}/{number}/vote", data=_form(token, choice="yes")).status_code in (403, 404)
    assert _counts(store) == before


def test_the_list_pages_filters_and_reminds(world: Any, store: Store, clock: FrozenClock) -> None:
    client, body_id = world
    other = meetings.create_body(store, "nb", COORDINATOR, name="技术工作组", kind="working_group",
                                 term_from=date(2026, 12, 1), term_to=None, cadence="weekly", meeting_time=time(9, 0),
                                 duration_minutes=60, seats=[("M1", "chair", None), ("M4", "member", None)],
                                 rules={}, clock=clock)
    numbers = [_draft(store, clock, body_id, title=f"议题 {n:02d}") for n in range(52)]
    tech = _draft(store, clock, other.id, title="工作组议题", voting_until=clock.now() + timedelta(hours=12))
    sign_in(client, "m1")
    page = client.get(P).text
    assert len(re.findall(r'<tr><td><a href="[^"]+/proposals/\d+">', page)) == 50 and 'rel="next"' in page
    assert "工作组议题" in page and "议题 51" in page and "议题 00" not in page     # newest first
    assert "议题 00" in client.get(f"{P}?offset=50").text
    filtered = client.get(f"{P}?body={other.id}").text
    assert "工作组议题" in filtered and "议题 51" not in filtered
    assert "议题 51" not in client.get(f"{P}?status=closed").text
    sign_in(client, "m2")   # not seated in the working group
    assert "工作组议题" not in client.get(P).text
    assert client.get(f"{P}?body={other.id}").status_code == 404
    # The scheduler's reminder before the close shows on top of the list for the member that has not voted.
    clock.advance(timedelta(hours=1))
    proposals.advance_due(store, clock)
    sign_in(client, "m4")
    page = client.get(P + "?lang=en").text
    assert f"Vote on proposal {tech} before 2026-11-22 22:00 +08:00" in page
    assert numbers and "Vote on proposal 1 " not in page


def test_a_weighted_vote_shows_voting_power_beside_the_weights(world: Any, store: Store, clock: FrozenClock) -> None:
    client, body_id = world
    number = _draft(store, clock, body_id)
    # The vote as frozen at its opening under a weighted rule (weights 49, 49 and 2).
    with store.unit_of_work() as uow:
        repo = ProposalRepository(uow.connection)
        alliance = uow.alliances.require("nb")
        found = repo.by_number(alliance.id, number)
        assert found is not None
        repo.update(alliance.id, found.id, rule="weighted", rule_params={"threshold": "1/2"},
                    electorate={"M1": "49", "M2": "49", "M3": "2"})
        uow.commit()
    token = sign_in(client, "m3")
    page = client.get(f"{P}/{number}?lang=en").text
    table = page.split('id="power-table"', 1)[1].split("</table>", 1)[0]
    # Each of the three can make a majority with either other: a third of the power each, not 2%.
    assert re.search(r"<code>M3</code></th><td class=\"num\">2</td>\s*<td class=\"num\">2.00%</td>"
                     r"<td class=\"num\">33.33%</td><td class=\"num\">33.33%</td>", table), table
    assert 'data-warning="power_differs"' in page and 'data-chart="power-chart-option"' in page
    assert client.post(f"{P}/{number}/vote", data=_form(token, choice="yes"), follow_redirects=False).status_code == 303
    page = client.get(f"{P}/{number}?lang=en").text
    assert re.search(r'id="running-yes">2<', page) and "Participation</dt><dd>2.00%" in page
    # An outcome the platform could not act on shows its reason (kept as a message document).
    reason = Message("alliance {code!r} has no prospect {prospect}", code="nb", prospect=7)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require("nb")
        ProposalRepository(uow.connection).update(alliance.id, found.id, effect={
            "error": str(reason), "message": to_document(reason)})
        uow.commit()
    page = client.get(f"{P}/{number}?lang=en").text
    assert "alliance &#39;nb&#39; has no prospect 7" in page.split('id="effect-error"', 1)[1].split("</div>", 1)[0]


def test_a_proposal_under_discussion_is_withdrawn_by_its_author(world: Any, store: Store, clock: FrozenClock) -> None:
    client, body_id = world
    number = _draft(store, clock, body_id, no_discussion=False, discussion_until=clock.now() + timedelta(days=1))
    sign_in(client, "m1")   # the chair: may open the vote early, not withdraw another's proposal
    page = client.get(f"{P}/{number}").text
    assert 'id="withdraw-form"' not in page and 'id="open-voting-form"' in page
    token = sign_in(client, "coord")
    assert client.post(f"{P}/{number}/withdraw", data=_form(token), follow_redirects=False).status_code == 303
    page = client.get(f"{P}/{number}?lang=en").text
    assert 'id="withdrawn"' in page and 'id="withdraw-form"' not in page and 'id="open-voting-form"' not in page
    before = _counts(store)
    refused = client.post(f"{P}/{number}/open-voting?lang=en", data=_form(token))
    assert refused.status_code == 409 and 'id="run-error"' in refused.text and "withdrawn" in refused.text
    assert _counts(store) == before
