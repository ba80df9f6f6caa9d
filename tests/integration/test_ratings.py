"""Star ratings through the service, on SQLite and PostgreSQL: weights refused whole, the review
import (all or nothing), the approval rule, the elimination procedure over a frozen clock (notice,
appeal, review, the exclusion proposal voted and done), the grace period, ledger entries verified."""

from __future__ import annotations

import json
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import NotFound
from alliance.governance import service_meetings as meetings
from alliance.governance import service_proposals as proposals
from alliance.governance.proposals import ProposalStatus
from alliance.health.ratings import service as ratings
from alliance.health.ratings.engine import RatingWeightsInvalid
from alliance.health.ratings.reviews import ReviewImportInvalid
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.store.tables import notify_outbox, rating_reviews, rating_settings
from tests.support.factories import credit_code, make_alliance

COORDINATOR = Principal("coord", Role.COORDINATOR, "nb", kind="user")
DEPUTY = Principal("deputy", Role.COORDINATOR, "nb", kind="user")
AUDITOR = Principal("aud", Role.AUDITOR, "nb", kind="user")
HEADER = ["member", "date", "stars", "reviewer", "comment"]
# Reviews weigh half, so one-star reviews and no innovation make one star (19.5 of 100).
HEAVY_REVIEWS = ({"reviews": "0.5", "fulfilment": "0.3", "innovation": "0.2"}, {"delivery": "0.7", "disputes": "0.3"})


def admin_of(member: str, alliance: str = "nb") -> Principal:
    return Principal(f"{member.lower()}-admin", Role.MEMBER_ADMIN, alliance, member, kind="user")


def _setup(store: Store, clock: FrozenClock, *, grace_days: int = 0) -> None:
    for code in ("nb", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("M1", "M2", "M3", "M4"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    ratings.set_weights(store, "nb", COORDINATOR, *HEAVY_REVIEWS, clock)
    ratings.set_policy(store, "nb", COORDINATOR, clock, improvement_days=30, grace_days=grace_days, appeal_days=7,
                       move=2, floor=1)


def _reviews(store: Store, clock: FrozenClock, member: str, stars: int, count: int = 3, day: str = "2026-11-01") -> None:
    ratings.import_reviews(store, "nb", COORDINATOR, HEADER, [[member, day, str(stars), "客户", "好"]] * count, clock)


def _body(store: Store, clock: FrozenClock) -> int:
    return meetings.create_body(
        store, "nb", COORDINATOR, name="联合管理委员会", kind="joint_committee", term_from=date(2026, 11, 1),
        term_to=None, cadence="quarterly", meeting_time=time(10, 0), duration_minutes=120,
        seats=[("M1", "chair", None), ("M2", "member", None), ("M3", "member", None), ("M4", "member", None)],
        rules=None, clock=clock).id


def _count(store: Store, table: object) -> int:
    with store.engine.connect() as c:
        return c.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[arg-type]


def test_weights_not_summing_to_one_are_refused_and_nothing_is_stored(store: Store, clock: FrozenClock) -> None:
    _setup(store, clock)
    with store.engine.connect() as c:
        before = c.execute(select(rating_settings.c.settings)).all()
    with pytest.raises(RatingWeightsInvalid, match="sum to 1.05, not 1"):
        ratings.set_weights(store, "nb", COORDINATOR, {"reviews": "0.5", "fulfilment": "0.35", "innovation": "0.2"},
                            HEAVY_REVIEWS[1], clock)
    with pytest.raises(Forbidden):
        ratings.set_weights(store, "nb", admin_of("M1"), *HEAVY_REVIEWS, clock)
    with store.engine.connect() as c:
        assert c.execute(select(rating_settings.c.settings)).all() == before
    assert ratings.settings_of(store, "nb", COORDINATOR).weights.groups["reviews"] == 0.5


def test_a_review_import_with_a_bad_row_stores_nothing(store: Store, clock: FrozenClock) -> None:
    _setup(store, clock)
    rows = [["M1", "2026-11-01", "5", "", ""], ["M9", "2026-11-02", "4", "", ""], ["M2", "2026-13-01", "6", "", ""],
            ["M3", "2026-12-30", "3", "", ""]]
    with pytest.raises(ReviewImportInvalid) as refused:
        ratings.import_reviews(store, "nb", COORDINATOR, HEADER, rows, clock)
    where = [(str(p.where), p.field) for p in refused.value.problems]
    assert where == [("row 3", "member"), ("row 4", "date"), ("row 4", "stars"), ("row 5", "date")]
    assert _count(store, rating_reviews) == 0
    with pytest.raises(ReviewImportInvalid, match="unknown column"):
        ratings.import_reviews(store, "nb", COORDINATOR, ["成员", "日期", "星级", "颜色"], [["M1", "2026-11-01", "5", "红"]],
                               clock)
    assert _count(store, rating_reviews) == 0
    assert ratings.import_reviews(store, "nb", COORDINATOR, ["成员", "日期", "星级"], [["M1", "2026-11-01", "5"]],
                                  clock) == 1


def test_a_risky_rating_waits_for_another_persons_approval(store: Store, clock: FrozenClock) -> None:
    _setup(store, clock)
    _reviews(store, clock, "M1", 1)
    ratings.enter_innovation(store, "nb", COORDINATOR, "M1", "2026Q4", "0", clock)
    (rating,) = ratings.run(store, "nb", COORDINATOR, "2026Q4", clock, members=["M1"])
    assert rating.stars == 1 and rating.status == "pending" and rating.needs_approval
    explanation = rating.explanation
    assert [ln["input"] for ln in explanation["lines"]] == ["reviews", "delivery", "disputes", "innovation"]
    assert explanation["lines"][0]["raw"] == {"reviews": "3", "mean_stars": "1.00"}
    assert explanation["score_shown"] == "19.50"
    # Not yet in force: the member's page shows no rating, the ledger has nothing.
    assert ratings.member_rating(store, "nb", "M1", admin_of("M1"), clock).current is None
    entries = ledger.verify_store(store, "nb").entries
    with pytest.raises(ratings.RatingDecisionRefused, match="another person"):
        ratings.decide(store, "nb", COORDINATOR, rating.id, True, clock)
    with pytest.raises(Forbidden):
        ratings.decide(store, "nb", admin_of("M2"), rating.id, True, clock)
    done = ratings.decide(store, "nb", DEPUTY, rating.id, True, clock)
    assert done.status == "effective" and done.decided_by == "user:deputy"
    with pytest.raises(ratings.RatingDecisionRefused, match="not pending"):
        ratings.decide(store, "nb", DEPUTY, rating.id, True, clock)
    report = ledger.verify_store(store, "nb")
    assert report.ok and report.entries == entries + 2   # took effect, tier changed
    # The change was published to the member.
    with store.engine.connect() as c:
        notices = c.execute(select(notify_outbox.c.event, notify_outbox.c.member)).all()
    assert ("rating.changed", "M1") in [tuple(n) for n in notices]
    # An ordinary rating takes effect at once.
    (plain,) = ratings.run(store, "nb", COORDINATOR, "2026Q4", clock, members=["M2"])
    assert plain.status == "effective" and plain.stars == 3


def test_the_member_sees_its_own_rating_and_only_stars_of_others(store: Store, clock: FrozenClock) -> None:
    _setup(store, clock)
    _reviews(store, clock, "M2", 5)
    ratings.run(store, "nb", COORDINATOR, "2026Q4", clock)
    own = ratings.member_rating(store, "nb", "M1", admin_of("M1"), clock)
    assert own.current is not None and own.current.stars == 3 and own.advice is not None
    assert own.advice.target_stars == 4 and own.advice.input == "reviews"
    assert ratings.member_rating(store, "nb", "M1", AUDITOR, clock).current is not None
    with pytest.raises(NotFound):
        ratings.member_rating(store, "nb", "M2", admin_of("M1"), clock)
    with pytest.raises(NotFound):
        ratings.member_rating(store, "nb", "M1", admin_of("M1", "other"), clock)
    table = ratings.table(store, "nb", admin_of("M1"), clock)
    assert {r.member: r.stars for r in table} == {"M1": 3, "M2": 4, "M3": 3, "M4": 3}
    assert not any(r.pending or r.procedure for r in table)
    assert not hasattr(table[0], "explanation")


def _one_star(store: Store, clock: FrozenClock, member: str = "M4") -> int:
    _reviews(store, clock, member, 1)
    ratings.enter_innovation(store, "nb", COORDINATOR, member, "2026Q4", "0", clock)
    (rating,) = ratings.run(store, "nb", COORDINATOR, "2026Q4", clock, members=[member])
    ratings.decide(store, "nb", DEPUTY, rating.id, True, clock)
    return rating.id


def test_the_elimination_procedure_ends_in_an_exclusion_voted_by_the_committee(store: Store,
                                                                               clock: FrozenClock) -> None:
    _setup(store, clock)
    body_id = _body(store, clock)
    _one_star(store, clock)
    (procedure,) = ratings.procedures(store, "nb", COORDINATOR)
    assert procedure.stage == "improvement" and procedure.improvement_until == date(2026, 12, 22)
    with store.engine.connect() as c:
        titles = [t for (t,) in c.execute(select(notify_outbox.c.title).where(notify_outbox.c.member == "M4"))]
    assert any("Elimination procedure" in t for t in titles)   # the notice, published
    # The member appeals on day 3: the procedure pauses; the coordinator refuses on day 8: it resumes 5 days later.
    clock.advance(timedelta(days=3))
    with pytest.raises(NotFound):
        ratings.appeal(store, "nb", "M4", "评价有误", admin_of("M3"), clock)
    paused = ratings.appeal(store, "nb", "M4", "评价来自竞争对手", admin_of("M4"), clock)
    assert paused.stage == "appealed"
    clock.advance(timedelta(days=40))
    assert ratings.review_due(store, "nb", COORDINATOR, clock) == []   # paused: no review
    clock.advance(timedelta(days=-35))
    resumed = ratings.decide_appeal(store, "nb", procedure.id, False, COORDINATOR, clock)
    assert resumed.stage == "improvement" and resumed.improvement_until == date(2026, 12, 27)
    with pytest.raises(ratings.AppealRefused):
        ratings.appeal(store, "nb", "M4", "again", admin_of("M4"), clock)
    clock.advance(timedelta(days=10))
    assert ratings.review_due(store, "nb", COORDINATOR, clock) == []   # not yet due
    clock.advance(timedelta(days=20))                                  # 2026-12-30: due
    (reviewed,) = ratings.review_due(store, "nb", COORDINATOR, clock)
    assert reviewed.outcome.value == "exclusion_proposed" and reviewed.rating.stars == 1
    assert reviewed.procedure.stage == "proposed" and reviewed.procedure.proposal_number is not None
    number = reviewed.procedure.proposal_number
    with store.engine.connect() as c:   # the procedure's notices repeat one undelivered notice, the latest text
        titles = [t for (t,) in c.execute(select(notify_outbox.c.title).where(notify_outbox.c.member == "M4",
                                                                               notify_outbox.c.group_key == "procedure:M4"))]
    assert titles == ["Exclusion proposed"]
    shown = proposals.show(store, "nb", number, COORDINATOR, clock).proposal
    assert shown.type == "exclude_member" and shown.params["member"] == "M4" and shown.body_id == body_id
    assert shown.params["procedure"] == reviewed.procedure.id  # typed: what makes the exit a rating elimination
    proposals.submit(store, "nb", number, COORDINATOR, clock)
    proposals.open_voting(store, "nb", number, COORDINATOR, clock)
    for member in ("M1", "M2", "M3"):
        proposals.cast(store, "nb", number, admin_of(member), "yes", clock)
    clock.advance(timedelta(days=30))
    proposals.advance_due(store, clock)
    assert proposals.show(store, "nb", number, COORDINATOR, clock).proposal.status is ProposalStatus.IMPLEMENTED
    assert registry.get_member(store, "nb", "M4").left_on is not None
    assert ledger.verify_store(store, "nb").ok


def test_an_improved_member_leaves_the_procedure_and_a_granted_appeal_closes_it(store: Store,
                                                                                clock: FrozenClock) -> None:
    _setup(store, clock)
    _one_star(store, clock, "M4")
    _one_star(store, clock, "M3")
    by_member = {p.member: p for p in ratings.procedures(store, "nb", COORDINATOR)}
    ratings.appeal(store, "nb", "M3", "评价被刷", admin_of("M3"), clock)
    granted = ratings.decide_appeal(store, "nb", by_member["M3"].id, True, COORDINATOR, clock)
    assert granted.stage == "closed" and granted.outcome == "appeal_granted"
    # M4 improves: good reviews in the new quarter, reviewed when the period ends.
    clock.advance(timedelta(days=45))   # 2027-01-06, 2027Q1
    ratings.enter_innovation(store, "nb", COORDINATOR, "M4", "2027Q1", "80", clock)
    _reviews(store, clock, "M4", 5, day="2027-01-02")
    (reviewed,) = ratings.review_due(store, "nb", COORDINATOR, clock)
    assert reviewed.outcome.value == "improved" and reviewed.rating.stars >= 2
    assert reviewed.procedure.stage == "closed"
    # The appeal period is over for a new procedure's member after N days.
    assert ledger.verify_store(store, "nb").ok


def test_a_new_member_in_its_grace_period_enters_no_procedure(store: Store, clock: FrozenClock) -> None:
    _setup(store, clock, grace_days=30)
    _one_star(store, clock, "M4")
    assert ratings.procedures(store, "nb", COORDINATOR) == []
    view = ratings.member_rating(store, "nb", "M4", admin_of("M4"), clock)
    assert view.current is not None and view.current.stars == 1 and view.procedure is None


def test_tier_benefits_record_entitlements_and_the_ledger_catches_an_edited_rating(store: Store,
                                                                                  clock: FrozenClock) -> None:
    _setup(store, clock)
    ratings.set_benefits(store, "nb", COORDINATOR, [
        {"stars": 4, "kind": "agreement_share", "agreement": "split", "rule": "r", "points": "2"},
        {"stars": 4, "kind": "marketing_subsidy", "amount": "5000.00"}, {"stars": 4, "kind": "lead_priority"}], clock)
    _reviews(store, clock, "M2", 5)
    ratings.run(store, "nb", COORDINATOR, "2026Q4", clock, members=["M2"])
    view = ratings.member_rating(store, "nb", "M2", admin_of("M2"), clock)
    assert view.current is not None and view.current.stars == 4
    assert len(view.benefits) == 3 and len(view.entitlements) == 2
    todo = ratings.entitlements(store, "nb", COORDINATOR)
    assert {m for m, _ in todo} == {"M2"} and any("next version of agreement split" in t for _, t in todo)
    assert ledger.verify_store(store, "nb").ok
    from alliance.store.tables import ratings as rating_rows

    with store.engine.begin() as c:
        c.execute(rating_rows.update().values(stars=5))
    found = ledger.verify_store(store, "nb").first_mismatch
    assert found is not None and "star rating" in str(found)
    assert json.dumps(view.current.explanation)  # the explanation is plain JSON


def test_an_exclusion_names_a_current_member(store: Store, clock: FrozenClock) -> None:
    from alliance.governance.effects import EFFECTS, EffectContext

    _setup(store, clock)
    registry.end_membership(store, "nb", "M2", None, clock)
    ctx = EffectContext(store, registry.get_alliance(store, "nb"), clock, "proposal 1", "proposal 1")
    effect = EFFECTS["exclude_member"]
    assert effect.check(ctx, {"member": "M1", "reason": "r"}) == ({"member": "M1", "reason": "r"}, [])
    for params, said in (({"member": "M9"}, "has no member"), ({"member": "M2"}, "already left"),
                         ({}, "name the member"), ({"member": "M1", "colour": "red"}, "not a parameter"),
                         ({"member": "M1", "procedure": "first"}, "named by its number"),
                         ({"member": "M1", "procedure": 999}, "has no elimination procedure")):
        _, problems = effect.check(ctx, params)
        assert any(said in str(p.reason) for p in problems), (params, problems)
    assert "M1" in effect.describe({"member": "M1"})
    effect.apply(ctx, {"member": "M1"})
    assert registry.get_member(store, "nb", "M1").left_on is not None


def test_the_dashboard_panel_counts_stars_and_the_coordinators_work(store: Store, clock: FrozenClock) -> None:
    from alliance.web.i18n import get_environment

    _setup(store, clock)
    _one_star(store, clock, "M4")
    _reviews(store, clock, "M1", 5)
    ratings.run(store, "nb", COORDINATOR, "2026Q4", clock, members=["M1", "M2"])
    panel = ratings.panel(store, "nb", COORDINATOR, clock)
    assert panel.by_stars == {1: 1, 2: 0, 3: 1, 4: 1, 5: 0} and panel.unrated == 1
    assert panel.pending == 0 and panel.open_procedures == 1
    member_view = ratings.panel(store, "nb", admin_of("M1"), clock)
    assert member_view.by_stars == panel.by_stars and member_view.open_procedures == 0
    html = get_environment("en").get_template("health/_ratings_panel.html").render(
        ratings_panel=panel, ratings_manage=True, alliance=registry.get_alliance(store, "nb"), root="")
    assert 'id="ratings-panel"' in html and 'href="/alliances/nb/ratings"' in html and "Elimination procedures: 1" in html


def test_delivery_comes_from_the_scorecard_series(store: Store, clock: FrozenClock) -> None:
    """The real scorecard (health.kpis): M1 delivered its pledge on time, M2 pledged nothing."""
    from alliance.health.kpis import records

    _setup(store, clock)
    pledge = records.add_pledge(store, "nb", COORDINATOR, member="M1", kind="people_days", amount="10",
                                due_on=date(2026, 11, 10), clock=clock, unit="人天")
    records.deliver(store, "nb", COORDINATOR, pledge.number, amount="10", delivered_on=date(2026, 11, 5), clock=clock)
    made = {r.member: r for r in ratings.run(store, "nb", COORDINATOR, "2026Q4", clock, members=["M1", "M2"])}
    delivery = {m: next(ln for ln in r.explanation["lines"] if ln["input"] == "delivery") for m, r in made.items()}
    assert delivery["M1"]["raw"] == {"kpi": "resource_contribution", "values": "1", "on_time_pct": "100.00"}
    assert delivery["M2"]["score_shown"] == "50.00" and "neutral" in delivery["M2"]["note"]
    # Innovation: no score entered, and the IP register holds no joint patent of M1: 0 patents, 0 points.
    assert made["M1"].explanation["score_shown"] == "55.00"   # 50*0.5 + 100*0.21 + 100*0.09 + 0*0.2


def test_the_scheduler_reviews_due_procedures_once(store: Store, clock: FrozenClock) -> None:
    _setup(store, clock)
    _one_star(store, clock, "M4")
    assert ratings.review_all_due(store, clock) == []       # not yet due
    clock.advance(timedelta(days=31))
    (done,) = ratings.review_all_due(store, clock)
    code, reviewed = done
    # No body to decide the exclusion: the procedure waits for the coordinator, and the scheduler leaves it.
    assert code == "nb" and reviewed.problem is not None and reviewed.procedure.stage == "improvement"
    assert ratings.review_all_due(store, clock) == []
    body_id = _body(store, clock)
    (again,) = ratings.review_due(store, "nb", COORDINATOR, clock)
    assert again.procedure.stage == "proposed"
    proposal = proposals.show(store, "nb", again.procedure.proposal_number, COORDINATOR, clock).proposal
    assert proposal.body_id == body_id and proposal.status is ProposalStatus.DRAFT
