"""A bid as the API and `--format json` give it: the terms (prices, shares, scopes, documents,
customer, history) only for who may see them (else null). Pure."""

from __future__ import annotations

from typing import Any

from alliance.operations.bids.model import Bid, Viewed


def bid_json(b: Bid, *, sees_terms: bool) -> dict[str, Any]:
    r = b.request
    split = b.price_split() if sees_terms else {}
    return {
        "number": b.number, "lead_member": b.lead_member, "title": r.title, "due_on": r.due_on.isoformat(),
        "state": b.state.value,
        "customer": r.customer if sees_terms else None,
        "reference": r.reference if sees_terms else None,
        "currency": r.currency if sees_terms else None,
        "offered_minor": r.offered_minor if sees_terms else None,
        "awarded_minor": b.awarded_minor if sees_terms else None,
        "reason": b.reason if sees_terms else None,
        "share_sum": str(b.share_sum) if sees_terms else None,
        "members": [{"member": p.member, "role": p.role.value,
                     "scope": p.scope if sees_terms else None,
                     "share": str(p.share) if sees_terms else None,
                     "price_minor": split[p.member].minor if p.member in split else None,
                     "confirmed": p.confirmed if sees_terms else None,
                     "confirmed_by": p.confirmed_by if sees_terms else None,
                     "confirmed_at": p.confirmed_at.isoformat() if sees_terms and p.confirmed_at else None}
                    for p in b.parts],
        "documents": [{"name": d.name, "sha256": d.sha256, "size": d.size, "content_type": d.content_type,
                       "added_by": d.added_by, "added_at": d.added_at.isoformat()} for d in b.documents]
        if sees_terms else None,
        "history": [{"at": s.at.isoformat(), "actor": s.actor, "member": s.member, "what": s.what,
                     "detail": s.detail} for s in b.history] if sees_terms else None,
        "agreement": {"alliance": b.agreement_alliance, "code": b.agreement_code, "version": b.agreement_version}
        if b.agreement_code else None,
        "created_at": b.created_at.isoformat(),
    }


def viewed_json(v: Viewed) -> dict[str, Any]:
    return {**bid_json(v.bid, sees_terms=v.sees_terms), "sees_terms": v.sees_terms, "is_lead": v.is_lead,
            "may_confirm": v.may_confirm}
