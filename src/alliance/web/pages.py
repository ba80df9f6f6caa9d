"""Server-rendered pages. Each route gathers data through the services and renders one template."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from alliance import __version__
from alliance.api.deps import StoreDep
from alliance.core.settings import get_settings
from alliance.registry import service
from alliance.registry.model import Alliance, Member
from alliance.web.i18n import (
    LANG_QUERY,
    LANGUAGE_NAMES,
    SUPPORTED_LOCALES,
    apply_locale_headers,
    get_environment,
    request_locale,
)

router = APIRouter(include_in_schema=False)


@dataclass(slots=True)
class AllianceNode:
    """One alliance as the home page shows it: its current members and its sub-alliances."""

    alliance: Alliance
    members: Sequence[Member]
    parent: Alliance | None = None
    children: list[AllianceNode] = field(default_factory=list)


def build_tree(alliances: Sequence[Alliance], members: Mapping[str, Sequence[Member]]) -> list[AllianceNode]:
    """Nest sub-alliances under their parents, keeping the given order among siblings.

    Returns the roots: alliances without a parent, or whose parent is not among `alliances`.
    Parent cycles cannot exist: a parent must exist before its sub-alliance is founded, and an
    alliance's parent is never changed.
    """
    by_code = {a.code: a for a in alliances}
    nodes = {
        a.code: AllianceNode(a, members.get(a.code, ()), by_code.get(a.parent_code or ""))
        for a in alliances
    }
    roots: list[AllianceNode] = []
    for alliance in alliances:
        node = nodes[alliance.code]
        if node.parent is None:
            roots.append(node)
        else:
            nodes[node.parent.code].children.append(node)
    return roots


def render(request: Request, template: str, **context: Any) -> HTMLResponse:
    """Render `template` in the request's language (see `i18n.negotiate_locale`)."""
    choice = request_locale(request, get_settings().default_locale)
    env = get_environment(choice.locale)
    root = request.scope.get("root_path", "")
    html = env.get_template(template).render(
        home_url=f"{root}/",
        static_base=f"{root}/static",
        version=__version__,
        languages=[(code, LANGUAGE_NAMES[code], f"?{LANG_QUERY}={code}") for code in SUPPORTED_LOCALES],
        **context,
    )
    response = HTMLResponse(html)
    apply_locale_headers(response, choice)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, store: StoreDep) -> HTMLResponse:
    """Every alliance, sub-alliances nested under their parents, each with its current members."""
    listing = service.directory(store)
    alliances = [a for a, _ in listing]
    members = {a.code: listed for a, listed in listing}
    companies = {m.credit_code for listed in members.values() for m in listed}
    return render(
        request,
        "home.html",
        roots=build_tree(alliances, members),
        alliance_count=len(alliances),
        company_count=len(companies),
    )
