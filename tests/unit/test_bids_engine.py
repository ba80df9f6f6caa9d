"""Joint bids, pure: price shares add up to exactly 1 (else refused naming the sum), the state machine
(no outcome before submit, nothing changes after submit, confirmations reset on any change), the price
split to the cent, documents' kind and size, and the project agreement document."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from alliance.core.money import Money
from alliance.operations.bids import agreement, documents, model
from alliance.operations.bids.model import (Bid, BidDocumentInvalid, BidInvalid, BidStateConflict, Part, Request, Role,
                                            SharesDoNotAddUp, State)
from alliance.sharing.agreement import load_agreement_text

AT = datetime(2026, 12, 1, 2, tzinfo=UTC)
REQUEST = Request("宁波港集团", "智慧码头改造", "NBG-2026-88", date(2026, 12, 20), "CNY", 1_000_000_01)


def bid(*parts: Part, state: State = State.DRAFT) -> Bid:
    return Bid(1, "A", REQUEST, state, tuple(parts), AT, "a")


LEAD = Part("A", Role.LEAD, "总包", Decimal("0.5"))
B = Part("B", Role.PARTNER, "软件", Decimal("0.3"))
C = Part("C", Role.SUBCONTRACTOR, "安装", Decimal("0.2"))


def confirm_all(b: Bid) -> Bid:
    parts = b.parts
    for p in b.parts:
        parts = model.confirmed(Bid(1, "A", REQUEST, State.DRAFT, parts, AT, "a"), p.member, p.member, AT)
    return Bid(1, "A", REQUEST, b.state, parts, AT, "a")


def test_shares_must_add_up_to_exactly_one_and_the_refusal_names_the_sum() -> None:
    model.check_shares([LEAD, B, C])
    with pytest.raises(SharesDoNotAddUp) as refused:
        model.check_shares([LEAD, B, Part("C", Role.PARTNER, "x", Decimal("0.199999"))])
    assert "0.999999" in str(refused.value)
    with pytest.raises(SharesDoNotAddUp, match="1.1"):
        model.check_shares([LEAD, B, Part("C", Role.PARTNER, "x", Decimal("0.3"))])


@pytest.mark.parametrize("text", ["0", "-0.1", "1.5", "abc", "0.1234567", "NaN", "Infinity"])
def test_a_share_is_more_than_zero_at_most_one_with_six_places(text: str) -> None:
    with pytest.raises(BidInvalid):
        model.parse_share(text, "B")


def test_a_share_may_be_a_percentage() -> None:
    assert model.parse_share("30%", "B") == Decimal("0.3")
    assert model.parse_share("0.333334", "B") == Decimal("0.333334")


def test_any_change_to_the_consortium_resets_every_confirmation() -> None:
    confirmed = confirm_all(bid(LEAD, B, C))
    assert confirmed.all_confirmed
    changed = model.with_part(confirmed, Part("B", Role.PARTNER, "软件", Decimal("0.25")))
    assert not any(p.confirmed for p in changed)
    assert not any(p.confirmed for p in model.without_part(confirmed, "C"))


def test_only_the_lead_member_has_the_role_lead() -> None:
    with pytest.raises(BidInvalid):
        model.with_part(bid(LEAD), Part("B", Role.LEAD, "x", Decimal("0.5")))
    with pytest.raises(BidInvalid):
        model.with_part(bid(LEAD), Part("A", Role.PARTNER, "x", Decimal("0.5")))
    with pytest.raises(BidInvalid):
        model.without_part(bid(LEAD, B), "A")


def test_submitting_needs_the_sum_every_confirmation_and_two_members() -> None:
    with pytest.raises(SharesDoNotAddUp):
        model.check_submittable(confirm_all(bid(LEAD, B)))
    with pytest.raises(BidStateConflict, match="not confirmed yet by B"):
        b = bid(LEAD, B, C)
        model.check_submittable(Bid(1, "A", REQUEST, State.DRAFT, model.confirmed(b, "A", "a", AT), AT, "a"))
    with pytest.raises(BidStateConflict):
        model.check_submittable(confirm_all(bid(Part("A", Role.LEAD, "全部", Decimal(1)))))
    model.check_submittable(confirm_all(bid(LEAD, B, C)))


def test_nothing_changes_after_submit() -> None:
    submitted = bid(LEAD, B, C, state=State.SUBMITTED)
    for change in (lambda: model.with_part(submitted, B), lambda: model.without_part(submitted, "B"),
                   lambda: model.confirmed(submitted, "B", "b", AT), lambda: model.check_submittable(submitted)):
        with pytest.raises(BidStateConflict):
            change()


def test_no_outcome_before_submit_except_withdrawing() -> None:
    draft = bid(LEAD, B, C)
    for outcome in (State.WON, State.LOST):
        with pytest.raises(BidStateConflict):
            model.check_outcome(draft, outcome, 100)
    model.check_outcome(draft, State.WITHDRAWN, None)
    submitted = bid(LEAD, B, C, state=State.SUBMITTED)
    with pytest.raises(BidInvalid):
        model.check_outcome(submitted, State.WON, None)
    model.check_outcome(submitted, State.WON, 90_000_000)
    model.check_outcome(submitted, State.LOST, None)
    for closed in (State.WON, State.LOST, State.WITHDRAWN):
        with pytest.raises(BidStateConflict):
            model.check_outcome(bid(LEAD, B, C, state=closed), State.WITHDRAWN, None)


def test_the_price_split_adds_back_to_the_cent() -> None:
    thirds = bid(Part("A", Role.LEAD, "", Decimal("0.333334")), Part("B", Role.PARTNER, "", Decimal("0.333333")),
                 Part("C", Role.PARTNER, "", Decimal("0.333333")))
    split = thirds.price_split(100)
    assert sum(m.minor for m in split.values()) == 100
    assert split["A"] == Money(34, "CNY")
    assert sum(m.minor for m in bid(LEAD, B, C).price_split().values()) == REQUEST.offered_minor


def test_a_request_names_every_problem() -> None:
    with pytest.raises(BidInvalid) as refused:
        model.check_request(Request(" ", "", "x" * 101, date(2026, 1, 1), "ZZQ", 0))
    assert {p.field for p in refused.value.problems} == {"customer", "title", "reference", "currency", "offered"}


def test_documents_are_checked_for_size_kind_and_content() -> None:
    ok = documents.check("投标书.pdf", b"%PDF-1.7 ...", "application/pdf")
    assert (ok.content_type, ok.size) == ("application/pdf", 12)
    for name, content, declared in (("a.exe", b"MZ..", None), ("a.pdf", b"not a pdf", None),
                                    ("a.pdf", b"%PDF-1.7", "image/png"), ("a.txt", b"\xff\xfe\x00", None),
                                    ("a.pdf", b"", None),
                                    ("big.pdf", b"%PDF-" + b"0" * documents.MAX_BYTES, None)):
        with pytest.raises(BidDocumentInvalid):
            documents.check(name, content, declared)
    with pytest.raises(BidDocumentInvalid):
        documents.check("a.txt", b"fine", already=documents.MAX_DOCUMENTS)


def test_the_project_agreement_is_a_fixed_split_by_the_bid_shares() -> None:
    text = agreement.document(bid(LEAD, B, C), code="bid-1", currency="CNY", effective_from=date(2027, 1, 1))
    loaded = load_agreement_text(text, members=["A", "B", "C"])
    assert loaded.parties == ("A", "B", "C") or list(loaded.parties) == ["A", "B", "C"]
    (rule,) = loaded.rules
    assert rule.kind.value == "fixed_split"
    assert dict(rule.params.shares) == {"A": Decimal("0.5"), "B": Decimal("0.3"), "C": Decimal("0.2")}
