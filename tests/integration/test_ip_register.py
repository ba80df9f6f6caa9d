"""The IP register on SQLite and PostgreSQL: background IP registered by its owner's account with its
licence, foreground IP with exact shares by the coordinator or a contributor, changes as new versions
(the old rows untouched), every entry in the ledger and checked by verification (a row altered behind
the ledger's back is named), and each kind of bad input refused with nothing stored."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from alliance.access.policy import Forbidden
from alliance.access.roles import Principal, Role
from alliance.core.clock import FrozenClock
from alliance.core.errors import AllianceNotFound, NotFound
from alliance.ip import service as ip
from alliance.ip.checks import (DuplicateIpNumber, IpAssetNotFound, IpInvalid, LicenceDatesReversed, NotAMember,
                                SharesNotWhole, UnknownIpKind)
from alliance.ip.exit import ExitPolicy, joint_patents, usable_after_exit
from alliance.ip.model import Licence
from alliance.ledger import service as ledger
from alliance.registry import service as registry
from alliance.registry.lifecycle import AllianceNotWritable
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.tables import ip_assets, ip_versions, ledger_entries
from tests.support.factories import admin_of, credit_code, make_alliance

PROJECT = """
agreement: rd-project-1
effective_from: 2026-12-01
parties: [A, B]
rules:
  - {id: r, kind: fixed_split, select: {channel: store}, base: revenue, shares: {A: 0.5, B: 0.5}}
"""
COORDINATOR = Principal("coord", Role.COORDINATOR, "rd")
LICENCE = Licence("非独占、免费，限联盟项目内使用", exclusive=False, territory="中国大陆",
                  starts_on=date(2026, 12, 1), until=date(2029, 12, 31))


@pytest.fixture
def rd(store: Store, clock: FrozenClock) -> Store:
    for code in ("rd", "other"):
        make_alliance(store, clock, code=code)
        for n, member in enumerate(("A", "B", "C"), start=1):
            registry.add_member(store, code, {"code": member, "name": f"{member} 公司", "credit_code": credit_code(n)},
                                clock)
    sharing.propose_version(store, "rd", PROJECT, "秘书长", clock)
    return store


def _rows(store: Store) -> tuple[object, ...]:
    with store.engine.connect() as c:
        return tuple(tuple(c.execute(select(t).order_by(t.c.id)).all()) for t in (ip_assets, ip_versions))


def _entries(store: Store) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(ledger_entries)).scalar_one())


def test_background_foreground_and_versions_are_recorded_and_verified(rd: Store, clock: FrozenClock) -> None:
    patent = ip.register_background(rd, "rd", admin_of("rd", "A"), clock, owner="A", kind="patent",
                                    title="一种精密轴承的热处理方法", number="CN202310001234.5", licence=LICENCE)
    assert (patent.asset, patent.current.version, patent.current.owner) == (1, 1, "A")
    know_how = ip.register_background(rd, "rd", admin_of("rd", "B"), clock, owner="B", kind="know_how",
                                      title="装配工艺诀窍", number=None, licence=Licence("仅限本项目"))
    assert know_how.asset == 2 and know_how.current.number is None
    joint = ip.register_foreground(rd, "rd", COORDINATOR, clock, kind="patent", title="联合研发的密封结构",
                                   number="CN202410009999.1", contributors=[("A", "1/3"), ("B", "2/3")],
                                   project="rd-project-1")
    assert [(s.member, s.share) for s in joint.current.contributors] == [("A", Fraction(1, 3)), ("B", Fraction(2, 3))]
    # A contributor's own account registers too; a third of a third stays exact.
    software = ip.register_foreground(rd, "rd", admin_of("rd", "C"), clock, kind="software", title="检测软件 V1",
                                      number="2024SR000001", contributors=[("C", "0.5"), ("A", "1/6"), ("B", "1/3")])
    assert sum(s.share for s in software.current.contributors) == 1
    before = _rows(rd)
    changed = ip.change(rd, "rd", joint.asset, COORDINATOR, clock, contributors=[("A", "1/2"), ("B", "1/4"),
                                                                                ("C", "1/4")], note="C 加入")
    assert [v.version for v in changed.versions] == [1, 2]
    assert changed.versions[0].contributors[0].share == Fraction(1, 3)  # the first version is kept as it was
    after = _rows(rd)
    assert after[0] == before[0] and after[1][:len(before[1])] == before[1]  # append-only
    moved = ip.change(rd, "rd", patent.asset, admin_of("rd", "A"), clock, owner="B", note="转让")
    assert moved.current.owner == "B" and moved.versions[0].owner == "A"
    assert ledger.verify_store(rd, "rd").ok
    register = ip.read_register(rd, "rd", admin_of("rd", "C"), clock).assets
    assert joint_patents(register) == 1
    assert [u.asset.asset for u in usable_after_exit(register, "C", ExitPolicy.OWNERS_KEEP)] == [3, 4]
    assert [a.asset for a in ip.read_register(rd, "rd", COORDINATOR, clock, member="B", kind="patent").assets] == [1, 3]

    with rd.engine.begin() as c:  # behind the ledger's back
        c.execute(ip_versions.update().where(ip_versions.c.version == 2).values(contributors=[["A", "1"]]))
    found = ledger.verify_store(rd, "rd").first_mismatch
    assert found is not None and "IP asset 3 version 2" in str(found)


def test_a_version_inserted_behind_the_ledgers_back_is_named(rd: Store, clock: FrozenClock) -> None:
    ip.register_background(rd, "rd", admin_of("rd", "A"), clock, owner="A", kind="trademark", title="精工",
                           number="TM-1", licence=LICENCE)
    with rd.engine.begin() as c:
        row = c.execute(select(ip_versions)).one()._asdict()
        row.pop("id")
        c.execute(ip_versions.insert().values({**row, "version": 2, "owner": "B"}))
    found = ledger.verify_store(rd, "rd").first_mismatch
    assert found is not None and "IP asset 1 version 2" in str(found)


@pytest.mark.parametrize("principal, fields, error", [
    (admin_of("rd", "A"), {"contributors": [("A", "1/3"), ("B", "1/3")]}, SharesNotWhole),
    (admin_of("rd", "A"), {"contributors": [("A", "0.5"), ("Z", "0.5")]}, NotAMember),
    (admin_of("rd", "A"), {"kind": "poem"}, UnknownIpKind),
    (admin_of("rd", "A"), {"title": "  "}, IpInvalid),
    (admin_of("rd", "A"), {"contributors": [("A", "abc")]}, IpInvalid),
    (admin_of("rd", "A"), {"number": ""}, IpInvalid),  # a patent needs its number
    (admin_of("rd", "A"), {"project": "no-such-agreement"}, IpInvalid),
    (admin_of("rd", "B"), {}, Forbidden),  # B is not a contributor
    (Principal("aud", Role.AUDITOR, "rd"), {}, Forbidden),
    (Principal("far", Role.COORDINATOR, "other"), {}, AllianceNotFound),
])
def test_bad_foreground_input_stores_nothing(rd: Store, clock: FrozenClock, principal: Principal,
                                             fields: dict[str, object], error: type[Exception]) -> None:
    before, entries = _rows(rd), _entries(rd)
    values: dict[str, object] = {"kind": "patent", "title": "t", "number": "CN1", "contributors": [("A", "1")]} | fields
    with pytest.raises(error) as raised:
        ip.register_foreground(rd, "rd", principal, clock, **values)  # type: ignore[arg-type]
    assert getattr(raised.value, "code", "")
    assert _rows(rd) == before and _entries(rd) == entries


def test_bad_background_input_stores_nothing(rd: Store, clock: FrozenClock) -> None:
    ip.register_background(rd, "rd", admin_of("rd", "A"), clock, owner="A", kind="patent", title="p",
                           number="CN1", licence=LICENCE)
    before, entries = _rows(rd), _entries(rd)
    a = admin_of("rd", "A")
    cases = [
        (a, {"number": "cn1"}, DuplicateIpNumber),  # the same patent of the same owner
        (a, {"licence": Licence("x", starts_on=date(2027, 1, 1), until=date(2026, 1, 1))}, LicenceDatesReversed),
        (a, {"owner": "B"}, NotFound),  # acting for another member: as if B did not exist for this key
        (COORDINATOR, {}, Forbidden),  # background IP is its owner's act, not the coordinator's
        (a, {"kind": "recipe"}, UnknownIpKind),
        (a, {"title": ""}, IpInvalid),
    ]
    for principal, fields, error in cases:
        values: dict[str, object] = {"owner": "A", "kind": "patent", "title": "p2", "number": "CN2",
                                     "licence": LICENCE} | fields
        with pytest.raises(error):
            ip.register_background(rd, "rd", principal, clock, **values)  # type: ignore[arg-type]
    # The same number for another owner is another patent record (a licensee's own registration).
    assert _rows(rd) == before and _entries(rd) == entries
    with pytest.raises(IpAssetNotFound):
        ip.change(rd, "rd", 9, a, clock, title="x")
    with pytest.raises(IpInvalid):
        ip.change(rd, "rd", 1, a, clock, title="p")  # nothing changes
    with pytest.raises(NotAMember):
        ip.change(rd, "rd", 1, a, clock, owner="Z")
    with pytest.raises(NotFound):
        ip.change(rd, "rd", 1, admin_of("rd", "B"), clock, title="mine now")
    assert _rows(rd) == before and _entries(rd) == entries


def test_a_member_that_left_is_no_contributor_and_a_suspended_alliance_takes_no_entries(rd: Store,
                                                                                        clock: FrozenClock) -> None:
    registry.end_membership(rd, "rd", "C", None, clock)
    with pytest.raises(NotAMember):
        ip.register_foreground(rd, "rd", COORDINATOR, clock, kind="design", title="外观", number="D1",
                               contributors=[("A", "1/2"), ("C", "1/2")])
    registry.change_status(rd, "rd", "suspended", "root", clock, decided_by="court order 1")
    with pytest.raises(AllianceNotWritable):
        ip.register_foreground(rd, "rd", COORDINATOR, clock, kind="design", title="外观", number="D1",
                               contributors=[("A", "1")])


def test_a_contributor_alone_may_not_take_from_the_others(rd: Store, clock: FrozenClock) -> None:
    joint = ip.register_foreground(rd, "rd", admin_of("rd", "A"), clock, kind="patent", title="联合研发的密封结构",
                                   number="CN202410008888.1", contributors=[("A", "1/100"), ("B", "99/100")],
                                   project="rd-project-1")
    before = _rows(rd)
    for contributors in ([("A", "1")], [("A", "1/2"), ("B", "1/2")]):
        with pytest.raises(Forbidden):
            ip.change(rd, "rd", joint.asset, admin_of("rd", "A"), clock, contributors=contributors)
    assert _rows(rd) == before
    # B may give up part of its own share; the coordinator may change any.
    ip.change(rd, "rd", joint.asset, admin_of("rd", "B"), clock, contributors=[("A", "1/10"), ("B", "9/10")])
    ip.change(rd, "rd", joint.asset, COORDINATOR, clock, contributors=[("A", "1/2"), ("B", "1/2")])
    assert ledger.verify_store(rd, "rd").ok


def test_a_members_background_ip_is_handed_over_only_by_that_member(rd: Store, clock: FrozenClock) -> None:
    # A's background patent: the coordinator (or another member) may neither hand it to B nor bring it
    # into the alliance as foreground IP under the same number, however the number is written.
    patent = ip.register_background(rd, "rd", admin_of("rd", "A"), clock, owner="A", kind="patent",
                                    title="一种精密轴承的热处理方法", number="ZL202310001234.5", licence=LICENCE)
    before, entries = _rows(rd), _entries(rd)
    operator = Principal("ops", Role.PLATFORM_ADMIN, kind="operator")
    for principal in (COORDINATOR, operator):
        with pytest.raises(Forbidden):
            ip.change(rd, "rd", patent.asset, principal, clock, owner="B", note="转让")
        with pytest.raises(Forbidden):
            ip.change(rd, "rd", patent.asset, principal, clock, licence=Licence("独占", exclusive=True))
    for principal, contributors in ((COORDINATOR, [("B", "1")]), (operator, [("A", "1/2"), ("B", "1/2")]),
                                    (admin_of("rd", "B"), [("B", "1")])):
        for number in ("ZL202310001234.5", "ZL 2023 1000 1234.5", "ＺＬ２０２３１０００１２３４５"):
            with pytest.raises(Forbidden, match="A's background IP \\(asset 1\\): only A's own account"):
                ip.register_foreground(rd, "rd", principal, clock, kind="patent", title="联合研发", number=number,
                                       contributors=contributors)
    with pytest.raises(Forbidden, match="A's background IP"):  # any kind: the number is what is handed over
        ip.register_foreground(rd, "rd", COORDINATOR, clock, kind="design", title="外观", number="ZL202310001234.5",
                               contributors=[("B", "1")])
    joint = ip.register_foreground(rd, "rd", COORDINATOR, clock, kind="patent", title="联合研发", number="CN9",
                                   contributors=[("A", "1/2"), ("B", "1/2")])
    with pytest.raises(Forbidden, match="A's background IP"):  # nor by renumbering a foreground asset
        ip.change(rd, "rd", joint.asset, COORDINATOR, clock, number="ZL202310001234.5")
    assert _rows(rd)[0][:1] == before[0] and _entries(rd) == entries + 1

    # A's own account may: it hands its patent to the alliance, or to B.
    brought = ip.register_foreground(rd, "rd", admin_of("rd", "A"), clock, kind="patent", title="联合研发",
                                     number="ZL 2023 1000 1234.5", contributors=[("A", "1/2"), ("B", "1/2")])
    ip.change(rd, "rd", brought.asset, COORDINATOR, clock, contributors=[("A", "1/3"), ("B", "2/3")])  # shares only
    assert ip.change(rd, "rd", patent.asset, admin_of("rd", "A"), clock, owner="B").current.owner == "B"
    assert ledger.verify_store(rd, "rd").ok
