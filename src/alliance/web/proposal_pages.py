"""Proposals and votes (提案与表决) in the browser: the list of the proposals of the bodies one sits
in (with the reader's reminders on top), the form a proposal is drafted and edited with, and the
proposal's page: its stages, text and attachments, what it will do, the rule and the electorate
(with the voting power beside a weighted vote), the vote form, the proxies, and the running count
or the outcome.

Who may do what is decided by `governance.service_proposals` (a proposal of a body one has no seat
in, or someone else's draft, is a 404); the forms are shown only where the act would be allowed.
An anonymous vote's choices never reach the page: the service hands over no ballot, no choice and
no named outcome for it, and this module adds none (not even in an attribute).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from alliance.access.policy import Action
from alliance.core.errors import AllianceError, Conflict, InvalidInput
from alliance.core.messages import Message, from_document
from alliance.edge.deps import ClockDep, Code, Id, StoreDep
from alliance.governance import service_meetings as meetings
from alliance.governance import service_proposals as service
from alliance.governance.ballots import Choice
from alliance.governance.bodies import Body
from alliance.governance.numbers import fraction_text
from alliance.governance.proposals import (ATTACHMENT_LIMIT, CHOICE_NAMES, SECRECY_NAMES, STATUS_NAMES, TYPE_NAMES,
                                           Proposal, ProposalStatus, Secrecy, outcome_reasons)
from alliance.registry import service as registry
from alliance.registry.lifecycle import STATE_NAMES
from alliance.registry.model import AllianceStatus
from alliance.sharing import service as sharing
from alliance.web import charts
from alliance.web.dispute_pages import local_time
from alliance.web.i18n import N_
from alliance.web.render import gettext_for, is_htmx, refused_page, render
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)

OUTCOME_LABELS = {"passed": N_("Accepted"), "failed": N_("Rejected"), "no_quorum": N_("No quorum"),
                  "blocked": N_("Blocked"), "vetoed": N_("Vetoed")}
STAGES = (ProposalStatus.DRAFT, ProposalStatus.DISCUSSION, ProposalStatus.VOTING, ProposalStatus.CLOSED,
          ProposalStatus.IMPLEMENTED)
# The type-specific fields of the form (`params.<name>`), per proposal type; a type not listed has none.
PARAM_FIELDS: Mapping[str, tuple[str, ...]] = {
    "admit_member": ("code", "name", "credit_code", "prospect"),
    "change_agreement": ("agreement", "version"),
    "change_status": ("to",),
    "exclude_member": ("member", "reason"),
    "confirm_milestone": ("project", "milestone", "decision"),
}
FORM_FIELDS = ("body", "type", "title", "text", "secrecy", "discussion_until", "voting_until", "reminder_hours")
NOT_A_TIME = N_("Enter a date and time (YYYY-MM-DD HH:MM).")
NOT_A_NUMBER = N_("Enter a whole number.")


def _base(request: Request) -> str:
    return request.scope.get("root_path", "")


def _home(request: Request, code: str) -> str:
    return f"{_base(request)}/alliances/{code}/proposals"


def _companies(store: Any, code: str) -> dict[str, str]:
    return {m.code: m.legal_name for m in registry.list_members(store, code, include_left=True)}


def _percent(value: Fraction | None) -> str:
    return "" if value is None else f"{Decimal(value.numerator * 100) / Decimal(value.denominator):.2f}"


def _messages(request: Request) -> dict[str, Any]:
    gettext = gettext_for(request)
    return {"status_names": {s.value: STATUS_NAMES[s] for s in ProposalStatus},
            "type_names": dict(TYPE_NAMES), "secrecy_names": {s.value: SECRECY_NAMES[s] for s in Secrecy},
            "choice_names": {c.value: CHOICE_NAMES[c] for c in Choice},
            "outcome_labels": {k: gettext(v) for k, v in OUTCOME_LABELS.items()}}


# -- the list ---------------------------------------------------------------------------------------------

@router.get("/alliances/{code}/proposals", response_class=HTMLResponse)
async def proposal_list(request: Request, code: Code, store: StoreDep, viewer: PageViewer,
                        body: str = "", status: str = "", offset: int = 0) -> HTMLResponse:
    """A page of 50 proposals, newest first, filtered by body and status; the reader's reminders on top."""
    body_id = int(body) if body.strip().isdigit() else None
    chosen = status if status in {s.value for s in ProposalStatus} else None

    def load() -> tuple[Any, Any, list[Body], list[tuple[int, datetime | None]]]:
        alliance = registry.get_alliance(store, code)
        page = service.list_proposals(store, code, viewer.principal, body_id=body_id, status=chosen,
                                      offset=max(0, offset))
        bodies = [b for b in meetings.list_bodies(store, code, viewer.principal)
                  if meetings.may(viewer.principal, Action.READ_MEETINGS, alliance.code, b)]
        reminded = service.reminders(store, code, viewer.principal)
        ends: dict[int, datetime | None] = {}
        if reminded:  # one page of the votes under way gives each reminder its closing time
            voting = service.list_proposals(store, code, viewer.principal, status="voting", limit=200)
            ends = {p.number: p.voting_until for p, _ in voting.proposals}
        return alliance, page, bodies, [(n, ends.get(n)) for n, _ in reminded]

    alliance, page, bodies, reminders = await run_in_threadpool(load)
    return render(request, "proposals/list.html", alliance=alliance, section="proposals", page=page, bodies=bodies,
                  body_filter=body_id, status_filter=chosen or "", reminders=reminders,
                  may_propose=bool(_proposable(viewer, alliance, bodies)),
                  when=lambda moment: local_time(moment, alliance.timezone),
                  params={k: v for k, v in (("body", body_id or ""), ("status", chosen or "")) if v},
                  **_messages(request))


# -- the form ---------------------------------------------------------------------------------------------

def _proposable(viewer: Viewer, alliance: Any, bodies: list[Body]) -> list[Body]:
    """The bodies the viewer may put a proposal to (the service decides: governance.service_proposals)."""
    return [b for b in bodies if service.may_propose(viewer.principal, alliance, b)]


def _form_values(proposal: Proposal | None, alliance_zone: str) -> dict[str, str]:
    def local_input(moment: datetime | None) -> str:
        return "" if moment is None else f"{moment.astimezone(ZoneInfo(alliance_zone)):%Y-%m-%dT%H:%M}"

    if proposal is None:
        return {"p-type": "other", "p-secrecy": Secrecy.OPEN.value, "p-vote_changes": "on", "p-reminder_hours": "24"}
    values = {"p-body": str(proposal.body_id), "p-type": proposal.type, "p-title": proposal.title,
              "p-text": proposal.text, "p-secrecy": proposal.secrecy.value,
              "p-vote_changes": "on" if proposal.vote_changes else "",
              "p-discussion_until": local_input(proposal.discussion_until),
              "p-voting_until": local_input(proposal.voting_until),
              "p-no_discussion": "" if proposal.discussion_until else "on",
              "p-reminder_hours": str(int(proposal.reminder.total_seconds() // 3600))}
    for name, value in proposal.params.items():
        values[f"p-params-{name}"] = str(value)
    return values


def _form_page(request: Request, store: Any, code: str, viewer: Viewer, *, proposal: Proposal | None = None,
               values: dict[str, str] | None = None, errors: dict[str, Any] | None = None,
               general: list[Any] | None = None, status: int = 200) -> HTMLResponse:
    alliance = registry.get_alliance(store, code)
    bodies = [b for b in meetings.list_bodies(store, code, viewer.principal)
              if meetings.may(viewer.principal, Action.READ_MEETINGS, alliance.code, b)]
    agreements = sharing.list_agreements(store, code)
    return render(request, "proposals/form.html", status=status, alliance=alliance, section="proposals",
                  proposal=proposal, bodies=_proposable(viewer, alliance, bodies),
                  values={**_form_values(proposal, alliance.timezone), **(values or {})}, errors=errors or {},
                  general=general or [], agreements=sorted(agreements), param_fields=PARAM_FIELDS,
                  states=[(s.value, STATE_NAMES[s]) for s in AllianceStatus], zone=alliance.timezone,
                  **_messages(request))


@router.get("/alliances/{code}/proposals/new", response_class=HTMLResponse)
async def new_form(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return await run_in_threadpool(lambda: _form_page(request, store, code, viewer))


@dataclass
class _Read:
    """A posted proposal form: the draft to save, or the problems found before the service is asked."""

    draft: service.Draft
    values: dict[str, str]
    errors: dict[str, Any]


async def _read_form(request: Request, zone: str) -> _Read:
    form = await request.form()
    gettext = gettext_for(request)
    values = {k: str(v)[:60_000] for k, v in form.multi_items() if isinstance(v, str) and k.startswith("p-")}
    v = lambda name: values.get(f"p-{name}", "").strip()  # noqa: E731
    errors: dict[str, Any] = {}

    def moment(name: str) -> datetime | None:
        text = v(name)
        if not text:
            return None
        try:
            parsed = datetime.fromisoformat(text.replace(" ", "T"))
        except ValueError:
            errors[f"p-{name}"] = gettext(NOT_A_TIME)
            return None
        # A datetime-local input says a wall-clock time: read in the alliance's time zone.
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(zone))

    no_discussion = bool(v("no_discussion"))
    discussion_until = None if no_discussion else moment("discussion_until")
    voting_until = moment("voting_until")
    hours = None
    if v("reminder_hours"):
        try:
            hours = int(v("reminder_hours"))
        except ValueError:
            errors["p-reminder_hours"] = gettext(NOT_A_NUMBER)
    body_id = int(v("body")) if v("body").isdigit() else None
    kind = v("type")
    params = {name: v(f"params-{name}") for name in PARAM_FIELDS.get(kind, ())}
    files = []
    for upload in form.getlist("attachments"):
        if isinstance(upload, UploadFile) and upload.filename:
            files.append((upload.filename, await upload.read(ATTACHMENT_LIMIT + 1)))
    draft = service.Draft(body_id=body_id, type=kind, title=values.get("p-title", ""), text=values.get("p-text", ""),
                          params=params, secrecy=v("secrecy") or Secrecy.OPEN.value, vote_changes=bool(v("vote_changes")),
                          discussion_until=discussion_until, voting_until=voting_until, no_discussion=no_discussion,
                          reminder_hours=hours, attachments=files)
    return _Read(draft, values, errors)


def _problems(exc: InvalidInput) -> tuple[dict[str, Any], list[Any]]:
    """Each problem beside its field (`p-<field>`, `p-params-<name>`); the others above the form."""
    shown = {*FORM_FIELDS, "attachments", *(f"params-{n}" for names in PARAM_FIELDS.values() for n in names)}
    errors: dict[str, Any] = {}
    general: list[Any] = []
    for p in exc.problems:
        name = (p.field or "").replace(".", "-")
        if name in shown:
            errors.setdefault(f"p-{name}", p.reason)
        else:
            general.append(p.reason)
    if not exc.problems:
        general.append(exc.message)
    return errors, general


@router.post("/alliances/{code}/proposals/new", response_class=HTMLResponse)
async def create(request: Request, code: Code, store: StoreDep, viewer: PageViewer, clock: ClockDep) -> Response:
    """Save a draft (nothing is stored when anything is refused); its page offers submit and edit."""
    alliance = await run_in_threadpool(registry.get_alliance, store, code)
    read = await _read_form(request, alliance.timezone)
    if read.errors:
        return await run_in_threadpool(lambda: _form_page(request, store, code, viewer, values=read.values,
                                                          errors=read.errors, status=422))
    if read.draft.body_id is None:
        return await run_in_threadpool(lambda: _form_page(
            request, store, code, viewer, values=read.values, status=422,
            errors={"p-body": Message("name the body that decides the proposal")}))
    try:
        made = await run_in_threadpool(service.draft, store, code, viewer.principal, read.draft, clock)
    except InvalidInput as exc:
        errors, general = _problems(exc)
        return await run_in_threadpool(lambda: _form_page(request, store, code, viewer, values=read.values,
                                                          errors=errors, general=general, status=422))
    return RedirectResponse(f"{_home(request, code)}/{made.number}", status_code=303)


@router.get("/alliances/{code}/proposals/{number}/edit", response_class=HTMLResponse)
async def edit_form(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer,
                    clock: ClockDep) -> Response:
    def load() -> Response:
        view = service.show(store, code, number, viewer.principal, clock)
        if not view.may_edit:  # a submitted proposal is never edited: its page says where it stands
            return RedirectResponse(f"{_home(request, code)}/{number}", status_code=303)
        return _form_page(request, store, code, viewer, proposal=view.proposal)

    return await run_in_threadpool(load)


@router.post("/alliances/{code}/proposals/{number}/edit", response_class=HTMLResponse)
async def edit(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer,
               clock: ClockDep) -> Response:
    alliance = await run_in_threadpool(registry.get_alliance, store, code)
    current = (await run_in_threadpool(service.show, store, code, number, viewer.principal, clock)).proposal
    read = await _read_form(request, alliance.timezone)

    def again(errors: dict[str, Any], general: list[Any] | None = None) -> HTMLResponse:
        return _form_page(request, store, code, viewer, proposal=current, values=read.values, errors=errors,
                          general=general, status=422)

    if read.errors:
        return await run_in_threadpool(again, read.errors)
    # The body is chosen when drafting; editing changes what the proposal says.
    changes = service.Draft(**{**read.draft.__dict__, "body_id": None})
    try:
        await run_in_threadpool(service.revise, store, code, number, viewer.principal, changes, clock)
    except InvalidInput as exc:
        errors, general = _problems(exc)
        return await run_in_threadpool(again, errors, general)
    except AllianceError as exc:
        if is_htmx(request):
            raise
        return refused_page(request, exc, N_("The proposal was not changed"))
    return RedirectResponse(f"{_home(request, code)}/{number}", status_code=303)


# -- the proposal's page -------------------------------------------------------------------------------------

def _timeline(p: Proposal) -> list[dict[str, Any]]:
    times = {ProposalStatus.DRAFT: p.created_at, ProposalStatus.DISCUSSION: p.submitted_at,
             ProposalStatus.VOTING: p.voting_opened_at, ProposalStatus.CLOSED: p.closed_at,
             ProposalStatus.IMPLEMENTED: p.implemented_at}
    if p.status is ProposalStatus.WITHDRAWN:
        times[ProposalStatus.CLOSED] = None
    reached = STAGES.index(p.status) if p.status in STAGES else -1
    return [{"status": s.value, "name": STATUS_NAMES[s], "at": times[s], "current": s is p.status,
             "done": i <= reached} for i, s in enumerate(STAGES)]


def _power_chart(view: service.ProposalView, gettext: Callable[[str], str]) -> dict[str, Any] | None:
    if view.power is None:
        return None
    rows = view.power.members
    return charts.bars([m.member for m in rows], {
        gettext("Share of the weight"): [Decimal(_percent(m.weight_share)) for m in rows],
        gettext("Shapley-Shubik power"): [m.shapley_shubik * 100 for m in rows],
        gettext("Banzhaf power"): [m.banzhaf * 100 for m in rows],
    }, unit="%")


def _count_rows(view: service.ProposalView) -> list[tuple[str, Fraction]]:
    """(choice, the weight or heads for it) of the running count, in the order of the rule's choices."""
    outcome = view.running
    if outcome is None or view.rule is None:
        return []
    return [(c.value, getattr(outcome, c.value)) for c in Choice if c in view.rule.choices]


def _proposal_page(request: Request, store: Any, code: str, number: int, viewer: Viewer, clock: Any, *,
                   errors: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    view = service.show(store, code, number, viewer.principal, clock)
    alliance, p = view.alliance, view.proposal
    gettext = gettext_for(request)
    counted = _count_rows(view)
    tally_chart = None
    if counted:
        tally_chart = charts.bars([gettext(str(CHOICE_NAMES[Choice(c)].template)) for c, _ in counted],
                                  {gettext("Share of the eligible votes"): [
                                      Decimal(_percent(v / view.running.eligible)) if view.running.eligible else None
                                      for _, v in counted]}, unit="%")
    stage_open = p.status is ProposalStatus.DISCUSSION or (p.status is ProposalStatus.VOTING and view.may_vote)
    member = viewer.principal.member
    given = next((x for x in view.proxies if x.in_force and x.giver == member), None)
    effect = p.effect or {}
    effect_error = from_document(effect.get("message"), str(effect.get("error"))) if "error" in effect else None
    outcome = p.outcome
    choice_order = [c.value for c in Choice if view.rule is not None and c in view.rule.choices]
    return render(
        request, "proposals/show.html", status=status, alliance=alliance, section="proposals", view=view, p=p,
        body=view.body, companies=_companies(store, code), timeline=_timeline(p),
        when=lambda moment: local_time(moment, alliance.timezone), zone=alliance.timezone,
        weights={m: fraction_text(w) for m, w in view.electorate.items()}, percent=_percent,
        power_chart=_power_chart(view, gettext), counted=[(c, fraction_text(v)) for c, v in counted],
        tally_chart=tally_chart,
        may_withdraw=p.status in (ProposalStatus.DRAFT, ProposalStatus.DISCUSSION)
        and (p.author == viewer.principal.actor or viewer.may(Action.MANAGE_BODIES, code)),
        choices=choice_order, proxy_open=stage_open and member in view.electorate and given is None,
        given=given, revoke_open=stage_open and given is not None,
        proxy_targets=[m for m in view.electorate if m != member],
        effect_error=effect_error, outcome=outcome,
        reasons=outcome_reasons(outcome) if outcome else [], errors=errors or {},
        effect_done=from_document(effect.get("message"), str(effect.get("done"))) if "done" in effect else None,
        **_messages(request))


@router.get("/alliances/{code}/proposals/{number}", response_class=HTMLResponse)
async def proposal_page(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer,
                        clock: ClockDep) -> HTMLResponse:
    return await run_in_threadpool(lambda: _proposal_page(request, store, code, number, viewer, clock))


@router.get("/alliances/{code}/proposals/{number}/attachments/{sha256}")
async def attachment(code: Code, number: Id, sha256: str, store: StoreDep, viewer: PageViewer) -> Response:
    name, content = await run_in_threadpool(service.attachment, store, code, number, sha256.lower()[:64],
                                             viewer.principal)
    return Response(content, media_type="application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}"})


async def _act(request: Request, code: str, number: int, store: Any, viewer: Viewer, clock: Any,
               act: Callable[[], Any], anchor: str, form: str) -> Response:
    """Do `act`; a refusal the reader can correct (a bad choice, a closed window, a second ballot) is
    shown beside the form `form` on the proposal's page, other refusals as an error page."""
    try:
        await run_in_threadpool(act)
    except (InvalidInput, Conflict) as exc:
        message, status = exc.message, exc.status
        return await run_in_threadpool(lambda: _proposal_page(request, store, code, number, viewer, clock,
                                                              errors={form: message}, status=status))
    except AllianceError as exc:
        if is_htmx(request):
            raise
        return refused_page(request, exc, N_("The proposal was not changed"))
    return RedirectResponse(f"{_home(request, code)}/{number}#{anchor}", status_code=303)


@router.post("/alliances/{code}/proposals/{number}/submit", response_class=HTMLResponse)
async def submit(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer,
                 clock: ClockDep) -> Response:
    return await _act(request, code, number, store, viewer, clock,
                      lambda: service.submit(store, code, number, viewer.principal, clock), "stages", "draft")


@router.post("/alliances/{code}/proposals/{number}/withdraw", response_class=HTMLResponse)
async def withdraw(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer,
                   clock: ClockDep) -> Response:
    return await _act(request, code, number, store, viewer, clock,
                      lambda: service.withdraw(store, code, number, viewer.principal, clock), "stages", "draft")


@router.post("/alliances/{code}/proposals/{number}/open-voting", response_class=HTMLResponse)
async def open_voting(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer,
                      clock: ClockDep) -> Response:
    return await _act(request, code, number, store, viewer, clock,
                      lambda: service.open_voting(store, code, number, viewer.principal, clock), "stages", "run")


@router.post("/alliances/{code}/proposals/{number}/implement", response_class=HTMLResponse)
async def implement(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer,
                    clock: ClockDep) -> Response:
    return await _act(request, code, number, store, viewer, clock,
                      lambda: service.implement(store, code, number, viewer.principal, clock), "stages", "run")


@router.post("/alliances/{code}/proposals/{number}/vote", response_class=HTMLResponse)
async def vote(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer,
               clock: ClockDep) -> Response:
    """The reader's member's ballot, or (with `for`) the ballot of a member whose proxy it holds."""
    form = await request.form()
    choice = str(form.get("choice", ""))[:32]
    for_member = str(form.get("for", ""))[:32] or None
    return await _act(request, code, number, store, viewer, clock,
                      lambda: service.cast(store, code, number, viewer.principal, choice, clock, for_member=for_member),
                      "vote", f"vote-{for_member}" if for_member else "vote")


@router.post("/alliances/{code}/proposals/{number}/proxy", response_class=HTMLResponse)
async def give_proxy(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer,
                     clock: ClockDep) -> Response:
    form = await request.form()
    holder = str(form.get("holder", ""))[:32]
    return await _act(request, code, number, store, viewer, clock,
                      lambda: service.give_proxy(store, code, number, viewer.principal, holder, clock), "proxies",
                      "proxy")


@router.post("/alliances/{code}/proposals/{number}/proxy/revoke", response_class=HTMLResponse)
async def revoke_proxy(request: Request, code: Code, number: Id, store: StoreDep, viewer: PageViewer,
                       clock: ClockDep) -> Response:
    return await _act(request, code, number, store, viewer, clock,
                      lambda: service.revoke_proxy(store, code, number, viewer.principal, clock), "proxies", "proxy")


__all__ = ["router"]
