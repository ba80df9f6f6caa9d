"""An exit case's vocabulary: triggers, steps, owners, statuses, and the case as stored. Pure.

A case is one member's way out of one alliance (docs/exit-cases.md). It is opened by a trigger,
carries a plan of steps (exits.plan), each with an owner, a due date and a status, and closes when
every step is done or waived. Items (a customer handed over, a seconded person, a shared asset) are
entered under their step; the final statement is acknowledged by the member and the coordinator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from alliance.core.messages import Message


class Trigger(StrEnum):
    VOLUNTARY = "voluntary"                  # the member gave notice
    EXPIRY = "expiry"                        # its agreement ends
    EXPULSION_VOTE = "expulsion_vote"        # the body voted to exclude it
    RATING_ELIMINATION = "rating_elimination"  # the rating's elimination procedure ended in exclusion
    BREACH = "breach"                        # a breach not cured in its cure period
    CHANGE_OF_CONTROL = "change_of_control"  # the member changed hands
    INSOLVENCY = "insolvency"                # the member is insolvent
    DISSOLUTION = "dissolution"              # the alliance itself is wound up (exits.dissolution_service)


class StepKey(StrEnum):
    NOTICE = "notice"
    SETTLEMENT = "settlement"
    HOLDBACK = "holdback"
    FINAL_STATEMENT = "final_statement"
    IP = "ip"
    HANDOVER = "handover"
    DATA = "data"
    NON_COMPETE = "non_compete"
    STAFF = "staff"
    ASSETS = "assets"
    OPERATIONS = "operations"
    AGREEMENTS = "agreements"
    END = "end"


class Status(StrEnum):
    OPEN = "open"
    DONE = "done"
    WAIVED = "waived"
    FLAGGED = "flagged"  # needs someone's attention before it can be done (agreements still naming the member)


FINISHED = frozenset({Status.DONE, Status.WAIVED})

# Who does a step: the leaving member, the coordinator, or a named successor member ("successor:M2").
MEMBER = "member"
COORDINATOR = "coordinator"
SUCCESSOR = "successor:"

# The steps whose entered items the coordinator keeps, with each item's fields (name, is it a date).
ITEM_FIELDS: dict[StepKey, tuple[tuple[str, bool], ...]] = {
    StepKey.HANDOVER: (("customer", False), ("open_orders", False), ("successor", False),
                       ("continuity_until", True), ("non_solicitation_until", True)),
    StepKey.STAFF: (("person", False), ("role", False), ("arrangement", False), ("until", True)),
    StepKey.ASSETS: (("asset", False), ("location", False), ("return_by", True)),
}
REQUIRED_ITEM_FIELDS: dict[StepKey, tuple[str, ...]] = {
    StepKey.HANDOVER: ("customer", "successor"),
    StepKey.STAFF: ("person",),
    StepKey.ASSETS: ("asset",),
}

TRIGGER_NAMES: dict[Trigger, Message] = {
    Trigger.VOLUNTARY: Message("voluntary notice"),
    Trigger.EXPIRY: Message("expiry of its agreement"),
    Trigger.EXPULSION_VOTE: Message("expulsion by a governance vote"),
    Trigger.RATING_ELIMINATION: Message("expulsion after the rating's elimination procedure"),
    Trigger.BREACH: Message("breach not cured in its cure period"),
    Trigger.CHANGE_OF_CONTROL: Message("change of control"),
    Trigger.INSOLVENCY: Message("insolvency"),
    Trigger.DISSOLUTION: Message("dissolution of the alliance"),
}
STEP_NAMES: dict[StepKey, Message] = {
    StepKey.NOTICE: Message("Notice and the date membership ends"),
    StepKey.SETTLEMENT: Message("Final settlement: every day through the end date settled"),
    StepKey.HOLDBACK: Message("Holdback for open disputes"),
    StepKey.FINAL_STATEMENT: Message("Final statement acknowledged by the member and the coordinator"),
    StepKey.IP: Message("Intellectual property"),
    StepKey.HANDOVER: Message("Customer hand-over"),
    StepKey.DATA: Message("Data: archive, retrieval window, deletion"),
    StepKey.NON_COMPETE: Message("Non-compete"),
    StepKey.STAFF: Message("Staff seconded to the alliance"),
    StepKey.ASSETS: Message("Return of shared assets"),
    StepKey.OPERATIONS: Message("Shared operations still open (warehouse, purchasing, referrals, marketing, bids)"),
    StepKey.AGREEMENTS: Message("Agreements that still name the member"),
    StepKey.END: Message("Membership ends"),
}
STATUS_NAMES: dict[Status, Message] = {
    Status.OPEN: Message("to do"), Status.DONE: Message("done"), Status.WAIVED: Message("waived"),
    Status.FLAGGED: Message("flagged"),
}


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the plan. `detail` holds what the plan computed for it (plain JSON values: the
    holdback's disputes and amount, the IP list, the agreements flagged, ...)."""

    key: StepKey
    owner: str
    due: date
    status: Status
    reason: str = ""   # why it was waived, or a note on how it was done
    detail: dict[str, Any] = field(default_factory=dict)
    waivable: bool = True


@dataclass(frozen=True, slots=True)
class Item:
    step: StepKey
    number: int
    fields: dict[str, str]
    added_by: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    party: str           # MEMBER or COORDINATOR
    account: str
    statement_sha256: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Case:
    number: int
    member: str
    trigger: Trigger
    decided_on: date       # the notice's day, the decision's, the breach notice's, ...
    end_date: date         # the last day of membership
    basis: str             # how the end date follows from the trigger (words, English: docs keep the rule)
    reference: str         # the proposal, the notice, the procedure: what the trigger points to
    status: str            # open / closed
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None
    steps: tuple[Step, ...] = ()
    items: tuple[Item, ...] = ()
    acknowledgements: tuple[Acknowledgement, ...] = ()

    def step(self, key: StepKey) -> Step:
        return next(s for s in self.steps if s.key is key)

    @property
    def closable(self) -> bool:
        return all(s.status in FINISHED for s in self.steps)
