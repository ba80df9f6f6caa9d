"""Recommendations as JSON-ready records: what the API answers and `alliance match ... --json` prints
(one shape for both). Pure. Scores are rounded to 6 decimals (they are shares, not money)."""

from __future__ import annotations

import math
from typing import Any

from alliance.matching.heatmap import HeatMap
from alliance.matching.recommendations import CoalitionAnswer, Partners
from alliance.matching.score import MutualScore, PairScore


def _r(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 6)


def pair_json(why: PairScore) -> dict[str, Any]:
    """S(A <- B) with its per-group contributions and per-need lines (which resources, each factor)."""
    return {"score": _r(why.score), "contributions": {g: _r(v) for g, v in sorted(why.contributions.items())},
            "needs": [{"need": line.need_index + 1, "kind": line.need.kind, "description": line.need.description,
                       "weight": line.weight, "coverage": _r(line.coverage),
                       "covered_by": [{"resource": f.resource_index + 1, "kind": f.resource.kind,
                                       "description": f.resource.description, "kind_fit": _r(f.kind),
                                       "text": _r(f.text), "region": _r(f.region), "window": _r(f.window),
                                       "capacity_share": _r(f.share), "contribution": _r(f.contribution)}
                                      for f in line.fits]}
                      for line in why.needs]}


def mutual_json(a: str, b: str, why: MutualScore) -> dict[str, Any]:
    return {"a": a, "b": b, "mutual": _r(why.score), "a_from_b": pair_json(why.a_from_b),
            "b_from_a": pair_json(why.b_from_a)}


def partners_json(found: Partners) -> dict[str, Any]:
    return {"holder": found.asker.code, "candidates": found.candidates, "notes": [str(n) for n in found.notes],
            "partners": [{"code": p.holder.code, "name": p.holder.name, "kind": p.holder.kind.value,
                          "region": p.holder.region, "score": _r(p.score), "mutual": _r(p.mutual),
                          "why": pair_json(p.why)} for p in found.partners]}


def heatmap_json(hm: HeatMap) -> dict[str, Any]:
    return {"codes": list(hm.codes), "labels": list(hm.labels), "order": list(hm.order),
            "directed": [[_r(v) for v in row] for row in hm.directed],
            "mutual": [[_r(v) for v in row] for row in hm.mutual]}


def coalition_json(answer: CoalitionAnswer) -> dict[str, Any]:
    r = answer.result
    return {"holder": answer.asker.code, "outcome": r.outcome.value, "partners": list(r.codes), "cost": str(r.cost),
            "score": _r(r.score), "optimal": r.optimal, "solver": r.solver, "k": r.k,
            "needs": [{"need": c.need, "weight": _r(c.weight), "covered": c.covered, "total": _r(c.total),
                       "by": [{"partner": code, "cover": _r(v)} for code, v in c.by]} for c in r.coverage],
            "uncoverable": list(r.uncoverable), "partners_needed": r.partners_needed,
            "greedy": {"partners": list(r.greedy.codes), "cost": str(r.greedy.cost), "score": _r(r.greedy.score),
                       "complete": r.greedy.complete,
                       "cost_gap": None if r.cost_gap is None else str(r.cost_gap), "score_gap": _r(r.score_gap)},
            "explanation": None if r.explanation() is None else str(r.explanation()),
            "objections": [str(o) for o in r.objections], "allowed": r.allowed, "considered": r.considered,
            "notes": [str(n) for n in answer.notes]}
