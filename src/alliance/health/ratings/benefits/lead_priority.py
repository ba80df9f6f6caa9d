"""Priority in lead referral: the member is offered referred leads before lower tiers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alliance.core.messages import Message
from alliance.health.ratings.benefits.base import Benefit


class LeadPriority(Benefit):
    kind = "lead_priority"
    title = Message("priority in lead referral")

    def describe(self, params: Mapping[str, Any]) -> Message:
        return Message("priority in lead referral: offered referred leads before lower tiers")
