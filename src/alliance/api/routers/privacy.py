"""Private set intersection over HTTP: sharing levels per partner, sessions, consent, the relay of
blinded messages (raw bytes, `application/octet-stream`) and each member's access log. Every route
names the member it acts for; the platform never receives an identifier."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import Field

from alliance.api.schemas import Body
from alliance.core.paging import Page
from alliance.edge.deps import ActorDep, ClockDep, Code, Id, Limit, Offset, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.privacy import service

router = APIRouter(tags=["privacy"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((404, "no such alliance, member, session or message"),
                       (409, "not allowed by the sharing levels, not this step of the session, a replayed message, "
                             "or an expired session"),
                       (422, "invalid request, a list below the minimum size, or bytes that are no PSI message"),
                       (429, "the pair has opened its sessions for today"))
}
Member = Annotated[str, Path(min_length=1, max_length=32)]
Seq = Annotated[int, Path(ge=1, le=7, description="1 the request, 2 the setup, 3 the response; list mode: 4 and 5 "
                                                   "the session public keys, 6 and 7 the encrypted fields")]
BASE = "/alliances/{code}/members/{member}/psi"


class LevelIn(Body):
    level: Literal["hidden", "count", "list", "full"]
    fields: list[str] = Field(default_factory=list, max_length=100,  # the service allows 10 and says so
                              description="At list: the names of your own columns shared for overlapping customers "
                                          "(at most 10, 1-40 characters each); full shares every column.")


class SessionIn(Body):
    partner: str = Field(min_length=1, max_length=32)
    mode: Literal["count", "list"] = "count"
    kind: Literal["phone", "email", "credit_code", "name"]


class AnswerIn(Body):
    consent: bool


class ResultIn(Body):
    overlap: int = Field(ge=0, le=2_147_483_647)


@router.get(BASE + "/levels", responses=ERRORS)
def levels(code: Code, member: Member, store: StoreDep) -> dict[str, Any]:
    """The member's sharing level toward each partner, the partner's toward it, and the one in force."""
    return {"member": member, "levels": service.levels(store, code, member)}


@router.put(BASE + "/levels/{partner}", responses=ERRORS)
def set_level(code: Code, member: Member, partner: Member, body: LevelIn, store: StoreDep, clock: ClockDep,
              actor: ActorDep) -> dict[str, Any]:
    """Set the member's level toward one partner: hidden, count, list (with the fields it shares) or full
    (the stricter side wins)."""
    chosen = service.set_level(store, code, member, partner, body.level, actor, clock, body.fields)
    shown = next(r for r in service.levels(store, code, member) if r["partner"] == partner)
    return {"member": member, "partner": partner, "level": chosen.value, "fields": shown["my_fields"]}


@router.post(BASE + "/sessions", status_code=201, responses=ERRORS)
def open_session(code: Code, member: Member, body: SessionIn, store: StoreDep, clock: ClockDep,
                 actor: ActorDep) -> dict[str, Any]:
    """Open a session toward a partner; the member runs the protocol's server role."""
    found = service.open_session(store, code, member, body.partner, body.mode, body.kind, actor, clock)
    return service.Described(found).as_json()


@router.get(BASE + "/sessions", responses=ERRORS)
def list_sessions(code: Code, member: Member, store: StoreDep, clock: ClockDep, limit: Limit = 100,
                  offset: Offset = 0) -> dict[str, Any]:
    """The member's sessions, newest first."""
    found = service.sessions(store, code, member, clock)  # a pair opens at most a few a day
    page = Page(found[offset:offset + limit], len(found), limit, offset)
    return page.as_json([service.Described(s).as_json() for s in page.items])


@router.get(BASE + "/sessions/{session_id}", responses=ERRORS)
def get_session(code: Code, member: Member, session_id: Id, store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    """One session of the member's: its mode, kind, salt, normalisation, step and result."""
    return service.Described(service.session(store, code, session_id, member, clock)).as_json()


@router.post(BASE + "/sessions/{session_id}/answer", responses=ERRORS)
def answer(code: Code, member: Member, session_id: Id, body: AnswerIn, store: StoreDep, clock: ClockDep,
           actor: ActorDep) -> dict[str, Any]:
    """The partner consents to the session, or refuses it."""
    return service.Described(service.answer(store, code, session_id, member, body.consent, actor, clock)).as_json()


@router.put(BASE + "/sessions/{session_id}/messages/{seq}", responses=ERRORS)
async def post_message(code: Code, member: Member, session_id: Id, seq: Seq, request: Request, store: StoreDep,
                       clock: ClockDep, actor: ActorDep) -> dict[str, int]:
    """Relay one blinded protocol message (the raw bytes of the body), in its turn."""
    body = await request.body()
    return service.post_message(store, code, session_id, seq, member, body, actor, clock)


@router.get(BASE + "/sessions/{session_id}/messages/{seq}", responses=ERRORS,
            response_class=Response)
def get_message(code: Code, member: Member, session_id: Id, seq: Seq, store: StoreDep, clock: ClockDep) -> Response:
    """A relayed message's bytes, for either side of the session, until the session is done."""
    return Response(service.message(store, code, session_id, seq, member, clock),
                    media_type="application/octet-stream")


@router.post(BASE + "/sessions/{session_id}/result", responses=ERRORS)
def result(code: Code, member: Member, session_id: Id, body: ResultIn, store: StoreDep, clock: ClockDep,
           actor: ActorDep) -> dict[str, Any]:
    """The partner's client reports the overlap's size; the relayed messages are emptied."""
    return service.Described(service.report(store, code, session_id, member, body.overlap, actor, clock)).as_json()


@router.post(BASE + "/sessions/{session_id}/cancel", responses=ERRORS)
def cancel(code: Code, member: Member, session_id: Id, store: StoreDep, clock: ClockDep,
           actor: ActorDep) -> dict[str, Any]:
    """Either side stops a session that is not done; the relayed messages are emptied."""
    return service.Described(service.cancel(store, code, session_id, member, actor, clock)).as_json()


@router.get(BASE + "/access-log", responses=ERRORS)
def access_log(code: Code, member: Member, store: StoreDep, limit: Limit = 100,
               offset: Offset = 0) -> list[dict[str, Any]]:
    """Every step of every session the member took part in: who, when, what (never an identifier)."""
    return [{"session": e.session_id, "partner": e.partner, "actor": e.actor, "at": e.at.isoformat(),
             "event": e.event, "detail": e.detail} for e in service.access_log(store, code, member, limit, offset)]
