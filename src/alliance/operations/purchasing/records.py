"""Campaigns as plain JSON documents: what the CLI's `--format json` prints and the API answers.
Money in minor units and as text; prices and rates as decimal text; times in ISO 8601."""

from __future__ import annotations

from typing import Any

from alliance.core.money import Money
from alliance.operations.purchasing.model import CampaignDetail, CampaignView, ChargeRef, DeliveryView, Position


def _money(minor: int | None, currency: str) -> str | None:
    return None if minor is None else Money(minor, currency).amount_text()


def campaign_json(view: CampaignView) -> dict[str, Any]:
    cur = view.currency
    outcome = None
    if view.outcome is not None:
        o = view.outcome
        outcome = {"quantity": o.quantity, "unit_price": str(o.unit_price), "tier_min": o.tier_min,
                   "supplier": o.supplier, "invoice_minor": o.invoice_minor, "invoice": _money(o.invoice_minor, cur),
                   "savings_minor": o.savings_minor, "savings": _money(o.savings_minor, cur),
                   "fee_minor": o.fee_minor, "fee": _money(o.fee_minor, cur), "members": o.members}
    return {
        "number": view.number, "title": view.title, "item": view.item, "spec": view.spec, "unit": view.unit,
        "organiser": view.organiser, "deadline": view.deadline.isoformat(), "due": view.due,
        "minimum": view.minimum, "split_rule": view.split_rule.value, "fee_rate": str(view.fee_rate),
        "deposit_per_unit_minor": view.deposit_per_unit, "deposit_per_unit": _money(view.deposit_per_unit, cur),
        "currency": cur, "state": view.state.value, "state_note": view.state_note,
        "quotes": [{"number": q.number, "supplier": q.supplier, "account": q.account, "chosen": q.chosen,
                    "tiers": [{"min_quantity": t.min_quantity, "unit_price": str(t.unit_price)} for t in q.tiers]}
                   for q in view.quotes],
        "quantity": view.quantity, "members": view.members, "unit_price": str(view.unit_price),
        "next_tier": None if view.next_tier is None else {"quantity": view.next_tier[0],
                                                            "unit_price": str(view.next_tier[1])},
        "purchasing_share": None if view.purchasing_share is None else str(view.purchasing_share),
        "threshold": str(view.threshold), "flagged": view.flagged,
        "flag_reason": None if view.flag_reason is None else str(view.flag_reason),
        "delivered": view.delivered, "outcome": outcome, "created_at": view.created_at.isoformat(),
        "created_by": view.created_by, "closed_at": None if view.closed_at is None else view.closed_at.isoformat(),
    }


def position_json(position: Position, currency: str) -> dict[str, Any]:
    p = position
    return {"member": p.member, "quantity": p.quantity, "delivered": p.delivered,
            "deposit_minor": p.deposit_minor, "deposit": _money(p.deposit_minor, currency),
            "alone_unit_price": str(p.alone_unit_price), "alone_minor": p.alone_minor,
            "alone": _money(p.alone_minor, currency), "pays_minor": p.pays_minor, "pays": _money(p.pays_minor, currency),
            "savings_minor": p.savings_minor, "fee_minor": p.fee_minor, "saved_minor": p.saved_minor,
            "saved": _money(p.saved_minor, currency), "booked_minor": p.booked_minor}


def delivery_json(d: DeliveryView) -> dict[str, Any]:
    return {"number": d.number, "at": d.at.isoformat(), "by": d.by, "total": d.total, "note": d.note,
            "per_member": d.per_member, "mine": d.mine}


def charge_json(c: ChargeRef, currency: str) -> dict[str, Any]:
    return {"id": c.id, "title": c.title, "created_at": c.created_at.isoformat(),
            "booked_on": None if c.booked_on is None else c.booked_on.isoformat(),
            "lines": [{"account": x.account, "amount_minor": x.amount_minor, "amount": _money(x.amount_minor, currency),
                       "base_minor": x.base_minor, "rate": x.rate} for x in c.lines]}


def detail_json(detail: CampaignDetail) -> dict[str, Any]:
    cur = detail.campaign.currency
    return {**campaign_json(detail.campaign),
            "positions": [position_json(p, cur) for p in detail.positions],
            "history": [{"member": h.member, "at": h.at.isoformat(), "by": h.by, "old": h.old, "new": h.new}
                        for h in detail.history],
            "deliveries": [delivery_json(d) for d in detail.deliveries],
            "charges": [charge_json(c, cur) for c in detail.charges],
            "sees_all": detail.sees_all, "may_commit": detail.may_commit, "may_manage": detail.may_manage}
