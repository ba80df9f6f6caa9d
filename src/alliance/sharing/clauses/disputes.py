"""Dispute resolution: the escalation ladder (negotiation, mediation, then arbitration or a court)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from alliance.core.messages import Message
from alliance.sharing.clauses.base import ClauseContext, ClauseKind, ClauseKindSpec, Template, chained, whole, words
from alliance.sharing.reader import Reader
from alliance.sharing.rules.form import N_, FormField, Widget


class Final(StrEnum):
    ARBITRATION = "arbitration"
    LITIGATION = "litigation"


@dataclass(frozen=True, slots=True)
class Params:
    negotiation_days: int
    mediation_days: int = 0          # 0: no mediation step
    final: Final = Final.ARBITRATION
    arbitration_body: str = ""
    seat: str = ""
    governing_law: str = ""


def parse(r: Reader, raw: Mapping[str, Any], where: str, _ctx: ClauseContext) -> Params | None:
    negotiation = whole(r, raw, "negotiation_days", where, low=1, high=365)
    mediation = whole(r, raw, "mediation_days", where, low=0, high=365, required=False, default=0)
    final = r.choice(raw, "final", where, Final, Final.ARBITRATION)
    body = words(r, raw, "arbitration_body", where, required=final is Final.ARBITRATION)
    seat = words(r, raw, "seat", where, required=True)
    law = words(r, raw, "governing_law", where)
    if final is Final.LITIGATION and body:
        r.add(where, "arbitration_body", Message("is given but disputes end in court, not arbitration"))
    if negotiation is None:
        return None
    return Params(negotiation, mediation or 0, Final(final or Final.ARBITRATION), body, seat, law)


def describe(p: Params) -> list[tuple[str, str]]:
    ladder = [Message("negotiation, {days} days", days=p.negotiation_days)]
    if p.mediation_days:
        ladder.append(Message("mediation, {days} days", days=p.mediation_days))
    ladder.append(Message("arbitration by {body}", body=p.arbitration_body) if p.final is Final.ARBITRATION
                  else Message("a court"))
    shown = [(Message("Escalation"), chained(ladder, "{first} → {rest}")), (Message("Seat"), p.seat)]
    if p.governing_law:
        shown.append((Message("Governing law"), p.governing_law))
    return shown


def conflicts(framework: Params, project: Params) -> list[Message]:
    found = []
    if (project.final, project.arbitration_body) != (framework.final, framework.arbitration_body):
        found.append(Message("ends disputes with {project}; the framework says {framework}",
                             project=project.arbitration_body or project.final.value,
                             framework=framework.arbitration_body or framework.final.value))
    if project.seat != framework.seat:
        found.append(Message("seat {seat} differs from the framework's {framework_seat}", seat=project.seat,
                             framework_seat=framework.seat))
    return found


SPEC = ClauseKindSpec(
    kind=ClauseKind.DISPUTES, label=N_("Dispute resolution"),
    explanation=N_("The escalation ladder a dispute climbs. A project agreement keeps its framework's arbitration body and seat."),
    Params=Params, parse=parse, describe=describe, conflicts=conflicts,
    fields=(FormField("negotiation_days", N_("Negotiation (days)"), Widget.WHOLE, required=True),
            FormField("mediation_days", N_("Mediation (days, 0 for none)"), Widget.WHOLE),
            FormField("final", N_("Finally"), Widget.CHOICE, options=(
                ("arbitration", N_("Arbitration")), ("litigation", N_("A court")))),
            FormField("arbitration_body", N_("Arbitration body"), Widget.TEXT, hint=N_("E.g. China International Economic and Trade Arbitration Commission (CIETAC).")),
            FormField("seat", N_("Seat"), Widget.TEXT, required=True, hint=N_("The city, e.g. Shanghai.")),
            FormField("governing_law", N_("Governing law"), Widget.TEXT)),
    template=Template(
        zh="因本协议产生的争议，各方应先友好协商；协商不成的，提交调解；调解不成的，提交约定的仲裁机构按其规则仲裁，裁决为终局。",
        en="The parties first negotiate any dispute arising from this agreement in good faith, then mediate; a "
           "dispute still unresolved goes to the arbitration body named here under its rules, and its award is final.",
        fields={"negotiation_days": 30, "mediation_days": 30, "final": "arbitration",
                "arbitration_body": "中国国际经济贸易仲裁委员会", "seat": "上海", "governing_law": "中华人民共和国法律"},
        fields_en={"arbitration_body": "China International Economic and Trade Arbitration Commission (CIETAC)",
                   "seat": "Shanghai", "governing_law": "the laws of the People's Republic of China"}),
)
