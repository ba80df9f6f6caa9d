"""Confidentiality: how long after an exit the parties keep each other's information secret."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alliance.core.messages import Message
from alliance.sharing.clauses.base import ClauseContext, ClauseKind, ClauseKindSpec, Template, whole
from alliance.sharing.reader import Reader
from alliance.sharing.rules.form import N_, FormField, Widget


@dataclass(frozen=True, slots=True)
class Params:
    years_after_exit: int


def parse(r: Reader, raw: Mapping[str, Any], where: str, _ctx: ClauseContext) -> Params | None:
    years = whole(r, raw, "years_after_exit", where, low=0, high=50)
    return Params(years) if years is not None else None


def describe(p: Params) -> list[tuple[str, str]]:
    return [(Message("Secret after an exit"), Message("{years} years", years=p.years_after_exit))]


def conflicts(framework: Params, project: Params) -> list[Message]:
    if project.years_after_exit < framework.years_after_exit:
        return [Message("keeps secrets {years} years after an exit, fewer than the framework's {limit}",
                        years=project.years_after_exit, limit=framework.years_after_exit)]
    return []


SPEC = ClauseKindSpec(
    kind=ClauseKind.CONFIDENTIALITY, label=N_("Confidentiality"),
    explanation=N_("The parties keep each other's information secret, during the alliance and for the years given after an exit."),
    Params=Params, parse=parse, describe=describe, conflicts=conflicts,
    fields=(FormField("years_after_exit", N_("Years after an exit"), Widget.WHOLE, required=True),),
    template=Template(
        zh="各方对在合作中获知的其他方商业秘密和未公开信息负有保密义务，该义务在退出联盟后继续有效。",
        en="Each party keeps secret the trade secrets and unpublished information of the others it learns in the "
           "co-operation, and remains bound after it leaves the alliance.",
        fields={"years_after_exit": 3}),
)
