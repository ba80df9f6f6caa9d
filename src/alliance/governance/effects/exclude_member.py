"""Exclude a member by the body's decision (the end of a rating's elimination procedure, or any
other exclusion the body votes on): the mirror of admit_member. Checked when drafted and submitted
(a current member of the alliance), done when the vote passes.

What passing does (issue 23): the exclusion takes effect on the decision's day, as before, and it
also opens the member's exit case (alliance.exits) with the trigger `rating_elimination` (a proposal
drafted by the elimination procedure: its `procedure` parameter names it, checked to be that
member's procedure) or `expulsion_vote`, ending that day, and
records the end at once (`registry.end_membership` through the case: the `member.left` entry
follows). The body decided the membership ends now; what the exit still needs (final settlement,
holdback, IP, hand-over, data) follows in the case, so an expelled member is wound up like any
other. A member that already has an open case (it gave notice, say) leaves at once all the same; its
open case stays, and its end step notes the earlier departure when it is recorded."""

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
        problems = unknown_parameters(params, {"member", "reason", "procedure"})
        member = str(params.get("member") or "").strip()
        reason = str(params.get("reason") or "").strip()
        procedure = _procedure(ctx, params.get("procedure"), member, problems)
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
        normalised = {"member": member, **({"procedure": procedure} if procedure is not None else {}),
                      **({"reason": reason[:200]} if reason else {})}
        return normalised, problems

    def apply(self, ctx: EffectContext, params: Mapping[str, Any]) -> Message:
        from alliance.exits import service as exits
        from alliance.exits.model import Trigger

        code = str(params["member"])
        # Proposals drafted before the parameter existed (2026-12-05) named the procedure in their reason only.
        elimination = "procedure" in params or str(params.get("reason") or "").startswith("elimination procedure")
        trigger = Trigger.RATING_ELIMINATION if elimination else Trigger.EXPULSION_VOTE
        case = exits.open_for_decision(ctx.store, ctx.alliance.code, code, trigger, ctx.reference, ctx.clock,
                                       ctx.actor)
        if case is None:
            member = registry.end_membership(ctx.store, ctx.alliance.code, code, None, ctx.clock)
        else:
            exits.record_opened_end(ctx.store, ctx.alliance.code, case.number, ctx.clock, ctx.actor)
            member = registry.get_member(ctx.store, ctx.alliance.code, code)
        return Message("{member} ({name}) is no longer a member", member=member.code, name=member.legal_name)

    def describe(self, params: Mapping[str, Any]) -> Message:
        return Message("{member} leaves the alliance", member=params.get("member", ""))


def _procedure(ctx: EffectContext, value: Any, member: str, problems: list[Problem]) -> int | None:
    """The elimination procedure a proposal ends (None: an exclusion voted on for another reason)."""
    from alliance.health.ratings.service import procedure_of

    if value is None or value == "":
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        problems.append(Problem(Message("proposal"), "params.procedure",
                                Message("an elimination procedure is named by its number")))
        return None
    found = procedure_of(ctx.store, ctx.alliance.id, int(value))
    if found is None or found.member != member:
        problems.append(Problem(Message("proposal"), "params.procedure", Message(
            "{member} has no elimination procedure {procedure}", member=member, procedure=value)))
        return None
    return found.id
