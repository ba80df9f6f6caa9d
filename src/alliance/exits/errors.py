"""The exit case's refusals, each with a stable code (web/errors.py EXPLANATIONS says them on pages)."""

from __future__ import annotations

from alliance.core.errors import Conflict, NotFound
from alliance.core.messages import Message


class ExitCaseNotFound(NotFound):
    """No such case, or another member's (a member's people see only their own)."""

    code = "exit_case_not_found"
    title = Message("No such exit case")


class ExitCaseOpen(Conflict):
    """The member already has an open exit case: one at a time."""

    code = "exit_case_open"
    title = Message("An exit case is already open")


class ExitCaseClosed(Conflict):
    code = "exit_case_closed"
    title = Message("Exit case closed")


class HoldbackRequired(Conflict):
    """The holdback cannot be waived (or released) while a dispute naming the member is open."""

    code = "exit_holdback_required"
    title = Message("Holdback required")


class StepNotWaivable(Conflict):
    code = "exit_step_not_waivable"
    title = Message("This step cannot be waived")


class StepNotByHand(Conflict):
    """The final statement is done by both acknowledgements, the end by recording it: not by hand."""

    code = "exit_step_not_by_hand"
    title = Message("This step is done by its own action")


class DaysOpen(Conflict):
    """Days through the end date are still open: the final settlement is not done."""

    code = "exit_days_open"
    title = Message("Days not settled yet")


class EndNotReached(Conflict):
    code = "exit_end_not_reached"
    title = Message("End date not reached")


class StatementNotFinal(Conflict):
    """The final statement is acknowledged once every day through the end date is settled."""

    code = "exit_statement_not_final"
    title = Message("Final statement not final yet")


class StatementChanged(Conflict):
    code = "exit_statement_changed"
    title = Message("The final statement changed")


class StatementFixed(Conflict):
    """Once acknowledged, the final settlement stays done: the statement is what was acknowledged."""

    code = "exit_statement_fixed"
    title = Message("Final statement acknowledged")


class WindowOpen(Conflict):
    """The data step is done after the retrieval window, never inside it."""

    code = "exit_window_open"
    title = Message("Retrieval window still open")


class DataErased(Conflict):
    """The data step is done by the erasure, once: a second erasure is refused."""

    code = "exit_data_erased"
    title = Message("Data already erased")


class MemberNotLeft(Conflict):
    """A member's data is erased only after it has left (and its retrieval window has passed)."""

    code = "exit_member_not_left"
    title = Message("Member has not left yet")
