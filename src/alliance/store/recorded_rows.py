"""The stored rows the ledger speaks of, read for verification (`ledger.coverage`).

Read as they are, with no cleaning: dates become ISO text and JSON columns plain values, so the
pure comparison sees exactly what settlement and the pages would read.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from alliance.ledger.coverage import Rows, text_digest
from alliance.store.proposal_repository import ProposalRepository
from alliance.store.settlement_repository import SettlementRepository
from alliance.store.tables import (
    agreement_signatures, agreement_versions, agreements, alliances, evidence_files, members, pilots,
    powers_of_attorney, screening_runs, settlement_conversions, settlement_runs, statement_lines,
)
from alliance.ledger.events import utc_text

STATEMENT_FIELDS = ("account", "agreement", "version", "rule_id", "kind", "base_minor", "rate", "amount_minor",
                    "adjustment_of")


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def read_rows(c: Connection, alliance_id: int) -> Rows:
    a = c.execute(select(alliances).where(alliances.c.id == alliance_id)).one_or_none()
    parent = None
    if a is not None and a.parent_id is not None:
        parent = c.execute(select(alliances.c.code).where(alliances.c.id == a.parent_id)).scalar_one_or_none()
    alliance = None if a is None else {"code": a.code, "name": a.name, "kind": a.kind, "structure": a.structure,
                                       "currency": a.currency, "timezone": a.timezone, "parent": parent,
                                       "status": a.status, "planned_end": _iso(a.planned_end),
                                       "charter_sha256": text_digest(a.charter or "")}
    member_rows = [{"code": m.code, "legal_name": m.legal_name, "credit_code": m.credit_code, "role": m.role,
                    "joined_on": _iso(m.joined_on), "left_on": _iso(m.left_on)}
                   for m in c.execute(select(members).where(members.c.alliance_id == alliance_id).order_by(members.c.id))]
    version_rows = [{"agreement": v.code, "version": v.version, "document": v.document, "sha256": v.sha256,
                     "effective_from": _iso(v.effective_from), "parties": list(v.parties)}
                    for v in c.execute(select(agreement_versions, agreements.c.code)
                                       .join(agreements, agreements.c.id == agreement_versions.c.agreement_id)
                                       .where(agreement_versions.c.alliance_id == alliance_id)
                                       .order_by(agreement_versions.c.id))]
    signature_rows = [{"agreement": s.code, "version": s.version, "member": s.member_code, "sha256": s.sha256,
                       "signer": s.signer, "signed_at": utc_text(s.signed_at), "account": s.account,
                       "account_name": s.account_name, "attorney_id": s.attorney_id}
                      for s in c.execute(select(agreement_signatures.c.member_code, agreement_signatures.c.sha256,
                                                agreement_signatures.c.signer, agreement_signatures.c.signed_at,
                                                agreement_signatures.c.account, agreement_signatures.c.account_name,
                                                agreement_signatures.c.attorney_id,
                                                agreement_versions.c.version, agreements.c.code)
                                         .join(agreement_versions,
                                               agreement_versions.c.id == agreement_signatures.c.version_id)
                                         .join(agreements, agreements.c.id == agreement_versions.c.agreement_id)
                                         .where(agreement_signatures.c.alliance_id == alliance_id)
                                         .order_by(agreement_signatures.c.id))]
    statements: dict[int, list[dict[str, Any]]] = {}
    # In the order they were written: the recorded digest is of the list as the run built it.
    for line in c.execute(select(statement_lines).where(statement_lines.c.alliance_id == alliance_id)
                          .order_by(statement_lines.c.id)):
        # A correction's lines carry `correction_of` (and were digested with it); others were digested without.
        statements.setdefault(line.run_id, []).append({f: getattr(line, f) for f in STATEMENT_FIELDS}
                                                      | ({"correction_of": line.correction_of}
                                                         if line.correction_of is not None else {}))
    conversions: dict[int, list[dict[str, Any]]] = {}
    for run_id in {r.run_id for r in c.execute(select(settlement_conversions.c.run_id)
                                                .where(settlement_conversions.c.alliance_id == alliance_id))}:
        conversions[run_id] = [x.as_json() for x in SettlementRepository(c).conversions(alliance_id, run_id)]
    run_rows = [{"day": _iso(r.day), "lines": r.lines, "late_lines": r.late_lines, "agreements": r.agreements,
                 "unshared_reason": r.unshared_reason, "statement": statements.get(r.id, []),
                 "member_salts": r.member_salts,
                 "conversions": conversions.get(r.id, [])}
                for r in c.execute(select(settlement_runs).where(settlement_runs.c.alliance_id == alliance_id)
                                   .order_by(settlement_runs.c.day))]
    screening_rows = [{"id": r.id, "method": r.method, "candidate_count": r.candidate_count,
                       "inputs_sha256": r.inputs_sha256, "inputs": r.inputs}
                      for r in c.execute(select(screening_runs).where(screening_runs.c.alliance_id == alliance_id)
                                         .order_by(screening_runs.c.id))]
    pilot_rows = [{"id": p.id, "decision": p.decision, "decision_note": p.decision_note}
                  for p in c.execute(select(pilots).where(pilots.c.alliance_id == alliance_id,
                                                          pilots.c.decision.is_not(None)).order_by(pilots.c.id))]
    power_rows = [{"id": p.id, "member_code": p.member_code, "grantee": p.grantee, "power": p.power,
                   "granted_by": p.granted_by, "granted_at": utc_text(p.granted_at), "revoked_by": p.revoked_by,
                   "revoked_at": None if p.revoked_at is None else utc_text(p.revoked_at)}
                  for p in c.execute(select(powers_of_attorney).where(powers_of_attorney.c.alliance_id == alliance_id)
                                     .order_by(powers_of_attorney.c.id))]
    return Rows(alliance, member_rows, version_rows, signature_rows, run_rows, screening_rows, pilot_rows, power_rows,
                disputes=_dispute_rows(c, alliance_id), proposals=ProposalRepository(c).recorded(alliance_id),
                weights=_weight_rows(c, alliance_id), corrections=_correction_rows(c, alliance_id),
                signoffs=_signoff_rows(c, alliance_id), kpi_catalogues=_kpi_catalogue_rows(c, alliance_id),
                ratings=_rating_rows(c, alliance_id), milestones=_milestone_rows(c, alliance_id),
                fx_rates=_fx_rate_rows(c, alliance_id), ip_versions=_ip_rows(c, alliance_id),
                payouts=_payout_rows(c, alliance_id), payout_currencies=_payout_currency_rows(c, alliance_id),
                exits=_exit_rows(c, alliance_id),
                fund_releases=_fund_release_rows(c, alliance_id),
                charges=_charge_rows(c, alliance_id),
                **_warehouse_rows(c, alliance_id),
                competition_screenings=_competition_rows(c, alliance_id),
                competition_set_choices=_competition_set_rows(c, alliance_id),
                erasures=_erasure_rows(c, alliance_id),
                purchase_campaigns=_purchase_rows(c, alliance_id),
                referrals=_referral_rows(c, alliance_id),
                referral_programme=_referral_programme_row(c, alliance_id),
                agreed_terms=_agreed_term_rows(c, alliance_id),
                marketing_campaigns=_marketing_rows(c, alliance_id))


def _purchase_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.store.purchasing_repository import PurchasingRepository

    return PurchasingRepository(c).recorded(alliance_id)


def _warehouse_rows(c: Connection, alliance_id: int) -> dict[str, list[dict[str, Any]]]:
    """The shared warehouse's stored side, each with its digests recomputed from the rows."""
    from alliance.operations.warehouse.digests import booking_fields, invoice_digest, warehouse_fields
    from alliance.store.tables import alliances
    from alliance.store.warehouse_repository import WarehouseRepository

    repo = WarehouseRepository(c)
    houses = repo.warehouses(alliance_id)
    numbers = {w.id: w.number for w in houses}
    invoices = repo.invoices(alliance_id)
    lines = repo.invoice_lines(alliance_id, [r.id for r in invoices])
    currency = c.execute(select(alliances.c.currency).where(alliances.c.id == alliance_id)).scalar_one()
    return {
        "warehouses": [warehouse_fields(w) for w in houses],
        "warehouse_bookings": [booking_fields(numbers[b.warehouse_id], b) for b in repo.bookings(alliance_id)],
        "warehouse_months": [{"warehouse": numbers[r.warehouse_id], "month": r.month, "reference": r.reference,
                              "charge": r.charge_id, "lines": len(lines[r.id]),
                              "lines_sha256": invoice_digest([line for _, line in lines[r.id]], currency)}
                             for r in invoices]}


def _competition_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.store.competition_repository import CompetitionRepository

    return CompetitionRepository(c).recorded(alliance_id)


def _competition_set_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.store.competition_repository import CompetitionRepository

    return CompetitionRepository(c).set_choices(alliance_id)


def _milestone_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.ledger import events
    from alliance.store.milestone_repository import MilestoneRepository

    return [{"id": m.id, "agreement": m.agreement, "rule": m.rule_id, "version": m.version,
             "evidence": [{"name": e.name, "sha256": e.sha256} for e in m.evidence], "recorded_by": m.recorded_by,
             "status": m.status.value, "decided_by": m.decided_by,
             "decided_at": events.utc_text(m.decided_at) if m.decided_at else None, "booked_on": _iso(m.booked_on)}
            for m in MilestoneRepository(c).of_alliance(alliance_id)]


def _correction_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.store.correction_repository import CorrectionRepository

    return [{"id": r.id, "dispute": r.dispute_number, "ruling": r.ruling_ref, "currency": r.currency,
             "booked_on": _iso(r.booked_on),
             "transfers": [{"payer": t.payer, "payee": t.payee, "amount_minor": t.amount_minor} for t in r.transfers]}
            for r in CorrectionRepository(c).of_alliance(alliance_id)]


def _fund_release_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.store.fund_release_repository import FundReleaseRepository

    return [{"id": r.id, "fund": r.fund, "agreement": r.agreement, "cause": r.cause, "currency": r.currency,
             "booked_on": _iso(r.booked_on),
             "parts": [{"member": p.member, "amount_minor": p.amount_minor} for p in r.parts]}
            for r in FundReleaseRepository(c).of_alliance(alliance_id)]


def _charge_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.store.charge_repository import ChargeRepository

    return [{"id": r.id, "source": r.source, "reference": r.reference, "title": r.title, "currency": r.currency,
             "booked_on": _iso(r.booked_on),
             "lines": [{"account": l.account, "amount_minor": l.amount_minor, "base_minor": l.base_minor,
                        "rate": l.rate} for l in r.lines]}
            for r in ChargeRepository(c).of_alliance(alliance_id)]


def _dispute_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.core.money import Money
    from alliance.store.tables import dispute_evidence, disputes

    evidence: dict[int, list[str]] = {}
    for e in c.execute(select(dispute_evidence.c.dispute_id, dispute_evidence.c.sha256)
                       .where(dispute_evidence.c.alliance_id == alliance_id).order_by(dispute_evidence.c.id)):
        evidence.setdefault(e.dispute_id, []).append(e.sha256)
    return [{"number": d.number, "claimant": d.claimant, "respondents": list(d.respondents),
             "agreement": d.agreement, "version": d.version, "rule": d.rule_id, "days": list(d.days),
             "amount": Money(int(d.amount_minor), d.currency).amount_text(), "currency": d.currency,
             "statement": d.statement, "report": d.report, "report_sha256": d.report_sha256,
             "answer": d.answer, "status": d.status, "level": d.level, "evidence": evidence.get(d.id, [])}
            for d in c.execute(select(disputes).where(disputes.c.alliance_id == alliance_id)
                               .order_by(disputes.c.number))]


def _weight_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.store.tables import vote_weights

    return [{"member": w.member_code, "weight": w.weight}
            for w in c.execute(select(vote_weights).where(vote_weights.c.alliance_id == alliance_id)
                               .order_by(vote_weights.c.member_code))]


def _signoff_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.store.tables import gov_minutes_signoffs as t

    return [{"id": s.id, "meeting": s.meeting_id, "member": s.member_code, "sha256": s.sha256, "account": s.account,
             "signed_at": utc_text(s.signed_at)}
            for s in c.execute(select(t).where(t.c.alliance_id == alliance_id).order_by(t.c.id))]


def _kpi_catalogue_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.store.tables import health_kpi_catalogues as t

    return [{"version": r.version, "definitions": r.definitions}
            for r in c.execute(select(t).where(t.c.alliance_id == alliance_id).order_by(t.c.version))]


def kept_files(c: Connection, alliance_id: int) -> Iterator[tuple[int, str, int, bytes]]:
    """(id, recorded SHA-256, recorded size, content) of every evidence file kept for the alliance,
    one at a time (a file is read whole only while it is checked)."""
    ids = c.execute(select(evidence_files.c.id).where(evidence_files.c.alliance_id == alliance_id)
                    .order_by(evidence_files.c.id)).scalars().all()
    for file_id in ids:
        r = c.execute(select(evidence_files).where(evidence_files.c.id == file_id)).one()
        yield int(r.id), r.sha256, int(r.size), bytes(r.content)


def _rating_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.store.tables import ratings as t

    return [{"id": r.id, "member": r.member_code, "period": r.period, "score": r.score, "stars": int(r.stars),
             "previous_stars": None if r.previous_stars is None else int(r.previous_stars),
             "explanation": r.explanation, "decided_by": r.decided_by}
            for r in c.execute(select(t).where(t.c.alliance_id == alliance_id, t.c.effective_at.is_not(None))
                               .order_by(t.c.id))]


def _fx_rate_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.store.fx_repository import FxRepository

    return FxRepository(c).recorded(alliance_id)  # type: ignore[return-value]
def _ip_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.store.ip_repository import IpRepository

    return IpRepository(c).recorded(alliance_id)


def _agreed_term_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.store.glossary_repository import GlossaryRepository

    return GlossaryRepository(c).recorded(alliance_id)


def _payout_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.store.payout_repository import PayoutRepository

    return PayoutRepository(c).recorded(alliance_id)


def _payout_currency_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.store.payout_repository import PayoutRepository

    return [{"member": ch.member, "currency": ch.currency, "set_by": ch.set_by}
            for ch in PayoutRepository(c).choices(alliance_id)]


def _exit_rows(c: Connection, alliance_id: int) -> dict[str, list[dict[str, Any]]]:
    from alliance.store.exit_repository import ExitRepository

    return ExitRepository(c).recorded(alliance_id)


def _erasure_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.store.erasure_repository import ErasureRepository

    return ErasureRepository(c).remaining(alliance_id)


def _referral_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.operations.referrals.records import lead_digest
    from alliance.store.referral_repository import ReferralRepository

    return [{"number": r.number, "from_member": r.from_member, "to_member": r.to_member, "kind": r.kind.value,
             "lead_sha256": lead_digest(r), "state": r.state.value, "window_ends": _iso(r.window_ends),
             "orders": sorted(r.orders), "booked_minor": r.booked_minor, "final_on": _iso(r.final_on)}
            for r in ReferralRepository(c).all(alliance_id)]


def _marketing_rows(c: Connection, alliance_id: int) -> list[dict[str, Any]]:
    from alliance.operations.marketing.records import campaign_digest
    from alliance.store.marketing_repository import MarketingRepository

    return [{"number": m.number, "sha256": campaign_digest(m)} for m in MarketingRepository(c).all(alliance_id)]


def _referral_programme_row(c: Connection, alliance_id: int) -> dict[str, Any] | None:
    from alliance.store.tables import referral_programmes

    row = c.execute(select(referral_programmes).where(referral_programmes.c.alliance_id == alliance_id)).first()
    return None if row is None else {"commission_rate": str(row.commission_rate), "hold_days": row.hold_days,
                                     "window_days": row.window_days, "max_extension_days": row.max_extension_days}
