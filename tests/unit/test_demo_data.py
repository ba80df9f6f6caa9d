"""The demo data is well-formed: valid codes, the shapes the domain page describes, exact money."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import pytest

from alliance.core.money import Money
from alliance.registry.credit_code import normalise_credit_code
from alliance.registry.demo import DEMO_ALLIANCES, DemoAlliance
from alliance.registry.model import (
    AllianceKind,
    AllianceStructure,
    MemberRole,
    ResourceDirection,
    check_alliance_spec,
)
from alliance.registry.records import CODE_PATTERN

BY_CODE = {d.spec.code: d for d in DEMO_ALLIANCES}
IDS = [d.spec.code for d in DEMO_ALLIANCES]


def test_the_expected_alliances_are_there() -> None:
    assert IDS == ["yuejia-retail", "cloud-hw", "nb-precision", "nb-precision-buy"]
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("demo", DEMO_ALLIANCES, ids=IDS)
def test_every_spec_can_found_an_alliance(demo: DemoAlliance) -> None:
    assert check_alliance_spec(demo.spec) == []
    assert demo.spec.currency == "CNY"
    assert demo.spec.timezone == "Asia/Shanghai"
    assert demo.spec.charter.strip()


@pytest.mark.parametrize("demo", DEMO_ALLIANCES, ids=IDS)
def test_every_credit_code_is_valid_and_canonical(demo: DemoAlliance) -> None:
    for member in demo.members:
        assert normalise_credit_code(member.credit_code) == member.credit_code, member.code
        assert member.credit_code[:2] == "91", member.code


@pytest.mark.parametrize("demo", DEMO_ALLIANCES, ids=IDS)
def test_codes_and_credit_codes_are_unique_within_an_alliance(demo: DemoAlliance) -> None:
    codes = Counter(m.code for m in demo.members)
    credit_codes = Counter(m.credit_code for m in demo.members)
    assert [c for c, n in codes.items() if n > 1] == []
    assert [c for c, n in credit_codes.items() if n > 1] == []
    assert all(CODE_PATTERN.match(m.code) for m in demo.members)


def test_different_companies_have_different_credit_codes_across_alliances() -> None:
    # The sub-alliance may list the same company again, but one credit code is one legal name.
    names: dict[str, set[str]] = {}
    for demo in DEMO_ALLIANCES:
        for m in demo.members:
            names.setdefault(m.credit_code, set()).add(m.legal_name)
    assert {code: n for code, n in names.items() if len(n) > 1} == {}


def test_retail_alliance_is_a_star_with_one_hub_and_five_brands() -> None:
    retail = BY_CODE["yuejia-retail"]
    assert retail.spec.kind is AllianceKind.MARKET
    assert retail.spec.structure is AllianceStructure.STAR
    roles = Counter(m.role for m in retail.members)
    assert roles == {MemberRole.HUB: 1, MemberRole.MEMBER: 5}


def test_rnd_alliance_is_a_mesh_of_software_and_hardware() -> None:
    pair = BY_CODE["cloud-hw"]
    assert pair.spec.structure is AllianceStructure.MESH
    assert len(pair.members) == 2
    assert "30%" in pair.spec.charter and "70%" in pair.spec.charter


def test_sme_alliance_has_seven_members_under_an_umbrella() -> None:
    sme = BY_CODE["nb-precision"]
    assert sme.spec.kind is AllianceKind.SME
    assert sme.spec.structure is AllianceStructure.UMBRELLA
    assert len(sme.members) == 7


def test_sub_alliance_belongs_to_the_sme_alliance_and_comes_after_it() -> None:
    sub = BY_CODE["nb-precision-buy"]
    assert sub.spec.parent_code == "nb-precision"
    assert sub.spec.kind is AllianceKind.SME
    assert sub.spec.structure is AllianceStructure.MESH
    assert len(sub.members) == 3
    position = {code: i for i, code in enumerate(IDS)}
    for demo in DEMO_ALLIANCES:
        if demo.spec.parent_code is not None:
            assert position[demo.spec.parent_code] < position[demo.spec.code]


@pytest.mark.parametrize("demo", DEMO_ALLIANCES, ids=IDS)
def test_profiles_are_complete_and_money_is_cny(demo: DemoAlliance) -> None:
    for m in demo.members:
        p = m.profile
        for amount in (p.revenue, p.profit, p.cash_flow):
            assert isinstance(amount, Money) and amount.currency == "CNY", m.code
        assert p.debt_ratio is not None and 0 <= p.debt_ratio <= 1, m.code
        assert p.reputation is not None and 0 <= p.reputation <= 10, m.code
        for count in (p.compliance_records, p.patent_count, p.api_count):
            assert isinstance(count, int) and count >= 0, m.code


@pytest.mark.parametrize("demo", DEMO_ALLIANCES, ids=IDS)
def test_every_member_declares_one_to_three_resources(demo: DemoAlliance) -> None:
    for m in demo.members:
        assert 1 <= len(m.resources) <= 3, m.code
        assert m.joined_on is not None and 2024 <= m.joined_on.year <= 2026, m.code
        for r in m.resources:
            assert 1 <= r.priority <= 5, m.code
            assert r.description.strip(), m.code
            assert r.capacity is None or r.capacity > 0, m.code


@pytest.mark.parametrize("demo", DEMO_ALLIANCES, ids=IDS)
def test_each_alliance_has_offers_matching_some_needs(demo: DemoAlliance) -> None:
    # Resource matching needs something to match: some need is met by another member's offer.
    declared = [(m.code, r) for m in demo.members for r in m.resources]
    offers = {(code, r.category) for code, r in declared if r.direction is ResourceDirection.OFFER}
    needs = {(code, r.category) for code, r in declared if r.direction is ResourceDirection.NEED}
    assert any(o[1] == n[1] and o[0] != n[0] for o in offers for n in needs)


# -- the history (alliance.demo_timeline): relative to the moment the demo is loaded ----------------

from datetime import UTC, date, datetime, timedelta  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from alliance.demo_timeline import BUSINESS_DAYS, agreements, day_lines, metrics, timeline  # noqa: E402
from alliance.sharing.agreement import RuleKind, load_agreement_text  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Moments a load may happen at: just after local midnight, before the 09:00 settlement time, the
# UTC evening (already tomorrow in Shanghai), a Monday, a Sunday, New Year's Day.
MOMENTS = [
    datetime(2026, 12, 4, 0, 5, tzinfo=SHANGHAI),
    datetime(2026, 12, 4, 8, 59, tzinfo=SHANGHAI),
    datetime(2026, 11, 30, 23, 30, tzinfo=UTC),
    datetime(2026, 12, 7, 12, 0, tzinfo=SHANGHAI),
    datetime(2026, 12, 6, 18, 0, tzinfo=SHANGHAI),
    datetime(2027, 1, 1, 0, 0, tzinfo=SHANGHAI),
]


@pytest.mark.parametrize("now", MOMENTS, ids=[m.isoformat() for m in MOMENTS])
def test_the_history_ends_yesterday_and_never_reaches_now(now: datetime) -> None:
    t = timeline(now, "Asia/Shanghai")
    yesterday = now.astimezone(SHANGHAI).date() - timedelta(days=1)
    assert t.yesterday == yesterday and t.days[-1] == yesterday and t.days[0] == t.first
    assert len(t.business_days) == BUSINESS_DAYS and all(d.weekday() < 5 for d in t.business_days)
    assert t.business_days[-1] >= yesterday - timedelta(days=2)  # the last weekday up to yesterday
    assert list(t.days) == [t.first + timedelta(days=i) for i in range(len(t.days))]
    # In order, and never later than the load: the services write nothing in the future.
    moments = [t.founded, t.signed]
    for day in t.days:
        moments += [t.imported(day), t.settled(day)]
    assert moments == sorted(moments) and len(set(moments)) == len(moments)
    assert moments[-1] <= now and t.signed < datetime.combine(t.first, datetime.min.time(), SHANGHAI)
    for day in t.days:  # each day is settled after it ended, in its own time zone
        assert t.settled(day).astimezone(SHANGHAI).date() > day


def test_timeline_needs_an_aware_moment() -> None:
    with pytest.raises(ValueError):
        timeline(datetime(2026, 12, 4, 12, 0), "Asia/Shanghai")


@pytest.mark.parametrize("demo", DEMO_ALLIANCES, ids=IDS)
def test_the_lines_are_the_same_each_time_well_formed_and_refunds_reverse_earlier_sales(demo: DemoAlliance) -> None:
    t = timeline(MOMENTS[3], "Asia/Shanghai")
    members = {m.code for m in demo.members}
    seen: dict[str, tuple[str, ...]] = {}
    refunds = 0
    for day in t.days:
        rows = day_lines(demo.spec.code, t, day)
        assert rows == day_lines(demo.spec.code, t, day)  # seeded: the same lines again
        if day.weekday() >= 5 and demo.spec.code != "yuejia-retail":
            assert rows == []  # B2B members trade on weekdays
        for row in rows:
            line_id, _order, occurred, seller, owner, _channel, _sku, qty, amount, cost, attributed, refund_of, cur = row
            assert line_id not in seen and cur == "CNY"
            assert datetime.fromisoformat(occurred).astimezone(SHANGHAI).date() == day
            assert {seller, owner} <= members and set(filter(None, attributed.split(";"))) <= members
            assert re.fullmatch(r"-?\d+\.\d\d", amount) and (cost == "" or re.fullmatch(r"-?\d+\.\d\d", cost))
            if refund_of:
                refunds += 1
                sale = seen.get(refund_of) or next(r for r in rows if r[0] == refund_of)
                assert sale[3] == seller and amount.startswith("-") and int(qty) < 0
                assert Decimal(amount) + Decimal(sale[8]) > 0  # part of the sale, never more
            else:
                assert not amount.startswith("-") and int(qty) > 0
            seen[line_id] = row
    assert seen
    if demo.spec.code in ("yuejia-retail", "cloud-hw"):
        assert refunds >= 2


@pytest.mark.parametrize("now", MOMENTS[:3], ids=[m.isoformat() for m in MOMENTS[:3]])
def test_the_agreements_are_valid_from_the_first_day_and_use_every_rule_kind(now: datetime) -> None:
    t = timeline(now, "Asia/Shanghai")
    kinds: set[RuleKind] = set()
    for demo in DEMO_ALLIANCES:
        documents = agreements(demo.spec.code, t)
        assert documents, demo.spec.code
        for n, (document, parties) in enumerate(documents):
            agreement = load_agreement_text(document, members=[m.code for m in demo.members])
            assert list(agreement.parties) == parties
            assert (agreement.effective_from == t.first) if n == 0 else (t.first < agreement.effective_from <= t.yesterday)
            for rule in agreement.rules:
                kinds.add(rule.kind)
                if rule.kind is RuleKind.COST_SHARE:  # a shared cost falls inside the history
                    assert t.first <= rule.params.incurred_on <= t.yesterday
    assert kinds == set(RuleKind)
    # The period metrics cover every month a three-level or dynamic rule settles, and the month before.
    periods = {row[0] for row in metrics("yuejia-retail", t)}
    assert {f"{d:%Y-%m}" for d in t.days} | {f"{t.first.replace(day=1) - timedelta(days=1):%Y-%m}"} <= periods


def test_history_dates_move_with_the_moment_of_loading() -> None:
    a, b = timeline(MOMENTS[3], "Asia/Shanghai"), timeline(MOMENTS[3] + timedelta(days=7), "Asia/Shanghai")
    assert b.first == a.first + timedelta(days=7) and b.yesterday == a.yesterday + timedelta(days=7)
    assert isinstance(a.first, date)


def test_every_alliance_has_a_pilot_and_a_shared_view_among_its_own_members() -> None:
    from alliance.demo_timeline import PILOTS, VIEWS
    from alliance.screening.pipeline import Source

    for demo in DEMO_ALLIANCES:
        members = {m.code for m in demo.members}
        story = PILOTS[demo.spec.code]
        assert Source(story.source) and story.prospect not in {m.legal_name for m in demo.members}
        for k in story.kpis:  # every KPI moves towards its target week by week
            assert (Decimal(k.step) > 0) == k.higher_is_better
            assert (Decimal(k.first) < Decimal(k.target)) == k.higher_is_better
        publisher, name, readers = VIEWS[demo.spec.code]
        assert publisher in members and set(readers) <= members - {publisher} and name.strip()
