"""Warning rules over HTTP: rules (versioned; YAML/JSON import and export, the article's defaults),
the warnings firing now and their history, silences, and an evaluation on demand. Every role of the
alliance reads (a member's people only their member's firings and the alliance-wide ones); the
coordinator manages rules and silences. The rule format: docs/health.md ("Warning rules")."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from typing import Annotated

from fastapi import APIRouter, Path, Response
from fastapi import Body as Payload
from pydantic import Field

from alliance.api.schemas import Body
from alliance.edge.deps import ClockDep, Code, Id, PrincipalDep, StoreDep
from alliance.edge.problems import PROBLEM_JSON
from alliance.health.warnings import evaluation, service
from alliance.store.warning_repository import StoredSilence

router = APIRouter(tags=["warnings"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM_JSON: {}}}
    for code, text in ((404, "not found"), (409, "exists already, or over"), (422, "invalid input"))
}
RuleId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
RULE_EXAMPLE = {"id": "resource-idle", "name": {"zh": "资源闲置率过高", "en": "Resources idle"},
                "kpi": "resource_idle_rate", "condition": {"kind": "above", "threshold": "0.15"}, "for": 2,
                "severity": "warning", "actions": [{"kind": "agenda_item", "body": "joint_committee"}]}


class ImportIn(Body):
    document: str = Field(max_length=512 * 1024, description="A rules document, YAML or JSON (docs/health.md).")
    format: Literal["yaml", "json"] | None = None


class SilenceIn(Body):
    rule: str = Field(min_length=1, max_length=64)
    member: str | None = Field(default=None, max_length=32, description="Only this member's alert; all if absent.")
    reason: str = Field(max_length=service.REASON_LIMIT)
    expires_at: datetime = Field(description="When the silence ends by itself (with its time zone; in the future).")
    starts_at: datetime | None = None


def _silence(s: StoredSilence, now: datetime) -> dict[str, Any]:
    return {"id": s.id, "rule": s.rule_id, "member": s.member, "reason": s.reason, "starts_at": s.starts_at.isoformat(),
            "expires_at": s.expires_at.isoformat(), "created_by": s.created_by, "active": s.active(now),
            "ended_at": s.ended_at.isoformat() if s.ended_at else None, "ended_by": s.ended_by}


@router.get("/alliances/{code}/warnings/rules", responses=ERRORS)
def list_rules(code: Code, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"rules": [v.as_json() for v in service.list_rules(store, code, principal)]}


@router.post("/alliances/{code}/warnings/rules", responses=ERRORS, status_code=201)
def add_rule(code: Code, store: StoreDep, clock: ClockDep, principal: PrincipalDep,
             rule: dict[str, Any] = Payload(examples=[RULE_EXAMPLE])) -> dict[str, Any]:
    """Add a rule (the format of docs/health.md, as JSON)."""
    [view] = service.save_rules(store, code, principal, [rule], clock, mode="add")
    return view.as_json()


@router.get("/alliances/{code}/warnings/rules/{rule_id}", responses=ERRORS)
def show_rule(code: Code, rule_id: RuleId, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    current, versions = service.get_rule(store, code, principal, rule_id)
    return {**current.as_json(), "versions": [v.as_json() for v in versions]}


@router.put("/alliances/{code}/warnings/rules/{rule_id}", responses=ERRORS)
def edit_rule(code: Code, rule_id: RuleId, store: StoreDep, clock: ClockDep, principal: PrincipalDep,
              rule: dict[str, Any] = Payload(examples=[RULE_EXAMPLE])) -> dict[str, Any]:
    """Change a rule: a new version (the old ones are kept)."""
    [view] = service.save_rules(store, code, principal, [{**rule, "id": rule_id}], clock, mode="edit")
    return view.as_json()


@router.post("/alliances/{code}/warnings/rules/{rule_id}/enable", responses=ERRORS)
def enable(code: Code, rule_id: RuleId, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    return service.set_enabled(store, code, principal, rule_id, True, clock).as_json()


@router.post("/alliances/{code}/warnings/rules/{rule_id}/disable", responses=ERRORS)
def disable(code: Code, rule_id: RuleId, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    return service.set_enabled(store, code, principal, rule_id, False, clock).as_json()


@router.post("/alliances/{code}/warnings/import", responses=ERRORS)
def import_rules(code: Code, body: ImportIn, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """Every rule of a YAML / JSON document, all or nothing (each problem names rule, field and line)."""
    views = service.import_rules(store, code, principal, body.document, clock, body.format)
    return {"rules": [v.as_json() for v in views]}


@router.get("/alliances/{code}/warnings/export", response_class=Response,
            responses={**ERRORS, 200: {"content": {"application/yaml": {}, "application/json": {}}}})
def export_rules(code: Code, store: StoreDep, principal: PrincipalDep, format: Literal["yaml", "json"] = "yaml") -> Response:
    text = service.export_rules(store, code, principal, format)
    return Response(text, media_type="application/json" if format == "json" else "application/yaml")


@router.post("/alliances/{code}/warnings/defaults", responses=ERRORS)
def install_defaults(code: Code, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """The article's rules, for the ids the alliance does not have yet."""
    return {"rules": [v.as_json() for v in service.install_defaults(store, code, principal, clock)]}


@router.get("/alliances/{code}/warnings/firing", responses=ERRORS)
def firing(code: Code, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """The warnings firing now, one group per rule with the members concerned."""
    return {"groups": [{"rule": g.rule.id, "name": g.rule.name.model_dump(), "severity": g.rule.severity,
                        "members": g.members, "since": g.since.isoformat(), "silenced": g.silenced,
                        "firings": [f.as_json() for f in g.firings]}
                       for g in service.firing_now(store, code, principal, clock)]}


@router.get("/alliances/{code}/warnings/history", responses=ERRORS)
def history(code: Code, store: StoreDep, clock: ClockDep, principal: PrincipalDep,
            rule: str | None = None) -> dict[str, Any]:
    return {"firings": [f.as_json() for f in service.history(store, code, principal, clock, rule_id=rule)]}


@router.get("/alliances/{code}/warnings/silences", responses=ERRORS)
def silences(code: Code, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"silences": [_silence(s, clock.now()) for s in service.list_silences(store, code, principal)]}


@router.post("/alliances/{code}/warnings/silences", responses=ERRORS, status_code=201)
def add_silence(code: Code, body: SilenceIn, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    found = service.add_silence(store, code, principal, rule_id=body.rule, member=body.member, reason=body.reason,
                                expires_at=body.expires_at, clock=clock, starts_at=body.starts_at)
    return _silence(found, clock.now())


@router.delete("/alliances/{code}/warnings/silences/{silence_id}", responses=ERRORS)
def end_silence(code: Code, silence_id: Id, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """End a silence before its expiry."""
    return _silence(service.end_silence(store, code, principal, silence_id, clock), clock.now())


@router.post("/alliances/{code}/warnings/evaluation", responses={
    **ERRORS, 503: {"description": "the indicator series cannot be read", "content": {PROBLEM_JSON: {}}}})
def evaluate(code: Code, store: StoreDep, clock: ClockDep, principal: PrincipalDep) -> dict[str, Any]:
    """Evaluate the alliance's rules for the latest completed period now (a period already evaluated: nothing)."""
    return evaluation.evaluate_as(store, code, principal, clock).as_json()
