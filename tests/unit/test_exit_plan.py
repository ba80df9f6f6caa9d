"""The exit case's pure parts: each trigger's end date (clause and defaults), the plan's steps,
the holdback required with open disputes, the IP step from the register, the agreements flagged, the
final statement's proration to the cent, and the step rules' refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest

from alliance.core.errors import InvalidInput
from alliance.exits import plan, rules, statement
from alliance.exits.errors import DaysOpen, HoldbackRequired, StatementFixed, StepNotByHand, StepNotWaivable
from alliance.exits.model import COORDINATOR, MEMBER, Case, Status, StepKey, Trigger
from alliance.exits.triggers import (DEFAULT_CONTROL_DAYS, DEFAULT_CURE_DAYS, DEFAULT_NOTICE_DAYS, TRIGGERS, NoEndDate,
                                     Terms, end_date)
from alliance.ip.exit import ExitPolicy
from alliance.ip.model import Asset, IpKind, Licence, Origin, Share, Version

DAY = date(2027, 3, 1)
AT = datetime(2027, 3, 1, 2, tzinfo=UTC)


def test_every_trigger_has_its_rule_and_every_step_its_builder() -> None:
    assert set(TRIGGERS) == set(Trigger)
    assert set(plan.BUILDERS) == set(StepKey)


@pytest.mark.parametrize(("trigger", "terms", "expected"), [
    (Trigger.VOLUNTARY, Terms(notice_days=60), date(2027, 4, 30)),
    (Trigger.VOLUNTARY, Terms(), date(2027, 5, 30)),                       # default 90 days
    (Trigger.EXPIRY, Terms(agreement_end=date(2027, 12, 31)), date(2027, 12, 31)),
    (Trigger.EXPULSION_VOTE, Terms(notice_days=60), DAY),                  # a decision: that day
    (Trigger.RATING_ELIMINATION, Terms(), DAY),
    (Trigger.BREACH, Terms(cure_days=14), date(2027, 3, 15)),
    (Trigger.BREACH, Terms(), date(2027, 3, 31)),                          # default 30-day cure period
    (Trigger.CHANGE_OF_CONTROL, Terms(), date(2027, 3, 31)),
    (Trigger.INSOLVENCY, Terms(notice_days=60), DAY),
])
def test_each_trigger_sets_the_end_date(trigger: Trigger, terms: Terms, expected: date) -> None:
    assert end_date(trigger, DAY, terms).day == expected
    assert (DEFAULT_NOTICE_DAYS, DEFAULT_CURE_DAYS, DEFAULT_CONTROL_DAYS) == (90, 30, 30)


def test_clause_or_default_is_named_in_the_basis() -> None:
    assert "exit clause's 60 days" in end_date(Trigger.VOLUNTARY, DAY, Terms(notice_days=60)).basis
    assert "default 90 days" in end_date(Trigger.VOLUNTARY, DAY, Terms()).basis


def test_expiry_without_an_end_date_and_an_agreed_date_before_the_trigger_are_refused() -> None:
    with pytest.raises(NoEndDate):
        end_date(Trigger.EXPIRY, DAY, Terms())
    with pytest.raises(InvalidInput):
        end_date(Trigger.VOLUNTARY, DAY, Terms(), agreed=date(2027, 2, 1))
    assert end_date(Trigger.VOLUNTARY, DAY, Terms(notice_days=60), agreed=date(2027, 3, 20)).day == date(2027, 3, 20)


def _asset(n: int, origin: Origin, owner: str | None = None, holders: tuple[str, ...] = ()) -> Asset:
    shares = tuple(Share(m, Fraction(1, len(holders))) for m in holders)
    return Asset(n, origin, IpKind.PATENT, (Version(1, f"asset {n}", f"CN{n}", owner,
                                                    Licence("licence") if owner else None, shares, None, "", "x", AT),))


def _facts(**kw: object) -> plan.Facts:
    base: dict[str, object] = dict(member="M1", trigger=Trigger.VOLUNTARY, decided_on=DAY,
                                   end=end_date(Trigger.VOLUNTARY, DAY, Terms(notice_days=30)), currency="CNY")
    base.update(kw)
    return plan.Facts(**base)  # type: ignore[arg-type]


def test_the_plan_has_every_step_with_owners_and_due_dates() -> None:
    steps = {s.key: s for s in plan.plan(_facts())}
    assert list(steps) == list(StepKey)
    end = date(2027, 3, 31)
    assert steps[StepKey.NOTICE].status is Status.DONE and steps[StepKey.NOTICE].owner == MEMBER
    assert steps[StepKey.SETTLEMENT].due == date(2027, 4, 1) and steps[StepKey.SETTLEMENT].owner == COORDINATOR
    assert steps[StepKey.DATA].due == date(2027, 4, 30)  # a 30-day retrieval window after the end date
    assert steps[StepKey.DATA].detail["kept_by_law"][0]["why"].startswith("accounting vouchers and books: 30 years")
    assert steps[StepKey.END].due == end and not steps[StepKey.END].waivable
    assert steps[StepKey.FINAL_STATEMENT].owner == "member+coordinator"
    # No dispute: no holdback needed; no non-compete: nothing binds; no agreement: nothing flagged.
    assert steps[StepKey.HOLDBACK].status is Status.WAIVED
    assert steps[StepKey.NON_COMPETE].status is Status.WAIVED
    assert steps[StepKey.AGREEMENTS].status is Status.DONE
    assert steps[StepKey.IP].detail["checklist"]  # an empty register: a checklist


def test_open_disputes_require_the_holdback() -> None:
    steps = {s.key: s for s in plan.plan(_facts(disputes=[plan.DisputeFacts(3, 120050, "CNY", "open"),
                                                          plan.DisputeFacts(5, 1000, "CNY", "answered")]))}
    holdback = steps[StepKey.HOLDBACK]
    assert holdback.status is Status.OPEN and not holdback.waivable
    assert holdback.detail["amount"] == "1210.50"
    assert [d["number"] for d in holdback.detail["disputes"]] == [3, 5]


def test_clauses_drive_ip_non_compete_and_the_agreements_flag() -> None:
    agreement = plan.AgreementFacts("main", 2, ("M1", "M2"), ExitPolicy.NONE_BEYOND_OWN,
                                    ((date(2028, 3, 31), "online sales", ("M1",)),), ("ip",))
    other = plan.AgreementFacts("side", 1, ("M1", "M3"), None, ((date(2029, 1, 1), "x", ("M3",)),))
    register = [_asset(1, Origin.BACKGROUND, owner="M1"), _asset(2, Origin.BACKGROUND, owner="M2"),
                _asset(3, Origin.FOREGROUND, holders=("M1", "M2")), _asset(4, Origin.FOREGROUND, holders=("M2",))]
    steps = {s.key: s for s in plan.plan(_facts(agreements=[agreement, other], register=register))}
    ip = steps[StepKey.IP].detail
    assert ip["policy"] == "none_beyond_own" and ip["policy_source"] == "the IP clause of main version 2"
    assert [(k["asset"], k["basis"]) for k in ip["keeps"]] == [(1, "own_background")]
    assert [(r["asset"], r["to"]) for r in ip["returns"]] == [(1, "M1"), (2, "M2")]
    assert [s["asset"] for s in ip["stays"]] == [3, 4]
    assert "checklist" not in ip
    nc = steps[StepKey.NON_COMPETE]
    assert nc.status is Status.OPEN and nc.due == date(2028, 3, 31) and nc.owner == MEMBER  # 'side' binds M3 only
    flagged = steps[StepKey.AGREEMENTS]
    assert flagged.status is Status.FLAGGED and [a["agreement"] for a in flagged.detail["agreements"]] == ["main", "side"]
    # Without an IP clause: the default policy, co-owners keep their share.
    default = {s.key: s for s in plan.plan(_facts(register=register))}[StepKey.IP].detail
    assert default["policy"] == "owners_keep" and [k["asset"] for k in default["keeps"]] == [1, 3]


def test_proration_of_the_final_month_to_the_cent() -> None:
    # Leaves on 15 March (15 of 31 days). Its cost-share part 36000.00 paid on 10 March: it keeps paying
    # 36000.00 * 15/31 = 17419.354... -> 17419.35 and is credited 18580.65. Its growth-fund contribution
    # of 0.31 on 12 March: 0.31 * 15/31 = 0.15 exactly, credit 0.16. A February cost share is not prorated.
    lines = [statement.Line(date(2027, 2, 20), "main", 1, "campaign-feb", "cost_share", -500000),
             statement.Line(date(2027, 3, 10), "main", 1, "campaign", "cost_share", -3600000),
             statement.Line(date(2027, 3, 12), "main", 1, "fund", "growth_fund", -31),
             statement.Line(date(2027, 3, 12), "main", 1, "split", "fixed_split", 1234567),
             statement.Line(date(2027, 3, 16), "main", 1, "split", "fixed_split", 999)]  # after the end: not its day
    doc = statement.build("M1", "CNY", date(2027, 3, 15), lines,
                          [statement.PaidOut(1, date(2027, 2, 1), date(2027, 2, 28), 100000)], 50000)
    assert doc["proration"]["days"] == 15 and doc["proration"]["month_days"] == 31
    assert [(p["rule"], p["kept"], p["credit"]) for p in doc["proration"]["lines"]] == [
        ("campaign", "17419.35", "18580.65"), ("fund", "0.15", "0.16")]
    assert doc["proration"]["credit"] == "18580.81"
    assert doc["statements_total"] == "-28654.64"  # -5000.00 - 36000.00 - 0.31 + 12345.67
    assert doc["paid_out"] == "1000.00"
    assert doc["balance"] == "-11073.83"   # -28654.64 + 18580.81 - 1000.00
    assert doc["holdback"] == "500.00" and doc["payable_now"] == "-11573.83"
    assert [d["day"] for d in doc["by_day"]] == ["2027-02-20", "2027-03-10", "2027-03-12"]
    assert statement.prorate(100, 31, 31) == 100  # the month's last day: nothing credited
    assert statement.prorate(1, 1, 2) == 0 and statement.prorate(3, 1, 2) == 2  # half to even


def _case(**steps: Status) -> Case:
    built = plan.plan(_facts(disputes=[plan.DisputeFacts(3, 100, "CNY", "open")]))
    return Case(1, "M1", Trigger.VOLUNTARY, DAY, date(2027, 3, 31), "", "", "open", "x", AT, None, built)


def test_step_rules_refuse_what_the_case_does_not_allow() -> None:
    case = _case()
    disputes = rules.Now(running_disputes=[3])
    with pytest.raises(HoldbackRequired):
        rules.change(case, StepKey.HOLDBACK, Status.WAIVED, "agreed", disputes)
    with pytest.raises(HoldbackRequired):
        rules.change(case, StepKey.HOLDBACK, Status.DONE, "", disputes)
    assert rules.change(case, StepKey.HOLDBACK, Status.DONE, "released", rules.Now()).status is Status.DONE
    with pytest.raises(InvalidInput):
        rules.change(case, StepKey.STAFF, Status.WAIVED, "  ", rules.Now())
    with pytest.raises(StepNotWaivable):
        rules.change(case, StepKey.SETTLEMENT, Status.WAIVED, "no", rules.Now())
    with pytest.raises(DaysOpen):
        rules.change(case, StepKey.SETTLEMENT, Status.DONE, "", rules.Now(open_days=[date(2027, 3, 30)]))
    with pytest.raises(StepNotByHand):
        rules.change(case, StepKey.FINAL_STATEMENT, Status.DONE, "", rules.Now())
    with pytest.raises(StepNotByHand):
        rules.change(case, StepKey.END, Status.DONE, "", rules.Now())
    with pytest.raises(StepNotByHand):  # reopening what an action did
        rules.change(case, StepKey.NOTICE, Status.OPEN, "", rules.Now())
    for day in (date(2027, 4, 29), date(2027, 4, 30)):  # the erasure does it (exits.erasure), never a hand
        with pytest.raises(StepNotByHand):
            rules.change(case, StepKey.DATA, Status.DONE, "", rules.Now(today=day))
    with pytest.raises(StatementFixed):
        rules.change(case, StepKey.SETTLEMENT, Status.OPEN, "", rules.Now(acknowledged=True))
    assert rules.check_owner("successor:M2", "M1", {"M1", "M2"}) == "successor:M2"
    with pytest.raises(InvalidInput):
        rules.check_owner("successor:M1", "M1", {"M1", "M2"})
