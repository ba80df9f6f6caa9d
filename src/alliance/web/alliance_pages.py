"""An alliance's overview (structure graph, key figures, ledger check), its settings (details, status and
their history: the lifecycle) and its members' pages."""

from __future__ import annotations

import base64
import binascii
import tempfile
from datetime import date, timedelta
from zoneinfo import ZoneInfo
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from alliance.access.policy import Action
from alliance.edge.deps import ClockDep, Code, StoreDep
from alliance.core.clock import local_today
from alliance.core.errors import AllianceError, Conflict, InvalidInput
from alliance.core.settings import get_settings
from alliance.core.messages import Message
from alliance.ledger import service as ledger
from alliance.ledger.service import LedgerMissing
from alliance.matching import service as matching
from alliance.registry import service
from alliance.registry import lifecycle
from alliance.registry.model import Alliance, AllianceChange, AllianceStatus, Member, MemberRole
from alliance.registry.spreadsheets import read_table
from alliance.screening import service as screening
from alliance.settlement import service as settlement
from alliance.sharing import attorneys
from alliance.sharing.versions import POWER_MEANINGS, POWER_NAMES
from alliance.web import charts
from alliance.web.i18n import N_
from alliance.web.notices import departed_in_force
from alliance.web.render import gettext_for, render
from alliance.web.resource_pages import kind_names, page_language
from alliance.web.viewer import PageViewer

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
MAX_MEMBER_FILE = 5 * 2**20  # a member file of 5 MiB holds tens of thousands of companies


def _competition(store: Any, code: str, viewer: Any, clock: Any) -> Any:
    """The alliance's competition screenings for the overview's notice (none run yet, or one awaiting
    its justification); None when the viewer may not read them."""
    from alliance.competition import service as competition

    if not viewer.may(Action.READ_RECORDS, code):
        return None
    return competition.overview(store, code, viewer.principal, clock)


@router.get("/alliances/{code}", response_class=HTMLResponse)
def overview(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> HTMLResponse:
    _ = gettext_for(request)
    alliance = service.get_alliance(store, code)
    everyone = service.list_members(store, code, include_left=True)  # names for the warnings below
    members = [m for m in everyone if m.left_on is None]
    subs = {s: (service.get_alliance(store, s).name, service.list_members(store, s)) for s in alliance.sub_alliance_codes}
    graph = charts.structure_graph(alliance, members, subs, charts.GraphLabels(
        _("Alliance"), _("Hub company"), _("Member"), _("Observer"), _("Sub-alliance")))
    yesterday = local_today(clock, alliance.timezone) - timedelta(days=1)
    totals = settlement.day_totals(store, code, yesterday) if viewer.may(Action.READ_RECORDS, code) else None
    own = viewer.principal.member
    settled = None
    if totals is not None:
        settled = totals.accounts.get(own, (0, 0))[0] if own else totals.settled_minor
    open_items = screening.open_items(store, code) if viewer.may(Action.READ_PIPELINE, code) else None
    log = None
    if viewer.may(Action.READ_RECORDS, code):
        try:
            log = ledger.status(store, code)
        except LedgerMissing:
            log = None
    screened = _competition(store, code, viewer, clock)
    return render(request, "alliance/overview.html", alliance=alliance, section="overview", members=members,
                  competition=screened,
                  subs=subs, graph=graph, yesterday=yesterday, settled=settled, own_member=own, open_items=open_items,
                  log=log, may_import=_may_admit(viewer, alliance),
                  departed=departed_in_force(store, code, yesterday + timedelta(days=1), viewer),
                  names={m.code: m.legal_name for m in everyone}, state_meaning=STATE_MEANINGS[alliance.status],
                  overdue=_overdue(alliance, yesterday + timedelta(days=1)))


@router.get("/alliances/{code}/ledger/verify", response_class=HTMLResponse)
def verify_ledger(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """Recompute the whole log and check every hash and signature (an htmx fragment)."""
    report = ledger.verify_store(store, code, ledger.trusted_keys_from(get_settings().ledger_trusted_keys))
    return render(request, "fragments/ledger_verify.html", report=report)


# Profile dimensions on the radar: (attribute, label, higher is better). Each is scored 0..10
# against the alliance's best current member, so the radar compares within the alliance.
PROFILE_AXES = (
    ("revenue", N_("Revenue"), True),
    ("profit", N_("Profit"), True),
    ("cash_flow", N_("Cash flow"), True),
    ("debt_ratio", N_("Debt ratio"), False),
    ("reputation", N_("Reputation"), True),
    ("compliance_records", N_("Compliance records"), False),
    ("patent_count", N_("Patents"), True),
    ("api_count", N_("APIs"), True),
)


def _number(value: object) -> Decimal | None:
    if value is None:
        return None
    minor = getattr(value, "amount", None)
    return Decimal(minor) if minor is not None else Decimal(str(value))


def profile_scores(member: Member, members: list[Member]) -> list[Decimal | None]:
    """Each radar axis as 0..10 relative to the alliance (None: unknown). Higher-is-better axes are
    value / best; lower-is-better ones (debt ratio, compliance incidents) 10 for the lowest, falling
    linearly to 0 at the highest."""
    scores: list[Decimal | None] = []
    for attribute, _label, higher in PROFILE_AXES:
        mine = _number(getattr(member.profile, attribute))
        known = [v for v in (_number(getattr(m.profile, attribute)) for m in members) if v is not None]
        if mine is None or not known:
            scores.append(None)
            continue
        low, high = min(known), max(known)
        if higher:
            score = Decimal(10) * mine / high if high > 0 else Decimal(0)
        else:
            score = Decimal(10) if high == low else Decimal(10) * (high - mine) / (high - low)
        scores.append(max(Decimal(0), min(Decimal(10), score)).quantize(Decimal("0.1")))
    return scores


@router.get("/alliances/{code}/members", response_class=HTMLResponse)
def members_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer,
                 q: Annotated[str, Query(max_length=100)] = "", role: Annotated[str, Query(max_length=16)] = "",
                 region: Annotated[str, Query(max_length=100)] = "", offset: Annotated[int, Query(ge=0, le=10**7)] = 0,
                 imported: Annotated[int | None, Query(ge=0)] = None) -> HTMLResponse:
    alliance = service.get_alliance(store, code)
    everyone = service.list_members(store, code)
    needle = q.strip().lower()
    found = [
        m for m in everyone
        if (not needle or needle in m.code.lower() or needle in m.legal_name.lower() or needle in m.industry.lower()
            or needle in m.credit_code.lower())
        and (not role or m.role.value == role) and (not region or m.region == region)
    ]
    regions = sorted({m.region for m in everyone if m.region})
    params = {k: v for k, v in (("q", q), ("role", role), ("region", region)) if v}
    template = "fragments/member_rows.html" if request.headers.get("hx-target") == "member-results" else "alliance/members.html"
    return render(request, template, alliance=alliance, section="members", members=found[offset:offset + PAGE_SIZE],
                  total=len(found), limit=PAGE_SIZE, offset=offset, q=q, role=role, region=region, regions=regions,
                  roles=list(MemberRole), params=params, imported=imported,
                  may_import=_may_admit(viewer, alliance))


@router.get("/alliances/{code}/members/import", response_class=HTMLResponse)
def import_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    alliance = service.get_alliance(store, code)
    return render(request, "alliance/member_import.html", alliance=alliance, section="members", preview=None)


def _read_upload(data: bytes, filename: str) -> tuple[list[str], list[list[str]], int]:
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise InvalidInput(Message("{file}: use a .csv or .xlsx file", file=filename or Message("the file")))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"members{suffix}"
        path.write_bytes(data)
        table = read_table(path)
    return table.header, table.rows, table.header_row


@router.post("/alliances/{code}/members/import", response_class=HTMLResponse)
async def import_members(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    """Step one (a file): show every row, with each bad row's problems beside it; nothing is saved.
    Step two (the previewed file sent back): check everything again and import all rows or none."""
    alliance = service.get_alliance(store, code)
    form = await request.form()
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_MEMBER_FILE + 1)
        filename = upload.filename
    else:
        try:
            data = base64.b64decode(str(form.get("content", "")), validate=True)
        except (binascii.Error, ValueError):
            data = b""
        filename = str(form.get("filename", ""))
    if not data:
        return render(request, "alliance/member_import.html", status=422, alliance=alliance, section="members",
                      preview=None, error=N_("Choose a .csv or .xlsx file of members."))
    if len(data) > MAX_MEMBER_FILE:
        return render(request, "alliance/member_import.html", status=413, alliance=alliance, section="members",
                      preview=None, error=N_("The file is larger than 5 MiB."))
    try:
        header, rows, header_row = await run_in_threadpool(_read_upload, data, filename)
    except AllianceError as exc:
        return render(request, "alliance/member_import.html", status=422, alliance=alliance, section="members",
                      preview=None, error=exc.message)
    confirm = form.get("step") == "import"
    try:
        if confirm:
            result = await run_in_threadpool(service.import_members, store, code, header, rows, clock,
                                             header_row=header_row)
            return RedirectResponse(f"/alliances/{code}/members?imported={result.added}", status_code=303)
        drafts = await run_in_threadpool(service.check_member_import, store, code, header, rows, clock,
                                         header_row=header_row)
        problems: dict[int, list[str]] = {}
    except InvalidInput as exc:
        drafts = []
        problems = {}
        for p in exc.problems:
            number = int(p.where.split()[-1]) if p.where.startswith("row ") and p.where.split()[-1].isdigit() else 0
            problems.setdefault(number, []).append(p.detail())
        if not problems:
            problems[0] = [exc.message]
    numbered = [(header_row + 1 + i, row) for i, row in enumerate(rows) if any(c.strip() for c in row)]
    return render(request, "alliance/member_import.html", status=422 if problems else 200, alliance=alliance,
                  section="members", preview={"header": header, "rows": numbered, "problems": problems,
                                              "count": len(drafts), "filename": filename,
                                              "content": base64.b64encode(data).decode()})


@router.get("/alliances/{code}/members/{member}", response_class=HTMLResponse)
def member_profile(request: Request, code: Code, member: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """The directory's facts and resources for everyone in the alliance. The profile (financial
    figures) and the contact are the member's own data: its own roles see its figures, the roles
    that screen partners (coordinator, auditor) the radar against the alliance's best member, and
    other members neither (a score against the best would tell them the best's figures)."""
    _ = gettext_for(request)
    alliance = service.get_alliance(store, code)
    found = service.get_member(store, code, member)
    own_data = viewer.sees_member(code, member)
    compares = viewer.may(Action.READ_PIPELINE, code)
    option, axes = None, []
    if compares:
        scores = profile_scores(found, service.list_members(store, code))
        option = charts.radar([(_(label), Decimal(10)) for _a, label, _h in PROFILE_AXES], scores, found.legal_name)
        axes = [(_(label), score) for (_a, label, _h), score in zip(PROFILE_AXES, scores, strict=True)]
    figures = [(_(label), getattr(found.profile, attribute)) for attribute, label, _h in PROFILE_AXES] if own_data else []
    # The powers of attorney it gave are records (every role that reads agreements sees who may sign
    # for it); only its own accounts may grant or revoke them.
    powers = attorneys.powers(store, code, member) if viewer.may(Action.READ_RECORDS, code) else []
    # Kinds by their name in the page's language (a sub-kind's key is no label).
    kinds = kind_names(matching.taxonomy(store, code, viewer.principal), page_language(request))
    return render(request, "alliance/member.html", alliance=alliance, section="members", member=found, kinds=kinds,
                  radar=option, axes=axes, figures=figures, own_data=own_data, sees_statements=own_data,
                  powers=powers, power_names=POWER_NAMES, power_meanings=POWER_MEANINGS,
                  may_grant=viewer.may(Action.ACT_FOR_MEMBER, code, member),
                  may_archive=viewer.may(Action.EXPORT_MEMBER_DATA, code, member))


# -- the lifecycle: details, status and their history (registry/lifecycle.py) --------------------------

# What each state means for the people using the alliance: shown beside the status and before a change.
STATE_MEANINGS = {
    AllianceStatus.FORMING: N_("Being formed: members, agreements and signatures are added; no order lines are "
                               "imported or settled yet."),
    AllianceStatus.ACTIVE: N_("Active: everything the platform offers."),
    AllianceStatus.SUSPENDED: N_("Suspended: no new members, agreements or signatures; order lines already traded "
                                 "are still imported and settled, and members may leave."),
    AllianceStatus.DISSOLVING: N_("Dissolving: only the remaining days are imported and settled, and members leave; "
                                  "nothing new starts."),
    AllianceStatus.DISSOLVED: N_("Dissolved: nothing more is written; every record stays readable."),
}
FIELD_NAMES = {"name": N_("Name"), "charter": N_("Charter"), "planned_end": N_("Planned end"), "status": N_("Status")}
SAVED = {"details": N_("The details are saved."), "status": N_("The status is changed.")}


def _may_admit(viewer: PageViewer, alliance: Alliance) -> bool:
    """Whether to offer the member import: the viewer's role, and the alliance's state (lifecycle)."""
    return (viewer.may(Action.MANAGE_ALLIANCE, alliance.code)
            and lifecycle.allows(alliance.status, lifecycle.Write.ADMIT_MEMBER))


def _overdue(alliance: Alliance, today: date) -> bool:
    """A project alliance past its planned end and not yet winding down: the page says so."""
    return (alliance.planned_end is not None and alliance.planned_end < today
            and alliance.status in (AllianceStatus.FORMING, AllianceStatus.ACTIVE, AllianceStatus.SUSPENDED))


def _changed_at(change: AllianceChange, tz: str) -> str:
    return f"{change.changed_at.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M}"


def _settings_page(request: Request, store: StoreDep, viewer: PageViewer, alliance: Alliance, *, status: int = 200,
                   errors: list[object] | None = None, values: dict[str, str] | None = None,
                   confirm: dict[str, str] | None = None, saved: str | None = None) -> HTMLResponse:
    may_change = viewer.may(Action.CHANGE_ALLIANCE, alliance.code)
    nexts = [s for s in AllianceStatus if s in lifecycle.TRANSITIONS[alliance.status]]
    shown = values or {"name": alliance.name, "charter": alliance.charter,
                       "planned_end": alliance.planned_end.isoformat() if alliance.planned_end else ""}
    return render(request, "alliance/settings.html", status=status, alliance=alliance, section="overview",
                  may_change=may_change, nexts=nexts, meanings=STATE_MEANINGS, field_names=FIELD_NAMES,
                  history=service.alliance_history(store, alliance.code), changed_at=_changed_at, values=shown,
                  errors=errors or [], confirm=confirm, status_enum=AllianceStatus,
                  writable=lifecycle.allows(alliance.status, lifecycle.Write.DETAILS),
                  saved=SAVED.get(saved or ""))


@router.get("/alliances/{code}/settings", response_class=HTMLResponse)
def settings_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer,
                  saved: Annotated[str, Query(max_length=16)] = "") -> HTMLResponse:
    """The alliance's details and status with their history, for everyone who reads its directory;
    the forms for those who may change it (the coordinator, the platform admin)."""
    return _settings_page(request, store, viewer, service.get_alliance(store, code), saved=saved)


async def _posted(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


def _form_day(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(Message("{field}: {value!r} is not a date (YYYY-MM-DD)", field=Message("planned end"),
                                   value=text)) from None


@router.post("/alliances/{code}/settings", response_class=HTMLResponse)
async def save_settings(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    alliance = service.get_alliance(store, code)
    form = await _posted(request)
    values = {k: form.get(k, "") for k in ("name", "charter", "planned_end")}
    try:
        planned_end = _form_day(values["planned_end"])
        edit = service.AllianceEdit(name=values["name"], charter=values["charter"].replace("\r\n", "\n"),
                                    planned_end=planned_end, clear_planned_end=planned_end is None)
        await run_in_threadpool(service.edit_alliance, store, code, edit, viewer.principal.actor, clock)
    except (InvalidInput, lifecycle.AllianceNotWritable) as exc:
        return _settings_page(request, store, viewer, alliance, status=exc.status, errors=[exc.message],
                              values=values)
    return RedirectResponse(f"{request.scope.get('root_path', '')}/alliances/{code}/settings?saved=details",
                            status_code=303)


@router.post("/alliances/{code}/status", response_class=HTMLResponse)
async def change_status(request: Request, code: Code, store: StoreDep, clock: ClockDep, viewer: PageViewer) -> Response:
    """Two steps: the chosen state is shown with what it means, and changes only when confirmed."""
    alliance = service.get_alliance(store, code)
    form = await _posted(request)
    chosen = {k: form.get(k, "").strip() for k in ("status", "decided_by", "reason")}
    try:
        target = lifecycle.parse_status(chosen["status"])
        lifecycle.check_transition(alliance.code, alliance.status, target)
        lifecycle.check_decided(alliance.code, alliance.status, target, chosen["decided_by"])
        if form.get("confirm") != "yes":
            return _settings_page(request, store, viewer, alliance, confirm={**chosen, "status": target.value,
                                                                              "target": target,
                                                                              "meaning": STATE_MEANINGS[target]})
        await run_in_threadpool(service.change_status, store, code, target, viewer.principal.actor, clock,
                                decided_by=chosen["decided_by"], reason=chosen["reason"])
    # Conflict: also a competition screening awaiting its justification (registry.service asks it).
    except (InvalidInput, lifecycle.TransitionRefused, lifecycle.AllianceNotWritable, Conflict) as exc:
        return _settings_page(request, store, viewer, alliance, status=exc.status, errors=[exc.message])
    return RedirectResponse(f"{request.scope.get('root_path', '')}/alliances/{code}/settings?saved=status",
                            status_code=303)
