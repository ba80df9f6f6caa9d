"""Proposals: what a body is asked to decide, its lifecycle and its vote, as values (pure: no I/O).

A proposal has a type (admit a member, change an agreement, approve a budget, a sanction, a ruling,
a change of the alliance's state, ...), a title and text, attachments kept by SHA-256, the body
that decides it, a discussion period and a voting window. Its lifecycle:

    draft -> discussion -> voting -> closed -> implemented
      \\-> withdrawn  <-/

- **draft**: its author edits it; nobody else of the body sees it yet.
- **discussion**: submitted; the body reads it and members may give their proxies; it cannot be
  edited any more (what is voted is what was discussed: its text's SHA-256 is fixed here).
- **voting**: opened at the end of the discussion period (by the clock, or earlier by the chair, a
  secretary or the coordinator). The decision rule and the eligible voters with their weights are
  **frozen** at this moment and kept with the proposal.
- **closed**: at the end of the voting window, by the clock, never earlier (a voter may count on the
  window); the tally is computed from the ballots and proxies and kept with its figures.
- **implemented**: what the outcome decided was done: at once where the outcome acts by itself
  (governance/effects/), else when its action items are done and the chair or coordinator says so.

Which transition is due at an instant is a pure function (`due`) of the proposal and the time, so
pages show the state the clock says even before the scheduler has written it, and every use case
first catches up (the same idea as the escalation ladder's `position`).

Secrecy, per proposal: **open** (who chose what is shown to the body), **hidden** (results and
choices shown only once the vote closes), **anonymous** (choices never linked to voters in any
page, API answer or export; turnout stays verifiable).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.core.messages import from_document, to_document
from alliance.governance.ballots import Choice
from alliance.governance.numbers import fraction_text
from alliance.ledger.coverage import ballot_digest, proposal_text_sha256, value_digest

TITLE_LIMIT = 200
TEXT_LIMIT = 50_000
MAX_WINDOW = timedelta(days=366)      # a discussion period or voting window at most a year long
MIN_VOTING = timedelta(minutes=10)    # a voting window shorter than this gives nobody a chance
DEFAULT_REMINDER = timedelta(hours=24)
MAX_ATTACHMENTS = 10
ATTACHMENT_LIMIT = 20 * 1024 * 1024


class ProposalStatus(StrEnum):
    DRAFT = "draft"
    DISCUSSION = "discussion"
    VOTING = "voting"
    CLOSED = "closed"
    IMPLEMENTED = "implemented"
    WITHDRAWN = "withdrawn"


class Secrecy(StrEnum):
    OPEN = "open"              # named: the body sees who chose what, as it happens
    HIDDEN = "hidden"          # results and choices hidden until the vote closes, then named
    ANONYMOUS = "anonymous"    # choices never linked to voters; turnout verifiable


STATUS_NAMES: Mapping[ProposalStatus, Message] = {
    ProposalStatus.DRAFT: Message("draft"),
    ProposalStatus.DISCUSSION: Message("open for discussion"),
    ProposalStatus.VOTING: Message("voting"),
    ProposalStatus.CLOSED: Message("closed"),
    ProposalStatus.IMPLEMENTED: Message("implemented"),
    ProposalStatus.WITHDRAWN: Message("withdrawn"),
}
SECRECY_NAMES: Mapping[Secrecy, Message] = {
    Secrecy.OPEN: Message("open (named)"),
    Secrecy.HIDDEN: Message("results hidden until the vote closes"),
    Secrecy.ANONYMOUS: Message("anonymous"),
}
TYPE_NAMES: Mapping[str, Message] = {
    "admit_member": Message("admit a member"),
    "change_agreement": Message("change an agreement"),
    "approve_budget": Message("approve a budget"),
    "sanction": Message("sanction"),
    "ruling": Message("ruling on a dispute"),
    "dissolve": Message("dissolve the alliance"),
    "change_status": Message("change the alliance's state"),
    "other": Message("other decision"),
    "exclude_member": Message("exclude a member"),
    "confirm_milestone": Message("confirm a project milestone"),
}
CHOICE_NAMES: Mapping[Choice, Message] = {
    Choice.YES: Message("yes"),
    Choice.NO: Message("no"),
    Choice.ABSTAIN: Message("abstain"),
    Choice.BLOCK: Message("block"),
    Choice.OBJECTION: Message("objection"),
}


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    sha256: str
    size: int
    added_by: str
    added_at: datetime


@dataclass(frozen=True)
class Proposal:
    """A proposal as stored. `rule`/`rule_params`/`electorate` are None until voting opens;
    `outcome` until it closes. Times are UTC-aware."""

    id: int
    number: int                     # per alliance, as people cite it ("proposal 12")
    body_id: int
    type: str
    title: str
    text: str
    params: Mapping[str, Any]       # what the outcome acts on (its effect's parameters)
    secrecy: Secrecy
    vote_changes: bool              # a voter may change its vote while the vote is open
    status: ProposalStatus
    author: str                     # the account that drafted it
    author_member: str | None       # the member it drafted for, if a member's account
    created_at: datetime
    discussion_until: datetime | None
    voting_until: datetime | None
    reminder: timedelta
    meeting_id: int | None = None   # the meeting that votes it (rules counted on members present)
    submitted_at: datetime | None = None
    voting_opened_at: datetime | None = None
    closed_at: datetime | None = None
    implemented_at: datetime | None = None
    reminded_at: datetime | None = None
    text_sha256: str | None = None
    rule: str | None = None
    rule_params: Mapping[str, Any] | None = None
    electorate: Mapping[str, str] | None = None    # member -> weight as exact text, frozen at the opening
    outcome: Mapping[str, Any] | None = None
    effect: Mapping[str, Any] | None = None        # what acting on the outcome did (a message document)
    attachments: tuple[Attachment, ...] = ()

    @property
    def outcome_status(self) -> str | None:
        return None if self.outcome is None else str(self.outcome.get("status"))

    @property
    def passed(self) -> bool:
        return self.outcome_status == "passed"

    @property
    def label(self) -> str:
        return f"proposal {self.number}"


@dataclass(frozen=True, slots=True)
class StoredBallot:
    id: int                 # the order the store accepted ballots in: the tally's sequence
    voter: str
    choice: Choice
    by: str | None          # the proxy holder who cast it, or None in person
    cast_by: str            # the account
    cast_at: datetime
    salt: str               # hides the choice in the ledger's digest until it is shown

    def digest(self, number: int) -> str:
        return ballot_digest(number, self.voter, self.choice, self.id, self.by, self.salt)


@dataclass(frozen=True, slots=True)
class StoredProxy:
    id: int
    giver: str
    holder: str
    given_by: str
    given_at: datetime
    revoked_by: str | None = None
    revoked_at: datetime | None = None

    @property
    def in_force(self) -> bool:
        return self.revoked_at is None


def text_sha256(title: str, text: str) -> str:
    """The SHA-256 of what is voted: title and text (fixed at submission, recorded in the ledger)."""
    return proposal_text_sha256(title, text)


def new_salt() -> str:
    return secrets.token_hex(16)


def ballots_sha256(number: int, ballots: Sequence[StoredBallot]) -> str:
    """One digest over every ballot of a vote, in the order accepted (recorded when it closes)."""
    return value_digest([b.digest(number) for b in sorted(ballots, key=lambda b: b.id)])


# -- the clock ----------------------------------------------------------------------------------------

class Due(StrEnum):
    OPEN_VOTING = "open_voting"
    CLOSE = "close"


def due(proposal: Proposal, now: datetime) -> list[tuple[Due, datetime]]:
    """The transitions the clock has made due at `now`, in order, each with the instant it fell due.
    A discussion whose period ended opens voting; a vote whose window ended closes."""
    steps: list[tuple[Due, datetime]] = []
    status = proposal.status
    if status is ProposalStatus.DISCUSSION and proposal.discussion_until is not None \
            and proposal.discussion_until <= now:
        steps.append((Due.OPEN_VOTING, proposal.discussion_until))
        status = ProposalStatus.VOTING
    if status is ProposalStatus.VOTING and proposal.voting_until is not None and proposal.voting_until <= now:
        steps.append((Due.CLOSE, proposal.voting_until))
    return steps


def voting_open(proposal: Proposal, now: datetime) -> bool:
    """Whether a ballot may be cast at `now`: the vote is open and its window has not ended."""
    return (proposal.status is ProposalStatus.VOTING and proposal.voting_until is not None
            and now < proposal.voting_until)


def reminder_due(proposal: Proposal, now: datetime) -> bool:
    return (proposal.status is ProposalStatus.VOTING and proposal.reminded_at is None
            and proposal.voting_until is not None and proposal.voting_until - proposal.reminder <= now
            and now < proposal.voting_until)


def results_visible(proposal: Proposal) -> bool:
    """Whether the running figures may be shown: an open vote at any time, others once closed."""
    if proposal.status in (ProposalStatus.CLOSED, ProposalStatus.IMPLEMENTED):
        return True
    return proposal.secrecy is Secrecy.OPEN and proposal.status is ProposalStatus.VOTING


def choices_visible(proposal: Proposal) -> bool:
    """Whether who chose what may be shown: never for an anonymous vote."""
    return proposal.secrecy is not Secrecy.ANONYMOUS and results_visible(proposal)


def check_window(now: datetime, discussion_until: datetime | None, voting_until: datetime | None,
                 problems: list[Problem]) -> None:
    """A discussion that ends after now (or none: voting opens on submission), and a voting window
    that ends at least MIN_VOTING after voting opens, neither longer than a year."""
    opens = max(discussion_until or now, now)
    if discussion_until is not None:
        if discussion_until <= now:
            problems.append(Problem(Message("proposal"), "discussion_until", Message(
                "the discussion period must end after now ({now})", now=now.isoformat(timespec="minutes"))))
        elif discussion_until - now > MAX_WINDOW:
            problems.append(Problem(Message("proposal"), "discussion_until", Message(
                "the discussion period may last at most a year")))
    if voting_until is None:
        problems.append(Problem(Message("proposal"), "voting_until", Message("give the end of the voting window")))
    elif voting_until - opens < MIN_VOTING:
        problems.append(Problem(Message("proposal"), "voting_until", Message(
            "the voting window must end at least {minutes} minutes after voting opens ({opens})",
            minutes=int(MIN_VOTING.total_seconds() // 60), opens=opens.isoformat(timespec="minutes"))))
    elif voting_until - opens > MAX_WINDOW:
        problems.append(Problem(Message("proposal"), "voting_until", Message("the voting window may last at most a year")))


def outcome_document(outcome: Any) -> dict[str, Any]:
    """A tally's Outcome as JSON to keep with the proposal and record in the ledger: every figure as
    an exact fraction text ("2/3"), the percentages beside them, the counts, and the reasons as
    message documents (shown later in the reader's language). An anonymised outcome names nobody."""
    def text(value: Any) -> str | None:
        return None if value is None else fraction_text(value)

    return {
        "status": str(outcome.status), "rule": outcome.rule, "settings": dict(outcome.settings),
        "weighted": outcome.weighted, "anonymous": outcome.anonymous,
        "figures": {name: text(getattr(outcome, name)) for name in (
            "yes", "no", "abstain", "block", "objection", "eligible", "present", "participation", "quorum",
            "support", "measure", "threshold")},
        "percentages": {name: None if value is None else str(value) for name, value in outcome.percentages().items()},
        "heads": {str(choice): count for choice, count in outcome.heads.items()},
        "eligible_voters": outcome.eligible_voters, "voters": outcome.voters, "proxy_votes": outcome.proxy_votes,
        "proxy_votes_lost": outcome.proxy_votes_lost,
        "stopped_by": list(outcome.stopped_by),
        "by_proxy": [list(pair) for pair in outcome.by_proxy],
        "proxy_not_counted": [list(pair) for pair in outcome.proxy_not_counted],
        "choices": {member: str(choice) for member, choice in sorted(outcome.choices.items())},
        "reasons": [{"text": str(r), "message": to_document(r)} for r in outcome.reasons],
    }


def outcome_reasons(document: Mapping[str, Any]) -> list[str]:
    """The reasons of a kept outcome, as messages again (said in the reader's language by the edges)."""
    return [from_document(r.get("message"), str(r.get("text", ""))) for r in document.get("reasons", [])]
