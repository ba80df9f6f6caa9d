"""Read endpoints for alliances and their members."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.edge.deps import Code, Limit, Offset, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.api.schemas import AllianceList, AllianceOut, MemberList, MemberOut
from alliance.core.errors import AllianceError
from alliance.registry import service

router = APIRouter(prefix="/alliances", tags=["alliances"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such alliance", "content": {PROBLEM_JSON: {}}}}


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
