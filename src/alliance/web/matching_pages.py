"""Resource matching (智能匹配) in the browser: the members' complementarity heat map with each pair's
explanation, a holder's best partners with why (and, for the pipeline's managers, a button that
sends an outside candidate into the partner pipeline), and the coalition solver with its constraints.

The numbers and the rules are `alliance.matching.recommendations`'; these pages read the request,
check the form so that every wrong field is named beside it (422, nothing stored: the only write
here is the pipeline's), and put the scores into words a partner manager reads: taxonomy groups by
their names in the page's language, each need with the resources that cover it, factor by factor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.access.policy import Action
from alliance.core.errors import Conflict, InvalidInput, NotFound
from alliance.core.settings import get_settings
from alliance.edge.deps import ClockDep, Code, StoreDep
from alliance.matching import recommendations as rec
from alliance.matching import service
from alliance.matching.coalition_problem import CoalitionConstraintsConflict
from alliance.matching.coalition_result import CoalitionResult
from alliance.matching.model import Declaration, Holder, HolderKind
from alliance.matching.score import PairScore
from alliance.matching.taxonomy import Taxonomy
from alliance.registry import service as registry
from alliance.store.database import Store
from alliance.web import charts
from alliance.web.forms import FormView, PostedForm
from alliance.web.i18n import N_, request_locale
from alliance.web.render import gettext_for, render, say_for
from alliance.web.matching_form import CODE_LIMIT, NO_NEEDS, UNKNOWN_HOLDER, read_coalition
from alliance.web.viewer import PageViewer, Viewer

router = APIRouter(include_in_schema=False)

KIND_LABELS = {HolderKind.MEMBER: N_("Member"), HolderKind.PROSPECT: N_("Prospect"),
               HolderKind.CANDIDATE: N_("Outside candidate")}
VIEWS = ("mutual", "directed")
# A share or a contribution below this prints as 0.00: the pages leave it out of "why" (a faint text
# likeness between unrelated resources is no reason to name a partner).
LEAST = 0.005
TOP_PAIRS = 20  # the heat map's link table: this many best pairs


def _language(request: Request) -> str:
    return request_locale(request, get_settings().default_locale).locale


def _namer(taxonomy: Taxonomy, language: str) -> Callable[[str], str]:
    """A kind's or a group's name in the page's language (its key if the alliance no longer has it)."""
    return lambda key: taxonomy.get(key).name(language) if key in taxonomy else key


def _visible(store: Store, code: str, viewer: Viewer) -> list[Holder]:
    """The holders this viewer may match: the members, and the directory for pipeline readers."""
    return service.holders(store, code, viewer.principal, outside=viewer.may(Action.READ_PIPELINE, code))


def _holder_options(_: Callable[[str], str], holders: Sequence[Holder]) -> list[tuple[str, str]]:
    """A select's (code, "name (code) · kind") for each holder."""
    return [(h.code, f"{h.name} ({h.code}) · {_(KIND_LABELS[h.kind])}") for h in holders]


def _default_holder(viewer: Viewer, holders: Sequence[Holder]) -> str:
    own = viewer.principal.member
    return own if own and any(h.code == own for h in holders) else ""


# -- the heat map and a pair's explanation -------------------------------------------------------------------------

@router.get("/alliances/{code}/matching/heatmap", response_class=HTMLResponse)
async def heatmap_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    _ = gettext_for(request)
    view = request.query_params.get("view", "mutual")
    view = view if view in VIEWS else "mutual"
    sort = request.query_params.get("sort", "").strip()[:CODE_LIMIT]
    alliance, hm = await run_in_threadpool(lambda: (registry.get_alliance(store, code),
                                                    rec.members_heat_map(store, code, viewer.principal)))
    errors: dict[str, str] = {}
    order = list(hm.order)
    if sort:
        if sort in hm.codes:
            order = list(hm.sorted_by(hm.codes.index(sort), mutual=view == "mutual"))
        else:
            errors["sort"] = _(UNKNOWN_HOLDER) % {"holder": sort}
    matrix = hm.mutual if view == "mutual" else hm.directed
    root = request.scope.get("root_path", "")
    arrow = "↔" if view == "mutual" else "←"
    names = [hm.labels[i] for i in order]
    cells = [(x, y, float(matrix[a, b]), f"{hm.labels[a]} {arrow} {hm.labels[b]}: {float(matrix[a, b]):.2f}",
              f"{root}/alliances/{code}/matching/pair/{hm.codes[a]}/{hm.codes[b]}")
             for y, a in enumerate(order) for x, b in enumerate(order) if a != b]
    option = charts.heatmap([_short(n) for n in names], [_short(n) for n in names], cells,
                            _("Mutual score") if view == "mutual" else _("Directed score"),
                            low_text=_("low"), high_text=_("high"))
    pairs = [(a, b, float(matrix[a, b])) for a in range(len(hm)) for b in range(len(hm))
             if a != b and (view == "directed" or a < b)]
    pairs.sort(key=lambda p: (-p[2], hm.codes[p[0]], hm.codes[p[1]]))
    return render(request, "matching/heatmap.html", status=422 if errors else 200, alliance=alliance,
                  section="matching", hm=hm, view=view, sort=sort, errors=errors, option=option,
                  member_options=[(c, f"{n} ({c})") for c, n in zip(hm.codes, hm.labels, strict=True)],
                  order=order, top_pairs=[p for p in pairs if p[2] > 0][:TOP_PAIRS],
                  height=480 if len(hm) > 8 else 400)


def _short(name: str, limit: int = 14) -> str:
    return name if len(name) <= limit else name[:limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Direction:
    """One direction of a pair, as the page shows it: whose needs, whose resources, and why."""

    needs_of: Holder
    resources_of: Holder
    why: PairScore


@router.get("/alliances/{code}/matching/pair/{a}/{b}", response_class=HTMLResponse)
async def pair_page(request: Request, code: Code, a: Code, b: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    _ = gettext_for(request)
    language = _language(request)
    alliance, pair, taxonomy = await run_in_threadpool(lambda: (
        registry.get_alliance(store, code), rec.explain_pair(store, code, viewer.principal, a, b),
        service.taxonomy(store, code, viewer.principal)))
    found, first, second = pair.why, pair.first, pair.second
    directions = [Direction(first, second, found.a_from_b), Direction(second, first, found.b_from_a)]
    group_name = _namer(taxonomy, language)
    groups = sorted({g for d in directions for g in d.why.contributions},
                    key=lambda g: -sum(d.why.contributions.get(g, 0.0) for d in directions))
    series = {_("%(needs)s's needs, %(offers)s's resources") % {"needs": d.needs_of.name, "offers": d.resources_of.name}:
              [round(d.why.contributions.get(g, 0.0), 4) for g in groups] for d in directions}
    option = charts.bars([group_name(g) for g in groups], series, horizontal=True)
    option["yAxis"]["inverse"] = True
    return render(request, "matching/pair.html", alliance=alliance, section="matching", mutual=found.score,
                  directions=directions, option=option, groups=groups, group_name=group_name,
                  kind_name=_namer(taxonomy, language), window_text=window_text, least=LEAST, chart_height=max(280, 60 + 48 * len(groups)))


# -- best partners ---------------------------------------------------------------------------------------------------

def _why_words(why: PairScore, group_name: Callable[[str], str], limit: int = 3) -> list[tuple[str, float]]:
    """The groups that make up most of a score, largest first: (the group's name, its share of the score)."""
    parts = sorted(((g, v) for g, v in why.contributions.items() if v >= LEAST), key=lambda p: (-p[1], p[0]))
    return [(group_name(g), v) for g, v in parts[:limit]]


async def _partners_page(request: Request, code: str, store: Store, viewer: Viewer, *, status: int = 200,
                         values: Mapping[str, str] | None = None, refused: str = "") -> HTMLResponse:
    _ = gettext_for(request)
    language = _language(request)
    params = dict(values if values is not None else request.query_params)
    alliance, holders, taxonomy = await run_in_threadpool(lambda: (
        registry.get_alliance(store, code), _visible(store, code, viewer), service.taxonomy(store, code, viewer.principal)))
    holder = str(params.get("holder", "")).strip()[:CODE_LIMIT] or _default_holder(viewer, holders)
    k_text = str(params.get("k", "10")).strip()[:6] or "10"
    form = PostedForm({"holder": holder, "k": k_text})
    k = form.whole("k", 1, rec.K_LIMIT)
    found = None
    if holder and k is not None:
        try:
            found = await run_in_threadpool(rec.best_partners, store, code, viewer.principal, holder, k)
        except service.HolderNotFound:
            form.fail("holder", UNKNOWN_HOLDER, holder=holder)
        except rec.NothingToMatch:
            form.fail("holder", NO_NEEDS, holder=holder)
    if not form.ok and status == 200:
        status = 422
    prospects = {}
    if viewer.may(Action.READ_PIPELINE, code):
        prospects = {e.code: e.prospect_id for e in await run_in_threadpool(
            service.directory, store, code, viewer.principal) if e.prospect_id is not None}
    sent = request.query_params.get("sent", "")
    return render(request, "matching/partners.html", status=status, alliance=alliance, section="matching",
                  form=form.view(request), holder_options=_holder_options(_, holders), found=found, k=k or 10, kind_labels=KIND_LABELS,
                  group_name=_namer(taxonomy, language), why_words=_why_words, prospects=prospects,
                  may_send=viewer.may(Action.MANAGE_ALLIANCE, code), refused=refused,
                  sent=int(sent) if sent.isdigit() and len(sent) < 10 and viewer.may(Action.READ_PIPELINE, code) else None,
                  sent_name=next((h.name for h in holders if h.code == request.query_params.get("candidate")), ""))


@router.get("/alliances/{code}/matching/partners", response_class=HTMLResponse)
async def partners_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    return await _partners_page(request, code, store, viewer)


@router.post("/alliances/{code}/matching/partners/pipeline", response_class=HTMLResponse)
async def send_to_pipeline(request: Request, code: Code, store: StoreDep, clock: ClockDep,
                           viewer: PageViewer) -> Response:
    """Make a recommended outside candidate a prospect (source "matching"), then show the list again
    with a notice that links to the prospect; a refusal (a member, a candidate in the pipeline
    already) is said above the list (409) and stores nothing."""
    form = await PostedForm.read(request)
    holder = form.values.get("holder", "").strip()[:CODE_LIMIT]
    candidate = form.values.get("candidate", "").strip()[:CODE_LIMIT]
    k = form.values.get("k", "10").strip()[:6]
    try:
        prospect_id = await run_in_threadpool(rec.send_to_pipeline, store, code, viewer.principal, holder,
                                              candidate, clock)
    except (Conflict, NotFound, InvalidInput) as exc:
        return await _partners_page(request, code, store, viewer, status=exc.status, refused=say_for(request)(exc.message),
                                    values={"holder": holder, "k": k})
    root = request.scope.get("root_path", "")
    query = f"holder={holder}&k={k}&sent={prospect_id}&candidate={candidate}"
    return RedirectResponse(f"{root}/alliances/{code}/matching/partners?{query}#sent", status_code=303)


# -- the coalition solver --------------------------------------------------------------------------------------------

FIELDS = {"must include": "include", "must exclude": "exclude"}


@router.get("/alliances/{code}/matching/coalition", response_class=HTMLResponse)
async def coalition_page(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    _ = gettext_for(request)
    say = say_for(request)
    language = _language(request)
    alliance, holders = await run_in_threadpool(lambda: (registry.get_alliance(store, code),
                                                         _visible(store, code, viewer)))
    default_holder = _default_holder(viewer, holders)
    asked = read_coalition(request.query_params, holders, default_holder)
    answer, problems = None, []
    if asked is not None and asked.form.ok and asked.k is not None:
        try:
            answer = await run_in_threadpool(lambda: rec.best_coalition_for(
                store, code, viewer.principal, asked.form.values["holder"], k=asked.k, costs=asked.costs or None,
                must_include=asked.include, must_exclude=asked.exclude, one_per_region=asked.one_per_region,
                screen_competition=asked.screen, language=language))
        except CoalitionConstraintsConflict as exc:  # what only the solver knows: one per region among the included
            for p in exc.problems:
                asked.form.errors.setdefault(FIELDS.get(str(p.where), "include"), ("%(text)s", {"text": say(p.detail())}))
        except (InvalidInput, Conflict, NotFound) as exc:
            problems = [say(exc.message), *(say(p.text()) for p in getattr(exc, "problems", []))]
    view = asked.form.view(request) if asked is not None else FormView({"holder": default_holder, "k": "3"})
    status = 422 if asked is not None and (asked.form.errors or problems) else 200
    by_code = {h.code: h for h in holders}
    option = coverage_chart(answer.result, by_code) if answer is not None and answer.result.coverage else None
    return render(request, "matching/coalition.html", status=status, alliance=alliance, section="matching",
                  holder_options=_holder_options(_, holders), form=view, asked=asked, answer=answer, problems=problems, option=option,
                  by_code=by_code, kind_labels=KIND_LABELS, least=LEAST,
                  include=set(asked.include) if asked else set(), exclude=set(asked.exclude) if asked else set(),
                  one_per_region=asked.one_per_region if asked else False, screen=asked.screen if asked else True,
                  costs=(asked.costs or {}) if asked else {})


def coverage_chart(result: CoalitionResult, by_code: Mapping[str, Holder]) -> dict[str, Any]:
    """One stacked bar per need: each partner's cover of it (a bar past 1 is spare capacity)."""
    partners = sorted({c for n in result.coverage for c, _v in n.by})
    covers = {by_code[c].name if c in by_code else c: [dict(n.by).get(c, 0.0) for n in result.coverage]
              for c in partners}
    option = charts.bars([_short(n.need, 24) for n in result.coverage], covers, horizontal=True, stack=True)
    option["yAxis"]["inverse"] = True
    return option


def window_text(declaration: Declaration) -> str:
    """A declaration's window as dates ("" when open at both ends)."""
    w = declaration.window
    if w.open:
        return ""
    return f"{w.starts_on.isoformat() if w.starts_on else '…'} – {w.ends_on.isoformat() if w.ends_on else '…'}"


__all__ = ["router", "window_text"]
