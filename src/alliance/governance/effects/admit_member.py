"""Admit a member by the body's decision: a new member company, or a prospect that reached the
`partner` stage of the screening pipeline (its name and credit code are taken from the prospect).
Checked as the member import checks a row (registry/records.py), so the body votes on an
admission that can be made; made when the vote passes, through the registry's own use case (the
`member.joined` ledger entry follows)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.governance.effects.base import Effect, EffectContext, unknown_parameters
from alliance.registry import service as registry
from alliance.screening.pipeline import Stage

FIELDS = ("code", "name", "credit_code", "industry", "region")


class AdmitMember(Effect):
    type = "admit_member"
    title = Message("admit a member")

    def check(self, ctx: EffectContext, params: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        problems = unknown_parameters(params, {*FIELDS, "prospect"})
        values = {name: str(params.get(name) or "").strip() for name in FIELDS}
        prospect_id = params.get("prospect")
        if prospect_id not in (None, ""):
            try:
                prospect_id = int(str(prospect_id))
            except ValueError:
                problems.append(Problem(Message("proposal"), "params.prospect", Message("a prospect is named by its number")))
                prospect_id = None
        else:
            prospect_id = None
        if prospect_id is not None:
            with ctx.store.unit_of_work() as uow:
                prospect = uow.screening.prospect(ctx.alliance.id, prospect_id)
            if prospect is None:
                problems.append(Problem(Message("proposal"), "params.prospect", Message(
                    "alliance {code!r} has no prospect {prospect}", code=ctx.alliance.code, prospect=prospect_id)))
            elif prospect.stage is not Stage.PARTNER:
                problems.append(Problem(Message("proposal"), "params.prospect", Message(
                    "prospect {prospect} is at the {stage} stage: only a partner is admitted", prospect=prospect_id,
                    stage=prospect.stage.value)))
            else:
                values["name"] = values["name"] or prospect.name
                values["credit_code"] = values["credit_code"] or (prospect.credit_code or "")
        if problems:
            return {}, problems
        try:
            registry.check_member_import(ctx.store, ctx.alliance.code, list(FIELDS), [[values[n] for n in FIELDS]],
                                         ctx.clock)
        except InvalidInput as exc:
            problems.extend(Problem(Message("proposal"), f"params.{p.field}" if p.field else "params", p.reason)
                            for p in exc.problems)
            if not exc.problems:
                problems.append(Problem(Message("proposal"), "params", exc.message))
        normalised = {name: value for name, value in values.items() if value}
        if prospect_id is not None:
            normalised["prospect"] = prospect_id
        return normalised, problems

    def apply(self, ctx: EffectContext, params: Mapping[str, Any]) -> Message:
        values = {name: str(params.get(name, "")) for name in FIELDS}
        member = registry.add_member(ctx.store, ctx.alliance.code, values, ctx.clock)
        return Message("{member} ({name}) is now a member", member=member.code, name=member.legal_name)

    def describe(self, params: Mapping[str, Any]) -> Message:
        return Message("{name} joins as member {member}", name=params.get("name", ""), member=params.get("code", ""))
