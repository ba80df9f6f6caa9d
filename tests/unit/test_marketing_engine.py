"""Joint marketing campaigns' pure engine: ratios must sum to exactly 1, costs split to the cent by
largest remainder (the payer's share nets out), the charge's lines sum to zero, ROI against a plain
computation, costs refused above the budget or before every consent."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.operations.charges import check_lines
from alliance.operations.marketing import records, roi, split
from alliance.operations.marketing.model import (Attribution, Campaign, CampaignInvalid, CampaignStateConflict, Cost,
                                                 CostInvalid, Draft, Kind, OverBudget, Participant,
                                                 RatiosDoNotSumToOne, check_cost, check_draft)

T0 = datetime(2026, 11, 2, 2, tzinfo=UTC)
RATIOS = {"A": Decimal("0.5"), "B": Decimal("0.3"), "C": Decimal("0.2")}


def draft(**changes: object) -> Draft:
    values: dict[str, object] = dict(title="双十一联合直播", kind=Kind.EVENT, lead="A", first_day=date(2026, 11, 1),
                                     last_day=date(2026, 11, 11), budget_minor=1_000_000, ratios=dict(RATIOS),
                                     attribution=Attribution.CHANNEL, values=("live",))
    values.update(changes)
    return Draft(**values)  # type: ignore[arg-type]


def campaign(costs: tuple[Cost, ...] = (), consented: bool = True, ratios: dict[str, Decimal] | None = None,
             budget: int = 1_000_000) -> Campaign:
    parts = tuple(Participant(m, r, T0 if consented else None, "x" if consented else None)
                  for m, r in (ratios or RATIOS).items())
    return Campaign(1, 7, "Live", Kind.EVENT, "A", date(2026, 11, 1), date(2026, 11, 11), "CNY", budget,
                    Attribution.ATTRIBUTED, ("A",), False, parts, costs, T0, "t")


def cost(number: int, amount: int, payer: str = "A", corrects: int | None = None) -> Cost:
    return Cost(number, payer, amount, "venue", date(2026, 11, 3), corrects, None, T0, "t")


def test_ratios_that_do_not_sum_to_one_are_refused_naming_the_sum() -> None:
    with pytest.raises(RatiosDoNotSumToOne) as caught:
        check_draft(draft(ratios={"A": Decimal("0.5"), "B": Decimal("0.3"), "C": Decimal("0.1")}), {"A", "B", "C"}, "CNY")
    assert "sum to 0.9, not 1" in str(caught.value)
    with pytest.raises(RatiosDoNotSumToOne, match="1.0001"):
        check_draft(draft(ratios={"A": Decimal("0.5001"), "B": Decimal("0.5")}), {"A", "B"}, "CNY")
    # exactly 1 in any notation is accepted
    clean = check_draft(draft(ratios={"B": Decimal("0.333334"), "A": Decimal("0.333333"), "C": Decimal("0.333333")}),
                        {"A", "B", "C"}, "CNY")
    assert list(clean.ratios) == ["A", "B", "C"]


def test_every_problem_of_a_draft_at_once() -> None:
    with pytest.raises(CampaignInvalid) as caught:
        check_draft(draft(title=" ", lead="Z", first_day=date(2026, 11, 12), budget_minor=0, values=(),
                          ratios={"A": Decimal("-0.1"), "Q": Decimal("1.1")}), {"A", "B"}, "CNY")
    fields = {p.field for p in caught.value.problems}
    assert {"title", "last_day", "budget", "participants", "lead", "values", "ratio A", "ratio Q"} <= fields
    with pytest.raises(CampaignInvalid) as caught:
        check_draft(draft(budget_minor="12,000.005"), {"A", "B", "C"}, "CNY")
    assert [p.field for p in caught.value.problems] == ["budget"]
    assert check_draft(draft(budget_minor="12,000.50"), {"A", "B", "C"}, "CNY").budget_minor == 1_200_050


@given(amount=st.integers(min_value=1, max_value=10**12),
       raw=st.lists(st.integers(min_value=1, max_value=10**6), min_size=2, max_size=8),
       payer_index=st.integers(min_value=-1, max_value=7))
@settings(max_examples=300, deadline=None)
def test_shares_add_back_to_the_cent_and_the_charge_sums_to_zero(amount: int, raw: list[int], payer_index: int) -> None:
    # ratios with 6 decimals summing to exactly 1: the last takes what the others leave
    total = sum(raw)
    ratios = {f"M{i}": Decimal(r * 10**6 // total) / 10**6 for i, r in enumerate(raw[:-1])}
    ratios[f"M{len(raw) - 1}"] = Decimal(1) - sum(ratios.values(), Decimal(0))
    if any(r <= 0 for r in ratios.values()):
        return
    parts = split.shares(amount, ratios, "CNY")
    assert sum(parts.values()) == amount
    for m, part in parts.items():  # largest remainder: within one cent of the exact share
        assert abs(Fraction(part) - Fraction(amount) * Fraction(ratios[m])) < 1
    payer = "ext:supplier" if payer_index < 0 or payer_index >= len(raw) else f"M{payer_index}"
    lines = split.charge_lines(amount, payer, ratios, "CNY", 1)
    assert sum(l.amount_minor for l in lines) == 0
    assert check_lines(lines, set(ratios), "CNY") == [] or not lines or len(lines) > 20_000
    net = {l.account: l.amount_minor for l in lines}
    if payer.startswith("ext:"):
        assert net[payer] == amount
    else:  # the payer's own share nets out
        assert net.get(payer, 0) == amount - parts[payer]


def test_largest_remainder_by_hand_and_the_payers_line() -> None:
    thirds = {"A": Decimal("0.333334"), "B": Decimal("0.333333"), "C": Decimal("0.333333")}
    assert split.shares(100, thirds, "CNY") == {"A": 34, "B": 33, "C": 33}
    assert split.shares(1, RATIOS, "CNY") == {"A": 1, "B": 0, "C": 0}
    lines = split.charge_lines(10_000, "B", RATIOS, "CNY", 3)
    assert [(l.account, l.amount_minor) for l in lines] == [("A", -5_000), ("B", 7_000), ("C", -2_000)]
    assert split.charge_lines(1, "A", RATIOS, "CNY", 1) == []  # the one cent is the payer's own share
    refund = split.shares(-101, RATIOS, "CNY")
    assert refund == {m: -v for m, v in split.shares(101, RATIOS, "CNY").items()}


@given(revenue=st.integers(min_value=-10**9, max_value=10**12), cost_minor=st.integers(min_value=0, max_value=10**10))
def test_roi_equals_a_plain_computation(revenue: int, cost_minor: int) -> None:
    found = roi.roi(revenue, cost_minor)
    if cost_minor == 0:
        assert found is None and roi.shown(found) == "n/a"
    else:
        plain = Fraction(revenue - cost_minor, cost_minor)
        assert found is not None and abs(Fraction(found) - plain) <= abs(plain) / 10**26 + Fraction(1, 10**26)
        hundredths = plain * 100  # shown: 2 places, half to even, from the exact fraction
        floor = hundredths.numerator // hundredths.denominator
        rest = hundredths - floor
        rounded = floor + (1 if rest > Fraction(1, 2) or rest == Fraction(1, 2) and floor % 2 else 0)
        assert roi.shown(found) == str(Decimal(rounded).scaleb(-2).quantize(Decimal("0.01")))


def test_the_roi_table_per_member_and_for_the_alliance() -> None:
    c = campaign((cost(1, 10_000), cost(2, 333, payer="ext:hall")))
    rows = roi.table(c, {"A": 20_000, "B": 3_100, "X": 999}, None)
    by = {r.member: r for r in rows}
    assert {m: r.cost_share_minor for m, r in by.items()} == {"A": 5_166, "B": 3_100, "C": 2_067, "": 10_333}
    assert roi.shown(by["A"].roi) == "2.87"  # (20000 - 5166) / 5166 = 2.8714...
    assert roi.shown(by["B"].roi) == "0.00" and roi.shown(by["C"].roi) == "-1.00"
    assert by[""].revenue_minor == 23_100 and roi.shown(by[""].roi) == "1.24"
    none = roi.table(campaign(), {"A": 5}, {"A": 2})
    assert roi.shown(none[0].roi) == "n/a" and none[0].incremental_minor == 3
    document = records.returns_json(c, rows)
    assert document["alliance"]["roi_shown"] == "1.24" and document["members"][0]["cost_share"] == "51.66"


def test_costs_wait_for_every_consent_and_stay_within_the_budget() -> None:
    with pytest.raises(CampaignStateConflict, match="waits for the consent of A, B, C"):
        check_cost(campaign(consented=False), "A", 100, "venue", date(2026, 11, 3), None)
    with pytest.raises(OverBudget, match=r"would be 10000.01 of a budget of 10000.00 \(9000.00 recorded"):
        check_cost(campaign((cost(1, 900_000),)), "A", 100_001, "venue", date(2026, 11, 3), None)
    assert check_cost(campaign((cost(1, 900_000),)), "A", 100_000, " venue ", date(2026, 11, 3), None) == "venue"
    with pytest.raises(CostInvalid) as caught:
        check_cost(campaign(), "Z", -5, "", date(2026, 11, 3), None)
    assert {p.field for p in caught.value.problems} == {"payer", "amount", "description"}


def test_a_correction_takes_back_at_most_what_the_cost_stands_at() -> None:
    c = campaign((cost(1, 10_000), cost(2, -4_000, corrects=1)))
    assert check_cost(c, "A", -6_000, "credit note", date(2026, 11, 4), 1) == "credit note"
    for amount, corrects in ((-6_001, 1), (-1, 9), (5, 1), (-1, 2)):
        with pytest.raises(CostInvalid):
            check_cost(c, "A", amount, "credit note", date(2026, 11, 4), corrects)
