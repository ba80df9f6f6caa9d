"""Errors on pages: a page of their own in the user's language (the API keeps problem+json).

A request without a live session is sent to the sign-in page, remembering where it was going; an
htmx request gets `HX-Redirect` instead, so the whole page moves rather than a fragment of it.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from alliance.web.i18n import N_
from alliance.web.render import is_htmx, render
from alliance.web.viewer import SignInRequired

API_PATHS = ("/api/", "/healthz", "/static/")

# Titles by status, translated on the page; the detail is the error's own message.
TITLES = {
    400: N_("The request could not be handled"),
    401: N_("Please sign in"),
    403: N_("You may not do this"),
    404: N_("Not found"),
    405: N_("The request could not be handled"),
    409: N_("This conflicts with what is already recorded"),
    413: N_("The upload is too large"),
    422: N_("Some of the input is not valid"),
    429: N_("Too many requests: wait a moment and try again"),
    500: N_("Something went wrong on our side"),
    503: N_("The service is unavailable"),
}


def is_page(request: Request) -> bool:
    """Whether the request is for a page (errors as HTML) rather than the API (problem+json)."""
    return not request.url.path.startswith(API_PATHS)


def sign_in_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"{request.scope.get('root_path', '')}/sign-in?next={quote(target, safe='')}"
    if is_htmx(request) or request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def page_problem(request: Request, status: int, code: str, detail: str, exc: Exception | None) -> Response | None:
    """The HTML answer to an error on a page, or None for an API request (problem+json then)."""
    if not is_page(request):
        return None
    if isinstance(exc, SignInRequired):
        return sign_in_redirect(request)
    title = TITLES.get(status, TITLES[400 if status < 500 else 500])
    template = "fragments/error.html" if is_htmx(request) else "error.html"
    # An htmx fragment is swapped in place (htmx-config swaps 4xx/5xx answers), with its status kept.
    return render(request, template, status=status, error_title=title, error_detail=detail, error_code=code,
                  error_status=status)
