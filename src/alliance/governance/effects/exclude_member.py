"""Exclude a member by the body's decision (the end of a rating's elimination procedure, or any
other exclusion the body votes on): the mirror of admit_member. Checked when drafted and submitted
(a current member of the alliance), done when the vote passes through the registry's own use case
(`registry.end_membership`, today in the alliance's time zone: the `member.left` ledger entry
follows)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.governance.effects.base import Effect, EffectContext, unknown_parameters
from alliance.registry import service as registry


class ExcludeMember(Effect):
    type = "exclude_member"
    title = Message("exclude a member")

    def check(self, ctx: EffectContext, params: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        problems = unknown_parameters(params, {"member", "reason"})
        member = str(params.get("member") or "").strip()
        reason = str(params.get("reason") or "").strip()
        if not member:
            problems.append(Problem(Message("proposal"), "params.member", Message("name the member to exclude")))
            return {}, problems
        with ctx.store.unit_of_work() as uow:
            found = uow.members.get(ctx.alliance.id, ctx.alliance.code, ctx.alliance.currency, member)
        if found is None:
            problems.append(Problem(Message("proposal"), "params.member", Message(
                "alliance {alliance!r} has no member with code {member!r}", alliance=ctx.alliance.code, member=member)))
        elif found.left_on is not None:
            problems.append(Problem(Message("proposal"), "params.member", Message(
                "{member} already left the alliance on {day}", member=member, day=found.left_on.isoformat())))
        normalised = {"member": member, **({"reason": reason[:200]} if reason else {})}
        return normalised, problems

    def apply(self, ctx: EffectContext, params: Mapping[str, Any]) -> Message:
        member = registry.end_membership(ctx.store, ctx.alliance.code, str(params["member"]), None, ctx.clock)
        return Message("{member} ({name}) is no longer a member", member=member.code, name=member.legal_name)

    def describe(self, params: Mapping[str, Any]) -> Message:
        return Message("{member} leaves the alliance", member=params.get("member", ""))
