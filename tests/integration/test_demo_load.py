"""Loading the demo data into a real database (SQLite and PostgreSQL), once and again."""

from __future__ import annotations

from alliance.core.clock import FrozenClock
from alliance.registry import service
from alliance.registry.demo import DEMO_ALLIANCES, load_demo
from alliance.registry.model import ResourceDeclaration
from alliance.store.database import Store

CODES = [d.spec.code for d in DEMO_ALLIANCES]


def _in_order(resources: tuple[ResourceDeclaration, ...]) -> list[ResourceDeclaration]:
    # The store returns resources in its own order (direction, priority, insertion).
    return sorted(resources, key=lambda r: (r.direction.value, r.priority, r.category.value, r.description))


def _member_counts(store: Store) -> dict[str, int]:
    return {code: len(service.list_members(store, code)) for code in CODES}


def test_load_creates_every_alliance_with_its_members(store: Store, clock: FrozenClock) -> None:
    result = load_demo(store, clock)

    assert result.created == CODES
    assert result.existing == []
    stored = {a.code: a for a in service.list_alliances(store)}
    assert sorted(stored) == sorted(CODES)
    for demo in DEMO_ALLIANCES:
        alliance = stored[demo.spec.code]
        assert alliance.name == demo.spec.name
        assert alliance.kind is demo.spec.kind
        assert alliance.structure is demo.spec.structure
        assert alliance.currency == "CNY"
        assert alliance.charter == demo.spec.charter
        assert alliance.member_count == len(demo.members)
    expected = {"yuejia-retail": 6, "cloud-hw": 2, "nb-precision": 7, "nb-precision-buy": 3}
    assert _member_counts(store) == expected


def test_sub_alliance_is_linked_both_ways(store: Store, clock: FrozenClock) -> None:
    load_demo(store, clock)

    sub = service.get_alliance(store, "nb-precision-buy")
    parent = service.get_alliance(store, "nb-precision")
    assert sub.parent_code == "nb-precision"
    assert parent.sub_alliance_codes == ("nb-precision-buy",)
    assert parent.parent_code is None
    assert service.get_alliance(store, "yuejia-retail").sub_alliance_codes == ()


def test_members_profiles_and_resources_round_trip(store: Store, clock: FrozenClock) -> None:
    load_demo(store, clock)

    for demo in DEMO_ALLIANCES:
        stored = {m.code: m for m in service.list_members(store, demo.spec.code)}
        assert sorted(stored) == sorted(d.code for d in demo.members)
        for draft in demo.members:
            member = stored[draft.code]
            assert member.legal_name == draft.legal_name
            assert member.credit_code == draft.credit_code
            assert member.role is draft.role
            assert member.joined_on == draft.joined_on
            assert member.profile == draft.profile, draft.code
            assert _in_order(member.resources) == _in_order(draft.resources), draft.code


def test_loading_again_creates_nothing_and_changes_nothing(store: Store, clock: FrozenClock) -> None:
    load_demo(store, clock)
    before = _member_counts(store)

    again = load_demo(store, clock)

    assert again.created == []
    assert again.existing == CODES
    assert _member_counts(store) == before
    assert len(service.list_alliances(store)) == len(CODES)


def test_an_existing_alliance_is_left_alone(store: Store, clock: FrozenClock) -> None:
    first = DEMO_ALLIANCES[0]
    service.create_alliance(store, first.spec, clock)

    result = load_demo(store, clock)

    assert result.existing == [first.spec.code]
    assert result.created == CODES[1:]
    assert service.list_members(store, first.spec.code) == []
