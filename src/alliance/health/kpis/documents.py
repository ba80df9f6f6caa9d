"""The scorecard's objects as JSON-ready documents (the API's answers, the CLI's --format json):
decimals as exact strings, scores with one decimal place. Pure."""

from __future__ import annotations

from typing import Any

from alliance.health.kpis.catalogue import SCORED, Catalogue, KpiDefinition
from alliance.health.kpis.pledges import Pledge
from alliance.health.kpis.scoring import Scores, shown
from alliance.store.kpis_repository import StoredValue


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def definition(kpi: KpiDefinition) -> dict[str, str]:
    return kpi.document()


def catalogue(c: Catalogue) -> dict[str, Any]:
    return {"version": c.version, "kpis": [definition(d) for d in c.definitions]}


def scores(s: Scores) -> dict[str, Any]:
    return {
        "overall": _text(shown(s.overall)),
        "dimensions": {d.value: _text(shown(s.dimensions.get(d))) for d in SCORED},
        "kpis": [{"code": r.kpi.code, "dimension": r.kpi.dimension.value, "unit": r.kpi.unit,
                  "direction": r.kpi.direction.value, "value": _text(r.value),
                  "band": None if r.band is None else r.band.value, "score": _text(r.score_shown),
                  "target": str(r.kpi.target), "weight": str(r.kpi.weight),
                  "details": {k: str(v) for k, v in r.details.items()}} for r in s.rows],
    }


def scorecard(card: Any) -> dict[str, Any]:
    return {
        "alliance": card.alliance, "member": card.member, "period": card.period.label,
        "start": card.period.start.isoformat(), "end": card.period.end.isoformat(), "as_of": card.as_of.isoformat(),
        "catalogue_version": card.catalogue.version, **scores(card.scores),
        "trend": [{"period": t.period.label, "overall": _text(shown(t.overall)),
                   "dimensions": {d.value: _text(shown(t.dimensions.get(d))) for d in SCORED}} for t in card.trend],
    }


def value(v: StoredValue) -> dict[str, Any]:
    return {"id": v.id, "kpi": v.kpi, "period": v.period, "member": v.member, "value": str(v.value),
            "evidence": v.evidence, "entered_by": v.entered_by, "entered_at": v.entered_at.isoformat()}


def pledge(p: Pledge, as_of: Any) -> dict[str, Any]:
    return {"number": p.number, "member": p.member, "kind": p.kind.value, "amount": str(p.amount), "unit": p.unit,
            "due_on": p.due_on.isoformat(), "description": p.description, "delivered": str(p.delivered()),
            "status": p.status(as_of).value, "pledged_by": p.pledged_by,
            "deliveries": [{"amount": str(d.amount), "delivered_on": d.delivered_on.isoformat(),
                            "recorded_by": d.recorded_by, "note": d.note} for d in p.deliveries]}
