"""Warning rules in the browser: the warnings firing now, the rules (a form a coordinator fills in
without any YAML: KPI, condition, threshold, periods, severity, actions), their history, silences
(with a reason and an expiry; ended early), and YAML / JSON import and export for power users with
every problem shown by line. `health/_warnings_panel.html` is the fragment the health dashboard
includes (with `warning_groups` = `service.firing_now(...)`).

Who may do what is decided by `health.warnings.service` (every role reads, a member's people only
the firings of their member and the alliance-wide ones; the coordinator manages).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.access.policy import Action
from alliance.core.errors import InvalidInput
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.health.warnings import evaluation, service
from alliance.health.warnings.actions import ACTIONS
from alliance.health.warnings.conditions import CONDITIONS
from alliance.health.warnings.rules import DEFAULT_KPIS, GRANULARITIES, SEVERITIES
from alliance.registry import service as registry
from alliance.web.i18n import N_
from alliance.web.render import render, say_for
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)

KPI_NAMES = {
    "meeting_attendance": N_("Meeting attendance"), "decision_speed": N_("Decision execution speed"),
    "information_sharing": N_("Information-sharing quality"), "settlement_disputes": N_("Settlement disputes"),
    "shared_customer_growth": N_("Shared customer growth"), "shared_revenue_growth": N_("Shared revenue growth"),
    "joint_patents": N_("Joint patents"), "cost_saved": N_("Cost saved"),
    "resource_contribution": N_("On-time resource contributions"), "market_influence": N_("Market influence"),
    "learning": N_("Learning"), "risk_resilience": N_("Risk resilience"),
    "collaboration_entropy": N_("Collaboration entropy"), "resource_idle_rate": N_("Resource idle rate"),
    "public_sentiment": N_("Public sentiment"), "goal_drift": N_("Goal drift"),
    "communication_frequency": N_("Communication frequency"), "manager_turnover": N_("Manager turnover"),
}
SEVERITY_NAMES = {"info": N_("Information"), "warning": N_("Warning"), "critical": N_("Critical")}
GRANULARITY_NAMES = {"week": N_("Week"), "month": N_("Month"), "quarter": N_("Quarter")}
SCOPE_NAMES = {"member": N_("Each member"), "alliance": N_("The alliance as a whole")}
BAND_NAMES = {"red": N_("Red"), "amber": N_("Amber or worse")}
STATUS_NAMES = {"firing": N_("Firing"), "silenced": N_("Silenced"), "resolved": N_("Resolved")}
# Form fields a problem's dotted field path is shown beside.
FIELD_OF = {"name.zh": "name_zh", "name.en": "name_en", "runbook.zh": "runbook_zh", "runbook.en": "runbook_en",
            "incident_kind": "incident_kind", "title.zh": "incident_title_zh", "title.en": "incident_title_en"}


def _base(code: str) -> str:
    return f"/alliances/{code}/health/warnings"


def _local(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M}"


def _context(store: Any, code: str, viewer: Viewer) -> dict[str, Any]:
    alliance = registry.get_alliance(store, code)
    return {"alliance": alliance, "section": "health", "kpi_names": KPI_NAMES, "severity_names": SEVERITY_NAMES,
            "granularity_names": GRANULARITY_NAMES, "scope_names": SCOPE_NAMES, "band_names": BAND_NAMES,
            "status_names": STATUS_NAMES, "conditions": CONDITIONS, "actions": ACTIONS,
            "may_manage": viewer.may(Action.MANAGE_WARNINGS, code),
            "when": lambda moment: _local(moment, alliance.timezone)}


@router.get("/alliances/{code}/health/warnings", response_class=HTMLResponse)
async def warnings_page(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> HTMLResponse:
    return await _main_page(request, code, store, clock, viewer)


async def _main_page(request: Request, code: str, store: Any, clock: Any, viewer: Viewer, *, status: int = 200,
                     silence_form: dict[str, str] | None = None,
                     silence_problems: list[Any] | None = None) -> HTMLResponse:
    def load() -> dict[str, Any]:
        context = _context(store, code, viewer)
        context["warning_groups"] = service.firing_now(store, code, viewer.principal, clock)
        context["rules"] = service.list_rules(store, code, viewer.principal)
        context["silences"] = service.list_silences(store, code, viewer.principal) if context["may_manage"] else []
        context["members"] = [m.code for m in registry.list_members(store, code) if m.active]
        return context

    context = await run_in_threadpool(load)
    expires = (clock.now() + timedelta(days=7)).astimezone(ZoneInfo(context["alliance"].timezone))
    return render(request, "health/warnings.html", status=status, now=clock.now(),
                  silence_form=silence_form or {"expires": f"{expires:%Y-%m-%d}"},
                  silence_problems=silence_problems or [], **context)


@router.get("/alliances/{code}/health/warnings/history", response_class=HTMLResponse)
async def history_page(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer,
                       rule: str | None = None) -> HTMLResponse:
    def load() -> dict[str, Any]:
        context = _context(store, code, viewer)
        context["firings"] = service.history(store, code, viewer.principal, clock, rule_id=rule)
        return context

    return render(request, "health/warning_history.html", rule_filter=rule, **await run_in_threadpool(load))


# -- the rule editor -------------------------------------------------------------------------------

def _form_of(rule: Any | None) -> dict[str, Any]:
    """The editor's values for a rule (or a new one's defaults)."""
    if rule is None:
        return {"kind": "above", "granularity": "week", "for": "1", "keep_firing_for": "0", "severity": "warning",
                "scope": "member", "owner": "coordinator", "notify": "on", "enabled": "on", "band": "red",
                "periods": "4"}
    c = rule.condition
    form: dict[str, Any] = {"id": rule.id, "name_zh": rule.name.zh, "name_en": rule.name.en, "kpi": rule.kpi,
                            "scope": rule.scope, "kind": c.kind, "granularity": rule.granularity,
                            "for": str(rule.for_periods), "keep_firing_for": str(rule.keep_firing_for),
                            "severity": rule.severity, "owner": rule.owner, "runbook_zh": rule.runbook.zh,
                            "runbook_en": rule.runbook.en, "enabled": "on" if rule.enabled else "", "band": "red",
                            "periods": "4"}
    for name in CONDITIONS[c.kind].fields:
        form[name] = str(getattr(c, name))
    for action in rule.actions:
        form[action.kind] = "on"
        form.update(ACTIONS[action.kind].to_form(action))
    return form


def _rule_of(form: dict[str, str], rule_id: str | None) -> dict[str, Any]:
    """A rule document from the editor's fields (the service checks it)."""
    kind = form.get("kind", "")
    condition: dict[str, Any] = {"kind": kind}
    for name in CONDITIONS[kind].fields if kind in CONDITIONS else ():
        if form.get(name, "").strip():
            condition[name] = form[name].strip()
    actions = [kind.from_form(form) for name, kind in ACTIONS.items() if form.get(name)]

    def whole(name: str) -> Any:
        text = form.get(name, "").strip()
        return int(text) if text.isdigit() else text  # anything else is named by the rule's own check

    return {"id": (rule_id or form.get("id", "")).strip(),
            "name": {"zh": form.get("name_zh", "").strip(), "en": form.get("name_en", "").strip()},
            "kpi": form.get("kpi", ""), "scope": form.get("scope", ""), "condition": condition,
            "granularity": form.get("granularity", ""), "for": whole("for"),
            "keep_firing_for": whole("keep_firing_for"), "severity": form.get("severity", ""),
            "owner": form.get("owner", "").strip(),
            "runbook": {"zh": form.get("runbook_zh", "").strip(), "en": form.get("runbook_en", "").strip()},
            "actions": actions, "enabled": bool(form.get("enabled"))}


def _errors(exc: InvalidInput) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for problem in exc.problems:
        field = problem.field
        name = FIELD_OF.get(field) or FIELD_OF.get(".".join(field.split(".")[-2:])) or field.split(".")[-1]
        found.setdefault(name, problem.detail())
    return found


def _editor_context(store: Any, code: str, viewer: Viewer) -> dict[str, Any]:
    from alliance.governance import service_meetings

    context = _context(store, code, viewer)
    context["members"] = [m.code for m in registry.list_members(store, code) if m.active]
    try:
        bodies = service_meetings.list_bodies(store, code, viewer.principal)
    except Exception:  # noqa: BLE001 - the body list is a convenience; the rule names the body as text
        bodies = []
    context["bodies"] = [b.name for b in bodies] or ["joint_committee"]
    context["kpis"] = sorted(set(DEFAULT_KPIS) | set(KPI_NAMES))
    context["granularities"], context["severities"] = GRANULARITIES, SEVERITIES
    return context


async def _editor(request: Request, store: Any, code: str, viewer: Viewer, *, rule_id: str | None,
                  form: dict[str, Any], status: int = 200, problems: list[Any] | None = None,
                  errors: dict[str, Any] | None = None, versions: list[Any] | None = None) -> HTMLResponse:
    context = await run_in_threadpool(_editor_context, store, code, viewer)
    say = say_for(request)  # beside its field, a problem is said in the page's language
    return render(request, "health/warning_rule.html", status=status, rule_id=rule_id, form=form,
                  problems=problems or [], errors={k: say(v) for k, v in (errors or {}).items()},
                  versions=versions or [], **context)


@router.get("/alliances/{code}/health/warnings/rules/new", response_class=HTMLResponse)
async def new_rule(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return await _editor(request, store, code, viewer, rule_id=None, form=_form_of(None))


@router.get("/alliances/{code}/health/warnings/rules/{rule_id}", response_class=HTMLResponse)
async def edit_rule(request: Request, code: Code, rule_id: str, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    current, versions = await run_in_threadpool(service.get_rule, store, code, viewer.principal, rule_id)
    return await _editor(request, store, code, viewer, rule_id=rule_id, form=_form_of(current.rule),
                         versions=versions)


async def _save(request: Request, store: Any, clock: Any, code: str, viewer: Viewer, rule_id: str | None) -> Response:
    form = {k: str(v)[:4000] for k, v in (await request.form()).items() if isinstance(v, str)}
    document = _rule_of(form, rule_id)
    try:
        await run_in_threadpool(service.save_rules, store, code, viewer.principal, [document], clock,
                                mode="edit" if rule_id else "add")
    except InvalidInput as exc:
        return await _editor(request, store, code, viewer, rule_id=rule_id, form=form, status=422,
                             problems=[p.text() for p in exc.problems] or [exc.message], errors=_errors(exc))
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}{_base(code)}#rules", status_code=303)


@router.post("/alliances/{code}/health/warnings/rules/new", response_class=HTMLResponse)
async def add_rule(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    return await _save(request, store, clock, code, viewer, None)


@router.post("/alliances/{code}/health/warnings/rules/{rule_id}", response_class=HTMLResponse)
async def change_rule(request: Request, code: Code, rule_id: str, store: StoreDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    return await _save(request, store, clock, code, viewer, rule_id)


async def _enabled(request: Request, store: Any, clock: Any, code: str, viewer: Viewer, rule_id: str,
                   enabled: bool) -> Response:
    await run_in_threadpool(service.set_enabled, store, code, viewer.principal, rule_id, enabled, clock)
    return RedirectResponse(f"{request.scope.get('root_path', '')}{_base(code)}#rules", status_code=303)


@router.post("/alliances/{code}/health/warnings/rules/{rule_id}/enable", response_class=HTMLResponse)
async def enable_rule(request: Request, code: Code, rule_id: str, store: StoreDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    return await _enabled(request, store, clock, code, viewer, rule_id, True)


@router.post("/alliances/{code}/health/warnings/rules/{rule_id}/disable", response_class=HTMLResponse)
async def disable_rule(request: Request, code: Code, rule_id: str, store: StoreDep, clock: ClockDep,
                       viewer: PageViewer) -> Response:
    return await _enabled(request, store, clock, code, viewer, rule_id, False)


@router.post("/alliances/{code}/health/warnings/defaults", response_class=HTMLResponse)
async def install_defaults(request: Request, code: Code, store: StoreDep, clock: ClockDep,
                           viewer: PageViewer) -> Response:
    await run_in_threadpool(service.install_defaults, store, code, viewer.principal, clock)
    return RedirectResponse(f"{request.scope.get('root_path', '')}{_base(code)}#rules", status_code=303)


@router.post("/alliances/{code}/health/warnings/evaluate", response_class=HTMLResponse)
async def evaluate(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    await run_in_threadpool(evaluation.evaluate_as, store, code, viewer.principal, clock)
    return RedirectResponse(f"{request.scope.get('root_path', '')}{_base(code)}", status_code=303)


# -- import and export ------------------------------------------------------------------------------

@router.get("/alliances/{code}/health/warnings/import", response_class=HTMLResponse)
async def import_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    context = await run_in_threadpool(_context, store, code, viewer)
    return render(request, "health/warning_import.html", document="", problems=[], **context)


@router.post("/alliances/{code}/health/warnings/import", response_class=HTMLResponse)
async def import_rules(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    form = await request.form()
    document = str(form.get("document", ""))[:512 * 1024 + 1]
    try:
        await run_in_threadpool(service.import_rules, store, code, viewer.principal, document, clock)
    except InvalidInput as exc:
        context = await run_in_threadpool(_context, store, code, viewer)
        return render(request, "health/warning_import.html", status=422, document=document,
                      problems=[p.text() for p in exc.problems] or [exc.message], **context)
    return RedirectResponse(f"{request.scope.get('root_path', '')}{_base(code)}#rules", status_code=303)


@router.get("/alliances/{code}/health/warnings/export")
async def export_rules(code: Code, store: StoreDep, viewer: PageViewer, format: str = "yaml") -> Response:
    fmt = "json" if format == "json" else "yaml"
    text = await run_in_threadpool(service.export_rules, store, code, viewer.principal, fmt)
    return Response(text, media_type="application/json" if fmt == "json" else "application/yaml",
                    headers={"Content-Disposition": f'attachment; filename="{code}-warning-rules.{fmt}"'})


# -- silences ---------------------------------------------------------------------------------------

@router.post("/alliances/{code}/health/warnings/silences", response_class=HTMLResponse)
async def add_silence(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    form = {k: str(v)[:2000] for k, v in (await request.form()).items() if isinstance(v, str)}
    alliance = await run_in_threadpool(registry.get_alliance, store, code)
    expires = None
    try:
        day = datetime.strptime(form.get("expires", "").strip(), "%Y-%m-%d")
        expires = datetime.combine(day.date(), time(23, 59), ZoneInfo(alliance.timezone))
    except ValueError:
        pass  # no expiry: the service says it is needed
    try:
        await run_in_threadpool(lambda: service.add_silence(
            store, code, viewer.principal, rule_id=form.get("rule", ""), member=form.get("member") or None,
            reason=form.get("reason", ""), expires_at=expires, clock=clock))
    except InvalidInput as exc:
        return await _main_page(request, code, store, clock, viewer, status=422, silence_form=form,
                                   silence_problems=[p.text() for p in exc.problems] or [exc.message])
    return RedirectResponse(f"{request.scope.get('root_path', '')}{_base(code)}#silences", status_code=303)


@router.post("/alliances/{code}/health/warnings/silences/{silence_id}/end", response_class=HTMLResponse)
async def end_silence(request: Request, code: Code, silence_id: Id, store: StoreDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    await run_in_threadpool(service.end_silence, store, code, viewer.principal, silence_id, clock)
    return RedirectResponse(f"{request.scope.get('root_path', '')}{_base(code)}#silences", status_code=303)
