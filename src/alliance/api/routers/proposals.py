"""Proposals and votes over HTTP. The service decides per proposal who may read it (the members
with a seat in its body, the coordinator, auditors; a draft only its author) and act on it (a
ballot or proxy only through the voting member's own account); anyone else gets a 404. An
anonymous vote's answers name no voter, for any caller."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from pydantic import Field

from alliance.api.schemas import Body
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, Id, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.governance import service_proposals as proposals
from alliance.governance.proposal_json import summary_json, view_json
from alliance.governance.proposals import MAX_ATTACHMENTS

router = APIRouter(tags=["proposals"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "not yours to do"), (404, "not found"), (409, "not at this stage or outside the window"),
                       (422, "invalid input"))
}


class AttachmentIn(Body):
    name: str = Field(min_length=1, max_length=255)
    content_base64: str = Field(description="The file's bytes, base64-encoded.")


class ProposalIn(Body):
    body: int | None = Field(default=None, ge=1, description="The deciding body's id (required for a new proposal).")
    type: str | None = Field(default=None, max_length=32, description="admit_member, change_agreement, approve_budget, "
                             "sanction, ruling, dissolve, change_status or other.")
    title: str | None = Field(default=None, max_length=400)
    text: str | None = Field(default=None, max_length=100_000)
    params: dict[str, Any] | None = Field(default=None, description="What the outcome acts on, by type.")
    secrecy: str | None = Field(default=None, description="open, hidden (results after closing) or anonymous.")
    vote_changes: bool | None = None
    discussion_until: datetime | None = Field(default=None, description="With its offset; omit with no_discussion.")
    voting_until: datetime | None = None
    no_discussion: bool = False
    reminder_hours: int | None = Field(default=None, ge=0, le=720)
    meeting: int | None = Field(default=None, ge=1)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=MAX_ATTACHMENTS * 2)


class BallotIn(Body):
    choice: str = Field(min_length=1, max_length=16, description="yes, no, abstain (block, objection where the rule has them).")
    member: str | None = Field(default=None, max_length=32, description="The member voting (yours by default).")
    for_member: str | None = Field(default=None, alias="for", max_length=32,
                                   description="Cast the vote of this member, whose proxy `member` holds.")


class ProxyIn(Body):
    holder: str = Field(min_length=1, max_length=32, description="The member you give your vote to.")
    giver: str | None = Field(default=None, max_length=32, description="The member giving (yours by default).")


def _draft(body: ProposalIn) -> proposals.Draft:
    files = []
    for n, item in enumerate(body.attachments, start=1):
        try:
            files.append((item.name, base64.b64decode(item.content_base64, validate=True)))
        except (binascii.Error, ValueError):
            raise InvalidInput(Message("attachment {n} ({name!r}): content_base64 is not base64", n=n,
                                       name=item.name)) from None
    return proposals.Draft(body_id=body.body, type=body.type, title=body.title, text=body.text, params=body.params,
                           secrecy=body.secrecy, vote_changes=body.vote_changes, discussion_until=body.discussion_until,
                           voting_until=body.voting_until, no_discussion=body.no_discussion,
                           reminder_hours=body.reminder_hours, meeting_id=body.meeting, attachments=files)


def _view(store: Any, code: str, number: int, principal: Any, clock: Any) -> dict[str, Any]:
    return view_json(proposals.show(store, code, number, principal, clock))


@router.get("/alliances/{code}/proposals", responses=ERRORS)
def list_proposals(code: Code, store: StoreDep, principal: PrincipalDep, body: int | None = Query(None, ge=1),
                   status: str | None = Query(None, max_length=16), limit: int = Query(50, ge=1, le=200),
                   offset: int = Query(0, ge=0)) -> dict[str, Any]:
    """The proposals of the bodies you may read, newest first (drafts: only yours)."""
    page = proposals.list_proposals(store, code, principal, body_id=body, status=status, limit=limit, offset=offset)
    return {"proposals": [summary_json(p, b) for p, b in page.proposals], "total": page.total,
            "offset": page.offset, "limit": page.limit}


@router.post("/alliances/{code}/proposals", responses=ERRORS, status_code=201)
def draft(code: Code, body: ProposalIn, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """Draft a proposal (seen only by you until you submit it)."""
    made = proposals.draft(store, code, principal, _draft(body), clock)
    return _view(store, code, made.number, principal, clock)


@router.get("/alliances/{code}/proposals/{number}", responses=ERRORS)
def show(code: Code, number: Id, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    return _view(store, code, number, principal, clock)


@router.patch("/alliances/{code}/proposals/{number}", responses=ERRORS)
def revise(code: Code, number: Id, body: ProposalIn, store: StoreDep, clock: ClockDep,
           principal: PrincipalDep) -> dict[str, Any]:
    """Change a draft (only a draft: what is discussed and voted is never edited)."""
    proposals.revise(store, code, number, principal, _draft(body), clock)
    return _view(store, code, number, principal, clock)


@router.post("/alliances/{code}/proposals/{number}/submission", responses=ERRORS)
def submit(code: Code, number: Id, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    proposals.submit(store, code, number, principal, clock)
    return _view(store, code, number, principal, clock)


@router.post("/alliances/{code}/proposals/{number}/withdrawal", responses=ERRORS)
def withdraw(code: Code, number: Id, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    proposals.withdraw(store, code, number, principal, clock)
    return _view(store, code, number, principal, clock)


@router.post("/alliances/{code}/proposals/{number}/voting", responses=ERRORS)
def open_voting(code: Code, number: Id, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """Open the vote before the discussion period ends (chair, secretary, coordinator)."""
    proposals.open_voting(store, code, number, principal, clock)
    return _view(store, code, number, principal, clock)


@router.post("/alliances/{code}/proposals/{number}/ballots", responses=ERRORS, status_code=201)
def cast(code: Code, number: Id, body: BallotIn, store: StoreDep, clock: ClockDep,
         principal: PrincipalDep) -> dict[str, Any]:
    """Vote (again, where changing a vote is allowed: the latest ballot counts)."""
    ballot = proposals.cast(store, code, number, principal, body.choice, clock, member=body.member,
                            for_member=body.for_member)
    return {"sequence": ballot.id, "voter": ballot.voter, "by": ballot.by, "cast_at": ballot.cast_at.isoformat()}


@router.post("/alliances/{code}/proposals/{number}/proxies", responses=ERRORS, status_code=201)
def give_proxy(code: Code, number: Id, body: ProxyIn, store: StoreDep, clock: ClockDep,
               principal: PrincipalDep) -> dict[str, Any]:
    given = proposals.give_proxy(store, code, number, principal, body.holder, clock, giver=body.giver)
    return {"giver": given.giver, "holder": given.holder, "given_at": given.given_at.isoformat()}


@router.delete("/alliances/{code}/proposals/{number}/proxies/{giver}", responses=ERRORS)
def revoke_proxy(code: Code, number: Id, giver: str, store: StoreDep, clock: ClockDep,
                 principal: PrincipalDep) -> dict[str, Any]:
    revoked = proposals.revoke_proxy(store, code, number, principal, clock, giver=giver)
    return {"giver": revoked.giver, "holder": revoked.holder, "revoked_at": (revoked.revoked_at or clock.now()).isoformat()}


@router.post("/alliances/{code}/proposals/{number}/implementation", responses=ERRORS)
def implement(code: Code, number: Id, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """Mark an accepted proposal implemented (or act on it again after a refusal)."""
    proposals.implement(store, code, number, principal, clock)
    return _view(store, code, number, principal, clock)


@router.get("/alliances/{code}/proposals/{number}/attachments/{sha256}", responses=ERRORS)
def attachment(code: Code, number: Id, sha256: str, store: StoreDep, principal: PrincipalDep) -> Response:
    name, content = proposals.attachment(store, code, number, sha256.lower(), principal)
    return Response(content, media_type="application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}"})


@router.get("/alliances/{code}/reminders", responses=ERRORS)
def reminders(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """The votes your member was reminded of and has not voted in yet."""
    return {"reminders": [{"proposal": n, "sent_at": at.isoformat()}
                          for n, at in proposals.reminders(store, code, principal)]}
