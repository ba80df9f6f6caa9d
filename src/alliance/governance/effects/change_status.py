"""A change of the alliance's lifecycle state decided by a proposal (registry/lifecycle.py): every
change but forming -> active is decided so. `dissolve` starts the dissolution (-> dissolving);
`change_status` names its target (suspend, resume, dissolve, or the end of a dissolution)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alliance.core.errors import AllianceError, Problem
from alliance.core.messages import Message
from alliance.governance.effects.base import Effect, EffectContext, unknown_parameters
from alliance.registry import lifecycle, service as registry
from alliance.registry.model import AllianceStatus


class ChangeStatus(Effect):
    type = "change_status"
    title = Message("change the alliance's state")

    def target(self, params: Mapping[str, Any]) -> str:
        return str(params.get("to", ""))

    def check(self, ctx: EffectContext, params: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        problems = unknown_parameters(params, {"to"} if self.type == "change_status" else set())
        target = self.target(params)
        try:
            status = lifecycle.parse_status(target)
            lifecycle.check_transition(ctx.alliance.code, ctx.alliance.status, status)
        except AllianceError as exc:
            problems.append(Problem(Message("proposal"), "params.to", exc.message))
            return {}, problems
        return ({"to": status.value} if self.type == "change_status" else {}), problems

    def apply(self, ctx: EffectContext, params: Mapping[str, Any]) -> Message:
        target = lifecycle.parse_status(self.target(params))
        registry.change_status(ctx.store, ctx.alliance.code, target, ctx.actor, ctx.clock, decided_by=ctx.reference)
        return Message("the alliance is now {state}", state=lifecycle.STATE_NAMES[target])

    def describe(self, params: Mapping[str, Any]) -> Message:
        target = lifecycle.parse_status(self.target(params))
        return Message("the alliance becomes {state}", state=lifecycle.STATE_NAMES[target])


class Dissolve(ChangeStatus):
    type = "dissolve"
    title = Message("dissolve the alliance")

    def target(self, params: Mapping[str, Any]) -> str:
        return AllianceStatus.DISSOLVING.value

    def apply(self, ctx: EffectContext, params: Mapping[str, Any]) -> Message:
        # The dissolution winds up the sub-alliances too and opens every member's exit case
        # (exits.dissolution_service); imported here as exclude_member does (exits reads governance).
        from alliance.exits import dissolution_service

        dissolution_service.wind_up(ctx.store, ctx.alliance.code, ctx.clock, decided_by=ctx.reference,
                                    actor=ctx.actor)
        return Message("the alliance is now {state}", state=lifecycle.STATE_NAMES[AllianceStatus.DISSOLVING])
