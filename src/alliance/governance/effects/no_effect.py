"""Proposal types whose outcome does not act by itself: a budget, a sanction, any other decision.
What they decide is done through the action items the body assigns; the chair, a secretary or the
coordinator marks the proposal implemented once those are done."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.governance.effects.base import Effect, EffectContext, unknown_parameters


class NoEffect(Effect):
    acts = False

    def check(self, ctx: EffectContext, params: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        return {}, unknown_parameters(params, set())

    def apply(self, ctx: EffectContext, params: Mapping[str, Any]) -> Message:
        return Message("nothing acts by itself: the action items carry it out")

    def describe(self, params: Mapping[str, Any]) -> Message:
        return Message("carried out by the action items the body assigns")


class ApproveBudget(NoEffect):
    type = "approve_budget"
    title = Message("approve a budget")


class Sanction(NoEffect):
    type = "sanction"
    title = Message("sanction")


class Other(NoEffect):
    type = "other"
    title = Message("other decision")
