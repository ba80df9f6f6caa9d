"""Read endpoints for alliances and their members."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from alliance.access.roles import Role
from alliance.api.deps import Code, PrincipalDep, StoreDep
from alliance.api.problems import PROBLEM_JSON
from alliance.api.schemas import AllianceList, AllianceOut, MemberList, MemberOut
from alliance.registry import service

router = APIRouter(prefix="/alliances", tags=["alliances"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such alliance", "content": {PROBLEM_JSON: {}}}}


@router.get("", response_model=AllianceList)
def list_alliances(store: StoreDep, principal: PrincipalDep) -> AllianceList:
    """The alliances the key may see: all for a platform admin, else its own."""
    items = [AllianceOut.of(a) for a in service.list_alliances(store)
             if principal.role is Role.PLATFORM_ADMIN or a.code == principal.alliance]
    return AllianceList(items=items, total=len(items))


@router.get("/{code}", response_model=AllianceOut, responses=NOT_FOUND)
def get_alliance(code: Code, store: StoreDep) -> AllianceOut:
    return AllianceOut.of(service.get_alliance(store, code))


@router.get("/{code}/members", response_model=MemberList, responses=NOT_FOUND)
def list_members(
    code: Code,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0,
) -> MemberList:
    page = service.page_members(store, code, limit=limit, offset=offset)
    return MemberList(
        alliance=code, items=[MemberOut.of(m) for m in page.items], total=page.total,
        limit=page.limit, offset=page.offset,
    )
