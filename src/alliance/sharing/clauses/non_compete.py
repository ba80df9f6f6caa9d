"""Non-compete: which parties may not compete, in what, until when (competition-law screening reads it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from alliance.core.messages import Message
from alliance.sharing.clauses.base import ClauseContext, ClauseKind, ClauseKindSpec, Template, listed, words
from alliance.sharing.reader import Reader
from alliance.sharing.rules.form import N_, FormField, Widget


@dataclass(frozen=True, slots=True)
class Params:
    until: date
    scope: str
    parties: tuple[str, ...] = ()   # bound parties; none listed: every party


def parse(r: Reader, raw: Mapping[str, Any], where: str, ctx: ClauseContext) -> Params | None:
    until = r.day(raw, "until", where, required=True)
    scope = words(r, raw, "scope", where, required=True, limit=500)
    bound = r.members(raw["parties"], where, "parties", ctx.parties) if raw.get("parties") else ()
    if until and ctx.effective_from and until < ctx.effective_from:
        r.add(where, "until", Message("{until} is before effective_from {effective_from}", until=until,
                                      effective_from=ctx.effective_from))
    return Params(until, scope, tuple(sorted(bound))) if until else None


def describe(p: Params) -> list[tuple[str, str]]:
    return [(Message("Not to compete in"), p.scope), (Message("Until"), p.until.isoformat()),
            (Message("Bound"), listed(p.parties) or Message("every party"))]


def conflicts(framework: Params, project: Params) -> list[Message]:
    if project.until > framework.until:
        return [Message("binds parties not to compete until {until}, after the framework's {limit}",
                        until=project.until, limit=framework.until)]
    return []


SPEC = ClauseKindSpec(
    kind=ClauseKind.NON_COMPETE, label=N_("Non-compete"),
    explanation=N_("Who may not compete, in what and until when. A project's non-compete ends no later than its framework's."),
    Params=Params, parse=parse, describe=describe, conflicts=conflicts,
    fields=(FormField("scope", N_("Not to compete in"), Widget.TEXT, required=True),
            FormField("until", N_("Until"), Widget.DATE, required=True),
            FormField("parties", N_("Bound parties"), Widget.MEMBERS, hint=N_("None ticked: every party."), none_is_every=True)),
    template=Template(
        zh="合作期间及约定期限内，受约束方不得在约定范围内与联盟开展竞争业务；本条款不得限制法律允许的正常经营。",
        en="During the co-operation and until the date named here, the bound parties do not compete with the "
           "alliance in the scope named here; this clause never restricts ordinary business the law allows.",
        fields={"scope": "同类产品的线上销售"}, fields_en={"scope": "online sales of like products"}),
)
