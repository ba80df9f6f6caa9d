"""Domain errors, one class per kind of failure, each with a stable machine-readable code.

Adapters turn these into their own shape: the CLI prints one line (or a table of problems) and
exits non-zero, the API answers `application/problem+json` with `code` as an extension member.
Programming errors are not modelled here: they stay assertions and ordinary exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with user input: *where* it is, *what* field, *why* it is wrong."""

    where: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.reason}" if self.field else f"{self.where}: {self.reason}"


class AllianceError(Exception):
    """Base of every error the platform reports to a user."""

    code = "alliance_error"
    title = "Request failed"
    status = 400
    exit_code = 1

    # What the edge showing the error adds (the CLI: the flag that does it); services set none.
    hint = ""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(AllianceError):
    code = "not_found"
    title = "Not found"
    status = 404


class AllianceNotFound(NotFound):
    code = "alliance_not_found"
    title = "Alliance not found"

    def __init__(self, code: str) -> None:
        super().__init__(f"no alliance with code {code!r}")
        self.alliance_code = code


class MemberNotFound(NotFound):
    code = "member_not_found"
    title = "Member not found"

    def __init__(self, alliance_code: str, member_code: str) -> None:
        super().__init__(f"alliance {alliance_code!r} has no member with code {member_code!r}")


class Conflict(AllianceError):
    code = "conflict"
    title = "Conflict"
    status = 409
    exit_code = 2


class AlreadyStored(Conflict):
    """A row kept once (a unique key) was saved first by another writer. Raised by the store in place
    of the database driver's error; services catch it and say what it means."""

    code = "already_stored"
    title = "Saved at the same moment"


class InvalidInput(AllianceError):
    """User input was wrong; carries every problem found, not just the first."""

    code = "invalid_input"
    title = "Invalid input"
    status = 422
    exit_code = 2

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems: list[Problem] = list(problems or [])


class StoreUnavailable(AllianceError):
    """The database cannot be reached or opened."""

    code = "store_unavailable"
    title = "Database unavailable"
    status = 503
