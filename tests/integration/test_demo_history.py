"""The living demo on a real database (SQLite and PostgreSQL): a history up to yesterday that a
newcomer can read money from at once, written through the services and verifiable in the ledger."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from alliance.core.clock import FrozenClock, local_today
from alliance.core.errors import InvalidInput
from alliance.access.roles import Principal, Role
from alliance.datashare import service as datashare
from alliance.demo_history import load_living_demo
from alliance.demo_timeline import BUSINESS_DAYS, PILOTS, Timeline, timeline
from alliance.ledger import service as ledger
from alliance.operations.glossary import service as glossary
from alliance.operations.glossary.model import Status as TermStatus
from alliance.operations.purchasing import service as purchasing
from alliance.operations.purchasing.model import CampaignState
from alliance.operations.referrals import service as referrals
from alliance.operations.referrals.model import State as ReferralState
from alliance.operations.warehouse import service as warehouse
from alliance.registry.demo import DEMO_ALLIANCES
from alliance.screening import service as screening
from alliance.screening.pipeline import Stage
from alliance.settlement import service as settlement
from alliance.sharing import service as sharing
from alliance.sharing.agreement import RuleKind, load_agreement_text
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores

# Each test loads the demo's weeks of history (30-40 s): CI runs them (pyproject's `slow` marker).
pytestmark = pytest.mark.slow

CODES = [d.spec.code for d in DEMO_ALLIANCES]
TZ = "Asia/Shanghai"
# 23:30 UTC is 07:30 the next morning in Shanghai: "yesterday" is the UTC date, and the last day is
# settled before 09:00 local (just before the load). The 30th of November: the history spans a month end.
LATE_EVENING_UTC = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)


@pytest.fixture
def facts(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = FactStore(tmp_path / "facts.duckdb")
    yield store
    store.close()


def test_the_demo_has_a_settled_history_up_to_yesterday(store: Store, facts: FactStore, stores: Stores) -> None:
    clock = FrozenClock(LATE_EVENING_UTC)
    yesterday = local_today(clock, TZ) - timedelta(days=1)
    assert yesterday == date(2026, 11, 30)

    demo = load_living_demo(stores, clock)

    assert demo.load.created == CODES and demo.load.existing == []
    t = timeline(clock.now(), TZ)
    kinds: set[RuleKind] = set()
    for code in CODES:
        summary = next(h for h in demo.histories if h.alliance == code)
        assert (summary.first, summary.last) == (t.first, yesterday)
        # Every calendar day from the first business day through yesterday is closed, none after.
        closed = settlement.period_totals(store, code, t.first - timedelta(days=40), yesterday + timedelta(days=5))
        assert sorted(closed.runs) == list(t.days) and closed.failures == {}
        assert summary.settled_days == len(t.days) >= BUSINESS_DAYS
        assert facts.count(code) == summary.lines > 0
        # Agreements: every version fully signed, each party by its own member-admin account.
        for versions in sharing.list_agreements(store, code).values():
            for v in versions:
                assert v.fully_signed
                assert {s.member_code: s.account for s in v.signatures} == {
                    p: f"user:{code}.{p.lower()}" for p in v.parties}
                kinds |= {r.kind for r in load_agreement_text(v.document).rules}
        # Yesterday's statements carry money, and they balance.
        day = settlement.day_totals(store, code, yesterday)
        assert day is not None and day.settled_minor > 0
        assert sum(net for net, _ in day.accounts.values()) == 0
        # The journal covers the month, and the whole ledger verifies, with a checkpoint per settled day.
        _currency, entries = settlement.journal(store, code, t.first, yesterday)
        assert entries
        report = ledger.verify_store(store, code)
        assert report.ok, report.first_mismatch
        assert report.checkpoints >= len(t.days)
    assert kinds == set(RuleKind)  # every rule kind appears in some demo agreement

    retail = settlement.statement(store, "yuejia-retail", "MILK", yesterday)
    assert retail.total.minor > 0 and retail.currency == "CNY"
    # A few refunds, each reversing a sale of the same seller stored before it.
    lines = facts.lines("yuejia-retail", "CNY", t.first, yesterday)
    refunds = [l for l in lines if l.refund_of]
    sales = {l.line_id: l for l in lines}
    assert 3 <= len(refunds) <= len(t.days)
    for r in refunds:
        assert r.amount.minor < 0 and sales[r.refund_of].seller == r.seller
    # The growth fund and the tier incentives paid out at some point.
    fund = [settlement.statement(store, "yuejia-retail", "growth-fund", d).total.minor
            for d in t.days if d.month == yesterday.month]
    assert sum(fund) > 0
    # cloud-hw has two versions: the second took over from its own date.
    versions = sharing.versions(store, "cloud-hw", "gateway-split")
    assert [v.version for v in versions] == [1, 2]
    assert t.first < versions[1].effective_from <= yesterday

    # In each alliance: a screening run, a pilot still running with its weekly measurements, and a
    # shared view whose access log shows other members' queries.
    for code in CODES:
        assert screening.list_runs(store, code), code
        (prospect,) = screening.list_prospects(store, code)
        assert (prospect.name, prospect.stage) == (PILOTS[code].prospect, Stage.PILOT)
        pilot = screening.prospect_file(store, code, prospect.id).pilot
        assert pilot is not None and pilot.decision is None and pilot.ends_on > yesterday
        review = screening.review_pilot(store, code, pilot.id)
        assert len(review.kpis) == 2 and all(len(history) >= 4 for history in review.history.values())
        (view,) = datashare.views(store, code, clock)
        log = datashare.access_log(store, code, view.id, 100, 0)
        assert len(log) >= 4 and all(a.accessed_at <= clock.now() for a in log)
        assert all(f"{code}/{view.member})" not in a.accessed_by for a in log)  # read by other members
        assert {a.kind for a in log} == {"rows", "groups"}

    _shared_operations(store, clock, t)

    # Loading again changes nothing and makes no new sign-in or key.
    before = {code: (facts.count(code), ledger.status(store, code).size) for code in CODES}
    again = load_living_demo(stores, FrozenClock(clock.now() + timedelta(hours=1)))
    assert again.load.created == [] and again.load.existing == CODES
    assert again.credentials == [] and again.histories == []
    assert again.settled_through == {code: yesterday for code in CODES}
    assert {code: (facts.count(code), ledger.status(store, code).size) for code in CODES} == before

    _public_commands_still_refuse_the_past(store, facts, clock, yesterday)


def _shared_operations(store: Store, clock: FrozenClock, t: Timeline) -> None:
    # The demo retail alliance shows every shared operation, and its members' statements carry their money.
    code = "yuejia-retail"
    reader = Principal("coord", Role.COORDINATOR, code)
    terms = glossary.terms(store, code, reader)
    assert len(terms) == 7 and sum(term.status is TermStatus.AGREED for term in terms) == 6
    assert {term.current.draft.zh for term in terms} >= {"托盘位", "成团量", "动销率", "云仓", "复购率"}
    (article,) = glossary.articles(store, code, reader)
    assert len(article.terms) == 2
    campaigns = {c.title: c for c in purchasing.campaigns(store, code, reader, clock=clock)}
    done, still = campaigns["电商快递纸箱 3号"], campaigns["收银热敏纸 80×80"]
    assert done.state is CampaignState.DELIVERED and still.state is CampaignState.OPEN
    assert done.outcome is not None and (done.outcome.tier_min, done.outcome.members) == (200, 4)
    assert still.deadline > clock.now()
    assert len(warehouse.bookings(store, code, reader)) == 3
    last_month = f"{t.today.replace(day=1) - timedelta(days=1):%Y-%m}"
    assert warehouse.invoices(store, code, reader, month=last_month)
    (referral,) = referrals.referrals(store, code, reader)
    assert referral.referral.state is ReferralState.CONVERTED and len(referral.referral.orders) == 2

    def kinds(member: str) -> Counter[str]:
        return Counter(line.kind for day in t.days for line in settlement.statement(store, code, member, day).lines)
    snack, baby = kinds("SNACK"), kinds("BABY")
    assert snack["joint_purchase"] >= 3 and snack["warehouse"] >= 1  # deposit, two deliveries; last month
    assert baby["joint_purchase"] >= 3 and baby["warehouse"] >= 1 and baby["referral"] >= 1


def _public_commands_still_refuse_the_past(store: Store, facts: FactStore, clock: FrozenClock, yesterday: date) -> None:
    # The demo wrote its history under clocks set in the past; the services on today's clock do not let
    # anyone else do the same: an agreement that starts yesterday is refused, and nothing is stored.
    stores = Stores(store, facts)
    before = sharing.list_agreements(store, "cloud-hw")
    document = f"""agreement: late-split
effective_from: {yesterday.isoformat()}
parties: [YQ, ZL]
rules:
  - {{id: all, kind: fixed_split, shares: {{YQ: 0.5, ZL: 0.5}}}}
"""
    with pytest.raises(InvalidInput, match=f"effective_from {yesterday} is in the past"):
        sharing.propose_version(store, "cloud-hw", document, "cloud-hw.coordinator", clock)
    assert sharing.list_agreements(store, "cloud-hw") == before
    # Nor can a settled day of the history be settled again, or a day that is not over.
    with pytest.raises(settlement.DayClosed):
        settlement.settle(stores, "cloud-hw", yesterday, "test", clock)
    with pytest.raises(InvalidInput, match="not over yet"):
        settlement.settle(stores, "cloud-hw", yesterday + timedelta(days=1), "test", clock)


def test_an_alliance_already_there_is_left_alone_and_gets_no_history(store: Store, facts: FactStore,
                                                                     stores: Stores) -> None:
    from alliance.registry import service as registry

    clock = FrozenClock(LATE_EVENING_UTC)
    registry.create_alliance(store, DEMO_ALLIANCES[1].spec, clock, DEMO_ALLIANCES[1].members)

    demo = load_living_demo(stores, clock)

    assert demo.load.existing == ["cloud-hw"] and "cloud-hw" not in demo.load.created
    assert demo.settled_through == {"cloud-hw": None}  # told apart from a complete demo
    assert sharing.list_agreements(store, "cloud-hw") == {} and facts.count("cloud-hw") == 0
    assert [h.alliance for h in demo.histories] == demo.load.created
    assert not any(c.alliance == "cloud-hw" for c in demo.credentials)
    assert Counter(c.alliance for c in demo.credentials if c.username)["yuejia-retail"] == 7  # coordinator + 6
