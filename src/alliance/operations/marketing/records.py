"""A joint marketing campaign and its returns as the API and `--format json` give them. Pure."""

from __future__ import annotations

from typing import Any

from alliance.core.money import Money
from alliance.ledger.digests import value_digest
from alliance.operations.marketing.model import Campaign
from alliance.operations.marketing.roi import ALLIANCE, Row, cost_shares, shown
from alliance.operations.marketing.split import shares


def campaign_json(c: Campaign) -> dict[str, Any]:
    def money(minor: int) -> str:
        return Money(minor, c.currency).amount_text()

    totals = cost_shares(c)
    return {
        "number": c.number, "code": c.code, "title": c.title, "kind": c.kind.value, "lead": c.lead,
        "state": c.state.value, "first_day": c.first_day.isoformat(), "last_day": c.last_day.isoformat(),
        "currency": c.currency, "budget": money(c.budget_minor), "spent": money(c.spent_minor),
        "attribution": {"rule": c.attribution.value, "values": list(c.values)},
        "baseline": c.baseline,
        "participants": [{"member": p.member, "ratio": format(p.ratio.normalize(), "f"), "consented": p.consented,
                          "consented_at": None if p.consented_at is None else p.consented_at.isoformat(),
                          "consented_by": p.consented_by, "cost_share": money(totals[p.member])}
                         for p in c.participants],
        "costs": [{"number": k.number, "payer": k.payer, "amount": money(k.amount_minor), "description": k.description,
                   "day": k.day.isoformat(), "corrects": k.corrects, "charge": k.charge_id,
                   "shares": {m: money(v) for m, v in shares(k.amount_minor, c.ratios, c.currency).items()}}
                  for k in c.costs],
        "created_at": c.created_at.isoformat(), "created_by": c.created_by,
    }


def returns_json(c: Campaign, rows: list[Row]) -> dict[str, Any]:
    def money(minor: int | None) -> str | None:
        return None if minor is None else Money(minor, c.currency).amount_text()

    def row(r: Row) -> dict[str, Any]:
        return {"cost_share": money(r.cost_share_minor), "revenue": money(r.revenue_minor),
                "baseline": money(r.baseline_minor), "incremental": money(r.incremental_minor),
                "roi": None if r.roi is None else str(r.roi), "roi_shown": shown(r.roi)}

    return {"number": c.number, "currency": c.currency,
            "members": [{"member": r.member, **row(r)} for r in rows if r.member != ALLIANCE],
            "alliance": next(row(r) for r in rows if r.member == ALLIANCE)}


def campaign_digest(c: Campaign) -> str:
    """SHA-256 of the campaign as it stands: its terms, ratios, who consented (and by which account)
    and every cost with its charge; what the ledger records at each write (never the amounts in the
    clear: the ledger is read by every role)."""
    return value_digest({
        "title": c.title, "kind": c.kind.value, "lead": c.lead, "first_day": c.first_day.isoformat(),
        "last_day": c.last_day.isoformat(), "currency": c.currency, "budget_minor": str(c.budget_minor),
        "attribution": c.attribution.value, "values": list(c.values), "baseline": c.baseline,
        "participants": [{"member": p.member, "ratio": format(p.ratio.normalize(), "f"),
                          "consented_by": p.consented_by} for p in c.participants],
        "costs": [{"number": k.number, "payer": k.payer, "amount_minor": str(k.amount_minor),
                   "description": k.description, "day": k.day.isoformat(), "corrects": k.corrects,
                   "charge": k.charge_id} for k in c.costs]})
