"""Project milestones over HTTP: list them, record one with its evidence, confirm or reject it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from alliance.api.schemas import Body
from alliance.edge.deps import ClockDep, Code, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.sharing import milestone_service
from alliance.sharing.milestone_service import MilestoneRule
from alliance.sharing.milestones import Milestone

router = APIRouter(tags=["milestones"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((403, "not yours to do"), (404, "not found"), (409, "not in a state that allows it"),
                       (422, "invalid"))
}


def record_json(m: Milestone) -> dict[str, Any]:
    return {"id": m.id, "agreement": m.agreement, "rule": m.rule_id, "version": m.version, "status": m.status.value,
            "evidence": [{"name": e.name, "sha256": e.sha256} for e in m.evidence], "recorded_by": m.recorded_by,
            "recorded_at": m.recorded_at.isoformat(), "decided_by": m.decided_by,
            "decided_at": m.decided_at.isoformat() if m.decided_at else None, "note": m.note,
            "booked_on": m.booked_on.isoformat() if m.booked_on else None}


def rule_json(m: MilestoneRule) -> dict[str, Any]:
    p = m.rule.params
    return {"agreement": m.agreement, "version": m.version, "rule": m.rule.id, "milestone": p.milestone,
            "evidence_required": p.evidence, "confirmed_by": m.confirmed_by, "amount": p.amount.amount_text(),
            "currency": p.amount.currency, "payer": p.payer, "payee": p.payee,
            "current": record_json(m.current) if m.current else None}


@router.get("/alliances/{code}/milestones", responses=ERRORS)
def list_milestones(code: Code, store: StoreDep) -> dict[str, Any]:
    """Every milestone rule of the agreements' latest signed versions with its current record, and
    every record (rejected ones too) in the order they were made."""
    return {"milestones": [rule_json(m) for m in milestone_service.milestone_rules(store, code)],
            "records": [record_json(m) for m in milestone_service.history(store, code)]}


class EvidenceIn(Body):
    name: str = Field(min_length=1, max_length=200)
    sha256: str = Field(min_length=64, max_length=64, description="The file's SHA-256, lowercase hex.")


class RecordIn(Body):
    evidence: list[EvidenceIn] = Field(min_length=1, max_length=20)


@router.post("/alliances/{code}/agreements/{agreement}/milestones/{rule}", status_code=201, responses=ERRORS)
def record(code: Code, agreement: Code, rule: Code, body: RecordIn, store: StoreDep, clock: ClockDep,
           principal: PrincipalDep) -> dict[str, Any]:
    """Record that the milestone was reached, with its evidence (files by SHA-256): the coordinator
    or one of the agreement's parties (the service decides)."""
    return record_json(milestone_service.record(store, code, agreement, rule, [(e.name, e.sha256) for e in body.evidence],
                                                clock, principal=principal))


class DecisionIn(Body):
    confirm: bool
    note: str = Field(default="", max_length=2000, description="Required when rejecting: why.")


@router.post("/alliances/{code}/agreements/{agreement}/milestones/{rule}/decision", responses=ERRORS)
def decide(code: Code, agreement: Code, rule: Code, body: DecisionIn, store: StoreDep, clock: ClockDep,
           principal: PrincipalDep) -> dict[str, Any]:
    """Confirm or reject the recorded milestone, as whom its rule names (the service decides: the
    party's account or its attorney, the auditor; the committee only by a proposal)."""
    return record_json(milestone_service.decide(store, code, agreement, rule, body.confirm, body.note, clock,
                                                principal=principal))
