"""Exit terms: the notice a leaving party gives, and which clauses survive its exit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alliance.core.messages import Message
from alliance.sharing.clauses.base import ClauseContext, ClauseKind, ClauseKindSpec, Template, chained, listed, whole
from alliance.sharing.reader import Reader
from alliance.sharing.rules.form import N_, FormField, Widget

# The clauses that may outlive a party's exit (the others end with its membership).
SURVIVING = (ClauseKind.CONFIDENTIALITY, ClauseKind.NON_COMPETE, ClauseKind.IP, ClauseKind.DATA_USE,
             ClauseKind.DISPUTES)


@dataclass(frozen=True, slots=True)
class Params:
    notice_days: int
    survives: tuple[ClauseKind, ...] = ()


def parse(r: Reader, raw: Mapping[str, Any], where: str, _ctx: ClauseContext) -> Params | None:
    days = whole(r, raw, "notice_days", where, low=0, high=3650)
    value = raw.get("survives") or []
    names = [value] if isinstance(value, str) else value
    survives: list[ClauseKind] = []
    if not isinstance(names, list):
        r.add(where, "survives", Message("must be a list of clause kinds"))
        names = []
    for name in names:
        if str(name) not in {k.value for k in SURVIVING}:
            r.add(where, "survives", Message("{value!r} is not one of: {choices}", value=name,
                                             choices=", ".join(k.value for k in SURVIVING)))
        elif ClauseKind(str(name)) not in survives:
            survives.append(ClauseKind(str(name)))
    return Params(days, tuple(sorted(survives))) if days is not None else None


def describe(p: Params) -> list[tuple[str, str]]:
    labels = dict(SPEC.fields[1].options)  # each surviving clause by its label, in the reader's language
    return [(Message("Notice to leave"), Message("{days} days", days=p.notice_days)),
            (Message("Survive an exit"), chained([Message(labels[k.value]) for k in p.survives]) or Message("nothing"))]


def conflicts(framework: Params, project: Params) -> list[Message]:
    found = []
    if project.notice_days < framework.notice_days:
        found.append(Message("asks {days} days' notice to leave, less than the framework's {limit}",
                             days=project.notice_days, limit=framework.notice_days))
    dropped = [k for k in framework.survives if k not in project.survives]
    if dropped:
        found.append(Message("lets {clauses} end at an exit; the framework says they survive", clauses=listed(dropped)))
    return found


SPEC = ClauseKindSpec(
    kind=ClauseKind.EXIT, label=N_("Exit terms"),
    explanation=N_("The notice a leaving party gives and which clauses still bind it afterwards; the exit procedure follows them."),
    Params=Params, parse=parse, describe=describe, conflicts=conflicts,
    fields=(FormField("notice_days", N_("Notice to leave (days)"), Widget.WHOLE, required=True),
            FormField("survives", N_("Clauses that survive an exit"), Widget.OPTIONS, options=tuple(
                (k.value, label) for k, label in (
                    (ClauseKind.CONFIDENTIALITY, N_("Confidentiality")), (ClauseKind.NON_COMPETE, N_("Non-compete")),
                    (ClauseKind.IP, N_("Intellectual property")), (ClauseKind.DATA_USE, N_("Data use")),
                    (ClauseKind.DISPUTES, N_("Dispute resolution")))))),
    template=Template(
        zh="任何一方退出联盟，应提前书面通知其他各方；退出后，下列条款继续有效。",
        en="A party leaving the alliance gives the others written notice in advance; after its exit the clauses "
           "listed here still bind it.",
        fields={"notice_days": 90, "survives": ["confidentiality", "ip"]}),
)
