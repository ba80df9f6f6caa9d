"""Each agreement that still names a leaving member gets its next version without it, proposed for the
remaining parties to sign (sharing.leaving_service), on both stores."""

from __future__ import annotations

from datetime import date

import pytest

from alliance.core.clock import FrozenClock
from alliance.core.errors import MemberNotFound
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.sharing import leaving_service
from alliance.sharing import service
from alliance.sharing.agreement import load_agreement_text
from alliance.store.database import Store
from tests.support.factories import admin_of, make_alliance, member_values

TRIO = """
agreement: trio
title: 三方联营
effective_from: 2026-12-10
parties: [M0001, M0002, M0003]
rules:
  - id: split
    kind: fixed_split
    select: {channel: [store]}
    base: revenue
    shares: {M0001: 0.40, M0002: 0.30, M0003: 0.30}
"""

PAIR = """
agreement: pair
title: 双方
effective_from: 2026-12-10
parties: [M0001, M0002]
rules:
  - id: half
    kind: fixed_split
    select: {channel: [store]}
    base: revenue
    shares: {M0001: 0.50, M0002: 0.50}
"""

OTHERS = PAIR.replace("agreement: pair", "agreement: others").replace("M0001", "M0003")


@pytest.fixture
def alliance(store: Store, clock: FrozenClock) -> str:
    make_alliance(store, clock, code="trio")
    for n in (1, 2, 3):
        registry.add_member(store, "trio", member_values(n), clock)
    for document in (TRIO, PAIR, OTHERS):
        version = service.propose_version(store, "trio", document, "秘书长", clock)
        for party in version.parties:
            service.sign(store, "trio", version.agreement_code, 1, party, "代表", clock,
                         principal=admin_of("trio", party))
    return "trio"


def test_a_forty_thirty_thirty_agreement_is_proposed_again_without_the_forty(
        store: Store, clock: FrozenClock, alliance: str) -> None:
    before = ledger.status(store, alliance).size
    leaves_on = date(2026, 12, 31)
    preview = leaving_service.preview_without(store, alliance, "M0001", leaves_on, clock)
    assert ledger.status(store, alliance).size == before  # a preview stores nothing
    assert [p.agreement_code for p in preview] == ["pair", "trio"] and all(p.version is None for p in preview)

    done = {p.agreement_code: p for p in leaving_service.propose_versions_without(
        store, alliance, "M0001", leaves_on, "秘书长", clock)}
    assert set(done) == {"pair", "trio"}  # "others" never named M0001: untouched
    trio = done["trio"]
    assert trio.version == 2 and trio.not_proposed is None and trio.effective_from == date(2027, 1, 1)
    stored = service.get_version(store, alliance, "trio", 2)
    assert stored.parties == ("M0002", "M0003") and stored.unsigned == ["M0002", "M0003"]
    split = load_agreement_text(stored.document).rules[0]
    assert {m: str(s) for m, s in split.params.shares.items()} == {"M0002": "0.5", "M0003": "0.5"}
    # two parties would leave one: not proposed, and said why
    assert done["pair"].version is None and "only M0002 would remain" in done["pair"].not_proposed
    assert [v.version for v in service.versions(store, alliance, "pair")] == [1]
    assert [v.version for v in service.versions(store, alliance, "others")] == [1]
    assert ledger.status(store, alliance).size == before + 1  # the one version proposed is on the ledger

    # the remaining parties sign it; the version in force until then is the one M0001 signed
    for party in ("M0002", "M0003"):
        service.sign(store, alliance, "trio", 2, party, "代表", clock, principal=admin_of(alliance, party))
    assert service.version_in_force(store, alliance, "trio", date(2026, 12, 31)).version == 1  # type: ignore[union-attr]
    assert service.version_in_force(store, alliance, "trio", date(2027, 1, 1)).version == 2  # type: ignore[union-attr]

    # asked again, trio's latest version no longer names M0001: only the pair is told again, nothing is stored
    again = leaving_service.propose_versions_without(store, alliance, "M0001", leaves_on, "秘书长", clock)
    assert [(p.agreement_code, p.version) for p in again] == [("pair", None)]
    assert [v.version for v in service.versions(store, alliance, "trio")] == [1, 2]


def test_a_leaving_day_already_past_takes_effect_from_today(store: Store, clock: FrozenClock, alliance: str) -> None:
    done = leaving_service.propose_versions_without(store, alliance, "M0002", date(2026, 11, 1), "秘书长", clock)
    trio = next(p for p in done if p.agreement_code == "trio")
    today = clock.now().date()
    assert trio.effective_from == max(today, date(2026, 12, 11))  # after version 1's own start, never in the past


def test_an_unknown_member_is_refused_and_nothing_is_stored(store: Store, clock: FrozenClock, alliance: str) -> None:
    before = ledger.status(store, alliance).size
    with pytest.raises(MemberNotFound):
        leaving_service.propose_versions_without(store, alliance, "M0099", date(2026, 12, 31), "秘书长", clock)
    assert ledger.status(store, alliance).size == before
