"""A screening outcome as plain data: the JSON document the CLI prints and the API returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alliance.screening.scoring import Ranking
from alliance.screening.sensitivity import WeightMargin, first_place_probabilities, weight_margins


@dataclass(frozen=True, slots=True)
class SensitivitySettings:
    draws: int = 2000
    spread: float = 0.10
    seed: int = 0


def _margin(m: WeightMargin) -> dict[str, Any]:
    return {"criterion": m.criterion, "weight": m.weight, "increase": m.increase, "decrease": m.decrease,
            "smallest": m.smallest}


def screening_report(ranking: Ranking, settings: SensitivitySettings, limit: int | None = None) -> dict[str, Any]:
    """`{"method", "criteria", "notes", "candidates", "ranking", "excluded", "sensitivity"}`.

    `candidates` counts every candidate given (ranked and excluded); scores are numbers.
    """
    margins = weight_margins(ranking)
    sized = [m for m in margins if m.smallest is not None]
    tightest = min(sized, key=lambda m: m.smallest or 0.0) if sized else None
    return {
        "method": ranking.method.value,
        "criteria": ranking.spec.to_mapping(),
        "notes": list(ranking.spec.notes),
        "candidates": len(ranking.names) + len(ranking.excluded),
        "ranking": [
            {"rank": r.rank, "name": r.name, "score": r.score, "contributions": r.contributions}
            for r in ranking.rows(limit)
        ],
        "excluded": [{"name": e.name, "reason": e.reason} for e in ranking.excluded],
        "sensitivity": {
            "weight_margins": [_margin(m) for m in margins],
            "tightest": _margin(tightest) if tightest else None,
            "first_place_probability": first_place_probabilities(
                ranking, draws=settings.draws, spread=settings.spread, seed=settings.seed
            ),
            "draws": settings.draws,
            "spread": settings.spread,
            "seed": settings.seed,
        },
    }
