"""Customer overlap (客户重合, private set intersection) in the browser: a member's page with its sharing
level toward each partner, its sessions, the sessions waiting for its consent, the forms to open,
answer and cancel one; the command that runs a consented session on the member's own computer; the
overlap matrix of the alliance as a heat map; and the member's PSI access log.

The rules are `alliance.privacy.service`'s; these pages read the form, call the service, and on a
refusal show the page again with the reason in the page's language and nothing stored. The lists
themselves never reach the platform, so no page can run a comparison: the member's `alliance psi
run` does, on its own machine.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.access.policy import Action
from alliance.core.clock import Clock
from alliance.core.errors import AllianceError, InvalidInput
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.privacy import matrix as overlap_matrix
from alliance.privacy import service
from alliance.privacy.levels import ORDER, split_names
from alliance.privacy.limits import MIN_LIST_SIZE, SESSIONS_PER_PAIR_PER_DAY
from alliance.privacy.normalise import RULES, kind_of
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.web import charts
from alliance.web.forms import FILL_IN, FormView, PostedForm, page_offset
from alliance.web.i18n import N_
from alliance.web.render import gettext_for, render, say_for
from alliance.web.resource_pages import field_errors
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)

LOG_PAGE = 50
# Known values in the page's language; a value another version adds shows as it is stored.
STATUS_LABELS = {"proposed": N_("Waiting for consent"), "consented": N_("Consented: ready to run"),
                 "running": N_("Running"), "done": N_("Done"), "refused": N_("Refused"),
                 "cancelled": N_("Cancelled"), "expired": N_("Expired")}
LEVEL_LABELS = {"hidden": N_("Hidden"), "count": N_("Overlap count only"), "list": N_("Overlap list"),
                "full": N_("Everything")}
LEVEL_HINTS = {"hidden": N_("No comparison at all."), "count": N_("Only how many customers are shared."),
               "list": N_("Which of its own customers are shared, to the partner side of a session."),
               "full": N_("Everything the platform offers (today the same as the overlap list).")}
MODE_LABELS = {"count": N_("Count: how many customers are shared"),
               "list": N_("List: which customers are shared (partner side)")}
SHORT_MODES = {"count": N_("Overlap count"), "list": N_("Overlap list")}
KIND_LABELS = {"phone": N_("Phone number"), "email": N_("E-mail address"),
               "credit_code": N_("Unified social credit code"), "name": N_("Name")}
EVENT_LABELS = {"proposed": N_("Proposed"), "consented": N_("Consented"), "refused": N_("Refused"),
                "message": N_("Blinded message relayed"), "result": N_("Result reported"),
                "cancelled": N_("Cancelled"), "expired": N_("Expired")}
STEP_NAMES = {1: N_("request"), 2: N_("setup"), 3: N_("response")}
SAVED = {"level": N_("The sharing level is saved."), "opened": N_("The session is opened: the partner is asked to consent."),
         "consented": N_("You consented: each side can now run the comparison on its own computer."),
         "refused": N_("You refused the session."), "cancelled": N_("The session is cancelled.")}
FINISHED = ("done", "refused", "cancelled", "expired")
NOT_VALID = N_("Nothing was saved: correct the fields marked below.")


def _labels() -> dict[str, Any]:
    return {"status_labels": STATUS_LABELS, "level_labels": LEVEL_LABELS, "level_hints": LEVEL_HINTS,
            "mode_labels": MODE_LABELS, "short_modes": SHORT_MODES, "kind_labels": KIND_LABELS, "event_labels": EVENT_LABELS,
            "step_names": STEP_NAMES}


def local_time(moment: datetime | None, zone: str) -> str:
    return "" if moment is None else f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M}"


def _site(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _base(request: Request, code: str, member: str) -> str:
    return f"{request.scope.get('root_path', '')}/alliances/{code}/sharing/members/{member}/overlap"


# -- a member's page -------------------------------------------------------------------------------------------

def _member_page(request: Request, store: Store, clock: Clock, viewer: Viewer, code: str, member: str, *,
                 status: int = 200,
                 form: FormView | None = None, refused: list[str] | None = None) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    names = {m.code: m.legal_name for m in registry.list_members(store, code, include_left=True)}
    levels = service.levels(store, code, member)
    found = service.sessions(store, code, member, clock)
    tz = alliance.timezone
    rows = []
    for s in found:
        other = s.partner if s.initiator == member else s.initiator
        rows.append({"s": s, "other": other, "other_name": names.get(other, other), "ours": s.initiator == member,
                     "opened_at": local_time(s.opened_at, tz), "finished_at": local_time(s.finished_at, tz),
                     "normalisation": RULES[kind_of(s.kind)] if s.kind in KIND_LABELS else "",
                     "may_cancel": s.status not in FINISHED,
                     "command": f"alliance psi run {s.id} customers.csv --api {_site(request)}"
                     if s.status in ("consented", "running") else ""})
    pending = [r for r in rows if r["s"].status == "proposed" and not r["ours"]]
    partners = [(row["partner"], f"{names.get(row['partner'], row['partner'])} ({row['partner']})")
                for row in levels]
    _ = gettext_for(request)
    every = _("every column but the identifier")
    shown_fields = (lambda f: every if isinstance(f, str) else (", ".join(f) if f else "—"))  # noqa: E731
    return render(request, "overlap/member.html", status=status, alliance=alliance, section="sharing",
                  shown_fields=shown_fields,
                  member=member, company=names.get(member, member), levels=levels, names=names, rows=rows,
                  pending=pending, partners=partners, may_act=viewer.may(Action.ACT_FOR_MEMBER, code, member),
                  form=form or FormView({"mode": "count", "kind": "phone"}), refused=refused or [],
                  saved=SAVED.get(request.query_params.get("saved", "")), here=_base(request, code, member),
                  level_options=[(v.value, _(LEVEL_LABELS[v.value]) if v.value in LEVEL_LABELS else v.value)
                                 for v in ORDER],
                  kind_options=[(k, _(text)) for k, text in KIND_LABELS.items()],
                  mode_options=[(k, _(text)) for k, text in MODE_LABELS.items()], minimum=MIN_LIST_SIZE, per_day=SESSIONS_PER_PAIR_PER_DAY, **_labels())


@router.get("/alliances/{code}/sharing/members/{member}/overlap", response_class=HTMLResponse)
def member_page(request: Request, code: Code, member: Code, store: StoreDep, clock: ClockDep,
                viewer: PageViewer) -> HTMLResponse:
    """A member's sharing levels, sessions, pending consents and the forms of its own acts."""
    return _member_page(request, store, clock, viewer, code, member)


def _refusal(request: Request, exc: AllianceError) -> tuple[dict[str, str], list[str]]:
    say = say_for(request)
    if isinstance(exc, InvalidInput):
        return field_errors(say, exc)
    return {}, [f"{say(exc.title)}: {say(exc.message)}"]


async def _act(request: Request, store: Store, clock: Clock, viewer: Viewer, code: str, member: str, saved: Any,
               anchor: str,
               action: Any, check: Any = None) -> Response:
    """Run `action(posted values)` and go back to the page; a refusal (the form's own check, or the
    service's) shows the page again with it, and nothing is stored."""
    posted = await PostedForm.read(request)
    _ = gettext_for(request)

    def work() -> Response:
        errors: dict[str, str] = check(posted.values, _) if check is not None else {}
        if errors:
            return _member_page(request, store, clock, viewer, code, member, status=422,
                                form=FormView(posted.values, errors), refused=[_(NOT_VALID)])
        try:
            action(posted.values)
        except AllianceError as exc:
            found, lines = _refusal(request, exc)
            return _member_page(request, store, clock, viewer, code, member, status=exc.status,
                                form=FormView(posted.values, found), refused=lines)
        chosen = saved(posted.values) if callable(saved) else saved
        return RedirectResponse(f"{_base(request, code, member)}?saved={chosen}#{anchor}", status_code=303)

    return await run_in_threadpool(work)


@router.post("/alliances/{code}/sharing/members/{member}/overlap/levels", response_class=HTMLResponse)
async def level_post(request: Request, code: Code, member: Code, store: StoreDep, clock: ClockDep,
                     viewer: PageViewer) -> Response:
    def check(values: dict[str, str], _: Any) -> dict[str, str]:
        return {} if values.get("partner", "").strip() else {"partner": _(FILL_IN)}

    return await _act(request, store, clock, viewer, code, member, "level", "levels",
                      lambda v: service.set_level(store, code, member, v["partner"].strip(), v.get("level", ""),
                                                  viewer.principal.actor, clock,
                                                  split_names(v.get("fields", "")) if v.get("level") == "list" else None),
                      check)



@router.post("/alliances/{code}/sharing/members/{member}/overlap/sessions", response_class=HTMLResponse)
async def open_post(request: Request, code: Code, member: Code, store: StoreDep, clock: ClockDep,
                    viewer: PageViewer) -> Response:
    def check(values: dict[str, str], _: Any) -> dict[str, str]:
        errors = {}
        for name in ("partner", "kind", "mode"):
            if not values.get(name, "").strip():
                errors[name] = _(FILL_IN)
        return errors

    return await _act(request, store, clock, viewer, code, member, "opened", "sessions",
                      lambda v: service.open_session(store, code, member, v["partner"].strip(), v["mode"].strip(),
                                                     v["kind"].strip(), viewer.principal.actor, clock), check)


@router.post("/alliances/{code}/sharing/members/{member}/overlap/sessions/{session_id}/answer",
             response_class=HTMLResponse)
async def answer_post(request: Request, code: Code, member: Code, session_id: Id, store: StoreDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    def check(values: dict[str, str], _: Any) -> dict[str, str]:
        return {} if values.get("decision") in ("consent", "refuse") else {"decision": _(FILL_IN)}

    return await _act(request, store, clock, viewer, code, member,
                      lambda v: "consented" if v.get("decision") == "consent" else "refused", f"session-{session_id}",
                      lambda v: service.answer(store, code, session_id, member, v.get("decision") == "consent",
                                               viewer.principal.actor, clock), check)


@router.post("/alliances/{code}/sharing/members/{member}/overlap/sessions/{session_id}/cancel",
             response_class=HTMLResponse)
async def cancel_post(request: Request, code: Code, member: Code, session_id: Id, store: StoreDep, clock: ClockDep,
                      viewer: PageViewer) -> Response:
    return await _act(request, store, clock, viewer, code, member, "cancelled", f"session-{session_id}",
                      lambda v: service.cancel(store, code, session_id, member, viewer.principal.actor, clock))


# -- the access log --------------------------------------------------------------------------------------------

@router.get("/alliances/{code}/sharing/members/{member}/overlap/log", response_class=HTMLResponse)
def log_page(request: Request, code: Code, member: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """Every step of every session the member took part in, newest first, a page at a time."""
    alliance = registry.get_alliance(store, code)
    names = {m.code: m.legal_name for m in registry.list_members(store, code, include_left=True)}
    offset = page_offset(request.query_params.get("offset", ""))
    entries = service.access_log(store, code, member, LOG_PAGE + 1, offset)
    rows = [{"e": e, "at": local_time(e.at, alliance.timezone), "partner_name": names.get(e.partner, e.partner)}
            for e in entries[:LOG_PAGE]]
    return render(request, "overlap/log.html", alliance=alliance, section="sharing", member=member,
                  company=names.get(member, member), rows=rows, offset=offset, limit=LOG_PAGE,
                  more=len(entries) > LOG_PAGE, here=_base(request, code, member), **_labels())


# -- the matrix ------------------------------------------------------------------------------------------------

@router.get("/alliances/{code}/sharing/overlap", response_class=HTMLResponse)
def matrix_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """The overlap of each pair's latest finished session as a heat map, with the same figures as a
    table; a member sees its own pairs only, the coordinator and auditors every pair."""
    _ = gettext_for(request)
    alliance = registry.get_alliance(store, code)
    members = registry.list_members(store, code)
    names = {m.code: m.legal_name for m in members}
    own = viewer.principal.member
    found = overlap_matrix.matrix(store, code, [m.code for m in members], own)
    rows = [own] if own is not None else list(found.members)
    columns = [m for m in found.members if m != own] if own is not None else list(found.members)
    root = request.scope.get("root_path", "")
    cells = []
    for y, a in enumerate(rows):
        for x, b in enumerate(columns):
            cell = found.cell(a, b)
            if cell is None:
                continue
            tip = _("%(a)s ↔ %(b)s: %(overlap)s shared of %(smaller)s (%(rate)s%%)") % {
                "a": names.get(a, a), "b": names.get(b, b), "overlap": cell.overlap, "smaller": cell.smaller,
                "rate": f"{cell.rate * 100:.1f}"}
            href = f"{root}/alliances/{code}/sharing/members/{own or a}/overlap#session-{cell.session_id}"
            cells.append((x, y, float(cell.rate), tip, href, cell.overlap))
    option = charts.overlap_heatmap([names.get(c, c) for c in columns], [names.get(r, r) for r in rows], cells,
                                    _("Overlap rate"), low_text=_("none shared"),
                                    high_text=_("smaller list wholly shared")) if cells else None
    table = [(r, [(c, found.cell(r, c)) for c in columns]) for r in rows]
    return render(request, "overlap/matrix.html", alliance=alliance, section="sharing", option=option, table=table,
                  columns=columns, names=names, own=own, compared=len(found.cells),
                  height=max(240, 60 + 40 * len(rows)) if own is not None else (480 if len(rows) > 8 else 400))
