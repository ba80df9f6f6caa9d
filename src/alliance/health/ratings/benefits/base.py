"""What a tier benefit is: a kind with parameters, checked when the alliance sets it, described in
words, and, for some kinds, an entitlement recorded when a member reaches the tier. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from alliance.core.errors import Problem
from alliance.core.messages import Message


class Benefit:
    kind: ClassVar[str]
    title: ClassVar[Message]
    params: ClassVar[tuple[str, ...]] = ()

    def check(self, params: Mapping[str, Any], currency: str, where: str) -> tuple[dict[str, Any], list[Problem]]:
        """The parameters normalised, and every problem with them."""
        return {}, []

    def describe(self, params: Mapping[str, Any]) -> Message:
        raise NotImplementedError

    def entitlement(self, params: Mapping[str, Any]) -> Message | None:
        """What is recorded for the coordinator to act on when a member reaches the tier (None: the
        benefit applies by itself, shown wherever the tier is shown)."""
        return None
