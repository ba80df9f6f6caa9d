"""The mutation catalogue: every kind of stored row the ledger covers is altered, deleted, reordered
or added behind the platform's back, on SQLite and PostgreSQL, and verification must fail naming
it. The log's own rows (entries, subtrees, head, checkpoints, key) and every object it records
(the alliance, members, agreement versions, signatures, settled days and their statement lines,
screening runs, pilot decisions, kept evidence files) each have their mutations here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, delete, insert, literal, select, update

from alliance.core.clock import FrozenClock
from alliance.access.roles import Principal, Role
from alliance.governance import disputes, service_weights
from alliance.governance import service_meetings as meetings
from alliance.governance import service_proposals as proposals
from alliance.ledger import service as ledger
from alliance.ledger.merkle import leaf_hash
from alliance.ledger.note import Signer
from alliance.registry import service as registry
from alliance.screening import service as screening
from alliance.screening.candidates import CandidateTable
from alliance.screening.criteria import preset
from alliance.screening.entities import Cadence, Decision
from alliance.screening.pipeline import ItemStatus, KpiDirection, Source, Stage
from alliance.screening.report import SensitivitySettings
from alliance.screening.scoring import Method
from alliance.settlement import service as settlement
from alliance.sharing import attorneys
from alliance.sharing import service as sharing
from alliance.store.database import Store
from alliance.store.facts import FactStore
from alliance.store.stores import Stores
from alliance.store.tables import (
    agreement_signatures, agreement_versions, alliances, evidence_files, ledger_checkpoints, ledger_entries,
    ledger_heads, ledger_keys, ledger_nodes, members, pilots, powers_of_attorney, screening_runs, settlement_runs,
    statement_lines,
)
from alliance.store.tables import dispute_evidence, disputes as dispute_rows, gov_ballots, gov_proposals
from alliance.store.tables import api_keys, users, vote_weights
from alliance.store.tables import health_kpi_catalogues
from alliance.health.kpis import records as kpi_records
from alliance.store.tables import correction_transfers, corrections
from alliance.store.tables import gov_minutes_signoffs
from tests.support import snapshots
from alliance.store.tables import ratings as rating_rows
from alliance.store.tables import milestones as milestone_rows
from alliance.store.tables import fx_rates
from alliance.store.tables import glossary_term_versions, ip_versions
from alliance.store.tables import payouts as payout_rows
from alliance.store.tables import payout_currency_choices
from alliance.store.tables import exit_acknowledgements, exit_cases, exit_items, exit_steps
from alliance.store.tables import fund_release_parts, fund_releases, operation_charge_lines, operation_charges
from alliance.store.tables import competition_justifications, competition_screenings, competition_set_choices
from alliance.store.tables import purchase_campaigns, purchase_commitments, purchase_quotes
from tests.support.factories import admin_of, credit_code, make_alliance, member_values
from tests.support.web import in_chinese

AGREEMENT = """
agreement: split
effective_from: 2027-01-01
parties: [M0001, M0002]
accounts: {fund: 成长基金}
rules:
  - {id: r, kind: fixed_split, select: {channel: store}, base: revenue, shares: {M0001: 0.3, M0002: 0.7}}
  - {id: g, kind: growth_fund, select: {channel: store}, base: revenue, rate: 0.1, target: "0.00", period: day,
     fund: fund}
"""
MILESTONES = """
agreement: rd
effective_from: 2027-01-01
parties: [M0001, M0002]
rules:
  - {id: proto, kind: milestone_release, milestone: 样机, evidence: 检测报告, confirmed_by: M0001, amount: "100.00",
     payer: M0001, payee: M0002}
"""
LATER = AGREEMENT.replace("2027-01-01", "2027-03-01").replace("0.3,", "0.4,").replace("0.7}", "0.6}")
TABLE = CandidateTable(["伙伴A", "伙伴B", "伙伴C"],
                       np.asfortranarray(np.array([[8, 9, 7, 8, 6], [9, 7, 9, 9, 8], [7, 8, 6, 7, 9]], dtype=np.float64)))
SETTLED_AT = FrozenClock(datetime(2027, 1, 16, 3, tzinfo=UTC))
COORDINATOR = Principal("coord", Role.COORDINATOR, "nb", kind="user")


@dataclass
class Recorded:
    store: Store
    aid: int

    def row(self, table: object, *where: object) -> object:
        with self.store.engine.connect() as c:
            return c.execute(select(table).where(*where)).first()  # type: ignore[call-overload]


@pytest.fixture
def recorded(store: Store, clock: FrozenClock, tmp_path: Path) -> Recorded:
    """An alliance whose log records one of everything: 18 entries, a stored subtree at level 4
    (built once per test process and database kind, then copied: tests/support/snapshots.py)."""
    snapshots.once("recorded", store, lambda: _record_everything(store, clock, tmp_path))
    with store.unit_of_work() as uow:
        return Recorded(store, uow.alliances.require("nb").id)


def _record_everything(store: Store, clock: FrozenClock, tmp_path: Path) -> None:
    make_alliance(store, clock, code="nb")
    for n in range(1, 9):
        registry.add_member(store, "nb", member_values(n), clock)
    registry.end_membership(store, "nb", "M0008", None, clock)
    sharing.propose_version(store, "nb", AGREEMENT, "秘书长", clock)
    for member in ("M0001", "M0002"):
        sharing.sign(store, "nb", "split", 1, member, "代表", clock, principal=admin_of("nb", member))
    sharing.propose_version(store, "nb", LATER, "秘书长", clock)
    sharing.sign(store, "nb", "split", 2, "M0001", "代表", clock, principal=admin_of("nb", "M0001"))  # M0002 has not signed version 2
    screening.run_screening(store, "nb", preset("article"), Method.WEIGHTED, TABLE, SensitivitySettings(draws=50),
                            "analyst", clock)
    prospect = screening.add_prospect(store, "nb", "候选伙伴", Source.REFERRAL, "coordinator", clock)
    screening.move_prospect(store, "nb", prospect.id, Stage.DUE_DILIGENCE, "coordinator", clock)
    items = screening.prospect_file(store, "nb", prospect.id).checklist
    for i, item in enumerate(i for i in items if i.required):
        screening.update_item(store, "nb", item.id, "auditor", clock, status=ItemStatus.DONE,
                              evidence=(f"evidence-{i}.pdf", f"审计报告 {i}".encode()) if i < 2 else None)
    pilot = screening.start_pilot(store, "nb", prospect.id, "联合促销", date(2026, 12, 1), date(2027, 1, 31),
                                  Cadence.MONTHLY, "coordinator", clock)
    kpi = screening.add_kpi(store, "nb", pilot.id, "转化率", "%", KpiDirection.HIGHER, Decimal("3"))
    screening.record_measurement(store, "nb", kpi.id, date(2027, 1, 31), Decimal("4"), clock)
    screening.decide_pilot(store, "nb", pilot.id, Decision.GO, "机密：价格底线 12 元", "committee", clock)
    lines = tmp_path / "lines.csv"
    lines.write_text("line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
                     "L1,O1,2027-01-15T10:00:00+08:00,M0001,M0002,store,S1,1,99.90,CNY\n"
                     "L2,O2,2027-01-15T11:00:00+08:00,M0002,M0001,store,S2,2,10.01,CNY\n", encoding="utf-8")
    facts = FactStore(tmp_path / "facts.duckdb")
    try:
        settlement.import_order_lines(Stores(store, facts), "nb", lines, None, clock)
        settlement.settle(Stores(store, facts), "nb", date(2027, 1, 15), "财务", SETTLED_AT)
    finally:
        facts.close()
    # Powers of attorney: one in force, one granted and revoked (recorded last, so the entries above
    # keep their indices).
    attorneys.grant(store, "nb", "M0003", "coordinator", admin_of("nb", "M0003"), clock)
    ended = attorneys.grant(store, "nb", "M0004", "coordinator", admin_of("nb", "M0004"), clock)
    attorneys.revoke(store, "nb", "M0004", ended.id, admin_of("nb", "M0004"), clock)
    # A dispute, with its neutral data report and an evidence file (recorded last as well).
    facts = FactStore(tmp_path / "facts.duckdb")
    try:
        disputes.open_dispute(Stores(store, facts), "nb", disputes.Claim(
            claimant="M0001", respondents=["M0002"], agreement="split", version=1, rule="r", days=[date(2027, 1, 15)],
            amount="10.00", statement="分成比例有误", evidence=[("发票.pdf", b"%PDF invoice")]),
            admin_of("nb", "M0001"), SETTLED_AT)
    finally:
        facts.close()
    # A proposal put straight to the vote, with one ballot (recorded last as well).
    body = meetings.create_body(
        store, "nb", COORDINATOR, name="联合管理委员会", kind="joint_committee", term_from=date(2027, 1, 1),
        term_to=None, cadence="quarterly", meeting_time=time(10, 0), duration_minutes=120,
        seats=[("M0001", "chair", None), ("M0002", "member", None)], rules=None, clock=SETTLED_AT)
    number = proposals.draft(store, "nb", COORDINATOR, proposals.Draft(
        body_id=body.id, type="other", title="年度计划", text="通过年度计划。", no_discussion=True,
        voting_until=SETTLED_AT.now() + timedelta(days=7)), SETTLED_AT).number
    proposals.submit(store, "nb", number, COORDINATOR, SETTLED_AT)
    proposals.cast(store, "nb", number, admin_of("nb", "M0001"), "yes", SETTLED_AT)
    # The explicit voting weight table (recorded last as well).
    service_weights.set_weight_table(store, "nb", Principal("coord", Role.COORDINATOR, "nb"),
                                     [("M0001", "60"), ("M0002", "40")], clock)
    # A member's sign-off of a held meeting's minutes (recorded last as well).
    coordinator = Principal("coord", Role.COORDINATOR, "nb")
    body = meetings.create_body(store, "nb", coordinator, name="监督委员会", kind="joint_committee",
                                term_from=date(2026, 12, 1), term_to=None, cadence="quarterly", meeting_time=time(10, 0),
                                duration_minutes=120, seats=[("M0001", "chair", None), ("M0002", "member", None)],
                                rules={}, clock=clock)
    meeting = meetings.schedule(store, "nb", coordinator, body.id, date(2027, 1, 10), 1, clock)[0]
    meetings.sign_minutes(store, "nb", admin_of("nb", "M0002"), meeting.id, SETTLED_AT)
    # The KPI scorecard: a catalogue version (recorded last as well).
    kpi_records.edit_kpi(store, "nb", coordinator, "learning", {"weight": "2"}, clock, note="重视学习")
    # A star rating that took effect, with its tier change (recorded last as well).
    from alliance.health.ratings import service as ratings

    ratings.run(store, "nb", coordinator, "2026Q4", clock, members=["M0001"])
    # An import of exchange rates (recorded last as well).
    from alliance.settlement.fx import service as fx

    fx.import_items(store, "nb", coordinator, [
        {"day": "2027-01-15", "currency": "USD", "rate": "7.1234", "source": "PBOC central parity"},
        {"day": "2027-01-15", "currency": "EUR", "rate": "7.8", "source": "ECB reference"}], clock)
    # The IP register: a member's background IP, and foreground IP whose shares change (recorded last).
    from alliance.ip import service as ip
    from alliance.ip.model import Licence

    ip.register_background(store, "nb", admin_of("nb", "M0001"), clock, owner="M0001", kind="patent", title="热处理方法",
                           number="CN1", licence=Licence("非独占"))
    ip.register_foreground(store, "nb", coordinator, clock, kind="patent", title="密封结构", number="CN2",
                           contributors=[("M0001", "1/3"), ("M0002", "2/3")])
    ip.change(store, "nb", 2, coordinator, clock, contributors=[("M0001", "1/2"), ("M0002", "1/2")])
    # A payout of M0001's closed day, in the settlement currency (recorded last as well).
    from alliance.settlement import payout_service

    payout_service.set_currency(store, "nb", "M0002", "USD", clock, principal=admin_of("nb", "M0002"))
    payout_service.record(store, "nb", "M0001", date(2027, 1, 15), date(2027, 1, 15), date(2027, 1, 16), clock,
                          principal=coordinator)
    # An exit case: M0003 insolvent on the settled day, its settlement done, an asset entered and the
    # coordinator's acknowledgement (recorded last as well).
    from alliance.exits import service as exits
    from alliance.exits.model import Status, StepKey, Trigger

    exits.open_case(store, "nb", "M0003", Trigger.INSOLVENCY, date(2027, 1, 15), SETTLED_AT, principal=coordinator)
    exits.change_step(store, "nb", 1, StepKey.SETTLEMENT, Status.DONE, "", SETTLED_AT, principal=coordinator)
    exits.add_item(store, "nb", 1, StepKey.ASSETS, {"asset": "叉车"}, SETTLED_AT, principal=coordinator)
    exits.acknowledge(store, "nb", 1, SETTLED_AT, principal=coordinator)
    # A release of the growth fund's balance to a member, scheduled (recorded last as well).
    from alliance.settlement.fund_release_service import schedule_fund_release

    with store.unit_of_work() as uow:
        schedule_fund_release(uow, uow.alliances.require("nb"), fund="fund", cause="exit case 1",
                              parts=[("M0002", 100)], receivers=["M0001", "M0002"], actor="秘书长", clock=SETTLED_AT)
        uow.commit()
    # A competition-law screening that crossed a threshold, justified, under the sets chosen (recorded last too).
    from alliance.competition import service as competition
    from alliance.competition.checks import MarketEntry, ParticipantEntry

    competition.choose_sets(store, "nb", coordinator, clock, ["us_2023", "eu_2004"])
    competition.run(store, "nb", coordinator, clock, occasion="on_demand", markets=[MarketEntry(
        "轴承", "中国", "horizontal", "", (ParticipantEntry("M0001", "member", "20"),
                                          ParticipantEntry("M0002", "member", "20")))])
    competition.justify(store, "nb", 1, coordinator, clock, "仅限联合研发")
    # A glossary term proposed by a member and agreed by the coordinator (recorded last as well).
    from alliance.operations.glossary import service as glossary
    from alliance.operations.glossary.model import TermDraft

    glossary.propose(store, "nb", admin_of("nb", "M0001"), TermDraft("托盘位", "pallet position", "放一个托盘的位置",
                                                                     "The space for one pallet.", ("板位",)), clock)
    glossary.agree(store, "nb", coordinator, 1, clock)
    report = ledger.verify_store(store, "nb")
    assert report.ok, report.first_mismatch
    assert report.entries >= 17 and report.checkpoints == report.entries  # one checkpoint a write


Mutation = Callable[[Connection, int], None]


def _edit_competition_share(c: Connection, aid: int) -> None:
    inputs = c.execute(select(competition_screenings.c.inputs).where(
        competition_screenings.c.alliance_id == aid)).scalar_one()
    inputs["markets"][0]["participants"][0]["share"] = "2"
    c.execute(update(competition_screenings).where(competition_screenings.c.alliance_id == aid).values(inputs=inputs))


def _swap(c: Connection, table: object, column: str, where_a: object, where_b: object) -> None:
    a = c.execute(select(getattr(table.c, column)).where(where_a)).scalar_one()  # type: ignore[attr-defined]
    b = c.execute(select(getattr(table.c, column)).where(where_b)).scalar_one()  # type: ignore[attr-defined]
    c.execute(update(table).where(where_a).values({column: b}))  # type: ignore[arg-type]
    c.execute(update(table).where(where_b).values({column: a}))  # type: ignore[arg-type]


def _entry(aid: int, index: int) -> object:
    return (ledger_entries.c.alliance_id == aid) & (ledger_entries.c.idx == index)


def _leaf(c: Connection, aid: int, index: int) -> bytes:
    return bytes(c.execute(select(ledger_entries.c.leaf).where(_entry(aid, index))).scalar_one())


def _edit_leaf(c: Connection, aid: int) -> None:
    leaf = _leaf(c, aid, 3).replace(b"M0003", b"M0033")
    c.execute(update(ledger_entries).where(_entry(aid, 3)).values(leaf=leaf))


def _rehash_leaf(c: Connection, aid: int) -> None:
    leaf = _leaf(c, aid, 3).replace(b"M0003", b"M0033")
    c.execute(update(ledger_entries).where(_entry(aid, 3)).values(leaf=leaf, leaf_hash=leaf_hash(leaf)))


def _reorder_entries(c: Connection, aid: int) -> None:
    a, b = _leaf(c, aid, 4), _leaf(c, aid, 5)
    c.execute(update(ledger_entries).where(_entry(aid, 4)).values(leaf=b, leaf_hash=leaf_hash(b)))
    c.execute(update(ledger_entries).where(_entry(aid, 5)).values(leaf=a, leaf_hash=leaf_hash(a)))


def _head_size(c: Connection, aid: int) -> int:
    return int(c.execute(select(ledger_heads.c.size).where(ledger_heads.c.alliance_id == aid)).scalar_one())


def _truncate(c: Connection, aid: int) -> None:
    """The last entry removed with everything that speaks of it: head, checkpoint (the frontier
    left as it was, since recomputing it needs only the hashes an attacker has anyway)."""
    size = _head_size(c, aid)
    c.execute(delete(ledger_entries).where(_entry(aid, size - 1)))
    c.execute(delete(ledger_checkpoints).where(ledger_checkpoints.c.alliance_id == aid,
                                               ledger_checkpoints.c.tree_size == size))
    c.execute(update(ledger_heads).where(ledger_heads.c.alliance_id == aid).values(size=size - 1))


def _frontier(c: Connection, aid: int) -> None:
    raw = bytes(c.execute(select(ledger_heads.c.frontier).where(ledger_heads.c.alliance_id == aid)).scalar_one())
    c.execute(update(ledger_heads).where(ledger_heads.c.alliance_id == aid).values(frontier=bytes(32) + raw[32:]))


def _checkpoint(size: int) -> object:
    return ledger_checkpoints.c.tree_size == size


def _rekey(c: Connection, aid: int) -> None:
    """A full rewrite: a new key, and every checkpoint re-signed with it (the entries untouched)."""
    name = c.execute(select(ledger_keys.c.name).where(ledger_keys.c.alliance_id == aid)).scalar_one()
    signer = Signer(name, Ed25519PrivateKey.generate())
    c.execute(update(ledger_keys).where(ledger_keys.c.alliance_id == aid).values(
        public_key=signer.private_key.public_key().public_bytes_raw()))
    from alliance.ledger.note import sign, split

    for size, note in c.execute(select(ledger_checkpoints.c.tree_size, ledger_checkpoints.c.note)
                                .where(ledger_checkpoints.c.alliance_id == aid)).all():
        text, _ = split(note)
        c.execute(update(ledger_checkpoints).where(ledger_checkpoints.c.alliance_id == aid, _checkpoint(size))
                  .values(note=sign(text, [signer])))


def _member(code: str) -> object:
    return members.c.code == code


def _version(number: int) -> object:
    return agreement_versions.c.version == number


def _signature(c: Connection, aid: int, member: str, version: int) -> object:
    version_id = c.execute(select(agreement_versions.c.id).where(agreement_versions.c.alliance_id == aid,
                                                                 _version(version))).scalar_one()
    return (agreement_signatures.c.version_id == version_id) & (agreement_signatures.c.member_code == member)


def _forge_signature(c: Connection, aid: int) -> None:
    """M0002 'signs' version 2 behind the platform's back: the version would come into force."""
    row = c.execute(select(agreement_versions.c.id, agreement_versions.c.sha256)
                    .where(agreement_versions.c.alliance_id == aid, _version(2))).one()
    c.execute(insert(agreement_signatures).values(alliance_id=aid, version_id=row.id, member_code="M0002",
                                                  signer="伪造", sha256=row.sha256, signed_at=datetime.now(UTC)))


def _drop_signature(c: Connection, aid: int) -> None:
    c.execute(delete(agreement_signatures).where(_signature(c, aid, "M0002", 1)))


def _lines(c: Connection, aid: int) -> list[int]:
    return list(c.execute(select(statement_lines.c.id).where(statement_lines.c.alliance_id == aid)
                          .order_by(statement_lines.c.id)).scalars())


def _delete_run(c: Connection, aid: int) -> None:
    c.execute(delete(statement_lines).where(statement_lines.c.alliance_id == aid))
    c.execute(delete(settlement_runs).where(settlement_runs.c.alliance_id == aid))


def _add_run(c: Connection, aid: int) -> None:
    c.execute(insert(settlement_runs).values(alliance_id=aid, day=date(2027, 1, 16), currency="CNY", lines=0,
                                             late_lines=0, agreements=[], closed_at=datetime.now(UTC), actor="x"))


def _add_member(c: Connection, aid: int) -> None:
    c.execute(insert(members).values(alliance_id=aid, code="M0099", legal_name="影子公司", credit_code=credit_code(99),
                                     role="member", joined_on=date(2026, 11, 1), created_at=datetime.now(UTC)))


def _evidence(c: Connection, aid: int) -> object:
    first = c.execute(select(evidence_files.c.id).where(evidence_files.c.alliance_id == aid)
                      .order_by(evidence_files.c.id)).scalars().first()
    return evidence_files.c.id == first


def _pilot(aid: int) -> object:
    return pilots.c.alliance_id == aid


def _run(aid: int) -> object:
    return screening_runs.c.alliance_id == aid


# (name, mutation, what the first mismatch must say)
CATALOGUE: list[tuple[str, Mutation, str]] = [
    # the log's own rows
    ("entry edited", _edit_leaf, "entry 3: its content does not hash to its stored leaf hash"),
    ("entry edited and rehashed", _rehash_leaf, "checkpoint of size 4: signs a root the entries do not give"),
    ("entry deleted", lambda c, aid: c.execute(delete(ledger_entries).where(_entry(aid, 3))),
     "entry 3: missing: the next stored entry is 4"),
    ("entries reordered", _reorder_entries, "checkpoint of size 5: signs a root the entries do not give"),
    ("entry added", lambda c, aid: c.execute(insert(ledger_entries).values(
        alliance_id=aid, idx=_head_size(c, aid), event_type="x", leaf=b'{"type":"x"}', leaf_hash=leaf_hash(b'{"type":"x"}'))),
     "is beyond the log's head"),
    ("entry's type column changed", lambda c, aid: c.execute(update(ledger_entries).where(_entry(aid, 9))
                                                             .values(event_type="member.joined")),
     "entry 9: its stored type 'member.joined' is not the entry's own 'member.left'"),
    ("last entry truncated", _truncate, "the log's head: the ledger's head (its size and frontier) does not match"),
    ("stored subtree edited", lambda c, aid: c.execute(update(ledger_nodes).where(ledger_nodes.c.alliance_id == aid)
                                                       .values(hash=bytes(32))),
     "node level 4 index 0: stored hash differs"),
    ("stored subtree deleted", lambda c, aid: c.execute(delete(ledger_nodes).where(ledger_nodes.c.alliance_id == aid)),
     "node level 4 index 0: stored hash differs"),
    ("head frontier corrupted", _frontier, "the log's head: the ledger's head (its size and frontier) does not match"),
    ("head size lowered", lambda c, aid: c.execute(update(ledger_heads).where(ledger_heads.c.alliance_id == aid)
                                                   .values(size=_head_size(c, aid) - 1)),
     "is beyond the log's head"),
    ("checkpoint edited", lambda c, aid: c.execute(update(ledger_checkpoints).where(
        ledger_checkpoints.c.alliance_id == aid, _checkpoint(6)).values(note=c.execute(select(ledger_checkpoints.c.note).where(
            ledger_checkpoints.c.alliance_id == aid, _checkpoint(6))).scalar_one().replace("\n6\n", "\n5\n", 1))),
     "checkpoint of size 6: the signature of 'alliance.local/ledger/nb' does not verify"),
    ("checkpoint deleted", lambda c, aid: c.execute(delete(ledger_checkpoints).where(
        ledger_checkpoints.c.alliance_id == aid, _checkpoint(6))),
     "checkpoint of size 6: is missing (deleted): the checkpoint of size 7 was signed after it"),
    ("latest checkpoint deleted", lambda c, aid: c.execute(delete(ledger_checkpoints).where(
        ledger_checkpoints.c.alliance_id == aid, _checkpoint(_head_size(c, aid)))),
     "are covered by no signed checkpoint"),
    ("checkpoints reordered", lambda c, aid: _swap(c, ledger_checkpoints, "note",
                                                   (ledger_checkpoints.c.alliance_id == aid) & _checkpoint(4),
                                                   (ledger_checkpoints.c.alliance_id == aid) & _checkpoint(5)),
     "checkpoint of size 4: its signed text says size 5"),
    ("key replaced", lambda c, aid: c.execute(update(ledger_keys).where(ledger_keys.c.alliance_id == aid).values(
        public_key=Ed25519PrivateKey.generate().public_key().public_bytes_raw())),
     "checkpoint of size 1: no signature from a known key"),
    # the objects the log records
    ("alliance renamed", lambda c, aid: c.execute(update(alliances).where(alliances.c.id == aid).values(name="别的联盟")),
     "entry 0 (alliance.created): alliance nb differs from what was recorded: name"),
    ("member renamed", lambda c, aid: c.execute(update(members).where(members.c.alliance_id == aid, _member("M0002"))
                                                .values(legal_name="冒名公司")),
     "entry 2 (member.joined): member M0002 differs from what was recorded: legal_name"),
    ("member's departure undone", lambda c, aid: c.execute(update(members).where(members.c.alliance_id == aid,
                                                                                 _member("M0008")).values(left_on=None)),
     "entry 9 (member.left): member M0008 differs from what was recorded: left_on"),
    ("member deleted", lambda c, aid: c.execute(delete(members).where(members.c.alliance_id == aid, _member("M0007"))),
     "entry 7 (member.joined): member M0007 was recorded but is no longer stored"),
    ("member added", _add_member, "member M0099: is stored but no ledger entry records it"),
    ("agreement version: signed document edited", lambda c, aid: c.execute(update(agreement_versions).where(
        agreement_versions.c.alliance_id == aid, _version(1)).values(document=AGREEMENT.replace("0.3,", "0.0004,").replace(
            "0.7}", "0.9996}"))),
     "entry 10 (agreement.version_created): agreement split version 1 differs from what was recorded: its stored "
     "document no longer has the content that was recorded"),
    ("version digest edited", lambda c, aid: c.execute(update(agreement_versions).where(
        agreement_versions.c.alliance_id == aid, _version(1)).values(sha256="0" * 64)),
     "agreement split version 1 differs from what was recorded: sha256"),
    ("version parties edited", lambda c, aid: c.execute(update(agreement_versions).where(
        agreement_versions.c.alliance_id == aid, _version(2)).values(parties=["M0001"])),
     "agreement split version 2 differs from what was recorded: parties"),
    ("signature deleted", _drop_signature,
     "entry 12 (agreement.signed): M0002's signature of agreement split version 1 was recorded but is no longer stored"),
    ("signature forged", _forge_signature, "M0002's signature of agreement split version 2: is stored but no ledger entry"),
    ("signature's digest edited", lambda c, aid: c.execute(update(agreement_signatures).where(
        _signature(c, aid, "M0001", 1)).values(sha256="f" * 64)),
     "entry 11 (agreement.signed): M0001's signature of agreement split version 1 differs from what was recorded: sha256"),
    ("screening run: inputs edited", lambda c, aid: c.execute(update(screening_runs).where(_run(aid)).values(
        inputs={"method": "topsis"})), "screening run"),
    ("screening run deleted", lambda c, aid: c.execute(delete(screening_runs).where(_run(aid))),
     "was recorded but is no longer stored"),
    ("pilot decision changed", lambda c, aid: c.execute(update(pilots).where(_pilot(aid)).values(decision="no_go")),
     "the decision of pilot"),
    ("pilot note rewritten", lambda c, aid: c.execute(update(pilots).where(_pilot(aid)).values(decision_note="改写")),
     "note_sha256"),
    ("settled day's run deleted", _delete_run, "settled day 2027-01-15 was recorded but is no longer stored"),
    ("settled day's line count edited", lambda c, aid: c.execute(update(settlement_runs).where(
        settlement_runs.c.alliance_id == aid).values(lines=7)), "settled day 2027-01-15 differs from what was recorded: lines"),
    ("settled day said to share nothing", lambda c, aid: c.execute(update(settlement_runs).where(
        settlement_runs.c.alliance_id == aid).values(unshared_reason="no_agreement_in_force")),
     "settled day 2027-01-15 differs from what was recorded: unshared_reason"),
    # The per-member commitment (members_root): a salt changed, so a member's archive proof would fail.
    ("settled day's member salts edited", lambda c, aid: c.execute(update(settlement_runs).where(
        settlement_runs.c.alliance_id == aid).values(member_salts={"M0001": "00" * 16, "M0002": "11" * 16})),
     "settled day 2027-01-15 differs from what was recorded: members_root"),
    ("statement line amount edited", lambda c, aid: c.execute(update(statement_lines).where(
        statement_lines.c.id == _lines(c, aid)[0]).values(amount_minor=statement_lines.c.amount_minor + 1)),
     "settled day 2027-01-15 differs from what was recorded: statements_sha256"),
    ("statement line deleted", lambda c, aid: c.execute(delete(statement_lines).where(
        statement_lines.c.id == _lines(c, aid)[-1])), "statements_sha256"),
    ("statement lines reordered", lambda c, aid: _swap(c, statement_lines, "account",
                                                       statement_lines.c.id == _lines(c, aid)[0],
                                                       statement_lines.c.id == _lines(c, aid)[1]),
     "statements_sha256"),
    ("settled day added", _add_run, "settled day 2027-01-16: is stored but no ledger entry records it"),
    ("signature's account edited", lambda c, aid: c.execute(update(agreement_signatures).where(
        _signature(c, aid, "M0001", 1)).values(account="user:someone-else")),
     "M0001's signature of agreement split version 1 differs from what was recorded: account"),
    ("power of attorney: revocation undone", lambda c, aid: c.execute(update(powers_of_attorney).where(
        powers_of_attorney.c.alliance_id == aid, powers_of_attorney.c.member_code == "M0004").values(
            revoked_at=None, revoked_by=None)),
     "(attorney.revoked): power of attorney"),
    ("power of attorney: forged", lambda c, aid: c.execute(insert(powers_of_attorney).values(
        alliance_id=aid, member_code="M0002", grantee="coordinator", power="sign", granted_by="user:x",
        granted_at=datetime.now(UTC))), "is stored but no ledger entry records it"),
    ("power of attorney: deleted", lambda c, aid: c.execute(delete(powers_of_attorney).where(
        powers_of_attorney.c.alliance_id == aid, powers_of_attorney.c.member_code == "M0003")),
     "(attorney.granted): power of attorney"),
    ("dispute's neutral report edited", lambda c, aid: c.execute(update(dispute_rows).where(
        dispute_rows.c.alliance_id == aid).values(report=dispute_rows.c.report + " ")),
     "dispute 1 differs from what was recorded: its kept neutral data report no longer hashes"),
    ("dispute's amount edited", lambda c, aid: c.execute(update(dispute_rows).where(
        dispute_rows.c.alliance_id == aid).values(amount_minor=99)), "dispute 1 differs from what was recorded: claim_sha256"),
    ("dispute's evidence removed", lambda c, aid: c.execute(delete(dispute_evidence).where(
        dispute_evidence.c.alliance_id == aid)), "dispute 1 differs from what was recorded: evidence"),
    ("kept file edited", lambda c, aid: c.execute(update(evidence_files).where(_evidence(c, aid)).values(content=b"forged")),
     "evidence file 1: its content no longer has its recorded SHA-256"),
    ("proposal's text edited after submission", lambda c, aid: c.execute(update(gov_proposals).where(
        gov_proposals.c.alliance_id == aid).values(text="通过年度计划，并加薪。")),
     "proposal 1 differs from what was recorded: text_sha256"),
    ("proposal's ballot changed", lambda c, aid: c.execute(update(gov_ballots).where(
        gov_ballots.c.alliance_id == aid).values(choice="no")),
     "proposal 1 differs from what was recorded: its kept ballots (1) no longer match"),
    ("proposal's ballot forged", lambda c, aid: c.execute(insert(gov_ballots).values(
        alliance_id=aid, proposal_id=c.execute(select(gov_proposals.c.id).where(gov_proposals.c.alliance_id == aid))
        .scalar_one(), voter="M0002", choice="yes", cast_by="x", cast_at=datetime.now(UTC), salt="0" * 32)),
     "proposal 1 differs from what was recorded: its kept ballots (2) no longer match the 1"),
    ("voting weight table: a weight edited", lambda c, aid: c.execute(update(vote_weights).where(
        vote_weights.c.alliance_id == aid, vote_weights.c.member_code == "M0002").values(weight="90")),
     "the voting weight table differs from what was recorded: weights"),
    ("voting weight table: a member added", lambda c, aid: c.execute(insert(vote_weights).values(
        alliance_id=aid, member_code="M0003", weight="1", set_by="x", set_at=datetime.now(UTC))),
     "the voting weight table differs from what was recorded: weights"),
    ("voting weight table: deleted", lambda c, aid: c.execute(delete(vote_weights).where(
        vote_weights.c.alliance_id == aid)), "the voting weight table was recorded but is no longer stored"),
    ("minutes sign-off: digest edited", lambda c, aid: c.execute(update(gov_minutes_signoffs).where(
        gov_minutes_signoffs.c.alliance_id == aid).values(sha256="0" * 64)),
     "minutes sign-off 1 differs from what was recorded: sha256"),
    ("minutes sign-off: member changed", lambda c, aid: c.execute(update(gov_minutes_signoffs).where(
        gov_minutes_signoffs.c.alliance_id == aid).values(member_code="M0001")),
     "minutes sign-off 1 differs from what was recorded: member"),
    ("minutes sign-off forged", lambda c, aid: c.execute(insert(gov_minutes_signoffs).values(
        alliance_id=aid, meeting_id=c.execute(select(gov_minutes_signoffs.c.meeting_id).where(
            gov_minutes_signoffs.c.alliance_id == aid)).scalar_one(), member_code="M0001", sha256="1" * 64,
        account="m0001-admin", signed_at=datetime(2027, 1, 16, tzinfo=UTC))),
     "is stored but no ledger entry records it"),
    ("KPI catalogue version: a definition edited", lambda c, aid: c.execute(update(health_kpi_catalogues).where(
        health_kpi_catalogues.c.alliance_id == aid).values(definitions=[])),
     "KPI catalogue version 1 differs from what was recorded: sha256"),
    ("star rating: stars edited", lambda c, aid: c.execute(update(rating_rows).where(
        rating_rows.c.alliance_id == aid).values(stars=5)), "star rating 1 differs from what was recorded: stars"),
    ("star rating: explanation edited", lambda c, aid: c.execute(update(rating_rows).where(
        rating_rows.c.alliance_id == aid).values(explanation={"score": "99", "lines": []})),
     "star rating 1 differs from what was recorded: explanation_sha256"),
    ("star rating: tier it came from edited", lambda c, aid: c.execute(update(rating_rows).where(
        rating_rows.c.alliance_id == aid).values(previous_stars=4)),
     "star rating 1 differs from what was recorded: previous_stars"),
    ("star rating forged", lambda c, aid: c.execute(insert(rating_rows).values(
        alliance_id=aid, member_code="M0002", period="2026Q4", score="90", stars=5, explanation={}, status="effective",
        needs_approval=False, run_by="user:x", run_at=datetime(2027, 1, 16, tzinfo=UTC),
        effective_at=datetime(2027, 1, 16, tzinfo=UTC))), "is stored but no ledger entry records it"),
    ("exchange-rate import: a rate edited", lambda c, aid: c.execute(update(fx_rates).where(
        fx_rates.c.alliance_id == aid, fx_rates.c.currency == "USD").values(rate="7.2")),
     "exchange-rate import 1 differs from what was recorded: its stored rates (EUR 2027-01-15 7.8, USD 2027-01-15 7.2)"),
    ("exchange-rate import: a rate deleted", lambda c, aid: c.execute(delete(fx_rates).where(
        fx_rates.c.alliance_id == aid, fx_rates.c.currency == "EUR")), "it holds 1 rates, the ledger recorded 2"),
    ("exchange-rate import forged", lambda c, aid: c.execute(insert(fx_rates).values(
        alliance_id=aid, day=date(2027, 1, 16), currency="USD", rate="7.3", source="x", import_number=2,
        imported_by="user:x", imported_at=datetime(2027, 1, 16, tzinfo=UTC))),
     "exchange-rate import 2: is stored but no ledger entry records it"),
    ("IP register version: shares edited", lambda c, aid: c.execute(update(ip_versions).where(
        ip_versions.c.alliance_id == aid, ip_versions.c.version == 2).values(contributors=[["M0001", "1"]])),
     "IP asset 2 version 2 differs from what was recorded"),
    ("IP register version: licence widened", lambda c, aid: c.execute(update(ip_versions).where(
        ip_versions.c.alliance_id == aid, ip_versions.c.owner == "M0001").values(licence_exclusive=True)),
     "IP asset 1 version 1 differs from what was recorded"),
    ("payout: an amount edited", lambda c, aid: c.execute(update(payout_rows).where(
        payout_rows.c.alliance_id == aid).values(paid_minor=1)),
     "payout 1 differs from what was recorded: its stored row (owed"),
    ("payout: its days moved", lambda c, aid: c.execute(update(payout_rows).where(
        payout_rows.c.alliance_id == aid).values(last_day=date(2027, 1, 16))), "last_day is '2027-01-16'"),
    ("exit case: its end date moved", lambda c, aid: c.execute(update(exit_cases).where(
        exit_cases.c.alliance_id == aid).values(end_date=date(2027, 1, 20))),
     "exit case 1 differs from what was recorded: end_date is '2027-01-20', the ledger recorded '2027-01-15'"),
    ("exit step: its status edited", lambda c, aid: c.execute(update(exit_steps).where(
        exit_steps.c.alliance_id == aid, exit_steps.c.step_key == "ip").values(status="waived")),
     "step ip of exit case 1 differs from what was recorded: status is 'waived'"),
    ("exit item: its fields edited", lambda c, aid: c.execute(update(exit_items).where(
        exit_items.c.alliance_id == aid).values(fields={"asset": "两台叉车"})),
     "item 1 of step assets of exit case 1 differs from what was recorded: its stored row no longer hashes"),
    ("exit acknowledgement: another statement", lambda c, aid: c.execute(update(exit_acknowledgements).where(
        exit_acknowledgements.c.alliance_id == aid).values(statement_sha256="0" * 64)),
     "the coordinator's acknowledgement of exit case 1's final statement differs from what was recorded"),
    ("exit step deleted", lambda c, aid: c.execute(delete(exit_steps).where(
        exit_steps.c.alliance_id == aid, exit_steps.c.step_key == "data")),
     "step data of exit case 1 was recorded but is no longer stored"),
    ("payout deleted", lambda c, aid: c.execute(delete(payout_rows).where(payout_rows.c.alliance_id == aid)),
     "payout 1 was recorded but is no longer stored"),
    ("competition screening: a share edited", _edit_competition_share,
     "competition screening 1 differs from what was recorded: its inputs as entered no longer hashes"),
    ("competition screening: its flag cleared", lambda c, aid: c.execute(update(competition_screenings).where(
        competition_screenings.c.alliance_id == aid).values(flagged=False)),
     "competition screening 1 differs from what was recorded: its occasion, subject, sets or author"),
    ("competition screening: justification edited", lambda c, aid: c.execute(update(competition_justifications).where(
        competition_justifications.c.alliance_id == aid).values(text="另有说明")),
     "competition screening 1 differs from what was recorded: its justification no longer hashes"),
    ("competition threshold set choice: sets edited", lambda c, aid: c.execute(update(competition_set_choices).where(
        competition_set_choices.c.alliance_id == aid).values(sets=["cn_samr_2023"])),
     "threshold set choice 1 differs from what was recorded: sets is"),
    ("payout currency choice: currency edited", lambda c, aid: c.execute(update(payout_currency_choices).where(
        payout_currency_choices.c.alliance_id == aid).values(currency="EUR")),
     "payout currency choice 1 of M0002 differs from what was recorded: currency is 'EUR'"),
    ("payout currency choice forged", lambda c, aid: c.execute(insert(payout_currency_choices).values(
        alliance_id=aid, member_code="M0001", currency="JPY", set_at=datetime(2027, 1, 16, tzinfo=UTC),
        set_by="user:x")), "payout currency choice 1 of M0001: is stored but no ledger entry records it"),
    ("payout forged", lambda c, aid: c.execute(insert(payout_rows).from_select(
        [n for n in payout_rows.c.keys() if n != "id"],
        select(*[payout_rows.c[n] if n != "number" else literal(2) for n in payout_rows.c.keys() if n != "id"]).where(
            payout_rows.c.alliance_id == aid))), "payout 2: is stored but no ledger entry records it"),
    ("IP register version forged", lambda c, aid: c.execute(insert(ip_versions).from_select(
        [n for n in ip_versions.c.keys() if n != "id"],
        select(*[ip_versions.c[n] if n != "version" else literal(3) for n in ip_versions.c.keys() if n != "id"]).where(
            ip_versions.c.alliance_id == aid, ip_versions.c.version == 2))), "is stored but no ledger entry records it"),
    ("agreed term: definition edited", lambda c, aid: c.execute(update(glossary_term_versions).where(
        glossary_term_versions.c.alliance_id == aid, glossary_term_versions.c.version == 2).values(
        definition_en="The space for two pallets.")),
     "glossary term 1 version 2 differs from what was recorded: its stored version (托盘位 / pallet position) no "
     "longer hashes"),
    ("agreed term forged", lambda c, aid: c.execute(update(glossary_term_versions).where(
        glossary_term_versions.c.alliance_id == aid, glossary_term_versions.c.version == 1).values(status="agreed")),
     "glossary term 1 version 1: is stored but no ledger entry records it"),
    ("alliance's status changed behind the ledger", lambda c, aid: c.execute(update(alliances).where(
        alliances.c.id == aid).values(status="dissolved")),
     "entry 0 (alliance.created): alliance nb differs from what was recorded: status"),
]


@pytest.fixture
def corrected(store: Store, clock: FrozenClock, tmp_path: Path) -> Recorded:
    """`recorded`, with a ruling of dispute 1 ordering M0002 to pay M0001 12.50 and M0003 0.01,
    booked by the run of 2027-01-16 (a day without order lines); recorded after everything above."""
    def build() -> None:
        snapshots.once("recorded", store, lambda: _record_everything(store, clock, tmp_path))
        with store.unit_of_work() as uow:
            _correct(Recorded(store, uow.alliances.require("nb").id), tmp_path)

    snapshots.once("corrected", store, build)
    with store.unit_of_work() as uow:
        return Recorded(store, uow.alliances.require("nb").id)


def _correct(recorded: Recorded, tmp_path: Path) -> None:
    from alliance.settlement.service_corrections import schedule_correction

    ruled = FrozenClock(datetime(2027, 1, 16, 3, tzinfo=UTC))
    with recorded.store.unit_of_work() as uow:
        schedule_correction(uow, uow.alliances.require("nb"), dispute=1, ruling="proposal 1",
                            transfers=[("M0002", "M0001", Decimal("12.50")), ("M0002", "M0003", Decimal("0.01"))],
                            actor="仲裁庭", clock=ruled)
        uow.commit()
    # A shared operation's charge (a campaign's delivery: M0002 pays the supplier and the organiser's fee).
    from alliance.operations.charge_service import schedule_charge
    from alliance.operations.charges import ChargeLine

    with recorded.store.unit_of_work() as uow:
        schedule_charge(uow, uow.alliances.require("nb"), source="joint_purchase", reference="campaign-1",
                        title="Campaign 1: A4 paper", actor="M0001 admin", clock=ruled, lines=[
                            ChargeLine("ext:paper-co", 250, 250, "100 × 2.50"),
                            ChargeLine("M0001", 50, 50, "fee"),
                            ChargeLine("M0002", -300, 300, "100 × 3.00")])
        uow.commit()
    facts = FactStore(tmp_path / "facts.duckdb")
    try:
        settlement.settle(Stores(recorded.store, facts), "nb", date(2027, 1, 16), "财务", FrozenClock(datetime(2027, 1, 17, 3,
                                                                                                      tzinfo=UTC)))
    finally:
        facts.close()
    report = ledger.verify_store(recorded.store, "nb")
    assert report.ok, report.first_mismatch


def _correction_line(c: Connection, aid: int) -> object:
    first = c.execute(select(statement_lines.c.id).where(statement_lines.c.alliance_id == aid,
                                                         statement_lines.c.correction_of.is_not(None))
                      .order_by(statement_lines.c.id)).scalars().first()
    return statement_lines.c.id == first


# Mutations of a ruling's correction, on `corrected` (name, mutation, what the first mismatch must say).
CORRECTION_CATALOGUE: list[tuple[str, Mutation, str]] = [
    ("booked correction line's amount edited", lambda c, aid: c.execute(update(statement_lines).where(
        _correction_line(c, aid)).values(amount_minor=statement_lines.c.amount_minor - 100)),
     "settled day 2027-01-16 differs from what was recorded: statements_sha256"),
    ("booked correction line's ruling renamed", lambda c, aid: c.execute(update(statement_lines).where(
        _correction_line(c, aid)).values(correction_of="dispute 1, ruling proposal 2")),
     "settled day 2027-01-16 differs from what was recorded: statements_sha256"),
    ("correction's transfer edited", lambda c, aid: c.execute(update(correction_transfers).where(
        correction_transfers.c.alliance_id == aid, correction_transfers.c.position == 1).values(amount_minor=1)),
     "differs from what was recorded: transfers_sha256"),
    ("correction unbooked (to be paid twice)", lambda c, aid: c.execute(update(corrections).where(
        corrections.c.alliance_id == aid).values(booked_on=None)),
     "differs from what was recorded: booked_on"),
    ("correction deleted", lambda c, aid: (c.execute(delete(correction_transfers).where(
        correction_transfers.c.alliance_id == aid)), c.execute(delete(corrections).where(
            corrections.c.alliance_id == aid))), "was recorded but is no longer stored"),
    ("correction forged", lambda c, aid: c.execute(insert(corrections).values(
        alliance_id=aid, dispute_number=1, ruling_ref="proposal 9", currency="CNY", created_at=datetime.now(UTC),
        created_by="x")), "is stored but no ledger entry records it"),
    ("fund release: a part's amount edited", lambda c, aid: c.execute(update(fund_release_parts).where(
        fund_release_parts.c.alliance_id == aid).values(amount_minor=101)),
     "fund release 1 differs from what was recorded: parts_sha256"),
    ("fund release: its cause edited", lambda c, aid: c.execute(update(fund_releases).where(
        fund_releases.c.alliance_id == aid).values(cause="dissolution of nb")),
     "fund release 1 differs from what was recorded: cause"),
    ("fund release forged", lambda c, aid: c.execute(insert(fund_releases).values(
        alliance_id=aid, fund="fund", agreement="split", cause="x", currency="CNY", created_at=datetime.now(UTC),
        created_by="x")), "is stored but no ledger entry records it"),
    ("charge: a line's amount edited", lambda c, aid: c.execute(update(operation_charge_lines).where(
        operation_charge_lines.c.alliance_id == aid, operation_charge_lines.c.position == 1).values(amount_minor=251)),
     "charge 1 differs from what was recorded: lines_sha256"),
    ("charge: its title edited", lambda c, aid: c.execute(update(operation_charges).where(
        operation_charges.c.alliance_id == aid).values(title="Campaign 2")),
     "charge 1 differs from what was recorded: title"),
    ("charge unbooked (to be paid twice)", lambda c, aid: c.execute(update(operation_charges).where(
        operation_charges.c.alliance_id == aid).values(booked_on=None)),
     "charge 1 differs from what was recorded: booked_on"),
    ("charge forged", lambda c, aid: c.execute(insert(operation_charges).values(
        alliance_id=aid, source="warehouse", reference="warehouse-1/2027-01", title="x", currency="CNY",
        created_at=datetime.now(UTC), created_by="x")), "is stored but no ledger entry records it"),
]


@pytest.mark.parametrize(("name", "mutate", "expected"), CORRECTION_CATALOGUE, ids=[c[0] for c in CORRECTION_CATALOGUE])
def test_every_mutation_of_a_correction_is_caught_and_named(corrected: Recorded, name: str, mutate: Mutation,
                                                            expected: str) -> None:
    with corrected.store.engine.begin() as c:
        mutate(c, corrected.aid)
    report = ledger.verify_store(corrected.store, "nb")
    assert not report.ok, name
    assert expected in str(report.first_mismatch), (name, str(report.first_mismatch))
    if "correction" in name and "line" not in name:
        assert "correction " in str(report.first_mismatch), (name, str(report.first_mismatch))


MILESTONE_CATALOGUE: list[tuple[str, Mutation, str]] = [
    ("milestone's evidence edited", lambda c, aid: c.execute(update(milestone_rows).where(
        milestone_rows.c.alliance_id == aid).values(evidence=[{"name": "x.pdf", "sha256": "cd" * 32}])),
     "milestone 1 differs from what was recorded: evidence_sha256"),
    ("milestone unconfirmed behind the ledger", lambda c, aid: c.execute(update(milestone_rows).where(
        milestone_rows.c.alliance_id == aid).values(status="recorded")),
     "milestone 1 differs from what was recorded: status"),
    ("milestone forged", lambda c, aid: c.execute(insert(milestone_rows).values(
        alliance_id=aid, agreement="rd", rule_id="proto", version=1, status="rejected", evidence=[],
        recorded_by="user:x", recorded_at=datetime(2027, 1, 16, tzinfo=UTC))),
     "is stored but no ledger entry records it"),
]


@pytest.fixture
def milestoned(store: Store, clock: FrozenClock) -> Recorded:
    """Alliance `nb` with a signed project agreement whose milestone was recorded and confirmed."""
    from alliance.sharing import milestone_service

    make_alliance(store, clock, code="nb")
    for n in (1, 2):
        registry.add_member(store, "nb", member_values(n), clock)
    sharing.propose_version(store, "nb", MILESTONES, "秘书长", clock)
    for member in ("M0001", "M0002"):
        sharing.sign(store, "nb", "rd", 1, member, "代表", clock, principal=admin_of("nb", member))
    milestone_service.record(store, "nb", "rd", "proto", [("检测报告.pdf", "ab" * 32)], clock, principal=COORDINATOR)
    milestone_service.decide(store, "nb", "rd", "proto", True, "", clock, principal=admin_of("nb", "M0001"))
    assert ledger.verify_store(store, "nb").ok
    with store.unit_of_work() as uow:
        return Recorded(store, uow.alliances.require("nb").id)


@pytest.mark.parametrize(("name", "mutate", "expected"), MILESTONE_CATALOGUE, ids=[c[0] for c in MILESTONE_CATALOGUE])
def test_every_mutation_of_a_milestone_is_caught_and_named(milestoned: Recorded, name: str, mutate: Mutation,
                                                           expected: str) -> None:
    with milestoned.store.engine.begin() as c:
        mutate(c, milestoned.aid)
    report = ledger.verify_store(milestoned.store, "nb")
    assert not report.ok, name
    assert expected in str(report.first_mismatch), (name, str(report.first_mismatch))


def _warehouse_tables() -> tuple[object, ...]:
    from alliance.store.tables import (warehouse_bookings, warehouse_invoice_lines, warehouse_invoices,
                                       warehouse_prices, warehouses)

    return warehouses, warehouse_prices, warehouse_bookings, warehouse_invoices, warehouse_invoice_lines


def _forge_warehouse_month(c: Connection, aid: int) -> None:
    _, _, _, invoices, _ = _warehouse_tables()
    row = c.execute(select(invoices).where(invoices.c.alliance_id == aid)).first()
    c.execute(insert(invoices).values(alliance_id=aid, warehouse_id=row.warehouse_id, month="2026-10",  # type: ignore[union-attr]
                                      reference="warehouse-1/2026-10", charge_id=None, total_minor=0,
                                      lines_sha256="0" * 64, billed_at=datetime(2026, 11, 2, tzinfo=UTC),
                                      billed_by="x"))


WAREHOUSE_CATALOGUE: list[tuple[str, Mutation, str]] = [
    ("warehouse: its capacity edited", lambda c, aid: c.execute(update(_warehouse_tables()[0]).where(
        _warehouse_tables()[0].c.alliance_id == aid).values(capacity=99)),  # type: ignore[attr-defined]
     "warehouse 1 differs from what was recorded: capacity"),
    ("warehouse: a price line edited", lambda c, aid: c.execute(update(_warehouse_tables()[1]).where(
        _warehouse_tables()[1].c.alliance_id == aid).values(price_minor=1)),  # type: ignore[attr-defined]
     "warehouse 1 differs from what was recorded: terms_sha256"),
    ("warehouse booking: its quantity edited", lambda c, aid: c.execute(update(_warehouse_tables()[2]).where(
        _warehouse_tables()[2].c.alliance_id == aid).values(quantity=1)),  # type: ignore[attr-defined]
     "warehouse booking 1 differs from what was recorded: sha256"),
    ("warehouse booking: cancelled behind the ledger's back", lambda c, aid: c.execute(
        update(_warehouse_tables()[2]).where(_warehouse_tables()[2].c.alliance_id == aid)  # type: ignore[attr-defined]
        .values(status="cancelled")),
     "warehouse booking 1 differs from what was recorded: status"),
    ("warehouse month: an invoice line's amount edited", lambda c, aid: c.execute(update(_warehouse_tables()[4]).where(
        _warehouse_tables()[4].c.alliance_id == aid).values(month_minor=1)),  # type: ignore[attr-defined]
     "warehouse 1, month 2026-11 differs from what was recorded: lines_sha256"),
    ("warehouse month forged", _forge_warehouse_month, "is stored but no ledger entry records it"),
]


@pytest.fixture
def warehoused(store: Store, clock: FrozenClock) -> Recorded:
    """Alliance `nb`: M0001's warehouse 1, M0002's booking 1 of November, November billed."""
    from alliance.operations.warehouse import service as warehouse

    make_alliance(store, clock, code="nb")
    for n in (1, 2):
        registry.add_member(store, "nb", member_values(n), clock)
    warehouse.save_warehouse(store, "nb", COORDINATOR, {"name": "北仑", "owner": "M0001", "capacity": "20",
                                                        "unit": "pallet", "price_day": "8.00"}, clock)
    warehouse.book(store, "nb", admin_of("nb", "M0002"), 1, "M0002", 3, date(2026, 11, 23), date(2026, 11, 28), clock)
    warehouse.bill_month(store, "nb", COORDINATOR, "2026-11", FrozenClock(datetime(2026, 12, 2, 2, tzinfo=UTC)))
    assert ledger.verify_store(store, "nb").ok
    with store.unit_of_work() as uow:
        return Recorded(store, uow.alliances.require("nb").id)


@pytest.mark.parametrize(("name", "mutate", "expected"), WAREHOUSE_CATALOGUE, ids=[c[0] for c in WAREHOUSE_CATALOGUE])
def test_every_mutation_of_the_shared_warehouse_is_caught_and_named(warehoused: Recorded, name: str,
                                                                    mutate: Mutation, expected: str) -> None:
    with warehoused.store.engine.begin() as c:
        mutate(c, warehoused.aid)
    report = ledger.verify_store(warehoused.store, "nb")
    assert not report.ok, name
    assert expected in str(report.first_mismatch), (name, str(report.first_mismatch))


def _erased_alias() -> str:
    from alliance.exits.erasure import pseudonym

    return pseudonym("m2-admin")


ERASURE_CATALOGUE: list[tuple[str, Mutation, str]] = [
    ("member data erasure: a contact e-mail restored", lambda c, aid: c.execute(update(members).where(
        members.c.alliance_id == aid, members.c.code == "M0002").values(contact_email="m2@example.cn")),
     "the erased data of member M0002 differs from what was recorded: what its erasure removed is stored again: "
     "contact_fields contact_email"),
    ("member data erasure: a password set again", lambda c, aid: c.execute(update(users).where(
        users.c.username == _erased_alias()).values(password_hash="$argon2id$v=19$m=65536,t=3,p=4$x$y")),
     "what its erasure removed is stored again: accounts "),
    ("member data erasure: a key given its secret back", lambda c, aid: c.execute(update(api_keys).where(
        api_keys.c.alliance_id == aid, api_keys.c.member_code == "M0002").values(secret_sha256="ab" * 32)),
     "what its erasure removed is stored again: api_keys "),
    ("member data erasure: its account's name restored", lambda c, aid: c.execute(update(users).where(
        users.c.username == _erased_alias()).values(username="m2-admin")),
     "what its erasure removed is stored again: accounts "),
]


@pytest.fixture
def erased(store: Store, clock: FrozenClock) -> Recorded:
    """Alliance `nb`: M0002 insolvent on 2026-12-01 (gone that day), its admin's account and key, its
    contact details, then its data erased on 2026-12-31."""
    from alliance.access import service as access
    from alliance.exits import erasure_service
    from alliance.exits import service as exits
    from alliance.exits.model import Trigger

    make_alliance(store, clock, code="nb")
    for n in (1, 2):
        registry.add_member(store, "nb", member_values(n), clock)
    access.create_user(store, "m2-admin", "a long enough password", "M2 的管理员", clock)
    access.grant_role(store, "m2-admin", Role.MEMBER_ADMIN, "nb", "M0002")
    access.create_api_key(store, role=Role.MEMBER_ADMIN, alliance="nb", member="M0002", name="ERP", created_by="t",
                          clock=clock)
    with store.engine.begin() as c:
        c.execute(update(members).where(members.c.code == "M0002").values(contact_email="m2@example.cn"))
    coordinator = Principal("coord", Role.COORDINATOR, "nb", kind="user")
    day = FrozenClock(datetime(2026, 12, 1, 2, tzinfo=UTC))
    exits.open_case(store, "nb", "M0002", Trigger.INSOLVENCY, date(2026, 12, 1), day, principal=coordinator)
    exits.record_ends_due(store, day)
    erasure_service.erase_member_data(store, "nb", 1, FrozenClock(datetime(2027, 1, 1, 2, tzinfo=UTC)),
                                      principal=coordinator)
    assert ledger.verify_store(store, "nb").ok
    with store.unit_of_work() as uow:
        return Recorded(store, uow.alliances.require("nb").id)


@pytest.mark.parametrize(("name", "mutate", "expected"), ERASURE_CATALOGUE, ids=[c[0] for c in ERASURE_CATALOGUE])
def test_every_mutation_of_an_erasure_is_caught_and_named(erased: Recorded, name: str, mutate: Mutation,
                                                          expected: str) -> None:
    with erased.store.engine.begin() as c:
        mutate(c, erased.aid)
    report = ledger.verify_store(erased.store, "nb")
    assert not report.ok, name
    assert expected in str(report.first_mismatch), (name, str(report.first_mismatch))


def test_the_catalogue_covers_every_ledger_table_and_recorded_kind() -> None:
    from alliance.ledger.coverage import KINDS

    touched = " ".join(name for name, _, _ in [*CATALOGUE, *CORRECTION_CATALOGUE, *MILESTONE_CATALOGUE,
                                               *ERASURE_CATALOGUE, *REFERRAL_CATALOGUE,
                                               *PURCHASE_CATALOGUE, *WAREHOUSE_CATALOGUE, *MARKETING_CATALOGUE])
    for word in ("entry", "subtree", "head", "checkpoint", "key"):
        assert word in touched
    for kind in KINDS:
        assert kind.name in touched, f"no mutation of a {kind.name}"


@pytest.mark.parametrize(("name", "mutate", "expected"), CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_every_mutation_is_caught_and_named(recorded: Recorded, name: str, mutate: Mutation, expected: str) -> None:
    with recorded.store.engine.begin() as c:
        mutate(c, recorded.aid)
    report = ledger.verify_store(recorded.store, "nb")
    assert not report.ok, name
    assert expected in str(report.first_mismatch), (name, str(report.first_mismatch))


def test_a_full_rewrite_with_a_new_key_passes_only_without_a_pinned_key(recorded: Recorded) -> None:
    pinned = ledger.public_key(recorded.store, "nb")
    with recorded.store.engine.begin() as c:
        _rekey(c, recorded.aid)
    unpinned = ledger.verify_store(recorded.store, "nb")
    assert unpinned.ok and "read from the database itself" in unpinned.warnings[0]  # says it cannot tell
    report = ledger.verify_store(recorded.store, "nb", [pinned])
    assert not report.ok and "is not the pinned one" in str(report.first_mismatch)


def test_entries_never_reveal_the_confidential_go_no_go_note(recorded: Recorded) -> None:
    text = "\n".join(str(e["entry"]) for e in ledger.entries(recorded.store, "nb", 0, 100))
    assert "机密" not in text and "候选伙伴" not in text


def test_settlement_refuses_terms_nobody_signed(recorded: Recorded, tmp_path: Path) -> None:
    edited = AGREEMENT.replace("0.3,", "0.0004,").replace("0.7}", "0.9996}")
    with recorded.store.engine.begin() as c:
        c.execute(update(agreement_versions).where(agreement_versions.c.alliance_id == recorded.aid, _version(1))
                  .values(document=edited))
    _settle_next_day_refused(recorded, tmp_path, "agreement 'split' version 1 is not what its parties signed: its "
                                                 "stored document no longer has the content its digest names")


def test_settlement_refuses_a_version_edited_with_its_digests(recorded: Recorded, tmp_path: Path) -> None:
    from alliance.sharing.agreement import digest, load_agreement_text

    edited = AGREEMENT.replace("0.3,", "0.0004,").replace("0.7}", "0.9996}")
    sha = digest(load_agreement_text(edited))
    with recorded.store.engine.begin() as c:
        c.execute(update(agreement_versions).where(agreement_versions.c.alliance_id == recorded.aid, _version(1))
                  .values(document=edited, sha256=sha))
        c.execute(update(agreement_signatures).where(agreement_signatures.c.alliance_id == recorded.aid)
                  .values(sha256=sha))
    _settle_next_day_refused(recorded, tmp_path, "its content differs from what the ledger recorded")


def test_settlement_refuses_a_forged_signature(recorded: Recorded, tmp_path: Path) -> None:
    with recorded.store.engine.begin() as c:
        _forge_signature(c, recorded.aid)
        # version 2 takes effect on the day settled next
        c.execute(update(agreement_versions).where(agreement_versions.c.alliance_id == recorded.aid, _version(2))
                  .values(effective_from=date(2027, 1, 16)))
    _settle_next_day_refused(recorded, tmp_path, "M0002's signature is stored but no ledger entry records it")


def _settle_next_day_refused(recorded: Recorded, tmp_path: Path, why: str) -> None:
    facts = FactStore(tmp_path / "facts.duckdb")
    stores = Stores(recorded.store, facts)
    lines = tmp_path / "more.csv"
    lines.write_text("line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency\n"
                     "L3,O3,2027-01-16T10:00:00+08:00,M0001,M0002,store,S1,1,50.00,CNY\n", encoding="utf-8")
    later = FrozenClock(datetime(2027, 1, 17, 3, tzinfo=UTC))
    try:
        settlement.import_order_lines(stores, "nb", lines, None, later)
        with pytest.raises(settlement.AgreementNotAsSigned) as refused:
            settlement.settle(stores, "nb", date(2027, 1, 16), "财务", later)
    finally:
        facts.close()
    assert why in refused.value.message and refused.value.code == "agreement_not_as_signed"
    with recorded.store.unit_of_work() as uow:
        assert uow.settlement.run(recorded.aid, date(2027, 1, 16)) is None  # the day stays open
        failures = uow.settlement.failures_between(recorded.aid, date(2027, 1, 16), date(2027, 1, 16))
    assert why in failures[date(2027, 1, 16)].reason  # the calendar says why


def test_pages_say_when_a_version_or_the_ledger_no_longer_matches(recorded: Recorded, clock: FrozenClock,
                                                                   tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from alliance.access.roles import Role
    from alliance.server import create_app
    from tests.support.web import add_user, sign_in

    add_user(recorded.store, clock, "coord", Role.COORDINATOR, "nb")
    with TestClient(create_app(recorded.store, clock, tmp_path / "facts.duckdb"), base_url="https://testserver") as c:
        sign_in(c, "coord")
        assert 'id="not-as-signed"' not in c.get("/alliances/nb/agreements/split?version=1").text
        overview = c.get("/alliances/nb").text
        assert ledger.public_key(recorded.store, "nb") in overview  # the key members keep
        assert 'class="alert alert--ok"' in c.get("/alliances/nb/ledger/verify").text
        with recorded.store.engine.begin() as conn:
            _forge_signature(conn, recorded.aid)
        page = c.get("/alliances/nb/agreements/split?version=2", headers={"Accept-Language": "zh-CN"}).text
        assert 'id="not-as-signed"' in page and "此版本已不再是各方签署的内容" in page
        assert in_chinese("{member}'s signature is stored but no ledger entry records it", member="M0002") in page
        verdict = c.get("/alliances/nb/ledger/verify").text
        assert 'class="alert alert--error"' in verdict
        assert in_chinese("is stored but no ledger entry records it (added outside the platform)") in verdict


def test_lifecycle_changes_are_recorded_and_rewriting_them_is_caught(store: Store, clock: FrozenClock) -> None:
    """Status changes and detail edits are entries: verification recomputes the alliance from them."""
    make_alliance(store, clock, code="life")
    registry.change_status(store, "life", "suspended", "秘书长", clock, decided_by="proposal 3")
    registry.edit_alliance(store, "life", registry.AllianceEdit(name="新名字", charter="章程", planned_end=date(2027, 6, 30)),
                           "秘书长", clock)
    assert ledger.verify_store(store, "life").ok
    with store.unit_of_work() as uow:
        aid = uow.alliances.require("life").id
    # The entry named is the latest that speaks of the alliance (an object's claim is where it stands).
    for values, expected in (({"status": "active"}, "status is 'active', the ledger recorded 'suspended'"),
                             ({"name": "旧名字"}, "entry 2 (alliance.edited): alliance life differs from what was "
                                                "recorded: name"),
                             ({"charter": "改写的章程"}, "charter_sha256"),
                             ({"planned_end": date(2028, 1, 1)}, "planned_end")):
        with store.engine.begin() as c:
            before = c.execute(select(alliances).where(alliances.c.id == aid)).one()._asdict()
            c.execute(update(alliances).where(alliances.c.id == aid).values(**values))
        report = ledger.verify_store(store, "life")
        assert not report.ok and expected in str(report.first_mismatch), (values, str(report.first_mismatch))
        with store.engine.begin() as c:
            c.execute(update(alliances).where(alliances.c.id == aid).values(
                **{k: before[k] for k in values}))
    assert ledger.verify_store(store, "life").ok


# -- joint purchasing (operations.purchasing) -----------------------------------------------------------------

PURCHASE_CATALOGUE: list[tuple[str, Mutation, str]] = [
    ("a member's committed quantity edited", lambda c, aid: c.execute(update(purchase_commitments).where(
        purchase_commitments.c.alliance_id == aid, purchase_commitments.c.member == "M0002").values(quantity=99)),
     "purchase campaign 1 differs from what was recorded: its commitments are not what the ledger recorded"),
    ("a delivered quantity edited", lambda c, aid: c.execute(update(purchase_commitments).where(
        purchase_commitments.c.alliance_id == aid, purchase_commitments.c.member == "M0003").values(delivered=40)),
     "purchase campaign 1 differs from what was recorded: its deliveries are not what the ledger recorded"),
    ("a tier's price lowered", lambda c, aid: c.execute(update(purchase_quotes).where(
        purchase_quotes.c.alliance_id == aid).values(tiers=[[1, "4.00"], [100, "3.00"]])),
     "purchase campaign 1 differs from what was recorded: its quotes are not what the ledger recorded"),
    ("the invoice edited", lambda c, aid: c.execute(update(purchase_campaigns).where(
        purchase_campaigns.c.alliance_id == aid).values(invoice_minor=1)),
     "purchase campaign 1 differs from what was recorded: invoice_minor"),
    ("the fee rate edited", lambda c, aid: c.execute(update(purchase_campaigns).where(
        purchase_campaigns.c.alliance_id == aid).values(fee_rate=Decimal("0.5"))),
     "purchase campaign 1 differs from what was recorded: fee_rate"),
    ("the state set back to open", lambda c, aid: c.execute(update(purchase_campaigns).where(
        purchase_campaigns.c.alliance_id == aid).values(state="open")),
     "purchase campaign 1 differs from what was recorded: state"),
    ("a purchase campaign forged", lambda c, aid: c.execute(insert(purchase_campaigns).values(
        alliance_id=aid, number=9, title="x", item="x", spec="", unit="件", organiser="M0001",
        deadline=datetime(2027, 1, 1, tzinfo=UTC), minimum=1, split_rule="equal", fee_rate=Decimal(0),
        deposit_per_unit=0, threshold=Decimal(15), currency="CNY", state="open", state_note="",
        created_at=datetime(2027, 1, 1, tzinfo=UTC), created_by="x", updated_at=datetime(2027, 1, 1, tzinfo=UTC),
        updated_by="x")), "is stored but no ledger entry records it"),
]


@pytest.fixture
def purchased(store: Store, clock: FrozenClock) -> Recorded:
    """Alliance `nb` (M0001-M0003) with campaign 1 (organiser M0001) closed at the second tier, ordered and
    partly delivered."""
    from alliance.operations.purchasing import service as purchasing
    from alliance.operations.purchasing.model import CampaignDraft
    from alliance.operations.purchasing.tiers import Quote, Tier

    make_alliance(store, clock, code="nb")
    for n in (1, 2, 3):
        registry.add_member(store, "nb", member_values(n), clock)
    deadline = clock.now() + timedelta(days=2)
    draft = CampaignDraft(title="A4 paper", item="A4", organiser="M0001", deadline=deadline, minimum=100,
                          quotes=(Quote("Paper Co", "", (Tier(1, Decimal("4.00")), Tier(100, Decimal("3.40")))),),
                          fee_rate=Decimal("0.1"), deposit_per_unit=10)
    purchasing.open_campaign(store, "nb", COORDINATOR, draft, clock)
    for member, quantity in (("M0001", 40), ("M0002", 30), ("M0003", 50)):
        purchasing.commit(store, "nb", admin_of("nb", member), 1, member, quantity, clock)
    after = FrozenClock(deadline)
    purchasing.close_due_campaigns(store, after)
    purchasing.mark_ordered(store, "nb", COORDINATOR, 1, after)
    purchasing.record_delivery(store, "nb", COORDINATOR, 1, after, total=60)
    report = ledger.verify_store(store, "nb")
    assert report.ok, report.first_mismatch
    with store.unit_of_work() as uow:
        return Recorded(store, uow.alliances.require("nb").id)


@pytest.mark.parametrize(("name", "mutate", "expected"), PURCHASE_CATALOGUE, ids=[c[0] for c in PURCHASE_CATALOGUE])
def test_every_mutation_of_a_purchase_campaign_is_caught_and_named(purchased: Recorded, name: str, mutate: Mutation,
                                                                   expected: str) -> None:
    with purchased.store.engine.begin() as c:
        mutate(c, purchased.aid)
    report = ledger.verify_store(purchased.store, "nb")
    assert not report.ok, name
    assert expected in str(report.first_mismatch), (name, str(report.first_mismatch))


# -- lead referral (operations.referrals) --------------------------------------------------------------------

def _referral_row(aid: int) -> object:
    from alliance.store.tables import referrals

    return (referrals.c.alliance_id == aid) & (referrals.c.number == 1)


def _referral_update(aid: int, **values: object) -> Callable[[Connection, int], None]:
    from alliance.store.tables import referrals

    return lambda c, a: c.execute(update(referrals).where(_referral_row(a)).values(**values))  # type: ignore[arg-type]


def _link_order(c: Connection, aid: int) -> None:
    from alliance.store.tables import referral_orders, referrals

    rid = c.execute(select(referrals.c.id).where(_referral_row(aid))).scalar_one()  # type: ignore[arg-type]
    c.execute(insert(referral_orders).values(alliance_id=aid, referral_id=rid, order_id="O-forged",
                                             linked_at=datetime.now(UTC), linked_by="x"))


def _forge_referral(c: Connection, aid: int) -> None:
    from alliance.store.tables import referrals

    row = c.execute(select(referrals).where(_referral_row(aid))).one()._asdict()  # type: ignore[arg-type]
    row.pop("id")
    c.execute(insert(referrals).values(**{**row, "number": 9}))


def _edit_programme(c: Connection, aid: int) -> None:
    from alliance.store.tables import referral_programmes

    c.execute(update(referral_programmes).where(referral_programmes.c.alliance_id == aid).values(
        commission_rate=Decimal("0.5")))


# (name, mutation, what the first mismatch must say) on `referred`.
REFERRAL_CATALOGUE: list[tuple[str, Mutation, str]] = [
    ("referral's state set back", lambda c, aid: _referral_update(aid, state="submitted")(c, aid),
     "referral 1 differs from what was recorded: state"),
    ("referral's lead renamed", lambda c, aid: _referral_update(aid, lead_name="别的客户")(c, aid),
     "referral 1 differs from what was recorded: lead_sha256"),
    ("referral's window stretched", lambda c, aid: _referral_update(aid, window_ends=date(2028, 1, 1))(c, aid),
     "referral 1 differs from what was recorded: window_ends"),
    ("referral's commission unbooked (to be paid twice)", lambda c, aid: _referral_update(aid, booked_minor=0)(c, aid),
     "referral 1 differs from what was recorded: booked_minor"),
    ("an order linked behind the ledger", _link_order, "referral 1 differs from what was recorded: orders_sha256"),
    ("referral forged", _forge_referral, "is stored but no ledger entry records it"),
    ("referral programme's rate edited", _edit_programme, "the referral programme differs from what was recorded: "
                                                 "commission_rate"),
]


@pytest.fixture
def referred(store: Store, clock: FrozenClock, tmp_path: Path) -> Recorded:
    """Alliance `nb`: M0001 referred a lead to M0002, which accepted it and linked order O1 (500.00);
    the run of 2026-11-21 booked 5% of it (25.00); the programme was set by the coordinator."""
    from alliance.operations.referrals import service as referral_service
    from alliance.operations.referrals import service_orders
    from alliance.operations.referrals.model import Consent, ConsentHow, LeadDraft, LeadKind, Programme

    make_alliance(store, clock, code="nb")
    for n in (1, 2):
        registry.add_member(store, "nb", member_values(n), clock)
    referral_service.set_programme(store, "nb", COORDINATOR, Programme(Decimal("0.05")), clock)
    referral_service.submit(store, "nb", admin_of("nb", "M0001"), LeadDraft(
        "M0002", LeadKind.CUSTOMER, "宁波悦佳贸易", "13800001111", "A4 纸",
        Consent("王经理", date(2026, 11, 20), ConsentHow.WRITTEN)), clock)
    referral_service.accept(store, "nb", admin_of("nb", "M0002"), 1, clock)
    facts = FactStore(tmp_path / "referred.duckdb")
    try:
        stores = Stores(store, facts)
        path = tmp_path / "referred.csv"
        path.write_text("line_id,order_id,occurred_at,seller,product_owner,channel,sku,quantity,amount,currency,"
                        "attributed_to\nL1,O1,2026-11-22T09:00:00+08:00,M0002,M0002,store,S,1,500.00,CNY,M0001\n",
                        encoding="utf-8")
        settlement.import_order_lines(stores, "nb", path, None, clock)
        service_orders.link_orders(stores, "nb", admin_of("nb", "M0002"), 1, ["O1"], clock)
        settlement.settle(stores, "nb", date(2026, 11, 22), "财务", FrozenClock(datetime(2026, 11, 23, 3, tzinfo=UTC)),
                          allow_unshared=True)
    finally:
        facts.close()
    with store.unit_of_work() as uow:
        aid = uow.alliances.require("nb").id
    assert referral_service.referral(store, "nb", COORDINATOR, 1).referral.booked_minor == 2500
    assert ledger.verify_store(store, "nb").ok
    return Recorded(store, aid)


@pytest.mark.parametrize(("name", "mutate", "expected"), REFERRAL_CATALOGUE, ids=[c[0] for c in REFERRAL_CATALOGUE])
def test_every_mutation_of_a_referral_is_caught_and_named(referred: Recorded, name: str, mutate: Mutation,
                                                          expected: str) -> None:
    with referred.store.engine.begin() as c:
        mutate(c, referred.aid)
    report = ledger.verify_store(referred.store, "nb")
    assert not report.ok, name
    assert expected in str(report.first_mismatch), (name, str(report.first_mismatch))


# -- joint marketing campaigns (operations.marketing) ----------------------------------------------------------

def _marketing_campaign(c: Connection, aid: int) -> int:
    from alliance.store.tables import marketing_campaigns

    return int(c.execute(select(marketing_campaigns.c.id).where(
        marketing_campaigns.c.alliance_id == aid, marketing_campaigns.c.number == 1)).scalar_one())


def _edit_marketing_ratio(c: Connection, aid: int) -> None:
    from alliance.store.tables import marketing_participants

    c.execute(update(marketing_participants).where(marketing_participants.c.campaign_id == _marketing_campaign(c, aid),
                                                   marketing_participants.c.member_code == "M0002")
              .values(ratio=Decimal("0.1")))


def _withdraw_marketing_consent(c: Connection, aid: int) -> None:
    from alliance.store.tables import marketing_participants

    c.execute(update(marketing_participants).where(marketing_participants.c.campaign_id == _marketing_campaign(c, aid),
                                                   marketing_participants.c.member_code == "M0002")
              .values(consented_at=None, consented_by=None))


def _edit_marketing_cost(c: Connection, aid: int) -> None:
    from alliance.store.tables import marketing_costs

    c.execute(update(marketing_costs).where(marketing_costs.c.campaign_id == _marketing_campaign(c, aid))
              .values(amount_minor=1))


def _forge_marketing_campaign(c: Connection, aid: int) -> None:
    from alliance.store.tables import marketing_campaigns

    row = c.execute(select(marketing_campaigns).where(marketing_campaigns.c.id == _marketing_campaign(c, aid))
                    ).one()._asdict()
    row.pop("id")
    c.execute(insert(marketing_campaigns).values(**{**row, "number": 9}))


# (name, mutation, what the first mismatch must say) on `marketed`.
MARKETING_CATALOGUE: list[tuple[str, Mutation, str]] = [
    ("marketing campaign's ratio edited", _edit_marketing_ratio,
     "marketing campaign 1 differs from what was recorded: sha256"),
    ("marketing consent withdrawn behind the ledger", _withdraw_marketing_consent,
     "marketing campaign 1 differs from what was recorded: sha256"),
    ("marketing cost edited", _edit_marketing_cost, "marketing campaign 1 differs from what was recorded: sha256"),
    ("marketing campaign forged", _forge_marketing_campaign, "is stored but no ledger entry records it"),
]


@pytest.fixture
def marketed(store: Store, clock: FrozenClock) -> Recorded:
    """Alliance `nb`: M0001 proposed a campaign shared 0.5 / 0.5 with M0002, which consented; M0001
    recorded a cost of 100.01 paid to an outside supplier."""
    from alliance.operations.marketing import service as marketing
    from alliance.operations.marketing.model import Attribution, Draft, Kind

    make_alliance(store, clock, code="nb")
    for n in (1, 2):
        registry.add_member(store, "nb", member_values(n), clock)
    marketing.create(store, "nb", admin_of("nb", "M0001"), Draft(
        "联合直播", Kind.EVENT, "M0001", date(2026, 11, 1), date(2026, 11, 11), "1000.00",
        {"M0001": Decimal("0.5"), "M0002": Decimal("0.5")}, Attribution.CHANNEL, ("live",)), clock)
    marketing.consent(store, "nb", admin_of("nb", "M0002"), 1, clock)
    marketing.add_cost(store, "nb", admin_of("nb", "M0001"), 1, payer="ext:hall", amount_minor="100.01",
                       description="场地", day=date(2026, 11, 3), clock=clock)
    with store.unit_of_work() as uow:
        aid = uow.alliances.require("nb").id
    assert ledger.verify_store(store, "nb").ok
    return Recorded(store, aid)


@pytest.mark.parametrize(("name", "mutate", "expected"), MARKETING_CATALOGUE, ids=[c[0] for c in MARKETING_CATALOGUE])
def test_every_mutation_of_a_marketing_campaign_is_caught_and_named(marketed: Recorded, name: str, mutate: Mutation,
                                                                    expected: str) -> None:
    with marketed.store.engine.begin() as c:
        mutate(c, marketed.aid)
    report = ledger.verify_store(marketed.store, "nb")
    assert not report.ok, name
    assert expected in str(report.first_mismatch), (name, str(report.first_mismatch))
