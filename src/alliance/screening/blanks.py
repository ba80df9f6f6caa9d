"""Members with a blank metric: reported, and left out by the user's choice, never guessed.

A member who never filled in its revenue cannot be ranked on revenue: a blank is not a zero (that
would rank it last for no reason) nor an average (that would invent a figure). Screening the
members stops with every blank listed (`BlankMetrics`: which member, which criterion) until the
user chooses what to leave out:

  * `exclude-members`: the members with any blank are not ranked (named in the run);
  * `exclude-criteria`: the criteria with any blank are not used, and the weights of the others
    are divided by their sum, so they still add up to 1 (said in the run's notes).

The choice, and what it left out, is part of the saved run's inputs, so its digest (which the
ledger records) covers it, and recomputing the run gives the same ranking.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message


class BlankChoice(StrEnum):
    EXCLUDE_MEMBERS = "exclude-members"
    EXCLUDE_CRITERIA = "exclude-criteria"


class BlankMetrics(InvalidInput):
    code = "blank_metrics"
    title = Message("Members with blank metrics")


@dataclass(frozen=True, slots=True)
class BlankOutcome:
    """What a choice left out, given the blanks found (member, criterion), in member order."""

    choice: BlankChoice
    blanks: tuple[tuple[str, str], ...]
    excluded_members: tuple[str, ...]
    excluded_criteria: tuple[str, ...]

    def record(self) -> dict[str, Any]:
        """As saved with the run (JSON), and shown with its report."""
        return {"choice": self.choice.value, "blanks": [list(b) for b in self.blanks],
                "excluded_members": list(self.excluded_members), "excluded_criteria": list(self.excluded_criteria)}
