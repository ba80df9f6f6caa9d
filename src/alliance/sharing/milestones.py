"""Milestones of project agreements: the record of one, its evidence, and who may confirm it. Pure.

A `milestone_release` rule names its milestone, the evidence it needs and who confirms it: a party
(its own account, or one holding its power of attorney), `auditor` (the alliance's auditor) or
`committee` (only by an accepted proposal of type `confirm_milestone`). A milestone is *recorded*
with its evidence (files, kept by SHA-256), then *confirmed* or *rejected*; a rejected one may be
recorded again. A confirmed milestone's tranche is booked by the next settlement run, once
(`booked_on`). Every step is a ledger entry (`ledger.coverage.MilestoneKind`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from alliance.access.policy import Action, Forbidden, authorize
from alliance.access.roles import Principal, Role
from alliance.core.errors import Conflict, InvalidInput, NotFound, Problem
from alliance.core.messages import Message
from alliance.core.text import check_text
from alliance.sharing.rules.milestone_release import AUDITOR, COMMITTEE

SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_EVIDENCE = 20
MAX_NOTE = 2000


class Status(StrEnum):
    RECORDED = "recorded"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Evidence:
    name: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Milestone:
    id: int
    agreement: str
    rule_id: str
    version: int            # the agreement version it was recorded under
    status: Status
    evidence: tuple[Evidence, ...]
    recorded_by: str
    recorded_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None
    booked_on: date | None = None


class MilestoneNotFound(NotFound):
    code = "milestone_not_found"
    title = Message("Milestone not found")


class MilestoneConflict(Conflict):
    code = "milestone_conflict"
    title = Message("Milestone already decided")


class MilestoneForbidden(Forbidden):
    code = "milestone_not_yours"
    title = Message("Not yours to confirm")


def checked_evidence(items: Sequence[tuple[str, str]]) -> tuple[Evidence, ...]:
    """The evidence as given (file name, SHA-256 in hex): at least one, each named and hashed."""
    problems: list[Problem] = []
    if not items:
        problems.append(Problem(Message("evidence"), "", Message("attach at least one file as evidence")))
    if len(items) > MAX_EVIDENCE:
        problems.append(Problem(Message("evidence"), "", Message("at most {count} files", count=MAX_EVIDENCE)))
    found: list[Evidence] = []
    for n, (name, digest) in enumerate(items, start=1):
        where = Message("evidence {n}", n=n)
        try:
            check_text(name, Message("a file name"), 200)
        except InvalidInput as exc:
            problems.append(Problem(where, "name", exc.message))
        if not SHA256.fullmatch(digest):
            problems.append(Problem(where, "sha256", Message("{value!r} is not a SHA-256 in hex", value=digest[:80])))
        found.append(Evidence(name.strip(), digest))
    if problems:
        raise InvalidInput(Message("the evidence cannot be recorded"), problems)
    return tuple(found)


def check_confirmer(confirmed_by: str, principal: Principal, alliance: str, *, attorney: bool = False,
                    committee: bool = False) -> None:
    """Return if `principal` may confirm or reject a milestone the rule says `confirmed_by` confirms.

    `committee`: the decision is an accepted proposal's (governance.effects.confirm_milestone)."""
    if confirmed_by == COMMITTEE:
        if not committee:
            raise MilestoneForbidden(Message("this milestone is confirmed by a vote of the committee: propose it "
                                             "(proposal type confirm_milestone)"))
        return
    if committee:
        raise MilestoneForbidden(Message("this milestone is confirmed by {who}, not by a vote", who=confirmed_by))
    if confirmed_by == AUDITOR:
        authorize(principal, Action.READ_RECORDS, alliance)
        if principal.role is not Role.AUDITOR:
            raise MilestoneForbidden(Message("only the alliance's auditor confirms this milestone"))
        return
    authorize(principal, Action.ACT_FOR_MEMBER, alliance, confirmed_by, attorney=attorney)
