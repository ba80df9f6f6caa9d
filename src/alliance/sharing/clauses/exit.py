"""Exit terms: the notice a leaving party gives, which clauses survive its exit, and how the alliance's
funds (a growth fund, a holdback) are shared out when the alliance is dissolved (alliance.exits.funds)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from alliance.core.messages import Message
from alliance.sharing.clauses.base import LATER, ClauseContext, ClauseKind, ClauseKindSpec, Template, chained, listed, whole
from alliance.sharing.reader import Reader
from alliance.sharing.rules.form import N_, FormField, Widget

# The clauses that may outlive a party's exit (the others end with its membership).
SURVIVING = (ClauseKind.CONFIDENTIALITY, ClauseKind.NON_COMPETE, ClauseKind.IP, ClauseKind.DATA_USE,
             ClauseKind.DISPUTES)


class FundsOnDissolution(StrEnum):
    """Who receives what a fund holds when the alliance is dissolved."""

    PAID_IN = "paid_in"  # each member in proportion to what it paid into the fund (the default)
    EQUAL = "equal"      # the members at the dissolution, equally
    SHARES = "shares"    # by the shares the clause names (`fund_shares`)


@dataclass(frozen=True, slots=True)
class Params:
    notice_days: int
    survives: tuple[ClauseKind, ...] = ()
    # Added after exit clauses were signed: left out of what is signed while they hold their defaults.
    funds: FundsOnDissolution = field(default=FundsOnDissolution.PAID_IN, metadata=LATER)
    fund_shares: Mapping[str, Decimal] = field(default_factory=dict, metadata=LATER)


def parse(r: Reader, raw: Mapping[str, Any], where: str, ctx: ClauseContext) -> Params | None:
    days = whole(r, raw, "notice_days", where, low=0, high=3650)
    funds = r.choice(raw, "funds", where, FundsOnDissolution, FundsOnDissolution.PAID_IN)
    shares = raw.get("fund_shares")
    fund_shares: dict[str, Decimal] = {}
    if funds is FundsOnDissolution.SHARES:
        if not isinstance(shares, Mapping) or not shares:
            r.add(where, "fund_shares", Message("is required when funds is shares: one share per party, adding up to 1"))
        else:
            fund_shares = r.shares(shares, where, "fund_shares", ctx.parties)
    elif shares:
        r.add(where, "fund_shares", Message("is read only when funds is shares"))
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
    if days is None:
        return None
    return Params(days, tuple(sorted(survives)), FundsOnDissolution(funds or FundsOnDissolution.PAID_IN),
                  dict(sorted(fund_shares.items())))


def describe(p: Params) -> list[tuple[str, str]]:
    labels = dict(SPEC.fields[1].options)  # each surviving clause by its label, in the reader's language
    funds = dict(SPEC.fields[2].options)
    described = [(Message("Notice to leave"), Message("{days} days", days=p.notice_days)),
                 (Message("Survive an exit"), chained([Message(labels[k.value]) for k in p.survives]) or Message("nothing")),
                 (Message("Funds on dissolution"), Message(funds[p.funds.value]))]
    if p.fund_shares:
        described.append((Message("Fund shares"), ", ".join(f"{m} {v}" for m, v in p.fund_shares.items())))
    return described


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
                    (ClauseKind.DISPUTES, N_("Dispute resolution"))))),
            FormField("funds", N_("Funds on dissolution"), Widget.CHOICE, options=(
                (FundsOnDissolution.PAID_IN.value, N_("to each member in proportion to what it paid in")),
                (FundsOnDissolution.EQUAL.value, N_("to the members equally")),
                (FundsOnDissolution.SHARES.value, N_("by the shares below")))),
            FormField("fund_shares", N_("Fund shares"), Widget.MEMBER_DECIMALS,
                      hint=N_("Only when funds go by shares: one decimal per party, adding up to 1."))),
    template=Template(
        zh="任何一方退出联盟，应提前书面通知其他各方；退出后，下列条款继续有效。",
        en="A party leaving the alliance gives the others written notice in advance; after its exit the clauses "
           "listed here still bind it.",
        fields={"notice_days": 90, "survives": ["confidentiality", "ip"]}),
)
