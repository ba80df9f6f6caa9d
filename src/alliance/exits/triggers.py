"""How each trigger sets the day membership ends. Pure. One entry per trigger in `TRIGGERS` (no
if-chains): a test fails if a trigger lacks its entry.

Every rule reads the same `Terms` (what the agreements in force say, or nothing) and answers the end
date with its basis in words. Defaults where no clause speaks (docs/exit-cases.md "Triggers"):
90 days' notice (the clause library's own exit template), a 30-day cure period, 30 days after a
change of control; an expulsion and an insolvency end membership on the decision's day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.exits.model import Trigger

DEFAULT_NOTICE_DAYS = 90        # sharing.clauses.exit's template asks 90 days
DEFAULT_CURE_DAYS = 30
DEFAULT_CONTROL_DAYS = 30
MAX_DAYS = 3650


@dataclass(frozen=True, slots=True)
class Terms:
    """What the agreements in force that name the member say about leaving (None: no clause says)."""

    notice_days: int | None = None        # the longest exit notice among them
    agreement_end: date | None = None     # the last day of its agreement(s): effective_until or the term's end
    cure_days: int | None = None          # the cure period given with the breach notice


@dataclass(frozen=True, slots=True)
class EndDate:
    day: date
    basis: str        # English words (the API, the CLI, the ledger's row)
    rule: str = ""    # which rule gave it (clause, default, agreement_end, decision, cure, control, agreed): the
                      # pages say it in the reader's language from this and the dates


class NoEndDate(InvalidInput):
    code = "exit_no_end_date"
    title = Message("No end date")


def _voluntary(decided_on: date, t: Terms) -> EndDate:
    if t.notice_days is None:
        return EndDate(decided_on + timedelta(days=DEFAULT_NOTICE_DAYS),
                       f"notice given on {decided_on.isoformat()} plus the default {DEFAULT_NOTICE_DAYS} days "
                       "(no exit clause)", "default")
    return EndDate(decided_on + timedelta(days=t.notice_days),
                   f"notice given on {decided_on.isoformat()} plus the exit clause's {t.notice_days} days", "clause")


def _expiry(decided_on: date, t: Terms) -> EndDate:
    if t.agreement_end is None:
        raise NoEndDate(Message("no agreement in force that names the member has an end date (effective_until or "
                                "a term that does not renew): give the end date"))
    return EndDate(t.agreement_end, f"its agreement ends on {t.agreement_end.isoformat()}", "agreement_end")


def _decision(decided_on: date, t: Terms) -> EndDate:
    return EndDate(decided_on, f"the decision of {decided_on.isoformat()} takes effect that day", "decision")


def _breach(decided_on: date, t: Terms) -> EndDate:
    days = DEFAULT_CURE_DAYS if t.cure_days is None else t.cure_days
    said = "the default" if t.cure_days is None else "a"
    return EndDate(decided_on + timedelta(days=days),
                   f"breach notified on {decided_on.isoformat()}, not cured in {said} {days}-day cure period", "cure")


def _control(decided_on: date, t: Terms) -> EndDate:
    return EndDate(decided_on + timedelta(days=DEFAULT_CONTROL_DAYS),
                   f"control changed on {decided_on.isoformat()}; membership ends {DEFAULT_CONTROL_DAYS} days later",
                   "control")


def _dissolution(decided_on: date, t: Terms) -> EndDate:
    # The dissolution service opens the case on the alliance's last trading day (its `decided_on`):
    # membership ends with the alliance's trade, whatever notice the agreements ask of a member.
    return EndDate(decided_on, f"the alliance is dissolved; its last trading day is {decided_on.isoformat()}",
                   "dissolution")


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    trigger: Trigger
    end_date: Callable[[date, Terms], EndDate]
    decided_by_body: bool     # opened by a decision (the expulsion effect) rather than by the coordinator's hand
    notice_by_member: bool    # the member itself gave the notice (its step's owner)


TRIGGERS: Mapping[Trigger, TriggerSpec] = {spec.trigger: spec for spec in (
    TriggerSpec(Trigger.VOLUNTARY, _voluntary, False, True),
    TriggerSpec(Trigger.EXPIRY, _expiry, False, False),
    TriggerSpec(Trigger.EXPULSION_VOTE, _decision, True, False),
    TriggerSpec(Trigger.RATING_ELIMINATION, _decision, True, False),
    TriggerSpec(Trigger.BREACH, _breach, False, False),
    TriggerSpec(Trigger.CHANGE_OF_CONTROL, _control, False, False),
    TriggerSpec(Trigger.INSOLVENCY, _decision, False, False),
    TriggerSpec(Trigger.DISSOLUTION, _dissolution, True, False),
)}


def parse_trigger(text: str) -> Trigger:
    try:
        return Trigger(str(text).strip().lower())
    except ValueError:
        raise InvalidInput(Message("{value!r} is not a trigger (one of: {choices})", value=str(text)[:40],
                                   choices=", ".join(t.value for t in Trigger))) from None


def end_date(trigger: Trigger, decided_on: date, terms: Terms, agreed: date | None = None) -> EndDate:
    """The day membership ends: `agreed` when the parties agreed one (it may not precede the trigger's
    day), else the trigger's rule."""
    if terms.cure_days is not None and not 0 <= terms.cure_days <= MAX_DAYS:
        raise InvalidInput(Message("a cure period is 0 to {most} days, not {days}", most=MAX_DAYS,
                                   days=terms.cure_days))
    if agreed is not None:
        if agreed < decided_on:
            raise InvalidInput(Message("the end date {end} is before the trigger's day {day}", end=agreed.isoformat(),
                                       day=decided_on.isoformat()))
        return EndDate(agreed, f"agreed end date {agreed.isoformat()}", "agreed")
    return TRIGGERS[trigger].end_date(decided_on, terms)
