"""Rendering a page or an htmx fragment in the request's language, with what every page needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from alliance import __version__
from alliance.core.errors import AllianceError
from alliance.core.messages import in_language
from alliance.core.settings import get_settings
from alliance.web.i18n import (LANG_QUERY, LANGUAGE_NAMES, SUPPORTED_LOCALES, apply_locale_headers, get_environment,
                               get_translations, request_locale)
from alliance.web.viewer import CSRF_FIELD, Viewer


def is_htmx(request: Request) -> bool:
    """Whether htmx made the request (it then wants a fragment, not a whole page)."""
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def gettext_for(request: Request) -> Callable[[str], str]:
    """Translate in the request's language, for text a handler builds (chart labels, messages)."""
    return get_translations(request_locale(request, get_settings().default_locale).locale).gettext


def say_for(request: Request) -> Callable[[object], str]:
    """Say a Message (an error's text) in the request's language, for text a handler composes; a plain
    string is returned as it is."""
    translate = gettext_for(request)
    return lambda text: str(in_language(text, translate))


def language_links(request: Request) -> list[tuple[str, str, str]]:
    """(locale, its name, this page's URL in it): the query string is kept, `lang` replaced."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != LANG_QUERY]
    return [(code, LANGUAGE_NAMES[code], "?" + urlencode([*kept, (LANG_QUERY, code)])) for code in SUPPORTED_LOCALES]


def render(request: Request, template: str, *, status: int = 200, viewer: Viewer | None = None,
           headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    """Render `template` in the request's language (see `i18n.negotiate_locale`)."""
    choice = request_locale(request, get_settings().default_locale)
    env = get_environment(choice.locale)
    root = request.scope.get("root_path", "")
    viewer = viewer or getattr(request.state, "viewer", None)
    html = env.get_template(template).render(
        home_url=f"{root}/",
        root=root,
        static_base=f"{root}/static",
        version=__version__,
        languages=language_links(request),
        viewer=viewer,
        csrf_field=CSRF_FIELD,
        csrf_token=viewer.csrf_token if viewer is not None else "",
        current_path=request.url.path,
        unread_count=_unread(request, viewer),
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers=headers)
    apply_locale_headers(response, choice)
    return response


def refused_page(request: Request, exc: AllianceError, title: str) -> HTMLResponse:
    """A form post the service refused, as a whole page: `title` (an N_ message) and the error's
    code, status and specifics (htmx requests get the error raised instead, as fragments)."""
    return render(request, "error.html", status=exc.status, error_title=title, error_detail=exc.message,
                  error_code=exc.code, error_status=exc.status)


def _unread(request: Request, viewer: Viewer | None) -> int:
    """The viewer's unread notices for the header's inbox link (0 when it cannot be said: a page never
    fails for the count)."""
    store = getattr(request.app.state, "store", None)
    if viewer is None or store is None:
        return 0
    from alliance.notify import service_account

    try:
        return service_account.unread_count(store, viewer.principal)
    except Exception:  # noqa: BLE001 - the count is a courtesy of the header
        return 0
