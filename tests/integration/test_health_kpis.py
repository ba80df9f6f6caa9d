"""The KPI scorecard in the store (SQLite and PostgreSQL): every computed indicator against
hand-built governance, data-sharing, dispute and settlement rows; the catalogue's versions; entered
values (append-only, the correction wins, forward fill); pledges and deliveries; the series the
warning rules read; and every refusal leaving the stored rows exactly as they were."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceNotFound, NotFound
from alliance.health.kpis import records, service
from alliance.health.kpis.catalogue import Band
from alliance.health.kpis.errors import CatalogueInvalid, KpiValueInvalid, PeriodInvalid, PledgeInvalid
from alliance.health.kpis.pledges import PledgeStatus
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.tables import (
    disputes, gov_actions, gov_agenda_items, gov_attendance, gov_ballots, gov_bodies, gov_meetings, gov_proposals,
    health_deliveries, health_kpi_catalogues, health_kpi_values, health_pledges, settlement_runs, shared_views,
    statement_lines, view_access_log,
)
from tests.support.factories import admin_of, credit_code, make_alliance

COORDINATOR = Principal("coord", Role.COORDINATOR, "h")
AUDITOR = Principal("audit", Role.AUDITOR, "h")
OUTSIDER = Principal("other", Role.COORDINATOR, "other")
Q4 = "2026Q4"
T0 = datetime(2026, 10, 1, tzinfo=UTC)


def at(day: int, month: int = 10, hour: int = 2) -> datetime:
    """An instant on a day of 2026 (02:00 UTC is 10:00 in Shanghai: the same day)."""
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def world(store: Store, clock: FrozenClock) -> Store:
    for code in ("h", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate("ABC", start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    return store


def _id(store: Store, code: str) -> int:
    with store.unit_of_work() as uow:
        return uow.alliances.require(code).id


def _insert(store: Store, table: Any, **values: Any) -> int:
    with store.engine.begin() as c:
        return int(c.execute(insert(table).values(**values)).inserted_primary_key[0])


def _body(store: Store, alliance_id: int) -> int:
    return _insert(store, gov_bodies, alliance_id=alliance_id, name=f"committee-{alliance_id}", kind="joint_committee",
                   term_from=date(2026, 1, 1), cadence="monthly", meeting_time="10:00", duration_minutes=60, rules={},
                   created_by="t", created_at=T0)


def _meeting(store: Store, alliance_id: int, body: int, starts: datetime, title: str = "例会") -> int:
    return _insert(store, gov_meetings, alliance_id=alliance_id, body_id=body, title=title, starts_at=starts,
                   duration_minutes=60, location="", origin="hand", created_by="t", created_at=T0)


def _item(store: Store, alliance_id: int, meeting: int, title: str, *, owner: str = "", proposal: str | None = None,
          minutes: str = "") -> int:
    return _insert(store, gov_agenda_items, alliance_id=alliance_id, meeting_id=meeting, position=1, title=title,
                   time_box=10, owner=owner, proposal=proposal, minutes=minutes)


def _proposal(store: Store, alliance_id: int, body: int, number: int, author: str | None, submitted: datetime,
              closed: datetime | None = None, implemented: datetime | None = None) -> int:
    return _insert(store, gov_proposals, alliance_id=alliance_id, number=number, body_id=body, type="general",
                   title=f"p{number}", text="", params={}, secrecy="open", vote_changes=False, status="closed",
                   author="t", author_member=author, created_at=submitted, submitted_at=submitted, closed_at=closed,
                   implemented_at=implemented, reminder_minutes=0)


def _scores(store: Store, clock: FrozenClock, member: str | None = None, period: str = Q4) -> dict[str, Any]:
    card = service.scorecard(store, "h", COORDINATOR, clock, period=period, member=member)
    return {r.kpi.code: r for r in card.scores.rows}


def test_meeting_attendance_decision_speed_entropy_and_frequency(world: Store, clock: FrozenClock) -> None:
    h = _id(world, "h")
    body = _body(world, h)
    meetings = [_meeting(world, h, body, at(d)) for d in (5, 12, 19, 26)]
    _meeting(world, h, body, at(20, 9))  # September: another quarter, never counted
    # A present at all four, B at two (one by proxy), C absent from all: 6 of 12 seats.
    for i, m in enumerate(meetings):
        for member, presence in (("A", "present"), ("B", "proxy" if i == 0 else "present" if i == 1 else "absent"),
                                 ("C", "absent")):
            _insert(world, gov_attendance, alliance_id=h, meeting_id=m, member_code=member, presence=presence,
                    proxy="A" if presence == "proxy" else None)
    # The same untitled topic in all four meetings without an action item: entropy 4; a topic with an
    # action item in the first meeting counts there no more.
    for m in meetings:
        _item(world, h, m, "  Warehouse   Plan ", owner="B", minutes="讨论" if m == meetings[0] else "")
    decided = _item(world, h, meetings[0], "Budget")
    _insert(world, gov_actions, alliance_id=h, body_id=body, meeting_id=meetings[0], agenda_item_id=decided,
            title="do", owner="A", due_on=date(2026, 10, 20), status="done", created_by="t", created_at=T0,
            closed_at=at(18))
    _insert(world, gov_actions, alliance_id=h, body_id=body, meeting_id=meetings[0], agenda_item_id=None,
            title="late", owner="B", due_on=date(2026, 10, 21), status="done", created_by="t", created_at=T0,
            closed_at=at(25))
    # Proposal 1 (A): 10 days to close; proposal 2 (B): 4.5 days to implementation.
    first = _proposal(world, h, body, 1, "A", at(1, 10, 0), closed=at(11, 10, 0))
    _insert(world, gov_ballots, alliance_id=h, proposal_id=first, voter="A", choice="yes", cast_by="t", cast_at=at(8),
            salt="x")
    _proposal(world, h, body, 2, "B", at(2, 10, 0), closed=at(4, 10, 0), implemented=at(6, 10, 12))
    found = _scores(world, clock)
    assert found["meeting_attendance"].value == Decimal("50.00")  # 6 / 12
    assert _scores(world, clock, "A")["meeting_attendance"].value == Decimal("100.00")
    assert _scores(world, clock, "B")["meeting_attendance"].value == Decimal("50.00")
    assert _scores(world, clock, "C")["meeting_attendance"].band is Band.RED
    assert found["decision_speed"].value == Decimal("7.25")  # (10 + 4.5) / 2
    assert found["decision_speed"].details["actions_on_time"] == 1
    assert found["decision_speed"].details["actions_due"] == 2
    assert _scores(world, clock, "B")["decision_speed"].value == Decimal("4.50")
    assert found["collaboration_entropy"].value == 4
    assert _scores(world, clock, "B")["collaboration_entropy"].value == 4
    assert _scores(world, clock, "A")["collaboration_entropy"].value == 0
    # 4 meetings + 1 with minutes + 2 proposals + 1 ballot = 8 events over 92 days (13.14 weeks)
    assert found["communication_frequency"].value == (Decimal(8) / (Decimal(92) / 7)).quantize(Decimal("0.01"))
    # A: 4 meetings attended + the minutes of one + its proposal + its ballot = 7
    assert _scores(world, clock, "A")["communication_frequency"].details["events"] == 7


def test_information_sharing_and_disputes(world: Store, clock: FrozenClock) -> None:
    h = _id(world, "h")
    used = _insert(world, shared_views, alliance_id=h, member_code="A", name="sales", dataset="order_lines",
                   policies={}, k=5, created_by="t", created_at=at(1, 9))
    _insert(world, shared_views, alliance_id=h, member_code="A", name="idle", dataset="order_lines", policies={}, k=5,
            created_by="t", created_at=at(1, 9))
    revoked = _insert(world, shared_views, alliance_id=h, member_code="B", name="old", dataset="order_lines",
                      policies={}, k=5, created_by="t", created_at=at(1, 8), revoked_at=at(1, 9))
    for view, when in ((used, at(3)), (used, at(4)), (revoked, at(3))):
        _insert(world, view_access_log, alliance_id=h, view_id=view, member_code="A", accessed_by="B", accessed_at=when,
                kind="rows", query={}, returned=1)
    for number, claimant, respondents, when in ((1, "A", ["B"], at(3)), (2, "C", ["B"], at(9)), (3, "A", ["C"], at(1, 9))):
        _insert(world, disputes, alliance_id=h, number=number, claimant=claimant, respondents=respondents,
                agreement="x", version=1, rule_id="r", days=[], amount_minor=1, currency="CNY", statement="",
                status="open", level=1, level_since=when, ladder=[], opened_by="t", opened_at=when,
                response_due=when, ruling_due=when, report="{}", report_sha256="0" * 64)
    found = _scores(world, clock)
    assert found["information_sharing"].value == Decimal("0.33")  # one queried view / three members
    assert _scores(world, clock, "A")["information_sharing"].value == 1
    assert _scores(world, clock, "B")["information_sharing"].value == 0
    assert found["settlement_disputes"].value == 2
    assert _scores(world, clock, "B")["settlement_disputes"].value == 2
    assert _scores(world, clock, "A")["settlement_disputes"].value == 1
    assert _scores(world, clock, "A")["settlement_disputes"].band is Band.AMBER


def test_growth_from_settled_days(world: Store, clock: FrozenClock) -> None:
    h = _id(world, "h")

    def run(day: date, lines: int, accounts: dict[str, list[int]]) -> None:
        run_id = _insert(world, settlement_runs, alliance_id=h, day=day, currency="CNY", lines=lines, late_lines=0,
                         agreements=[], closed_at=T0, actor="t")
        for account, amounts in accounts.items():
            for amount in amounts:
                _insert(world, statement_lines, alliance_id=h, run_id=run_id, account=account, agreement="a",
                        version=1, rule_id="r", kind="share", base_minor=0, rate="1", amount_minor=amount)

    run(date(2026, 8, 3), 10, {"A": [1000], "B": [-1000]})            # Q3
    run(date(2026, 9, 30), 10, {"A": [1000], "B": [500, -1500]})       # Q3: B's net is negative
    run(date(2026, 10, 2), 25, {"A": [2500], "B": [300]})               # Q4
    run(date(2026, 12, 31), 5, {"A": [500, -200]})                      # Q4, its last day
    found = _scores(world, clock)
    assert found["shared_customer_growth"].value == Decimal("50.00")  # 30 lines against 20
    # Q3 paid 2000 (A), Q4 paid 2500 + 300 + 300 = 3100: +55%
    assert found["shared_revenue_growth"].value == Decimal("55.00")
    assert _scores(world, clock, "A")["shared_revenue_growth"].value == Decimal("40.00")  # 2800 vs 2000
    assert _scores(world, clock, "B")["shared_revenue_growth"].value is None  # nothing received before
    assert _scores(world, clock, "A")["shared_customer_growth"].value == Decimal("50.00")  # 3 statement lines vs 2


def test_pledges_feed_on_time_contribution(world: Store, clock: FrozenClock) -> None:
    kept = records.add_pledge(world, "h", COORDINATOR, member="A", kind="money", amount="1000.50",
                              due_on=date(2026, 10, 15), clock=clock, description="联合营销基金")
    assert kept.money is not None and kept.money.minor == 100050
    records.deliver(world, "h", COORDINATOR, kept.number, amount="1000.50", delivered_on=date(2026, 10, 14), clock=clock)
    late = records.add_pledge(world, "h", COORDINATOR, member="B", kind="people-days", amount="20",
                              due_on=date(2026, 10, 20), clock=clock)
    records.deliver(world, "h", COORDINATOR, late.number, amount="20", delivered_on=date(2026, 10, 25), clock=clock)
    short = records.add_pledge(world, "h", COORDINATOR, member="B", kind="warehouse_space", amount="500", unit="m2",
                               due_on=date(2026, 11, 1), clock=clock)
    records.deliver(world, "h", COORDINATOR, short.number, amount="300", delivered_on=date(2026, 10, 30), clock=clock)
    records.add_pledge(world, "h", COORDINATOR, member="C", kind="technology", amount="1", due_on=date(2026, 12, 20),
                       clock=clock)  # due after today (22 November): open, not counted yet
    pledges = {p.number: p for p in records.list_pledges(world, "h", COORDINATOR)}
    today = date(2026, 11, 22)
    assert [pledges[n].status(today) for n in (1, 2, 3, 4)] == [PledgeStatus.ON_TIME, PledgeStatus.LATE,
                                                                 PledgeStatus.SHORT, PledgeStatus.OPEN]
    found = _scores(world, clock)
    assert found["resource_contribution"].value == Decimal("33.33")  # 1 of 3 due
    assert _scores(world, clock, "B")["resource_contribution"].value == Decimal("0.00")
    assert _scores(world, clock, "C")["resource_contribution"].value is None
    # A member's accounts see their own member's pledges only.
    assert [p.number for p in records.list_pledges(world, "h", admin_of("h", "B"))] == [2, 3]
    with pytest.raises(NotFound):
        records.list_pledges(world, "h", admin_of("h", "B"), member="A")


def _counts(store: Store) -> tuple[int, ...]:
    with store.engine.connect() as c:
        return tuple(int(c.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in (health_kpi_catalogues, health_kpi_values, health_pledges, health_deliveries))


def test_refusals_leave_everything_unchanged(world: Store, clock: FrozenClock) -> None:
    records.add_pledge(world, "h", COORDINATOR, member="A", kind="money", amount="10", due_on=date(2026, 12, 1),
                       clock=clock)
    records.enter_value(world, "h", COORDINATOR, "market_influence", Q4, "2", clock)
    before = _counts(world)
    refusals = [
        (KpiValueInvalid, lambda: records.enter_value(world, "h", COORDINATOR, "no_such_kpi", Q4, "1", clock)),
        (KpiValueInvalid, lambda: records.enter_value(world, "h", COORDINATOR, "meeting_attendance", Q4, "1", clock)),
        (KpiValueInvalid, lambda: records.enter_value(world, "h", COORDINATOR, "market_influence", "2026Q5", "1", clock)),
        (KpiValueInvalid, lambda: records.enter_value(world, "h", COORDINATOR, "market_influence", Q4, "many", clock)),
        (KpiValueInvalid, lambda: records.enter_value(world, "h", COORDINATOR, "market_influence", Q4, 1.5, clock)),
        (KpiValueInvalid, lambda: records.enter_value(world, "h", COORDINATOR, "market_influence", Q4, "1", clock,
                                                      member="Z")),
        (CatalogueInvalid, lambda: records.edit_kpi(world, "h", COORDINATOR, "meeting_attendance",
                                                    {"amber": "90", "green": "80"}, clock)),
        (CatalogueInvalid, lambda: records.edit_kpi(world, "h", COORDINATOR, "decision_speed",
                                                    {"amber": "10", "green": "14"}, clock)),
        (CatalogueInvalid, lambda: records.edit_kpi(world, "h", COORDINATOR, "learning", {"source": "nowhere"}, clock)),
        (PledgeInvalid, lambda: records.add_pledge(world, "h", COORDINATOR, member="A", kind="gold", amount="1",
                                                   due_on=date(2026, 12, 1), clock=clock)),
        (PledgeInvalid, lambda: records.add_pledge(world, "h", COORDINATOR, member="A", kind="money", amount="1.001",
                                                   due_on=date(2026, 12, 1), clock=clock)),
        (PledgeInvalid, lambda: records.add_pledge(world, "h", COORDINATOR, member="Z", kind="money", amount="1",
                                                   due_on=date(2026, 12, 1), clock=clock)),
        (PledgeInvalid, lambda: records.deliver(world, "h", COORDINATOR, 1, amount="-3", delivered_on=date(2026, 11, 1),
                                                clock=clock)),
        (NotFound, lambda: records.deliver(world, "other", OUTSIDER, 1, amount="3", delivered_on=date(2026, 11, 1),
                                           clock=clock)),
        (Forbidden, lambda: records.enter_value(world, "h", AUDITOR, "market_influence", Q4, "1", clock)),
        (Forbidden, lambda: records.edit_kpi(world, "h", admin_of("h", "A"), "learning", {"weight": "2"}, clock)),
        (AllianceNotFound, lambda: records.enter_value(world, "h", OUTSIDER, "market_influence", Q4, "1", clock)),
    ]
    for kind, attempt in refusals:
        with pytest.raises(kind):
            attempt()
        assert _counts(world) == before
    with pytest.raises(CatalogueInvalid, match="meeting_attendance"):
        records.edit_kpi(world, "h", COORDINATOR, "meeting_attendance", {"amber": "90", "green": "80"}, clock)


def test_catalogue_versions_and_the_scorecard_names_its_version(world: Store, clock: FrozenClock) -> None:
    assert service.scorecard(world, "h", COORDINATOR, clock).catalogue.version == 0
    records.edit_kpi(world, "h", COORDINATOR, "learning", {"weight": "2", "target": "9"}, clock, note="more weight")
    clock.advance(timedelta(minutes=1))
    records.edit_kpi(world, "h", COORDINATOR, "learning", {"weight": "2", "target": "9"}, clock)  # no change: no version
    records.edit_kpi(world, "h", COORDINATOR, "patents_granted", {
        "name_zh": "授权专利", "name_en": "Patents granted", "dimension": "output", "direction": "higher",
        "source": "entered", "target": "2", "amber": "0", "green": "1", "weight": "1", "unit": "patents"}, clock)
    history = records.catalogue_history(world, "h", AUDITOR)
    assert [v.version for v in history] == [2, 1, 0]
    assert history[1].note == "more weight" and history[1].changed_by.startswith("coord")
    assert history[1].catalogue.by_code()["learning"].weight == 2
    assert history[2].catalogue.by_code()["learning"].weight == 1  # the older version is kept as it was
    card = service.scorecard(world, "h", COORDINATOR, clock)
    assert card.catalogue.version == 2 and "patents_granted" in card.catalogue.by_code()
    assert service.bands(world, "h")["learning"].target == 9
    records.remove_kpi(world, "h", COORDINATOR, "patents_granted", clock)
    assert "patents_granted" not in service.bands(world, "h")
    assert service.bands(world, "other")["learning"].target == 8  # another alliance's catalogue is its own


def test_entered_values_append_only_correction_wins_and_forward_fill(world: Store, clock: FrozenClock) -> None:
    records.enter_value(world, "h", COORDINATOR, "market_influence", "2026Q3", "6", clock, member="A",
                        evidence="https://example.org/report")
    first = records.enter_value(world, "h", COORDINATOR, "market_influence", "2026-10", "4", clock, member="A")
    clock.advance(timedelta(minutes=5))
    records.enter_value(world, "h", COORDINATOR, "market_influence", "2026-10", "7.5", clock, member="A",
                        evidence="corrected: the survey's second wave")
    records.enter_value(world, "h", COORDINATOR, "market_influence", "2026-10", "5", clock, member="B")
    history = records.value_history(world, "h", COORDINATOR, kpi="market_influence")
    assert [v.value for v in history] == [Decimal("5"), Decimal("7.5"), Decimal("4"), Decimal("6")]
    assert first.entered_by.startswith("coord")
    a = _scores(world, clock, "A")["market_influence"]
    assert a.value == Decimal("7.5") and a.band is Band.GREEN
    assert _scores(world, clock)["market_influence"].value == Decimal("6.25")  # no alliance entry: mean of A and B
    found = service.series(world, "h", ["market_influence", "meeting_attendance"], granularity="month",
                           since=date(2026, 6, 1), until=date(2027, 1, 1))
    # The Q3 entry holds from July (its period's start) until October's replaces it.
    assert [v for _, v in found[("market_influence", "A")]] == [None, *[Decimal("6")] * 3, *[Decimal("7.5")] * 3]
    assert [d for d, _ in found[("market_influence", "A")]] == [date(2026, m, 1) for m in range(6, 13)]
    assert set(found) == {(k, m) for k in ("market_influence", "meeting_attendance") for m in (None, "A", "B", "C")}
    assert all(v is None for _, v in found[("meeting_attendance", None)])
    only = service.series(world, "h", ["market_influence", "gone"], granularity="quarter", since=date(2026, 10, 1),
                          until=date(2027, 1, 1), members=["B"])
    assert only == {("market_influence", None): [(date(2026, 10, 1), Decimal("6.25"))],  # the whole alliance
                    ("market_influence", "B"): [(date(2026, 10, 1), Decimal("5"))],
                    ("gone", None): [(date(2026, 10, 1), None)], ("gone", "B"): [(date(2026, 10, 1), None)]}
    with pytest.raises(PeriodInvalid):
        service.series(world, "h", ["learning"], granularity="day", since=date(2026, 10, 1), until=date(2027, 1, 1))
    # A member's accounts read their own and the alliance's values, never another member's.
    assert {v.member for v in records.value_history(world, "h", admin_of("h", "B"))} == {"B"}
    with pytest.raises(NotFound):
        records.value_history(world, "h", admin_of("h", "B"), member="A")


def test_member_scorecards_are_the_members_own(world: Store, clock: FrozenClock) -> None:
    assert service.scorecard(world, "h", admin_of("h", "A"), clock, member="A").member == "A"
    with pytest.raises(NotFound):
        service.scorecard(world, "h", admin_of("h", "A"), clock, member="B")
    with pytest.raises(AllianceNotFound):
        service.scorecard(world, "h", OUTSIDER, clock, member="A")
    with pytest.raises(NotFound):
        service.scorecard(world, "h", COORDINATOR, clock, member="Z")
    board = service.dashboard(world, "h", admin_of("h", "A"), clock)
    assert board.members == ("A",)
    assert service.dashboard(world, "h", COORDINATOR, clock).members == ("A", "B", "C")
    card = service.scorecard(world, "h", COORDINATOR, clock)
    assert [p.period.label for p in card.trend] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]


def test_quarterly_review_goes_on_the_agenda(world: Store, clock: FrozenClock) -> None:
    from alliance.governance import service_meetings
    from datetime import time

    body = service_meetings.create_body(world, "h", COORDINATOR, name="联合管理委员会", kind="joint_committee",
                                        term_from=date(2026, 1, 1), term_to=None, cadence="quarterly",
                                        meeting_time=time(10), duration_minutes=60, seats=[("A", "chair", None)],
                                        rules=None, clock=clock)
    meeting = service_meetings.add_meeting(world, "h", COORDINATOR, body.id, date(2026, 12, 10), time(10), clock)
    item = records.schedule_review(world, "h", COORDINATOR, meeting.id, clock)
    assert "Quarterly health review 2026Q3" in item.title and "/alliances/h/health?period=2026Q3" in item.title
    with pytest.raises(Forbidden):
        records.schedule_review(world, "h", AUDITOR, meeting.id, clock)


def test_joint_patents_are_read_from_the_ip_register(world: Store, clock: FrozenClock) -> None:
    """The scorecard's joint patents: the register's foreground patents with two or more contributors,
    in the period they became joint; a member counts those it holds a share of. Nothing is entered."""
    from alliance.ip import service as ip

    ip.register_foreground(world, "h", COORDINATOR, clock, kind="patent", title="联合研发的密封结构",
                           number="CN202410009999.1", contributors=[("A", "1/3"), ("B", "2/3")])
    ip.register_foreground(world, "h", COORDINATOR, clock, kind="patent", title="单独的专利", number="CN202410000001.1",
                           contributors=[("C", "1")])
    ip.register_foreground(world, "h", COORDINATOR, clock, kind="design", title="联合外观", number="CN302410000002.1",
                           contributors=[("A", "1/2"), ("C", "1/2")])
    ip.register_background(world, "h", admin_of("h", "C"), clock, owner="C", kind="patent", title="背景专利",
                           number="CN202310001234.5", licence=ip.Licence("仅限本联盟"))
    period = f"{clock.now().year}Q{(clock.now().month - 1) // 3 + 1}"
    assert _scores(world, clock, period=period)["joint_patents"].value == 1
    assert [_scores(world, clock, m, period)["joint_patents"].value for m in "ABC"] == [1, 1, 0]
    # A third contributor joins later: still one joint patent, now C's too.
    single = ip.read_register(world, "h", COORDINATOR, clock, kind="patent").assets[1]
    ip.change(world, "h", single.asset, COORDINATOR, clock, contributors=[("C", "1/2"), ("B", "1/2")])
    assert _scores(world, clock, period=period)["joint_patents"].value == 2
    assert [_scores(world, clock, m, period)["joint_patents"].value for m in "ABC"] == [1, 2, 1]
    # An earlier quarter counts nothing.
    assert _scores(world, clock, period="2026Q1")["joint_patents"].value in (0, None)
