"""Clean-room rules, pure: join columns never output, grouped or filtered; the strictest rule of the
views wins (k, functions, a field's policy); the generalised floor."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.core.errors import InvalidInput
from alliance.datashare.cleanroom import Ref, Side, check_joint, resolve, strictest
from alliance.datashare.facts import floor
from alliance.datashare.views import Policy, check_spec


def side(view: int, member: str, policies: dict[str, str], k: int = 5, functions: tuple[str, ...] = ("sum", "avg")) -> Side:
    return Side(view, member, check_spec(f"v{view}", "sales", policies, k, functions))


A = side(1, "M1", {"sku": "join", "channel": "dimension", "amount": "aggregate", "attributed_to": "visible"}, k=5)
B = side(2, "M2", {"sku": "join", "channel": "visible", "amount": "aggregate", "product_owner": "aggregate"}, k=9,
         functions=("sum",))


def refused(reason: str, **asked: object) -> None:
    query = {"join": "sku", "group_by": [], "aggregates": [], "filters": [], **asked}
    with pytest.raises(InvalidInput) as caught:
        check_joint([A, B], **query)  # type: ignore[arg-type]
    assert reason in str(caught.value.message), caught.value.message


def test_a_join_column_is_never_grouped_filtered_or_aggregated() -> None:
    refused("groups can be formed on", group_by=["1.sku"])
    refused("takes no filters", filters=["2.sku=SKU-1"])
    refused("aggregates can be taken of", aggregates=["sum:1.sku"])


def test_the_join_column_must_be_join_in_every_view() -> None:
    refused("not a join column of view(s) 1, 2", join="channel")
    with pytest.raises(InvalidInput, match="different members"):
        check_joint([A, side(3, "M1", {"sku": "join", "amount": "aggregate"})], "sku", [], [], [])


def test_the_strictest_rule_wins() -> None:
    rules = resolve([A, B])
    assert rules.k == 9 and rules.functions == ("sum",)
    assert rules.policies[Ref(2, "channel")] is Policy.DIMENSION  # visible in B, dimension in A
    assert rules.policies[Ref(1, "attributed_to")] is Policy.VISIBLE  # shared by A only
    assert rules.policies[Ref(2, "attributed_to")] is Policy.HIDDEN  # B does not share it
    refused("allowed are count, sum", aggregates=["avg:1.amount"])
    refused("takes no filters", filters=["2.channel=store"])  # dimensions too: answers could be subtracted
    query = check_joint([A, B], "sku", ["product_owner"], ["sum:1.amount", "count"], [])
    assert [r.name for r in query.group_by] == ["2.product_owner"] and [a.name for a in query.aggregates] == ["sum_1.amount"]
    assert not query.side_filters(B) and not query.side_filters(A)


def test_ambiguous_and_unknown_fields_are_named() -> None:
    refused("shared by several views: name one, as 1.channel, 2.channel", group_by=["channel"])
    refused("no view queried shares 'cost'", aggregates=["sum:cost"])
    refused("names no field", group_by=["7.channel"])


@given(st.lists(st.sampled_from(list(Policy)), min_size=1, max_size=5))
def test_strictest_is_never_looser_than_any(policies: list[Policy]) -> None:
    order = [Policy.VISIBLE, Policy.AGGREGATE, Policy.DIMENSION, Policy.JOIN, Policy.HIDDEN]
    assert all(order.index(strictest(policies)) >= order.index(p) for p in policies)


def test_numbers_cannot_be_dimensions_or_joins_and_functions_are_checked() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_spec("x", "sales", {"amount": "join", "quantity": "dimension", "sku": "visible"}, 5, ("median",))
    assert len(caught.value.problems) == 3


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), max_size=12), st.integers(2, 10))
def test_the_floor_over_several_measures(groups: list[tuple[int, int]], k: int) -> None:
    shown, withheld = floor(groups, k, sizes=lambda g: g)
    assert all(min(g) >= k for g in shown) and len(shown) + withheld == len(groups)
    hidden = [g for g in groups if g not in shown] if len(set(groups)) == len(groups) else []
    if hidden and shown:  # the withheld together reach k in every measure while any group is shown
        assert min(sum(h[0] for h in hidden), sum(h[1] for h in hidden)) >= k
