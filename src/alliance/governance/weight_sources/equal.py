"""One vote each: every active member weighs 1 (a weighted rule's vetoes and quorum, counted by head)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from fractions import Fraction

from alliance.core.messages import Message
from alliance.governance.weight_sources.base import WeightReader, WeightSource, WeightsUnavailable


def equal_weights(members: Iterable[str]) -> dict[str, Fraction]:
    return {member: Fraction(1) for member in members}


class EqualSource(WeightSource):
    key = "equal"
    title = Message("One vote each")
    summary = Message("Every active member weighs 1.")

    @classmethod
    def weights(cls, reader: WeightReader, on: date) -> dict[str, Fraction]:
        found = equal_weights(reader.active_members(on))
        if not found:
            raise WeightsUnavailable(Message("alliance {alliance!r} has no active member on {day}",
                                             alliance=reader.alliance_code, day=on.isoformat()))
        return found
