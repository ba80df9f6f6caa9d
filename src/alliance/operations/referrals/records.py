"""A referral as the API and `--format json` give it, and what the ledger records of its lead. Pure."""

from __future__ import annotations

from typing import Any

from alliance.ledger.digests import value_digest
from alliance.operations.referrals.commission import Commission
from alliance.operations.referrals.leaderboard import Row
from alliance.operations.referrals.model import Programme, Referral


def lead_digest(r: Referral) -> str:
    """SHA-256 of the lead as referred: name, contact and consent (the log never holds them in clear)."""
    return value_digest({"name": r.lead_name, "contact": r.lead_contact, "consent_by": r.consent.by,
                         "consent_at": r.consent.at.isoformat(), "consent_how": r.consent.how.value})


def referral_json(r: Referral, *, sees_lead: bool) -> dict[str, Any]:
    """The referral; the lead's name, contact and consent only for who may see them (else null)."""
    return {
        "number": r.number, "from_member": r.from_member, "to_member": r.to_member, "kind": r.kind.value,
        "lead_name": r.lead_name if sees_lead else None, "lead_contact": r.lead_contact if sees_lead else None,
        "consent": {"by": r.consent.by, "at": r.consent.at.isoformat(), "how": r.consent.how.value}
        if sees_lead else None,
        "products": r.products, "state": r.state.value, "reason": r.reason if sees_lead else None,
        "submitted_on": r.submitted_on.isoformat(), "window_ends": r.window_ends.isoformat(),
        "extension": {"state": r.extension.value, "days": r.extension_days, "extended_days": r.extended_days,
                      "reason": r.extension_reason if sees_lead else None},
        "orders": list(r.orders) if sees_lead else None,
        "commission_booked_minor": r.booked_minor,
        "final_on": None if r.final_on is None else r.final_on.isoformat(),
    }


def commission_json(c: Commission) -> dict[str, Any]:
    return {"target_minor": c.target_minor, "base_minor": c.base_minor,
            "final_after": None if c.final_after is None else c.final_after.isoformat(),
            "lines": [{"line_id": l.line_id, "order_id": l.order_id, "occurred_at": l.occurred_at.isoformat(),
                       "amount_minor": l.amount_minor, "commission_minor": l.commission_minor,
                       "refund_of": l.refund_of, "counted": l.counted} for l in c.lines]}


def programme_json(p: Programme) -> dict[str, Any]:
    return {"commission_rate": str(p.commission_rate), "hold_days": p.hold_days, "window_days": p.window_days,
            "max_extension_days": p.max_extension_days}


def leaderboard_json(period: str, currency: str, rows: list[Row]) -> dict[str, Any]:
    return {"period": period, "currency": currency,
            "rows": [{"rank": r.rank, "member": r.member, "made": r.made, "accepted": r.accepted,
                      "converted": r.converted, "commission_minor": r.commission_minor} for r in rows]}
