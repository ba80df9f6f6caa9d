"""Disputes over HTTP: open, list, show, answer, withdraw; the neutral data report; evidence files;
the escalation ladder. The service decides per dispute who may read it (its parties, the
coordinator, auditors) and act on it (the parties' own accounts); anyone else gets a 404."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from alliance.api.schemas import Body, Day
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.edge.deps import ClockDep, Code, Id, PrincipalDep, StoreDep, StoresDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.governance import disputes

router = APIRouter(tags=["disputes"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((404, "not found"), (409, "already resolved"), (422, "invalid input"))
}


class EvidenceIn(Body):
    name: str = Field(min_length=1, max_length=255)
    content_base64: str = Field(description="The file's bytes, base64-encoded.")


class DisputeIn(Body):
    claimant: str = Field(min_length=1, max_length=32, description="The member the claim is made for (yours).")
    respondents: list[str] = Field(max_length=20)
    agreement: str = Field(min_length=1, max_length=32)
    version: int = Field(ge=1)
    rule: str = Field(min_length=1, max_length=64)
    days: list[Day] = Field(max_length=disputes.MAX_DAYS * 2, description="Settled days the claim concerns.")
    amount: str = Field(min_length=1, max_length=40, description="Decimal text in the alliance's currency.")
    statement: str = Field(max_length=disputes.MAX_STATEMENT)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=disputes.MAX_EVIDENCE_FILES * 2)


class AnswerIn(Body):
    respondent: str = Field(min_length=1, max_length=32)
    answer: str = Field(max_length=disputes.MAX_STATEMENT)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=disputes.MAX_EVIDENCE_FILES * 2)


class LadderIn(Body):
    levels: list[dict[str, Any]] = Field(min_length=1, max_length=10)
    response_days: int = 14
    ruling_days: int = 90


def _files(items: list[EvidenceIn]) -> list[tuple[str, bytes]]:
    found = []
    for n, item in enumerate(items, start=1):
        try:
            found.append((item.name, base64.b64decode(item.content_base64, validate=True)))
        except (binascii.Error, ValueError):
            raise InvalidInput(Message("evidence {n} ({name!r}): content_base64 is not base64", n=n,
                                       name=item.name)) from None
    return found


@router.get("/alliances/{code}/disputes", responses=ERRORS)
def list_disputes(code: Code, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    found = disputes.list_disputes(store, code, principal, clock)
    names = _body_names(store, code, principal) if any(d.level.body is not None for d in found) else {}
    return {"disputes": [_with_body(d.as_json(), d, names) for d in found]}


@router.post("/alliances/{code}/disputes", responses=ERRORS, status_code=201)
def open_dispute(code: Code, body: DisputeIn, stores: StoresDep, clock: ClockDep,
                 principal: PrincipalDep) -> dict[str, Any]:
    """Open a dispute for your member; the neutral data report is built and kept at once."""
    claim = disputes.Claim(claimant=body.claimant, respondents=body.respondents, agreement=body.agreement,
                           version=body.version, rule=body.rule, days=body.days, amount=body.amount,
                           statement=body.statement, evidence=_files(body.evidence))
    return disputes.open_dispute(stores, code, claim, principal, clock).as_json()


@router.get("/alliances/{code}/disputes/ladder", responses=ERRORS)
def ladder(code: Code, store: StoreDep) -> dict[str, Any]:
    return disputes.ladder_of(store, code).as_json()


@router.put("/alliances/{code}/disputes/ladder", responses=ERRORS)
def set_ladder(code: Code, body: LadderIn, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """The coordinator sets the alliance's ladder; disputes already open keep theirs."""
    return disputes.set_ladder(store, code, body.model_dump(), principal, clock).as_json()


@router.get("/alliances/{code}/disputes/{number}", responses=ERRORS)
def show(code: Code, number: Id, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """The dispute, where it stands, and the body that hears its current level (`level.body`: id and name, or null)."""
    view = disputes.show(store, code, number, principal, clock)
    return _with_body(view.as_json(), view, _body_names(store, code, principal) if view.level.body else {})


def _body_names(store: Any, code: str, principal: Any) -> dict[int, str]:
    """The alliance's bodies by id (its directory, which every role of the alliance reads)."""
    from alliance.governance import service_meetings

    return {b.id: b.name for b in service_meetings.list_bodies(store, code, principal)}


def _with_body(out: dict[str, Any], view: disputes.DisputeView, names: dict[int, str]) -> dict[str, Any]:
    """The dispute's JSON with the body that hears its current level: {"id", "name"}, or null."""
    body = view.level.body
    out["level"]["body"] = None if body is None else {"id": body, "name": names.get(body)}
    return out


@router.get("/alliances/{code}/disputes/{number}/report", responses=ERRORS)
def report(code: Code, number: Id, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> Response:
    """The neutral data report exactly as kept (canonical JSON: its SHA-256 is the one the ledger recorded)."""
    view = disputes.show(store, code, number, principal, clock)
    return Response(view.stored.report, media_type="application/json",
                    headers={"X-Report-SHA256": view.stored.report_sha256})


@router.get("/alliances/{code}/disputes/{number}/evidence/{sha256}", responses=ERRORS)
def evidence(code: Code, number: Id, sha256: str, store: StoreDep, clock: ClockDep,
             principal: PrincipalDep) -> Response:
    name, content = disputes.evidence_file(store, code, number, sha256.lower(), principal, clock)
    return Response(content, media_type="application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quoted(name)}"})


def _quoted(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


@router.post("/alliances/{code}/disputes/{number}/answer", responses=ERRORS)
def answer(code: Code, number: Id, body: AnswerIn, store: StoreDep, clock: ClockDep,
           principal: PrincipalDep) -> dict[str, Any]:
    return disputes.answer(store, code, number, body.respondent, body.answer, principal, clock,
                           evidence=_files(body.evidence)).as_json()


@router.post("/alliances/{code}/disputes/{number}/withdrawal", responses=ERRORS)
def withdraw(code: Code, number: Id, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> JSONResponse:
    return JSONResponse(disputes.withdraw(store, code, number, principal, clock).as_json())


class AppealIn(Body):
    member: str = Field(min_length=1, max_length=32, description="The party appealing (yours).")
    reason: str = Field(max_length=disputes.MAX_STATEMENT)


@router.post("/alliances/{code}/disputes/{number}/appeal", responses=ERRORS)
def appeal(code: Code, number: Id, body: AppealIn, store: StoreDep, clock: ClockDep,
           principal: PrincipalDep) -> dict[str, Any]:
    """A party appeals the ruling within its appeal window: the dispute goes up one level of its ladder."""
    return disputes.appeal(store, code, number, body.member, body.reason, principal, clock).as_json()
