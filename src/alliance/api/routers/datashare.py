"""Shared views over HTTP: publish, list, query (rows and groups), revoke, and the access log; a
differentially private view's budget (read, and changed by its publisher)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field

from alliance.access.policy import Action, authorize
from alliance.edge.deps import (ActorDep, ClockDep, Code, Id, Limit, Offset, PrincipalDep, StoreDep, StoresDep,
                               require_csrf_for_sessions)
from alliance.edge.problems import PROBLEM_JSON
from alliance.api.schemas import Body
from alliance.core.paging import Page
from alliance.datashare import joint_service, service
from alliance.datashare.cleanroom import MAX_AGGREGATES, MAX_FILTERS, MAX_GROUP_BY, MAX_VIEWS, MIN_VIEWS
from alliance.datashare.views import DEFAULT_FUNCTIONS, DEFAULT_K, FUNCTIONS, MAX_PAGE
from alliance.datashare.budget import party_of
from alliance.store.datashare_repository import StoredView
from alliance.access.roles import Principal
from alliance.core.errors import AllianceNotFound, NotFound
from alliance.core.messages import Message
from alliance.datashare.service import ViewNotFound

router = APIRouter(tags=["data sharing"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((404, "no such alliance, member or view"),
                       (409, "already revoked; rows of a private view; the privacy budget does not allow the query"),
                       (422, "invalid view or query"))
}


class BoundIn(Body):
    lower: str = Field(default="0", max_length=32, description="The least one line adds to a sum (default 0).")
    upper: str = Field(min_length=1, max_length=32, description="The most one line adds to a sum.")


class PrivacyIn(Body):
    budget: str = Field(min_length=1, max_length=32, description="ε each querying party may spend per period.")
    period: str = Field(default="month", max_length=8, description="day | week | month, in the alliance's time zone.")
    query_epsilon: str | None = Field(default=None, max_length=32,
                                      description="ε a query spends when it names none (default 0.1).")
    bounds: dict[Annotated[str, Field(max_length=64)], BoundIn] = Field(
        default_factory=dict, max_length=20, description="Per summed field: the clamp of one line's value.")

    def raw(self) -> dict[str, Any]:
        return {"budget": self.budget, "period": self.period, "query_epsilon": self.query_epsilon,
                "bounds": {f: {"lower": b.lower, "upper": b.upper} for f, b in self.bounds.items()}}


class ViewIn(Body):
    member: str = Field(min_length=1, max_length=32, description="The publishing member (its data).")
    name: str = Field(min_length=1, max_length=100)
    dataset: str = Field(default="sales", max_length=32)
    fields: dict[Annotated[str, Field(max_length=64)], str] = Field(
        max_length=50, description="field -> visible | aggregate | dimension | join | hidden; fields not named are hidden.")
    k: int = Field(default=DEFAULT_K, ge=2, le=1_000_000, description="Smallest group an aggregate answer shows.")
    functions: list[Annotated[str, Field(max_length=16)]] = Field(
        default=list(DEFAULT_FUNCTIONS), max_length=len(FUNCTIONS),
        description="Aggregate functions the view allows on its numeric fields: sum, avg (count always).")
    privacy: PrivacyIn | None = Field(default=None, description="Differential privacy of the view's group answers "
                                                                "(then it shares no rows).")


class JointQueryIn(Body):
    views: list[Annotated[int, Field(ge=1, le=2_147_483_647)]] = Field(min_length=MIN_VIEWS, max_length=MAX_VIEWS,
                             description="The shared views joined, of different members.")
    join: str = Field(min_length=1, max_length=64, description="The column every view declares `join`.")
    group_by: list[Annotated[str, Field(max_length=80)]] = Field(
        default=[], max_length=MAX_GROUP_BY, description="`field` or `<view>.field`: a dimension or text aggregate.")
    aggregates: list[Annotated[str, Field(max_length=90)]] = Field(
        default=[], max_length=MAX_AGGREGATES, description="`sum:<view>.field`, `avg:field`; counts are always given.")
    filter: list[Annotated[str, Field(max_length=200)]] = Field(
        default=[], max_length=MAX_FILTERS, description="`<view>.field=value` (>=, <=) on dimensions only.")


def _out(view: StoredView) -> dict[str, Any]:
    return {"id": view.id, "member": view.member, "name": view.name, "dataset": view.dataset, "fields": view.policies,
            "k": view.k, "functions": ["count", *(DEFAULT_FUNCTIONS if view.functions is None else view.functions)],
            "created_at": view.created_at.isoformat(), "created_by": view.created_by, "privacy": view.privacy}


@router.post("/alliances/{code}/views", status_code=201, responses=ERRORS)
def publish(code: Code, body: ViewIn, store: StoreDep, clock: ClockDep, principal: PrincipalDep, actor: ActorDep) -> dict[str, Any]:
    """Publish a view of one member's data with a policy per field."""
    authorize(principal, Action.ACT_FOR_MEMBER, code, body.member)
    return _out(service.publish(store, code, body.member, body.name, body.dataset, body.fields, body.k, actor, clock,
                                functions=body.functions,
                                privacy=None if body.privacy is None else body.privacy.raw()))


@router.get("/alliances/{code}/views", responses=ERRORS)
def list_views(code: Code, store: StoreDep, clock: ClockDep, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    """The views shared in the alliance now, oldest first, a page at a time (revoked ones, and
    those of members who left, are gone at once)."""
    shared = service.views(store, code, clock)
    page = Page(shared[offset:offset + limit], len(shared), limit, offset)
    return page.as_json([_out(v) for v in page.items])


@router.post("/alliances/{code}/views/joint-query", responses=ERRORS)
def joint_query(code: Code, body: JointQueryIn, stores: StoresDep, clock: ClockDep, actor: ActorDep) -> dict[str, Any]:
    """Join views of different members on a column each declares `join`, and answer counts and
    allowed aggregates per group under the strictest rules of the views (clean-room rules): groups
    of fewer than k distinct join keys, or fewer than k lines of any view, are withheld. Written to
    the access log of every view involved."""
    return joint_service.joint_query(stores, code, body.views, join=body.join, group_by=body.group_by,
                                     aggregates=body.aggregates, filters=body.filter, actor=actor, clock=clock)


@router.get("/alliances/{code}/views/{view_id}/rows", responses=ERRORS)
def rows(code: Code, view_id: Id, request: Request, stores: StoresDep, clock: ClockDep, actor: ActorDep,
         filter: Annotated[list[str], Query(max_length=20, description="field=value, field>=value, field<=value")] = [],  # noqa: B006
         sort: Annotated[str | None, Query(max_length=64, description="a visible field, '-' first for descending")] = None,
         limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
         cursor: Annotated[str | None, Query(max_length=200)] = None) -> dict[str, Any]:
    """Rows with the visible fields only; `next_cursor` fetches the next page."""
    require_csrf_for_sessions(request)
    page = service.rows(stores, code, view_id, filters=filter, sort=sort, limit=limit, cursor=cursor,
                        actor=actor, clock=clock)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/alliances/{code}/views/{view_id}/groups", responses=ERRORS)
def groups(code: Code, view_id: Id, request: Request, stores: StoresDep, clock: ClockDep, actor: ActorDep,
           principal: PrincipalDep,
           group_by: Annotated[list[str], Query(max_length=1)] = [],  # noqa: B006
           epsilon: Annotated[str | None, Query(max_length=32, description="ε this query spends (a differentially "
                                                "private view; default: the view's per-query ε)")] = None,
           ) -> dict[str, Any]:
    """Counts and sums per group of one field (or in total), for groups of at least k lines only;
    on a differentially private view, noised, with each figure's 95% error bound and ε spent and left."""
    require_csrf_for_sessions(request)
    return service.groups(stores, code, view_id, group_by=group_by, actor=actor, clock=clock,
                          party=party_of(principal.member, principal.role.value), epsilon=epsilon)


@router.get("/alliances/{code}/views/{view_id}/budget", responses=ERRORS)
def budget(code: Code, view_id: Id, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """This party's privacy budget of a differentially private view in the current period: budget,
    spent, remaining; the publishing member also sees every party's spend (`by_party`)."""
    found = service.shared_view(store, code, view_id, clock)
    publisher = principal.member == found.member and principal.alliance == code
    return service.budget(store, code, view_id, party_of(principal.member, principal.role.value), clock,
                          publisher=publisher)


@router.put("/alliances/{code}/views/{view_id}/privacy", responses=ERRORS)
def change_privacy(code: Code, view_id: Id, body: PrivacyIn, store: StoreDep, clock: ClockDep,
                   principal: PrincipalDep) -> dict[str, Any]:
    """The publisher changes a private view's budget, per-query ε or bounds: a lowering applies at
    once; a raise waits for the next period when anything was spent in this one."""
    _authorize_for_view(principal, Action.ACT_FOR_MEMBER, code, service.shared_view(store, code, view_id, clock))
    return _out(service.change_privacy(store, code, view_id, body.raw(), clock))


def _authorize_for_view(principal: Principal, action: Action, code: str, view: StoredView) -> None:
    """Authorise an act on another member's view; refused, the 404 names the view (the object the
    path names), exactly as for a view that does not exist, never the policy's "statement" or "member"."""
    try:
        authorize(principal, action, code, view.member)
    except NotFound as exc:
        if isinstance(exc, AllianceNotFound):
            raise
        raise ViewNotFound(Message("alliance {alliance!r} shares no view {view}", alliance=code, view=view.id)) from None


@router.delete("/alliances/{code}/views/{view_id}", status_code=204, responses=ERRORS)
def revoke(code: Code, view_id: Id, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> None:
    """Stop sharing a view, at once."""
    _authorize_for_view(principal, Action.ACT_FOR_MEMBER, code, service.view(store, code, view_id, revoked_ok=True))
    service.revoke(store, code, view_id, clock)


@router.get("/alliances/{code}/views/{view_id}/access-log", responses=ERRORS)
def access_log(code: Code, view_id: Id, store: StoreDep, principal: PrincipalDep,
               limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
               offset: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0) -> list[dict[str, Any]]:
    """Who queried the view, when, how, and how much came back (for the publishing member)."""
    _authorize_for_view(principal, Action.READ_MEMBER_DATA, code, service.view(store, code, view_id, revoked_ok=True))
    return [{"accessed_by": a.accessed_by, "accessed_at": a.accessed_at.isoformat(), "kind": a.kind, "query": a.query,
             "returned": a.returned} for a in service.access_log(store, code, view_id, limit, offset)]
