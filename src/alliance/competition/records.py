"""A saved screening and its justification, as stored. Pure.

What the ledger claims of one (digests of its inputs as entered, of its result and of the rest of its
row) is `ledger.coverage.screening_digests`, recomputed from the stored row by verification.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alliance.competition.model import Occasion
from alliance.competition.screen import Result


@dataclass(frozen=True)
class Justification:
    text: str
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class Subject:
    """The company a pre-join screening is about: its name and unified social credit code, and the
    pipeline's prospect it came from (if it came from one)."""

    name: str
    credit_code: str | None = None
    prospect: str | None = None


@dataclass(frozen=True)
class Screening:
    number: int
    occasion: Occasion
    subject: Subject | None
    sets: tuple[str, ...]
    inputs: Mapping[str, Any]      # the markets as entered (checks.MarketEntry.as_json each)
    result: Result
    screened_by: str
    screened_at: datetime
    justification: Justification | None = None

    @property
    def flagged(self) -> bool:
        return self.result.flagged

    @property
    def needs_justification(self) -> bool:
        """Crossed a threshold (or could not rule one out) and no justification is recorded yet."""
        return self.flagged and self.justification is None


def latest(screenings: Sequence[Screening], occasion: Occasion | None = None) -> Screening | None:
    """The latest screening (of an occasion)."""
    found = [s for s in screenings if occasion is None or s.occasion is occasion]
    return max(found, key=lambda s: s.number, default=None)
