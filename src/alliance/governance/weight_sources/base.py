"""What every source of voting weights has: a key, a title, and how it computes the weights of the
members active on a day from what a `WeightReader` reads for it.

A source never reads the store itself: the service hands it a reader (governance/service_weights.py
over the unit of work, a plain object in tests), and the computation from what was read is a pure
function of each source's module. A source with nothing to give raises `WeightsUnavailable`,
saying what to do, so a vote is never opened on an empty or made-up table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from fractions import Fraction
from typing import ClassVar, Protocol

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message


class WeightsUnavailable(InvalidInput):
    """A source of weights has nothing to give: no stored table, nothing settled yet, no active member."""

    code = "weights_unavailable"
    title = Message("No voting weights from this source")


class WeightSourceUnknown(InvalidInput):
    code = "weight_source_unknown"
    title = Message("Unknown source of voting weights")


class WeightReader(Protocol):
    """What the sources read, for one alliance."""

    @property
    def alliance_code(self) -> str: ...

    def active_members(self, on: date) -> Sequence[str]:
        """Codes of the members active on `on` (joined by then, not yet left)."""

    def stored_table(self) -> Sequence[tuple[str, str]]:
        """The explicit table as (member, weight text), sorted by member; empty when none was set."""

    def paid_out(self, first: date, last: date) -> Mapping[str, int]:
        """Per account, the sum of the positive statement amounts (minor units) of the days settled
        in [first, last]."""


class WeightSource:
    """One source of weights. Subclasses set the class attributes and `weights`."""

    key: ClassVar[str]
    title: ClassVar[Message]
    summary: ClassVar[Message]

    @classmethod
    def weights(cls, reader: WeightReader, on: date) -> dict[str, Fraction]:
        """Each member's weight on `on`, exact; WeightsUnavailable when there is none to give."""
        raise NotImplementedError
