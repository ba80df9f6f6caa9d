"""Which change of a step is allowed, given what the case and the alliance look like now. Pure.

The service gathers the facts (running disputes, open days, the acknowledgements) and asks here;
every refusal is one of exits.errors, with nothing changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.exits.errors import (DaysOpen, ExitCaseClosed, HoldbackRequired, StatementFixed, StepNotByHand,
                                   StepNotWaivable)
from alliance.exits.model import COORDINATOR, MEMBER, SUCCESSOR, Case, Status, Step, StepKey

MAX_REASON = 1000
# Changed only by their own action: the notice (the trigger itself, done when the case opens), both
# acknowledgements (the final statement), recording the end, the erasure of the member's data (the data
# step: done by hand, it would say data was erased that was not). Reopening them by hand would leave a
# case that no action can finish (both parties have acknowledged; the member has left; the data is gone).
BY_ACTION = frozenset({StepKey.NOTICE, StepKey.FINAL_STATEMENT, StepKey.END, StepKey.DATA})


@dataclass(frozen=True, slots=True)
class Now:
    """What the rules need to know of the alliance today."""

    running_disputes: Sequence[int] = ()   # numbers of running disputes the member is a party to
    open_days: Sequence[date] = ()         # days through the end date not settled yet
    today: date | None = None              # in the alliance's time zone
    acknowledged: bool = False             # someone acknowledged the final statement already


def parse_step(text: str) -> StepKey:
    try:
        return StepKey(str(text).strip().lower())
    except ValueError:
        raise InvalidInput(Message("{value!r} is not a step (one of: {choices})", value=str(text)[:40],
                                   choices=", ".join(s.value for s in StepKey))) from None


def parse_status(text: str) -> Status:
    try:
        return Status(str(text).strip().lower())
    except ValueError:
        raise InvalidInput(Message("{value!r} is not a status (one of: {choices})", value=str(text)[:40],
                                   choices=", ".join(s.value for s in Status))) from None


def check_owner(owner: str, leaving: str, members: set[str]) -> str:
    """An owner as stored: the member, the coordinator, or a successor that is another current member."""
    owner = owner.strip()
    if owner in (MEMBER, COORDINATOR):
        return owner
    if owner.startswith(SUCCESSOR) and (code := owner[len(SUCCESSOR):].strip()) in members and code != leaving:
        return SUCCESSOR + code
    raise InvalidInput(Message("{owner!r} is not an owner: member, coordinator or successor:<code of another current "
                               "member>", owner=owner[:60]))


def change(case: Case, key: StepKey, status: Status, reason: str, now: Now, owner: str | None = None) -> Step:
    """The step after the change, or the refusal."""
    if case.status != "open":
        raise ExitCaseClosed(Message("exit case {case} is closed: its steps no longer change", case=case.number))
    step = case.step(key)
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput(Message("a reason is at most {most} characters", most=MAX_REASON))
    if status is Status.WAIVED:
        if not reason:
            raise InvalidInput(Message("say why the step is waived"))
        if key is StepKey.HOLDBACK and now.running_disputes:
            raise HoldbackRequired(_holdback_message(now))
        if not step.waivable:
            raise StepNotWaivable(Message("step {step} cannot be waived", step=key.value))
    if key in BY_ACTION and status is not step.status:
        raise StepNotByHand(Message("step {step} is done by its own action: {how}", step=key.value,
                                    how=_HOW[key]))
    if key is StepKey.SETTLEMENT and status is not Status.DONE and now.acknowledged:
        raise StatementFixed(Message("the final statement was acknowledged: the final settlement stays done"))
    if status is Status.DONE:
        if key is StepKey.HOLDBACK and now.running_disputes:
            raise HoldbackRequired(_holdback_message(now))
        if key is StepKey.SETTLEMENT and now.open_days:
            shown = ", ".join(d.isoformat() for d in list(now.open_days)[:5])
            raise DaysOpen(Message("{count} day(s) through {end} are not settled yet ({days}): settle them first",
                                   count=len(now.open_days), end=case.end_date.isoformat(), days=shown))
    if status is Status.FLAGGED and key is not StepKey.AGREEMENTS:
        raise InvalidInput(Message("only the agreements step is flagged"))
    return replace(step, status=status, reason=reason, owner=owner or step.owner)


_HOW = {StepKey.NOTICE: Message("opening the case (the trigger is the notice)"),
        StepKey.FINAL_STATEMENT: Message("both parties acknowledge the final statement"),
        StepKey.END: Message("record the end"),
        StepKey.DATA: Message("erase the member's data once the retrieval window has passed")}


def _holdback_message(now: Now) -> Message:
    return Message("dispute(s) {numbers} naming the member are still open: the holdback stays until they end",
                   numbers=", ".join(str(n) for n in now.running_disputes))
