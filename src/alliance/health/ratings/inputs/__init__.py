"""The rating inputs, one module per input, found by code (`engine.GROUPS` names them by group)."""

from __future__ import annotations

from alliance.health.ratings.inputs.base import Period, RatingInput, Source
from alliance.health.ratings.inputs.delivery import Delivery
from alliance.health.ratings.inputs.disputes import DisputesLost
from alliance.health.ratings.inputs.innovation import Innovation
from alliance.health.ratings.inputs.reviews import Reviews

INPUTS: dict[str, RatingInput] = {i.code: i for i in (Reviews(), Delivery(), DisputesLost(), Innovation())}

__all__ = ["INPUTS", "Period", "RatingInput", "Source"]
