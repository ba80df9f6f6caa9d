"""Agreement versions and signatures on both stores."""

from __future__ import annotations

from datetime import date

import pytest

from alliance.core.clock import FrozenClock
from alliance.core.errors import Conflict, InvalidInput
from alliance.registry import service as registry
from alliance.sharing import service
from alliance.sharing.agreement import AgreementInvalid
from alliance.store.database import Store
from tests.support.factories import admin_of, make_alliance, member_values

DOC = """
agreement: hw-split
title: 软硬件利润分成
effective_from: {start}
parties: [M0001, M0002]
rules:
  - id: hw-profit
    kind: fixed_split
    select: {{product_owner: M0002}}
    base: profit
    shares: {{M0001: {sw}, M0002: {hw}}}
"""


def doc(start: str = "2026-12-01", sw: str = "0.30", hw: str = "0.70") -> str:
    return DOC.format(start=start, sw=sw, hw=hw)


@pytest.fixture
def alliance(store: Store, clock: FrozenClock) -> str:
    make_alliance(store, clock, code="cloud-hw")
    make_alliance(store, clock, code="other")
    for n in (1, 2):
        registry.add_member(store, "cloud-hw", member_values(n), clock)
        registry.add_member(store, "other", member_values(n), clock)
    return "cloud-hw"


def test_propose_sign_and_version_in_force(store: Store, clock: FrozenClock, alliance: str) -> None:
    v1 = service.propose_version(store, alliance, doc(), "秘书长", clock)
    assert (v1.version, v1.status, v1.unsigned) == (1, "awaiting signatures", ["M0001", "M0002"])
    assert v1.document == doc() and v1.proposed_by == "秘书长"
    assert service.version_in_force(store, alliance, "hw-split", date(2026, 12, 5)) is None
    service.sign(store, alliance, "hw-split", 1, "M0001", "张总", clock, principal=admin_of(alliance, "M0001"))
    signed = service.sign(store, alliance, "hw-split", 1, "M0002", "李总", clock, principal=admin_of(alliance, "M0002"))
    assert signed.fully_signed and [s.sha256 for s in signed.signatures] == [v1.sha256, v1.sha256]
    assert service.version_in_force(store, alliance, "hw-split", date(2026, 11, 30)) is None
    assert service.version_in_force(store, alliance, "hw-split", date(2026, 12, 1)).version == 1  # type: ignore[union-attr]

    v2 = service.propose_version(store, alliance, doc("2027-01-01", "0.35", "0.65"), "秘书长", clock)
    assert v2.version == 2
    # Unsigned, version 2 changes nothing; signed, it takes over from its own date only.
    assert service.version_in_force(store, alliance, "hw-split", date(2027, 1, 5)).version == 1  # type: ignore[union-attr]
    for member in ("M0001", "M0002"):
        service.sign(store, alliance, "hw-split", 2, member, "代表", clock, principal=admin_of(alliance, member))
    assert service.version_in_force(store, alliance, "hw-split", date(2026, 12, 31)).version == 1  # type: ignore[union-attr]
    assert service.version_in_force(store, alliance, "hw-split", date(2027, 1, 1)).version == 2  # type: ignore[union-attr]
    assert [v.version for v in service.list_agreements(store, alliance)["hw-split"]] == [1, 2]


def test_refusals_store_nothing(store: Store, clock: FrozenClock, alliance: str) -> None:
    with pytest.raises(InvalidInput, match="in the past"):
        service.propose_version(store, alliance, doc("2026-11-01"), "x", clock)
    with pytest.raises(AgreementInvalid) as caught:
        service.propose_version(store, alliance, doc(sw="0.3", hw="0.6"), "x", clock)
    assert [p.reason for p in caught.value.problems] == ["shares sum to 0.9, not 1"]
    with pytest.raises(AgreementInvalid, match="problem"):
        service.propose_version(store, alliance, doc().replace("M0002]", "M0009]"), "x", clock)
    with pytest.raises(InvalidInput, match="timezone Europe/Berlin differs from the alliance's Asia/Shanghai"):
        service.propose_version(store, alliance, doc().replace("title:", "timezone: Europe/Berlin\ntitle:"), "x", clock)
    assert service.list_agreements(store, alliance) == {}

    # Naming the alliance's own time zone is fine (leaving it out too, below).
    named = doc().replace("title:", "timezone: Asia/Shanghai\ntitle:").replace("agreement: hw-split", "agreement: tz-named")
    assert service.propose_version(store, alliance, named, "x", clock).version == 1
    service.propose_version(store, alliance, doc(), "x", clock)
    with pytest.raises(Conflict, match="already says exactly this"):
        service.propose_version(store, alliance, doc(), "x", clock)
    with pytest.raises(InvalidInput, match="must be after version 1"):
        service.propose_version(store, alliance, doc("2026-12-01", "0.4", "0.6"), "x", clock)
    with pytest.raises(InvalidInput, match="not a party"):
        service.sign(store, alliance, "hw-split", 1, "M0009", "x", clock, principal=admin_of(alliance, "M0009"))
    service.sign(store, alliance, "hw-split", 1, "M0001", "x", clock, principal=admin_of(alliance, "M0001"))
    with pytest.raises(Conflict, match="already signed"):
        service.sign(store, alliance, "hw-split", 1, "M0001", "x", clock, principal=admin_of(alliance, "M0001"))
    with pytest.raises(service.AgreementNotFound):
        service.sign(store, alliance, "hw-split", 7, "M0001", "x", clock, principal=admin_of(alliance, "M0001"))
    assert len(service.versions(store, alliance, "hw-split")) == 1


def test_agreements_are_scoped_to_their_alliance(store: Store, clock: FrozenClock, alliance: str) -> None:
    service.propose_version(store, alliance, doc(), "x", clock)
    with pytest.raises(service.AgreementNotFound):
        service.versions(store, "other", "hw-split")
    with pytest.raises(service.AgreementNotFound):
        service.sign(store, "other", "hw-split", 1, "M0001", "x", clock, principal=admin_of("other", "M0001"))
    assert service.list_agreements(store, "other") == {}
    # The other alliance may have its own agreement with the same code, numbered on its own.
    assert service.propose_version(store, "other", doc(), "x", clock).version == 1
