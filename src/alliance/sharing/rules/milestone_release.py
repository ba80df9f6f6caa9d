"""`milestone_release` (里程碑付款): a tranche paid when a project milestone is confirmed.

A project agreement declares a milestone (its name, the evidence it needs, who confirms it: a
named party, the committee by a vote, or an auditor) and the tranche it releases (an amount, its
payer and its payee, a party or an escrow account). Recording the milestone with its evidence
and its confirmation (`alliance.sharing.milestones`) makes the next settlement run book the
tranche, once: the run's inputs name the confirmed milestones not yet booked (`DayContext.releases`),
the rule posts the payer's debt and the payee's claim, and the run marks them booked in its own
transaction. An unconfirmed or rejected milestone books nothing; an adjustment (late lines of a
closed day) never books one. Like a cost share, it needs no totals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from alliance.core.messages import Message
from alliance.core.money import Money
from alliance.registry.model import CODE_PATTERN
from alliance.sharing.reader import Reader
from alliance.sharing.rules.base import Builder, Need, ParseContext, RuleKindSpec, RuleTotals, Settling, Wording
from alliance.sharing.rules.form import N_, FormField, KindForm, Widget
from alliance.sharing.terms import RuleKind

COMMITTEE, AUDITOR = "committee", "auditor"  # who confirms, besides a named party


@dataclass(frozen=True, slots=True)
class Params:
    milestone: str       # its name, as the statement line shows it
    evidence: str        # what must be attached (a test report, an acceptance certificate)
    confirmed_by: str    # a party's code, "committee" (a vote) or "auditor"
    amount: Money
    payer: str
    payee: str           # a party or a declared account (an escrow account)


class Note(StrEnum):
    RELEASED = N_("milestone released")


class MilestoneRelease(RuleKindSpec):
    kind = RuleKind.MILESTONE_RELEASE
    label = N_("Milestone release")
    Params = Params
    keys = ("milestone", "evidence", "confirmed_by", "amount", "payer", "payee")
    Note = Note
    form = KindForm("milestone_release", N_("Milestone release"), N_(
        "A tranche the payer pays the payee once the milestone is confirmed with its evidence; booked on the next "
        "settlement run, exactly once."), (
        FormField("milestone", N_("Milestone"), Widget.TEXT, required=True, hint=N_("e.g. Prototype passes the lab test")),
        FormField("evidence", N_("Evidence required"), Widget.TEXT, required=True, hint=N_("e.g. the lab's test report")),
        FormField("confirmed_by", N_("Confirmed by"), Widget.NAME, required=True,
                  hint=N_("A party's code, committee (a vote of the alliance) or auditor.")),
        FormField("amount", N_("Tranche"), Widget.MONEY, required=True, hint=N_("e.g. 200000.00")),
        FormField("payer", N_("Payer"), Widget.MEMBER, required=True),
        FormField("payee", N_("Payee"), Widget.NAME, required=True, hint=N_("A party's code or an escrow account.")),
    ))

    def parse(self, r: Reader, raw: Mapping[str, Any], where: str, ctx: ParseContext) -> Params:
        milestone = r.text(raw, "milestone", where) or ""
        evidence = r.text(raw, "evidence", where) or ""
        for key, value in (("milestone", milestone), ("evidence", evidence)):
            if len(value) > 200:
                r.add(where, key, Message("is {length} characters long; at most {max_length}", length=len(value),
                                          max_length=200))
        confirmed_by = r.text(raw, "confirmed_by", where)
        if confirmed_by is not None and confirmed_by not in ctx.parties and confirmed_by not in (COMMITTEE, AUDITOR):
            r.add(where, "confirmed_by", Message("{value!r} is neither a party, committee nor auditor",
                                                 value=confirmed_by))
        amount = r.required_money(raw, "amount", where, ctx.currency)
        if amount is not None and amount.minor <= 0:
            r.add(where, "amount", Message("a tranche is more than zero"))
        payer = r.party(raw, "payer", where, ctx.parties)
        payee = r.text(raw, "payee", where)
        if payee is not None and payee not in ctx.parties and payee not in ctx.accounts:
            r.add(where, "payee", Message("{code!r} is neither a party nor a declared account", code=payee))
        elif payee is not None and payee == payer:
            r.add(where, "payee", Message("is the payer"))
        elif payee is not None and not CODE_PATTERN.match(payee):
            r.add(where, "payee", Message("{code!r} is not a valid code", code=payee))
        elif payee is not None and payee == confirmed_by:
            # Nobody confirms the milestone that pays them: the payee may not be its own judge.
            r.add(where, "confirmed_by", Message("is the payee: a party does not confirm its own payment"))
        return Params(milestone, evidence, confirmed_by or "", amount, payer or "", payee or "")  # type: ignore[arg-type]

    def needs(self, params: Params, *, adjusting: bool = False) -> frozenset[Need]:
        return frozenset()  # its amount is in the agreement

    def settle(self, b: Builder, t: RuleTotals, params: Params, s: Settling) -> None:
        if s.adjustment or b.rule_id not in s.inputs.releases:
            return
        amount = params.amount.minor
        b.post(params.payer, -amount, amount, Note.RELEASED.value)
        b.post(params.payee, amount, amount, Note.RELEASED.value)

    def describe(self, params: Params, say: Wording) -> Message:
        return Message("When the milestone “{milestone}” is confirmed by {confirmed_by} on its evidence ({evidence}), "
                       "{payer} pays {payee} {amount}, once.", milestone=params.milestone,
                       confirmed_by=params.confirmed_by, evidence=params.evidence, payer=params.payer,
                       payee=params.payee, amount=say.money(params.amount))

    def confirms(self, params: Params) -> str:
        return params.confirmed_by

    def commits(self, params: Params) -> Money:
        return params.amount


SPEC = MilestoneRelease()
