"""Premium placement: the member is listed first (the member directory, recommendations)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alliance.core.messages import Message
from alliance.health.ratings.benefits.base import Benefit


class PremiumPlacement(Benefit):
    kind = "premium_placement"
    title = Message("premium placement")

    def describe(self, params: Mapping[str, Any]) -> Message:
        return Message("premium placement: listed first in the directory and in recommendations")
