"""Alliances and their members: read them; change an alliance's details and status (its lifecycle)."""

from __future__ import annotations

from typing import Any

from datetime import date

from fastapi import APIRouter
from pydantic import Field

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.edge.deps import ActorDep, ClockDep, Code, Limit, Offset, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.api.schemas import AllianceList, AllianceOut, Body, MemberList, MemberOut
from alliance.core.errors import AllianceError
from alliance.registry import service

router = APIRouter(prefix="/alliances", tags=["alliances"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such alliance", "content": {PROBLEM_JSON: {}}}}
CHANGE_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((404, "no such alliance"), (409, "a status change the lifecycle does not allow, or the "
                                                       "alliance's state does not accept the change"),
                       (422, "invalid input"))
}


def _may_read(principal: Principal, alliance: str) -> bool:
    """Whether the alliance's record is the principal's to read (its role, alliance and scopes)."""
    try:
        authorize(principal, Action.READ_DIRECTORY, alliance)
    except AllianceError:
        return False
    return True


@router.get("", response_model=AllianceList)
def list_alliances(store: StoreDep, principal: PrincipalDep, limit: Limit = 100, offset: Offset = 0) -> AllianceList:
    """The alliances the key may read (all for a platform admin, else its own), by code, a page at a time."""
    visible = [a for a in service.list_alliances(store) if _may_read(principal, a.code)]
    return AllianceList(items=[AllianceOut.of(a) for a in visible[offset:offset + limit]], total=len(visible),
                        limit=limit, offset=offset)


@router.get("/{code}", response_model=AllianceOut, responses=NOT_FOUND)
def get_alliance(code: Code, store: StoreDep) -> AllianceOut:
    return AllianceOut.of(service.get_alliance(store, code))


@router.get("/{code}/members", response_model=MemberList, responses=NOT_FOUND)
def list_members(
    code: Code,
    store: StoreDep,
    limit: Limit = 100,
    offset: Offset = 0,
) -> MemberList:
    page = service.page_members(store, code, limit=limit, offset=offset)
    return MemberList(
        alliance=code, items=[MemberOut.of(m) for m in page.items], total=page.total,
        limit=page.limit, offset=page.offset,
    )


_STATUS = Field(default=None, max_length=16, description="forming, active, suspended, dissolving or dissolved.")
_DECIDED_BY = Field(default=None, max_length=200, description=(
    "The decision that made a status change, e.g. 'proposal 12' (every change but forming -> active is decided "
    "by the alliance; recorded in the ledger and the history)."))
_REASON = Field(default="", max_length=1000, description="Why, in a sentence (kept in the history).")


class AllianceChangeIn(Body):
    """Fields left out stay as they are; `planned_end: null` removes the planned end."""

    name: str | None = Field(default=None, max_length=200)
    charter: str | None = Field(default=None, max_length=100_000)
    planned_end: date | None = Field(default=None, description="Today or later, in the alliance's time zone.")
    status: str | None = _STATUS
    decided_by: str | None = _DECIDED_BY
    reason: str = _REASON


class StatusIn(Body):
    status: str = Field(min_length=1, max_length=16,
                        description="forming, active, suspended, dissolving or dissolved.")
    decided_by: str | None = _DECIDED_BY
    reason: str = _REASON


class ChangeOut(Body):
    changed_at: str
    actor: str
    field: str
    old: str | None
    new: str | None
    decided_by: str | None
    reason: str


class HistoryOut(Body):
    alliance: str
    items: list[ChangeOut]


@router.patch("/{code}", response_model=AllianceOut, responses=CHANGE_ERRORS)
def change_alliance(code: Code, body: AllianceChangeIn, store: StoreDep, clock: ClockDep, actor: ActorDep) -> AllianceOut:
    """Change the alliance's details (name, charter, planned end) and, with `status`, its state, all or
    nothing; each change is logged (GET .../history) and recorded in the ledger. The coordinator and
    the platform admin only."""
    edit = service.AllianceEdit(name=body.name, charter=body.charter, planned_end=body.planned_end,
                                clear_planned_end="planned_end" in body.model_fields_set and body.planned_end is None)
    return AllianceOut.of(service.edit_alliance(store, code, edit, actor, clock, status=body.status,
                                                decided_by=body.decided_by, reason=body.reason))


@router.post("/{code}/status", response_model=AllianceOut, responses=CHANGE_ERRORS)
def change_status(code: Code, body: StatusIn, store: StoreDep, clock: ClockDep, actor: ActorDep) -> AllianceOut:
    """Move the alliance along its lifecycle (forming -> active -> suspended -> dissolving ->
    dissolved). A dissolved alliance accepts no more writes (409 `alliance_not_writable`)."""
    return AllianceOut.of(service.change_status(store, code, body.status, actor, clock, decided_by=body.decided_by,
                                                reason=body.reason))


@router.get("/{code}/history", response_model=HistoryOut, responses=NOT_FOUND)
def history(code: Code, store: StoreDep) -> HistoryOut:
    """Every change of the alliance's details and status after founding, the latest first."""
    return HistoryOut(alliance=code, items=[
        ChangeOut(changed_at=c.changed_at.isoformat(), actor=c.actor, field=c.field, old=c.old_value, new=c.new_value,
                  decided_by=c.decided_by, reason=c.reason) for c in service.alliance_history(store, code)])
