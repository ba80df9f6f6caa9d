"""The pure model of a ruling's correction (settlement.corrections): transfers are checked with every
problem at once, and booking any valid set keeps a day's statement exactly balanced: each account
moves by what the ruling ordered and nothing else."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from alliance.core.money import Money
from alliance.settlement.corrections import (
    CORRECTION, MAX_TRANSFERS, check_transfers, parse_reference, reference, statement_lines, transfers_digest,
    transfers_of,
)

MEMBERS = ("A", "B", "C", "D")


def _problems(transfers: object, currency: str = "CNY") -> list[str]:
    return [str(p.text()) for p in check_transfers(transfers, MEMBERS, currency)]  # type: ignore[arg-type]


def test_valid_transfers_have_no_problem_and_are_exact() -> None:
    transfers = [("A", "B", Decimal("12.50")), ("C", "A", "0.01"), ("D", "C", 7)]
    assert _problems(transfers) == []
    assert [t.amount for t in transfers_of(transfers, "CNY")] == [Money(1250, "CNY"), Money(1, "CNY"), Money(700, "CNY")]
    assert _problems([("A", "B", Decimal("5"))], "JPY") == [] and _problems([("A", "B", "5.5")], "JPY") == [
        "transfer 1: amount: 5.5 has more than 0 decimal places for JPY"]


def test_every_problem_is_named_at_once() -> None:
    assert _problems([("A", "A", Decimal("1")), ("X", "B", 0.5), ("B", "Y", Decimal("-2")), ("A",)]) == [
        "transfer 1: payee: 'A' would pay itself",
        "transfer 2: payer: 'X' is not an active member of the alliance",
        "transfer 2: amount: 0.5 is not an exact amount (give a decimal)",
        "transfer 3: payee: 'Y' is not an active member of the alliance",
        "transfer 3: amount: the amount must be more than zero, not -2",
        "transfer 4: a transfer is (payer, payee, amount)",
    ]
    assert _problems([]) == ["the ruling: transfers: name at least one transfer"]
    assert _problems([("A", "B", Decimal("1"))] * (MAX_TRANSFERS + 1)) == [
        "the ruling: transfers: 51 transfers: at most 50 in one ruling"]
    assert _problems([("A", "B", Decimal("Infinity")), ("A", "B", True)]) == [
        "transfer 1: amount: Decimal('Infinity') is not an amount", "transfer 2: amount: True is not an exact amount "
        "(give a decimal)"]
    assert _problems([("A", "B", Decimal("1000000000001"))]) == [
        "transfer 1: amount: 1000000000001 is more than one transfer may move (1000000000000.00)"]


def test_the_reference_names_the_dispute_and_the_ruling_and_reads_back() -> None:
    assert reference(3, "proposal 12") == "dispute 3, ruling proposal 12"
    assert parse_reference("dispute 3, ruling proposal 12") == (3, "proposal 12")
    assert parse_reference("something else") is None and parse_reference(None) is None


def test_the_digest_depends_on_every_transfer_and_their_order() -> None:
    one = transfers_of([("A", "B", "1.00"), ("C", "D", "2.00")], "CNY")
    assert transfers_digest(one) == transfers_digest(transfers_of([("A", "B", "1"), ("C", "D", "2")], "CNY"))
    assert transfers_digest(one) != transfers_digest(list(reversed(one)))
    assert transfers_digest(one) != transfers_digest(transfers_of([("A", "B", "1.01"), ("C", "D", "2.00")], "CNY"))


amounts = st.integers(min_value=1, max_value=10**12)
transfer = st.tuples(st.sampled_from(MEMBERS), st.sampled_from(MEMBERS), amounts).filter(lambda t: t[0] != t[1])


@st.composite
def balanced_day(draw: st.DrawFn) -> list[tuple[str, int]]:
    """A day's statement lines as (account, minor units) that sum to zero, as every closed day's do."""
    lines = draw(st.lists(st.tuples(st.sampled_from((*MEMBERS, "fund")), st.integers(-10**12, 10**12)), max_size=20))
    return [*lines, ("A", -sum(m for _, m in lines))]


@given(balanced_day(), st.lists(transfer, min_size=1, max_size=MAX_TRANSFERS))
def test_booking_any_valid_transfers_keeps_the_day_exact(day: list[tuple[str, int]],
                                                         drawn: list[tuple[str, str, int]]) -> None:
    given_transfers = [(p, q, Decimal(m).scaleb(-2)) for p, q, m in drawn]
    assert check_transfers(given_transfers, MEMBERS, "CNY") == []
    lines = statement_lines(3, "proposal 12", transfers_of(given_transfers, "CNY"))
    # Two lines a transfer, each pair summing to zero exactly, all naming the ruling.
    assert len(lines) == 2 * len(drawn)
    for (payer, payee, minor), pair in zip(drawn, zip(lines[::2], lines[1::2])):
        assert [(l["account"], l["amount_minor"], l["rate"]) for l in pair] == [(payer, -minor, payee),
                                                                               (payee, minor, payer)]
        assert all(l["kind"] == CORRECTION and l["correction_of"] == "dispute 3, ruling proposal 12"
                   and l["base_minor"] == minor for l in pair)
    before: dict[str, int] = {}
    for account, minor in day:
        before[account] = before.get(account, 0) + minor
    after = dict(before)
    for line in lines:
        after[line["account"]] = after.get(line["account"], 0) + line["amount_minor"]
    assert sum(before.values()) == sum(after.values()) == 0
    ordered = {m: 0 for m in MEMBERS}
    for payer, payee, minor in drawn:
        ordered[payer] -= minor
        ordered[payee] += minor
    assert {a: after.get(a, 0) - before.get(a, 0) for a in (*MEMBERS, "fund")} == {**ordered, "fund": 0}
