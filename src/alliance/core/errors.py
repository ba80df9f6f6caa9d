"""Domain errors, one class per kind of failure, each with a stable machine-readable code.

Adapters turn these into their own shape: the CLI prints one line (or a table of problems) and
exits non-zero, the API answers `application/problem+json` with `code` as an extension member.
Programming errors are not modelled here: they stay assertions and ordinary exceptions.

Messages, titles and a problem's parts are `Message`s (core/messages.py): English as strings, and
said in the user's language by the web and the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Sequence

from alliance.core.messages import Message


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with user input: *where* it is, *what* field, *why* it is wrong."""

    where: str
    field: str
    reason: str

    def text(self) -> Message:
        """The whole problem as one message ("line 3: amount: not a number"), in any language."""
        if self.field:
            return Message("{where}: {field}: {reason}", where=self.where, field=self.field, reason=self.reason)
        return Message("{where}: {reason}", where=self.where, reason=self.reason)

    def detail(self) -> Message | str:
        """The problem without where it is ("amount: not a number"), for a form that shows it beside
        the field it is about."""
        if self.field:
            return Message("{field}: {reason}", field=self.field, reason=self.reason)
        return self.reason

    def __str__(self) -> str:
        return str(self.text())


class AllianceError(Exception):
    """Base of every error the platform reports to a user."""

    code = "alliance_error"
    title = Message("Request failed")
    status = 400
    exit_code = 1

    # What the edge showing the error adds (the CLI: the flag that does it); services set none.
    hint = ""
    # Each thing found wrong, where an error finds several (a file's rows, a stage's open items, the
    # metrics already recorded otherwise): the API lists them as problem+json `errors`.
    problems: Sequence[Problem] = ()

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(AllianceError):
    code = "not_found"
    title = Message("Not found")
    status = 404


class AllianceNotFound(NotFound):
    code = "alliance_not_found"
    title = Message("Alliance not found")

    def __init__(self, code: str) -> None:
        super().__init__(Message("no alliance with code {code!r}", code=code))
        self.alliance_code = code


class MemberNotFound(NotFound):
    code = "member_not_found"
    title = Message("Member not found")

    def __init__(self, alliance_code: str, member_code: str) -> None:
        super().__init__(Message("alliance {alliance_code!r} has no member with code {member_code!r}",
                                 alliance_code=alliance_code, member_code=member_code))


class Conflict(AllianceError):
    code = "conflict"
    title = Message("Conflict")
    status = 409
    exit_code = 2


class AlreadyStored(Conflict):
    """A row kept once (a unique key) was saved first by another writer. Raised by the store in place
    of the database driver's error; services catch it and say what it means."""

    code = "already_stored"
    title = Message("Saved at the same moment")


class InvalidInput(AllianceError):
    """User input was wrong; carries every problem found, not just the first."""

    code = "invalid_input"
    title = Message("Invalid input")
    status = 422
    exit_code = 2

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems: list[Problem] = list(problems or [])


class StoreUnavailable(AllianceError):
    """The database cannot be reached or opened."""

    code = "store_unavailable"
    title = Message("Database unavailable")
    status = 503
