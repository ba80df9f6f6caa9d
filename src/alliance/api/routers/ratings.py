"""Partner star ratings over HTTP (health.ratings.service): the table of stars, a member's own rating
with its explanation, settings, review import, runs, approvals, appeals and procedures.

Routes are authorised by edge.routes (the action) and again by the service. A member reads the
table of stars (no inputs) and its own rating; another member's rating is 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import Field

from alliance.api.schemas import Body
from alliance.edge.deps import ClockDep, Code, Id, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.health.ratings import engine, service
from alliance.store.ratings_repository import StoredProcedure, StoredRating

router = APIRouter(tags=["ratings"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "forbidden"), (404, "not found"), (409, "conflict"), (422, "invalid input"))
}
MemberCode = Annotated[str, Path(min_length=1, max_length=32)]
Exact = Annotated[str, Field(max_length=32)] | int | float  # a float is taken only to be refused by name


def rating_record(r: StoredRating) -> dict[str, Any]:
    return {"id": r.id, "member": r.member, "period": r.period, "score": r.explanation.get("score_shown"),
            "score_exact": r.score, "stars": r.stars, "previous_stars": r.previous_stars, "status": r.status,
            "needs_approval": r.needs_approval, "run_by": r.run_by, "run_at": r.run_at.isoformat(),
            "decided_by": r.decided_by, "effective_at": r.effective_at.isoformat() if r.effective_at else None,
            "explanation": r.explanation}


def procedure_record(p: StoredProcedure) -> dict[str, Any]:
    return {"id": p.id, "member": p.member, "rating": p.rating_id, "stage": p.stage, "opened_on": p.opened_on.isoformat(),
            "improvement_until": p.improvement_until.isoformat(), "appeal_reason": p.appeal_reason,
            "appeal_decision": p.appeal_decision, "review_rating": p.review_rating_id,
            "proposal": p.proposal_number, "outcome": p.outcome}


def settings_record(s: engine.Settings) -> dict[str, Any]:
    return s.as_json()


@router.get("/alliances/{code}/ratings", responses=ERRORS)
def get_table(code: Code, store: StoreDep, principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    """The table of stars: every current member's stars, period and trend (no inputs). The coordinator
    also sees which members have a rating pending approval or an elimination procedure."""
    rows = service.table(store, code, principal, clock)
    return {"items": [{"member": r.member, "name": r.name, "stars": r.stars, "period": r.period, "trend": r.trend,
                       "pending": r.pending, "procedure": r.procedure} for r in rows]}


@router.get("/alliances/{code}/ratings/members/{member}", responses=ERRORS)
def get_member_rating(code: Code, member: MemberCode, store: StoreDep, principal: PrincipalDep,
                      clock: ClockDep) -> dict[str, Any]:
    """A member's rating with its explanation, what it needs for the next tier, its benefits and its
    elimination procedure, if any (the member itself, the coordinator, the auditor)."""
    view = service.member_rating(store, code, member, principal, clock)
    advice = view.advice
    return {"member": view.member, "name": view.name,
            "current": rating_record(view.current) if view.current else None,
            "next_tier": None if advice is None else {
                "stars": advice.target_stars, "score_needed": engine.shown(advice.score_needed),
                "input": advice.input,
                "input_points": None if advice.input_points is None else engine.shown(advice.input_points)},
            "benefits": [str(b) for b in view.benefits], "next_benefits": [str(b) for b in view.next_benefits],
            "entitlements": [str(e) for e in view.entitlements],
            "procedure": procedure_record(view.procedure) if view.procedure else None, "may_appeal": view.may_appeal,
            "history": [rating_record(r) for r in view.history], "pending": [rating_record(r) for r in view.pending]}


@router.get("/alliances/{code}/ratings/settings", responses=ERRORS)
def get_settings(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """Weights, star thresholds, the risk rule, the procedure's days and the tiers' benefits."""
    return settings_record(service.settings_of(store, code, principal))


class WeightsIn(Body):
    groups: dict[str, Exact] = Field(description='{"reviews": "0.4", "fulfilment": "0.4", "innovation": "0.2"}')
    parts: dict[str, Exact] = Field(description='{"delivery": "0.7", "disputes": "0.3"}')


class ThresholdsIn(Body):
    thresholds: list[Exact] = Field(max_length=10, description="the lowest score of 2, 3, 4 and 5 stars")


class PolicyIn(Body):
    improvement_days: int = Field(ge=-10_000, le=10_000)
    grace_days: int = Field(ge=-10_000, le=10_000)
    appeal_days: int = Field(ge=-10_000, le=10_000)
    risk_move: int = Field(default=2, ge=-100, le=100)
    risk_floor: int = Field(default=1, ge=-100, le=100)


class BenefitsIn(Body):
    benefits: list[dict[str, Any]] = Field(max_length=100, description='[{"stars": 5, "kind": "marketing_subsidy", '
                                                                       '"amount": "5000.00"}]')


@router.put("/alliances/{code}/ratings/settings/weights", responses=ERRORS)
def put_weights(code: Code, body: WeightsIn, store: StoreDep, principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    """Both tables must sum to exactly 1 (422 rating_weights_invalid naming the sum; nothing stored)."""
    return settings_record(service.set_weights(store, code, principal, body.groups, body.parts, clock))


@router.put("/alliances/{code}/ratings/settings/thresholds", responses=ERRORS)
def put_thresholds(code: Code, body: ThresholdsIn, store: StoreDep, principal: PrincipalDep,
                   clock: ClockDep) -> dict[str, Any]:
    return settings_record(service.set_thresholds(store, code, principal, body.thresholds, clock))


@router.put("/alliances/{code}/ratings/settings/policy", responses=ERRORS)
def put_policy(code: Code, body: PolicyIn, store: StoreDep, principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    return settings_record(service.set_policy(store, code, principal, clock, improvement_days=body.improvement_days,
                                              grace_days=body.grace_days, appeal_days=body.appeal_days,
                                              move=body.risk_move, floor=body.risk_floor))


@router.put("/alliances/{code}/ratings/settings/benefits", responses=ERRORS)
def put_benefits(code: Code, body: BenefitsIn, store: StoreDep, principal: PrincipalDep,
                 clock: ClockDep) -> dict[str, Any]:
    return settings_record(service.set_benefits(store, code, principal, body.benefits, clock))


class ReviewIn(Body):
    member: str = Field(max_length=32)
    date: str = Field(max_length=32)
    stars: str | int = Field(description="1 to 5")
    reviewer: str | None = Field(default=None, max_length=2000)
    comment: str | None = Field(default=None, max_length=2000)


class ReviewsIn(Body):
    reviews: list[ReviewIn] = Field(max_length=100_000)


@router.post("/alliances/{code}/ratings/reviews", status_code=201, responses=ERRORS)
def post_reviews(code: Code, body: ReviewsIn, store: StoreDep, principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    """Import user reviews, all or none (422 review_import_invalid lists every bad row, counted from 1)."""
    rows = [[r.member, r.date, str(r.stars), r.reviewer or "", r.comment or ""] for r in body.reviews]
    count = service.import_reviews(store, code, principal, ["member", "date", "stars", "reviewer", "comment"], rows,
                                   clock, header_row=0)
    return {"imported": count}


class InnovationIn(Body):
    member: str = Field(max_length=32)
    period: str = Field(max_length=8, description="a quarter, e.g. 2027Q1")
    score: Exact


@router.post("/alliances/{code}/ratings/innovation", status_code=201, responses=ERRORS)
def post_innovation(code: Code, body: InnovationIn, store: StoreDep, principal: PrincipalDep,
                    clock: ClockDep) -> dict[str, Any]:
    value = service.enter_innovation(store, code, principal, body.member, body.period, body.score, clock)  # type: ignore[arg-type]
    return {"member": body.member, "period": body.period, "score": engine.shown(value)}


class RunIn(Body):
    period: str = Field(max_length=8, description="a quarter, e.g. 2027Q1")
    members: list[str] = Field(default_factory=list, max_length=10_000, description="default: every current member")


@router.post("/alliances/{code}/ratings/runs", status_code=201, responses=ERRORS)
def post_run(code: Code, body: RunIn, store: StoreDep, principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    """Rate members for a period; a rating the risk rule holds stays pending until another coordinator approves it."""
    return {"items": [rating_record(r) for r in service.run(store, code, principal, body.period, clock,
                                                            members=body.members or None)]}


@router.get("/alliances/{code}/ratings/pending", responses=ERRORS)
def get_pending(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"items": [rating_record(r) for r in service.pending(store, code, principal)]}


class DecisionIn(Body):
    approve: bool


@router.post("/alliances/{code}/ratings/approvals/{number}", responses=ERRORS)
def post_decision(code: Code, number: Id, body: DecisionIn, store: StoreDep, principal: PrincipalDep,
                  clock: ClockDep) -> dict[str, Any]:
    """Approve or reject a pending rating (409 rating_decision_refused for the account that ran it)."""
    return rating_record(service.decide(store, code, principal, number, body.approve, clock))


@router.get("/alliances/{code}/ratings/entitlements", responses=ERRORS)
def get_entitlements(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """What tiers entitle members to and someone must carry out (a subsidy to pay, a higher share to put
    into the next agreement version), the latest first."""
    return {"items": [{"member": m, "todo": str(t)} for m, t in service.entitlements(store, code, principal)]}


@router.get("/alliances/{code}/ratings/procedures", responses=ERRORS)
def get_procedures(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"items": [procedure_record(p) for p in service.procedures(store, code, principal)]}


class AppealIn(Body):
    reason: str = Field(max_length=4000)


@router.post("/alliances/{code}/ratings/members/{member}/appeal", responses=ERRORS)
def post_appeal(code: Code, member: MemberCode, body: AppealIn, store: StoreDep, principal: PrincipalDep,
                clock: ClockDep) -> dict[str, Any]:
    """The member appeals its elimination procedure (within the appeal days): it pauses until decided."""
    return procedure_record(service.appeal(store, code, member, body.reason, principal, clock))


class AppealDecisionIn(Body):
    grant: bool


@router.post("/alliances/{code}/ratings/procedures/{number}/appeal-decision", responses=ERRORS)
def post_appeal_decision(code: Code, number: Id, body: AppealDecisionIn, store: StoreDep,
                         principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    return procedure_record(service.decide_appeal(store, code, number, body.grant, principal, clock))


@router.post("/alliances/{code}/ratings/procedures/review", responses=ERRORS)
def post_review(code: Code, store: StoreDep, principal: PrincipalDep, clock: ClockDep) -> dict[str, Any]:
    """Review every procedure whose improvement period has ended (closed, or an exclusion proposal drafted)."""
    done = service.review_due(store, code, principal, clock)
    return {"items": [{**procedure_record(r.procedure), "review_stars": r.rating.stars,
                       "problem": str(r.problem) if r.problem else None} for r in done]}
