"""An agreement change approved by the body: the proposal names a version of an agreement; when it
passes, the version is marked approved by the body (the proposal's `proposal.implemented` ledger
entry names it, and the agreement's page lists the approvals). Signing stays each member's own act."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alliance.core.errors import NotFound, Problem
from alliance.core.messages import Message
from alliance.governance.effects.base import Effect, EffectContext, unknown_parameters


class ChangeAgreement(Effect):
    type = "change_agreement"
    title = Message("change an agreement")

    def check(self, ctx: EffectContext, params: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        problems = unknown_parameters(params, {"agreement", "version"})
        code = str(params.get("agreement") or "").strip()
        version = params.get("version")
        if isinstance(version, str) and version.strip().isdigit():
            version = int(version.strip())
        if not code:
            problems.append(Problem(Message("proposal"), "params.agreement", Message("name the agreement it changes")))
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            problems.append(Problem(Message("proposal"), "params.version", Message(
                "name the version to approve: a whole number from 1")))
        if problems:
            return {}, problems
        with ctx.store.unit_of_work() as uow:
            if uow.sharing.version_id(ctx.alliance.id, code, int(version)) is None:
                problems.append(Problem(Message("proposal"), "params.version", Message(
                    "agreement {agreement!r} has no version {version}", agreement=code, version=version)))
        return {"agreement": code, "version": int(version)}, problems

    def apply(self, ctx: EffectContext, params: Mapping[str, Any]) -> Message:
        with ctx.store.unit_of_work() as uow:
            if uow.sharing.version_id(ctx.alliance.id, params["agreement"], params["version"]) is None:
                raise NotFound(Message("agreement {agreement!r} has no version {version}",
                                       agreement=params["agreement"], version=params["version"]))
        return self.describe(params)

    def describe(self, params: Mapping[str, Any]) -> Message:
        return Message("version {version} of agreement {agreement} is approved by the body",
                       version=params.get("version"), agreement=params.get("agreement"))
