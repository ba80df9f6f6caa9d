"""Lead referral's pure engine: states, duplicates, windows, commission with claw-back, leaderboard."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from alliance.core.errors import InvalidInput
from alliance.core.money import Money
from alliance.operations.referrals import commission, leaderboard, leads, model
from alliance.operations.referrals.model import (Consent, ConsentHow, ConsentMissing, DuplicateLead, Extension,
                                                 LeadDraft, LeadKind, Programme, Referral, ReferralInvalid,
                                                 ReferralStateConflict, State)
from alliance.settlement.lines import OrderLine

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 2)


def referral(number: int = 1, *, to: str = "B", frm: str = "A", name: str = "杭州悦佳贸易有限公司",
             contact: str = "+86 138-0000-1111", state: State = State.SUBMITTED, ends: date = date(2027, 1, 31),
             submitted: date = TODAY, booked: int = 0, **extra: object) -> Referral:
    return Referral(number, number, frm, to, LeadKind.CUSTOMER, name, contact, "paper", Consent("Wang", TODAY,
                    ConsentHow.WRITTEN), submitted, ends, state, "", T0, "t", None, booked_minor=booked,
                    **extra)  # type: ignore[arg-type]


def line(line_id: str, order: str, minor: int, at: datetime, seller: str = "B", refund_of: str | None = None) -> OrderLine:
    return OrderLine(line_id, order, at, seller, seller, "store", "SKU", 1, Money(minor, "CNY"), None, ("A",), refund_of)


def draft(**changes: object) -> LeadDraft:
    values: dict[str, object] = dict(to_member="B", kind=LeadKind.CUSTOMER, name="Yuejia", contact="a@b.cn",
                                     products="paper", consent=Consent("Wang", TODAY, ConsentHow.EMAIL))
    values.update(changes)
    return LeadDraft(**values)  # type: ignore[arg-type]


def test_names_and_contacts_normalised() -> None:
    assert leads.normal_name("杭州悦佳贸易有限公司") == leads.normal_name(" 杭州 悦佳贸易 ") == "杭州悦佳贸易"
    assert leads.normal_name("ＡＢＣ Trading Co., Ltd.") == leads.normal_name("abc trading") == "abctrading"
    assert leads.normal_contact("+86 138-0000-1111") == leads.normal_contact("13800001111") == "13800001111"
    assert leads.normal_contact("0086 13800001111") == "13800001111"
    assert leads.normal_contact("Wang@Example.COM ") == "wang@example.com"


def test_duplicate_inside_window_names_the_earlier() -> None:
    earlier = [referral(3)]
    with pytest.raises(DuplicateLead) as caught:
        leads.refuse_duplicate(earlier, "B", "杭州悦佳贸易", "someone else", TODAY)
    assert caught.value.earlier == 3 and "3" in caught.value.message
    with pytest.raises(DuplicateLead):  # same contact, other name
        leads.refuse_duplicate(earlier, "B", "Other", "13800001111", TODAY)
    leads.refuse_duplicate(earlier, "C", "杭州悦佳贸易", "x", TODAY)  # another member: fine
    leads.refuse_duplicate(earlier, "B", "杭州悦佳贸易", "x", date(2027, 2, 1))  # window over
    leads.refuse_duplicate([referral(3, state=State.REJECTED)], "B", "杭州悦佳贸易", "x", TODAY)


def test_draft_without_consent_is_refused_with_every_problem() -> None:
    with pytest.raises(ConsentMissing) as caught:
        model.check_draft(draft(consent=None, name=""), "A", {"A", "B"}, TODAY)
    assert {p.field for p in caught.value.problems} == {"name", "consent"}
    with pytest.raises(ReferralInvalid) as bad:
        model.check_draft(draft(to_member="A", consent=Consent("W", TODAY + timedelta(days=1), ConsentHow.EMAIL)),
                          "A", {"A", "B"}, TODAY)
    assert {p.field for p in bad.value.problems} == {"to_member", "consent_at"}
    assert model.check_draft(draft(name="  Yuejia "), "A", {"A", "B"}, TODAY).name == "Yuejia"


def test_states_move_only_forward_and_reasons_are_required() -> None:
    r = referral()
    assert model.check_move(r, State.ACCEPTED, "") == ""
    with pytest.raises(ReferralInvalid):
        model.check_move(r, State.REJECTED, "  ")
    assert model.check_move(r, State.REJECTED, "not our region") == "not our region"
    with pytest.raises(ReferralStateConflict):
        model.check_move(r, State.CONVERTED, "")
    with pytest.raises(ReferralStateConflict):
        model.check_move(referral(state=State.REJECTED), State.ACCEPTED, "")


def test_extension_within_the_maximum() -> None:
    programme = Programme(max_extension_days=60)
    model.check_extension_request(referral(), 60, programme, TODAY)
    with pytest.raises(ReferralInvalid):
        model.check_extension_request(referral(extended_days=30), 31, programme, TODAY)
    with pytest.raises(ReferralStateConflict):
        model.check_extension_request(referral(extension=Extension.REQUESTED), 5, programme, TODAY)
    with pytest.raises(ReferralStateConflict):
        model.check_extension_decision(referral())


def test_programme_checked_all_at_once() -> None:
    assert Programme().check() == []
    problems = Programme(Decimal("1.5"), -1, 0, 9999).check()
    assert [p.field for p in problems] == ["commission_rate", "hold_days", "window_days", "max_extension_days"]
    assert [p.field for p in Programme(Decimal("NaN")).check()] == ["commission_rate"]


def test_commission_counts_refunds_inside_the_hold_period_only() -> None:
    lines = [line("L1", "O1", 10_001, T0), line("L2", "O1", 5_000, T0 + timedelta(hours=1)),
             line("X", "O9", 99_999, T0),  # not linked
             line("L3", "O1", 7_000, T0, seller="C"),  # sold by someone else
             line("R1", "O7", -5_000, T0 + timedelta(days=10), refund_of="L2"),  # inside 30 days
             line("R2", "O1", -1_000, T0 + timedelta(days=31), refund_of="L1")]  # after
    found = commission.compute(lines, ["O1"], "B", Decimal("0.05"), 30)
    # 10001 × 5% = 500.05 -> 500; 5000 -> 250; refund -250 counted; late refund not
    assert found.target_minor == 500 and found.base_minor == 10_001
    assert [c.counted for c in found.lines] == [True, True, True, False]
    assert found.final_after == date(2026, 12, 3)  # UTC
    assert commission.commission_of(50, Decimal("0.05")) == 2  # 2.5 -> 2 (half even)
    assert commission.commission_of(70, Decimal("0.05")) == 4  # 3.5 -> 4


def test_booking_lines_balance() -> None:
    lines = commission.booking_lines(seller="B", referrer="A", delta_minor=-250, base_minor=10, rate="r", number=7,
                                     title="Referral 7: paper")
    assert sum(l["amount_minor"] for l in lines) == 0
    assert [(l["account"], l["amount_minor"]) for l in lines] == [("B", 250), ("A", -250)]
    assert commission.booking_lines(seller="B", referrer="A", delta_minor=0, base_minor=0, rate="", number=1,
                                    title="") == []


def test_leaderboard_ranks_ties_together() -> None:
    rs = [referral(1, frm="A", state=State.CONVERTED, booked=500), referral(2, frm="A"),
          referral(3, frm="C", state=State.CONVERTED, booked=500), referral(4, frm="A", state=State.CONVERTED,
                                                                               submitted=date(2026, 10, 1))]
    rows = leaderboard.leaderboard(rs, leaderboard.period("2026-11"))
    assert [(r.rank, r.member, r.made, r.converted, r.commission_minor) for r in rows] == [
        (1, "A", 2, 1, 500), (2, "C", 1, 1, 500)]
    q = leaderboard.period("2026-q4")
    assert (q.first, q.last) == (date(2026, 10, 1), date(2026, 12, 31))
    assert leaderboard.period("2026-12").last == date(2026, 12, 31)
    with pytest.raises(InvalidInput):
        leaderboard.period("2026-13")
