"""The agreement builder: a whole agreement written with a form, beside its YAML, the two in step.

The server is the source of truth both ways. Editing the form posts every field to
`/agreements/builder`, which checks what was typed (`agreement_draft.check`: each field that cannot
be written is named, in the page's language) and, when all can be written, answers with the YAML
the form describes (an out-of-band swap of the editor's text area, which the checker then reads as
usual). Editing the YAML posts it to `/agreements/builder/load`, which answers with the form read
from it; a document the form cannot read leaves the form as it was and says why. Adding or removing
a rule re-draws the form. Nothing is stored here: the document is proposed as before.

Without JavaScript the same routes answer with the whole editor page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from alliance.edge.deps import ClockDep, Code, StoreDep
from alliance.core.clock import Clock
from alliance.core.errors import AllianceError, InvalidInput
from alliance.registry import service as registry
from alliance.sharing.agreement_draft import (
    CLAUSE_FORMS,
    CONTRACT_KINDS,
    MAX_RULES,
    AgreementDraft,
    DraftUnreadable,
    Posted,
    check,
    draft_from_document,
    field_of,
    new_clause,
    new_rule,
    read_posted,
    write_yaml,
)
from alliance.datashare.journeys.metrics import METRICS as JOURNEY_METRICS
from alliance.sharing.metric_names import metric_names
from alliance.sharing import service as sharing
from alliance.sharing.clauses import CLAUSE_KINDS, ClauseKind
from alliance.sharing.layers import KIND_LABELS
from alliance.sharing.service import check_document
from alliance.sharing.rule_form import BASES, COMMON_LABELS, KIND_FORMS, SELECT_KEYS, Widget
from alliance.store.database import Store
from alliance.core.settings import get_settings
from alliance.web.i18n import N_, request_locale
from alliance.web.render import gettext_for, is_htmx, render, say_for
from alliance.web.viewer import PageViewer

router = APIRouter(include_in_schema=False)

UNREADABLE = N_("The YAML cannot be read, so the form was left as it was: %(why)s")
NOT_WRITTEN = N_("The YAML was not changed: correct the fields below first.")
WRITTEN = N_("The YAML was updated from the form.")
WRITTEN_WITH_PROBLEMS = N_("The YAML was updated from the form. The check found these problems in the agreement:")
LOADED = N_("The form was filled from the YAML.")
NOT_SHOWN = N_("The form cannot show these parts of the YAML; changing the form will drop them: %(parts)s")


def _members(store: Store, code: str) -> list[str]:
    return [m.code for m in registry.list_members(store, code)]


def field_label(name: str, draft: AgreementDraft, gettext: Callable[[str], str]) -> str:
    """The field a posted name stands for, in words: "Rule 2 (volume) · Tiers · row 1 · Rate"."""
    _ = gettext
    top = {"agreement": _("Agreement code"), "effective_from": _("Effective from"),
           "effective_until": _("Effective until"), "title": _("Title"), "party": _("Parties"),
           "kind": _("Kind of agreement"), "under": _("Under framework"), "amends": _("Amends")}
    if name in top:
        return top[name]
    head, _sep, rest = name.partition("-")
    if head.startswith("c") and head[1:].isdigit():
        index = int(head[1:])
        clause = draft.clauses[index] if index < len(draft.clauses) else None
        spec = CLAUSE_KINDS.get(ClauseKind(clause.kind)) if clause and clause.kind in CLAUSE_FORMS else None
        parts = [_("Clause %(n)s") % {"n": index + 1} + (f" ({_(spec.label)})" if spec else "")]
        if rest == "text":
            parts.append(_("Text"))
        for f in spec.fields if spec else ():
            if rest == f.key or rest.startswith(f.key + "-"):
                parts.append(_(f.label))
                if rest != f.key:
                    parts.append(rest[len(f.key) + 1:])
        return " · ".join(parts)
    if head == "expect":
        return f"{_('Expectations')} · {rest}"
    if head == "account":
        return f"{_('Accounts')} · {_('row %(n)s') % {'n': int(rest.split('-')[0]) + 1}}"
    if not head.startswith("r") or not head[1:].isdigit():
        return name
    index = int(head[1:])
    rule = draft.rules[index] if index < len(draft.rules) else None
    parts = [_("Rule %(n)s") % {"n": index + 1} + (f" ({rule.id})" if rule and rule.id else "")]
    if rest in COMMON_LABELS:
        return " · ".join([*parts, _(COMMON_LABELS[rest])])
    kind_form = KIND_FORMS.get(rule.kind) if rule else None
    for f in kind_form.fields if kind_form else ():
        if rest == f.key or rest.startswith(f.key + "-"):
            parts.append(_(f.label))
            tail = rest[len(f.key) + 1:]
            if f.widget in (Widget.TIERS, Widget.WEIGHTS) and tail:
                row, _sep2, column = tail.partition("-")
                parts.append(_("row %(n)s") % {"n": int(row) + 1})
                parts.append({"up_to": _("Up to"), "rate": _("Rate"), "name": _("Period metric"),
                              "weight": _("Weight")}.get(column, column))
            elif f.widget is Widget.PARTS and tail:
                parts.append(_(dict(f.options).get(tail, tail)))
            elif tail:
                parts.append(tail)
            break
    return " · ".join(parts)


def _checked(store: Store, code: str, document: str, draft: AgreementDraft, clock: Clock) -> list[tuple[str | None, str]]:
    """The checker's problems with the written document, each with the form field it is about."""
    try:
        check_document(store, code, document, clock)
    except AllianceError as exc:
        if isinstance(exc, InvalidInput) and exc.problems:
            return [(field_of(p.where, p.field, draft), p.detail())
                    for p in exc.problems]
        return [(None, exc.message)]
    return []


def builder_context(request: Request, store: Store, code: str, draft: AgreementDraft, *,
                    field_errors: dict[str, str] | None = None, status_note: str = "",
                    notes: Sequence[str] = (), status_error: bool = False,
                    checked: Sequence[tuple[str | None, str]] = ()) -> dict[str, Any]:
    """What the builder's templates need: the draft, the codes offered, the kinds, the problems in words."""
    _ = gettext_for(request)
    problems = {name: _(message) for name, message in (field_errors or {}).items()}
    return {
        "draft": draft, "codes": draft.codes(_members(store, code)), "kind_forms": KIND_FORMS,
        "select_keys": SELECT_KEYS, "bases": BASES, "widgets": Widget, "blank_rows": 2,
        "field_problems": problems, "labelled": lambda options: [(v, _(label)) for v, label in options], "max_rules": MAX_RULES,
        "problem_list": [(name, field_label(name, draft, _), message) for name, message in problems.items()],
        # The checker's findings on the YAML written, each beside the field it is about (its reason
        # is the checker's own words, as in the check beside the YAML).
        "checked_list": [(name, field_label(name, draft, _) if name else "", reason) for name, reason in checked],
        "status_note": _(status_note) if status_note else "", "not_shown": list(notes), "status_error": status_error,
        # Recorded metrics, and the journey metrics the platform measures from shared customer events
        # (offered before their first month is recorded: a rule can be drafted on them in advance).
        "known_metrics": sorted({*metric_names(store, code), *JOURNEY_METRICS}),
        "accounts": [c for c, _name in draft.accounts],
        # The contract set: the kinds of agreement, the agreements a new one can sit under or amend,
        # and the clause library (each kind's form and what the platform does with it).
        "contract_kinds": [(k, _(KIND_LABELS[k])) for k in CONTRACT_KINDS],
        "agreement_codes": list(sharing.list_agreements(store, code)),
        "clause_specs": {k.value: spec for k, spec in CLAUSE_KINDS.items()},
        "clause_choices": [(k.value, _(spec.label)) for k, spec in CLAUSE_KINDS.items()
                           if k.value not in {c.kind for c in draft.clauses}],
    }


def editor(request: Request, store: Store, code: str, document: str, *, status: int = 200,
           problems: Sequence[str] = (), draft: AgreementDraft | None = None, **builder: Any) -> HTMLResponse:
    """The whole editor page: the builder (read from `document` unless a draft is given) and the YAML."""
    notes: list[str] = []
    if draft is None:
        try:
            draft, notes = draft_from_document(document)
        except DraftUnreadable:
            draft = AgreementDraft()
    builder.setdefault("notes", notes)
    return render(request, "agreements/edit.html", status=status, alliance=registry.get_alliance(store, code),
                  section="agreements", document=document, problems=list(problems), parsed=None,
                  **builder_context(request, store, code, draft, **builder))


async def _posted(request: Request) -> tuple[Posted, str]:
    form = await request.form()
    single = {k: v for k, v in form.items() if isinstance(v, str)}
    lists: dict[str, list[str]] = {}
    for k, v in form.multi_items():
        if isinstance(v, str):
            lists.setdefault(k, []).append(v)
    return Posted(single, lists), single.get("document", "")


def _apply(draft: AgreementDraft, posted: Posted, language: str) -> bool:
    """Add or remove a rule or a clause as the button pressed asks; whether the form's shape changed."""
    op = posted.get("op")
    if op == "add-clause" and posted.get("new_clause") in CLAUSE_FORMS \
            and posted.get("new_clause") not in {c.kind for c in draft.clauses}:
        draft.clauses.append(new_clause(posted.get("new_clause"), language))
        return True
    if op.startswith("remove-clause-") and op[14:].isdigit() and int(op[14:]) < len(draft.clauses):
        del draft.clauses[int(op[14:])]
        return True
    if op == "add" and posted.get("new_kind") in KIND_FORMS and len(draft.rules) < MAX_RULES:
        draft.rules.append(new_rule(posted.get("new_kind"), [r.id for r in draft.rules]))
        return True
    if op.startswith("remove-") and op[7:].isdigit() and int(op[7:]) < len(draft.rules):
        del draft.rules[int(op[7:])]
        return True
    return False


@router.post("/alliances/{code}/agreements/builder", response_class=HTMLResponse)
async def form_to_yaml(request: Request, code: Code, store: StoreDep, clock: ClockDep,
                       viewer: PageViewer) -> HTMLResponse:
    """The YAML of the form as posted (or the fields that cannot be written, by name)."""
    posted, document = await _posted(request)
    members = await run_in_threadpool(_members, store, code)
    draft = read_posted(posted, members)
    reshaped = _apply(draft, posted, request_locale(request, get_settings().default_locale).locale)
    problems = check(draft)
    checked: list[tuple[str | None, str]] = []
    if not problems or not is_htmx(request):
        document = write_yaml(draft)  # without htmx the page shows it: the form's text is kept either way
    if not problems:
        checked = await run_in_threadpool(_checked, store, code, document, draft, clock)
    note = NOT_WRITTEN if problems else (WRITTEN_WITH_PROBLEMS if checked else WRITTEN)
    if not is_htmx(request):
        return editor(request, store, code, document, status=422 if problems else 200, draft=draft,
                      field_errors=problems, status_note=note, checked=checked)
    context = builder_context(request, store, code, draft, field_errors=problems, status_note=note, checked=checked)
    return render(request, "agreements/builder_answer.html", status=200, alliance=registry.get_alliance(store, code),
                  document=document, whole=reshaped, updated=not problems, **context)


@router.post("/alliances/{code}/agreements/builder/load", response_class=HTMLResponse)
async def yaml_to_form(request: Request, code: Code, store: StoreDep, viewer: PageViewer) -> HTMLResponse:
    """The form read from the posted YAML; a document it cannot read leaves the form as it was."""
    posted, document = await _posted(request)
    _ = gettext_for(request)
    try:
        draft, notes = draft_from_document(document)
    except DraftUnreadable as exc:
        message = _(UNREADABLE) % {"why": say_for(request)(exc.args[0] if exc.args else str(exc))}
        if not is_htmx(request):
            return editor(request, store, code, document, status=422, status_note=message, status_error=True,
                          draft=read_posted(posted, await run_in_threadpool(_members, store, code)))
        return render(request, "agreements/builder_status.html", status=200, headers={
            "HX-Retarget": "#builder-status", "HX-Reswap": "outerHTML"}, alliance=registry.get_alliance(store, code),
            **builder_context(request, store, code, AgreementDraft(), status_note=message, status_error=True))
    context = builder_context(request, store, code, draft, status_note=LOADED, notes=notes)
    if not is_htmx(request):
        return editor(request, store, code, document, draft=draft, status_note=LOADED, notes=notes)
    return render(request, "agreements/builder.html", alliance=registry.get_alliance(store, code), **context)
