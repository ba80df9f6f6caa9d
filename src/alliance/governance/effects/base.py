"""What an accepted proposal does, one module per proposal type, behind the registry in __init__.

An effect checks its parameters when the proposal is drafted and again when it is submitted
(`check`: every problem at once, the parameters normalised), so a body votes on something that can
be done; and acts when the vote passes (`apply`), after the outcome is stored. Acting may still be
refused then (the prospect became a member by hand meanwhile, the alliance already changed state):
the refusal is kept with the proposal and shown, the outcome stands, and the coordinator may try
again. An effect that `acts` leaves the proposal implemented; one that does not (a budget, a
sanction) is implemented by its action items, which the chair or coordinator confirms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from alliance.core.clock import Clock
from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.registry.model import Alliance
from alliance.store.database import Store


@dataclass(frozen=True)
class EffectContext:
    store: Store
    alliance: Alliance
    clock: Clock
    reference: str          # "proposal 12": how the acts it causes name their decision
    actor: str              # who the ledger says acted ("proposal 12" for the body's decision)


class Effect:
    type: ClassVar[str]
    acts: ClassVar[bool] = True
    title: ClassVar[Message]
    # The kinds of body that decide this type (None: any body); the service refuses a draft to another.
    body_kinds: ClassVar[frozenset[str] | None] = None
    wrong_body: ClassVar[Message] = Message("this body does not decide this type of proposal")

    def check(self, ctx: EffectContext, params: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        """The parameters normalised, and every problem with them (nothing is written)."""
        raise NotImplementedError

    def apply(self, ctx: EffectContext, params: Mapping[str, Any]) -> Message:
        """Do what the accepted proposal decided; a sentence saying what was done. Raises an
        AllianceError when it cannot be done (nothing done then)."""
        raise NotImplementedError

    def describe(self, params: Mapping[str, Any]) -> Message:
        """What the proposal will do if accepted, in one sentence."""
        raise NotImplementedError


def unknown_parameters(params: Mapping[str, Any], known: set[str]) -> list[Problem]:
    return [Problem(Message("proposal"), f"params.{name}", Message("{name!r} is not a parameter of this proposal type",
                                                                   name=name))
            for name in sorted(set(params) - known)]
