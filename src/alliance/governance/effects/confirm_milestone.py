"""Confirm (or reject) a project milestone by the committee's vote: for a `milestone_release` rule whose
milestone the committee confirms (`confirmed_by: committee`). Checked when drafted (the milestone
is recorded and awaits the committee), made when the vote passes through the milestone use case
(the `milestone.decided` ledger entry names the proposal); the next settlement run books its
tranche."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alliance.core.errors import AllianceError, Problem
from alliance.core.messages import Message
from alliance.governance.effects.base import Effect, EffectContext, unknown_parameters
from alliance.sharing import milestone_service
from alliance.sharing.milestones import Status
from alliance.sharing.rules.milestone_release import COMMITTEE


class ConfirmMilestone(Effect):
    type = "confirm_milestone"
    title = Message("confirm a milestone")

    def check(self, ctx: EffectContext, params: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        problems = unknown_parameters(params, {"project", "milestone", "decision"})
        agreement, rule = str(params.get("project") or "").strip(), str(params.get("milestone") or "").strip()
        decision = str(params.get("decision") or "confirm").strip()
        if decision not in ("confirm", "reject"):
            problems.append(Problem(Message("proposal"), "params.decision", Message("{value!r} is not confirm or reject",
                                                                                    value=decision)))
        if not agreement or not rule:
            problems.append(Problem(Message("proposal"), "params", Message("name the project agreement and its milestone "
                                                                           "rule")))
            return {}, problems
        try:
            found = [m for m in milestone_service.milestone_rules(ctx.store, ctx.alliance.code)
                     if m.agreement == agreement and m.rule.id == rule]
        except AllianceError as exc:
            return {}, [*problems, Problem(Message("proposal"), "params", exc.message)]
        if not found:
            problems.append(Problem(Message("proposal"), "params.milestone", Message(
                "agreement {agreement!r} has no signed milestone rule {rule!r}", agreement=agreement, rule=rule)))
        elif found[0].confirmed_by != COMMITTEE:
            problems.append(Problem(Message("proposal"), "params.milestone", Message(
                "this milestone is confirmed by {who}, not by a vote", who=found[0].confirmed_by)))
        elif found[0].current is None or found[0].current.status is not Status.RECORDED:
            problems.append(Problem(Message("proposal"), "params.milestone", Message(
                "the milestone is {state}: record it with its evidence first",
                state=found[0].current.status.value if found[0].current else Message("not recorded"))))
        return {"project": agreement, "milestone": rule, "decision": decision}, problems

    def apply(self, ctx: EffectContext, params: Mapping[str, Any]) -> Message:
        confirm = params.get("decision", "confirm") != "reject"
        note = Message("confirmed by {reference}", reference=ctx.reference) if confirm else \
            Message("rejected by {reference}", reference=ctx.reference)
        milestone_service.decide(ctx.store, ctx.alliance.code, str(params["project"]), str(params["milestone"]), confirm,
                                 note, ctx.clock, committee=ctx.reference)
        if not confirm:
            return Message("milestone {rule} of {agreement} rejected: nothing is booked; it may be recorded again",
                           rule=params["milestone"], agreement=params["project"])
        return Message("milestone {rule} of {agreement} confirmed: its tranche is booked by the next settlement run",
                       rule=params["milestone"], agreement=params["project"])

    def describe(self, params: Mapping[str, Any]) -> Message:
        if params.get("decision") == "reject":
            return Message("reject milestone {rule} of {agreement}", rule=params.get("milestone", ""),
                           agreement=params.get("project", ""))
        return Message("confirm milestone {rule} of {agreement}", rule=params.get("milestone", ""),
                       agreement=params.get("project", ""))
