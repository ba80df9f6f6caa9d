"""Properties of the reference settlement engine on random days under the documented example."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.core.money import Money
from alliance.settlement.engine import DayContext, settle_day
from alliance.settlement.lines import OrderLine
from alliance.sharing.agreement import RuleKind, load_agreement_text

AGREEMENT = load_agreement_text((Path(__file__).parents[2] / "docs" / "examples" / "agreement-yuejia.yaml").read_text("utf-8"))
MEMBERS = list(AGREEMENT.parties)
DAY = date(2027, 1, 20)  # the campaign's cost-share day, in the agreement's first month
CHANNELS = ["store", "mini-program", "membership", "referral"]
METRICS = {"user_assets": {"MILK": Decimal(5), "SNACK": Decimal(3), "CLEAN": Decimal(2)}}

line_st = st.builds(
    lambda n, seller, owner, channel, amount, cost, attributed, refund: OrderLine(
        f"L{n}", f"O{n}", datetime(2027, 1, 20, 3, tzinfo=UTC), seller, owner, channel, f"SKU-{n}", 1,
        Money(-amount if refund else amount, "CNY"), None if cost is None else Money(cost, "CNY"), attributed,
        "L0" if refund else None),
    st.integers(0, 10**6), st.sampled_from(MEMBERS), st.sampled_from(MEMBERS), st.sampled_from(CHANNELS),
    st.integers(0, 10**9), st.one_of(st.none(), st.integers(0, 10**8)),
    st.lists(st.sampled_from(MEMBERS), max_size=3, unique=True).map(tuple), st.booleans(),
)
days_st = st.lists(line_st, max_size=40)


def settle(lines: list[OrderLine], earlier: list[OrderLine] = ()) -> object:  # type: ignore[assignment]
    return settle_day(AGREEMENT, DAY, lines, DayContext(earlier=earlier, metrics=METRICS))


@settings(max_examples=60, deadline=None)
@given(lines=days_st, earlier=days_st)
def test_every_rule_balances_and_shares_add_back_to_the_cent(lines: list[OrderLine], earlier: list[OrderLine]) -> None:
    result = settle(lines, earlier)
    for outcome in result.outcomes:  # type: ignore[attr-defined]
        assert sum(m.minor for m in outcome.postings.values()) == 0
        if outcome.kind in (RuleKind.FIXED_SPLIT, RuleKind.DYNAMIC, RuleKind.CONTRIBUTION):
            shared = sum(l.amount.minor for l in outcome.lines if l.rate not in ("collected",))
            assert shared == outcome.base.minor  # the members' amounts add up to the rule's base
    assert sum(m.minor for m in result.net().values()) == 0  # type: ignore[attr-defined]


@settings(max_examples=40, deadline=None)
@given(lines=days_st, seed=st.integers(0, 2**32 - 1))
def test_order_of_lines_changes_nothing_and_settling_twice_is_identical(lines: list[OrderLine], seed: int) -> None:
    shuffled = list(lines)
    random.Random(seed).shuffle(shuffled)
    first, again, reordered = settle(lines), settle(lines), settle(shuffled)
    assert first == again
    assert first.net() == reordered.net()  # type: ignore[attr-defined]
    assert [o.postings for o in first.outcomes] == [o.postings for o in reordered.outcomes]  # type: ignore[attr-defined]
