"""RFC 9457 problem details: the one error envelope of the HTTP API (and the web pages' fallback).

Every error answer is `application/problem+json` with `type`, `title`, `status`, `detail`, and a
stable `code` extension member clients can switch on; validation errors add `errors`, a list of
`{where, field, reason}`. A domain error's title, detail and problems are said in the language
`Accept-Language` asks for (English unless it asks for Chinese), with `Content-Language` saying which.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from alliance.core.errors import AllianceError, Problem
from alliance.core.messages import in_language
from alliance.language import accepted_locale, get_translations

logger = logging.getLogger("alliance.api")
PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://alliance.dev/problems/"


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail, "code": code}
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def problem_in_language(accept_language: str | None, status: int, code: str, title: str, detail: str,
                        problems: list[Problem] | tuple[Problem, ...] = (), **extra: Any) -> JSONResponse:
    """A problem answer whose title, detail and problems (Messages) are said in the language an
    Accept-Language header asks for (English unless it asks for Chinese), saying which it is. The
    one way the API's errors are said: domain errors, a router's own problems, the front door's."""
    locale = accepted_locale(accept_language)
    translate = get_translations(locale).gettext

    def say(text: str) -> str:
        return str(in_language(text, translate))

    if problems:
        extra["errors"] = [{"where": say(p.where), "field": say(p.field), "reason": say(p.reason)} for p in problems]
    response = problem(status, code, say(title), say(detail), **extra)
    response.headers["Content-Language"] = locale.replace("_", "-")
    response.headers["Vary"] = "Accept-Language"
    return response


# The pages' own rendering of an error: (request, status, code, detail, exception) -> an HTML
# response, or None when the request is for the API. Kept on app.state by `install`.
PageProblem = Callable[[Request, int, str, str, Exception | None], Response | None]


def _page(request: Request, status: int, code: str, detail: str, exc: Exception | None) -> Response | None:
    render: PageProblem | None = getattr(request.app.state, "page_problem", None)
    return None if render is None else render(request, status, code, detail, exc)


def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AllianceError)
    page = _page(request, exc.status, exc.code, exc.message, exc)
    if page is not None:
        return page
    response = problem_in_language(request.headers.get("accept-language"), exc.status, exc.code, exc.title,
                                   exc.message, exc.problems)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="alliance"'
    retry_after = getattr(exc, "retry_after", None)
    if exc.status in (429, 503) and retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"where": ".".join(str(x) for x in e.get("loc", ())), "field": str(e.get("loc", ("",))[-1]), "reason": e.get("msg", "")}
        for e in exc.errors()
    ]
    page = _page(request, 422, "invalid_request", "; ".join(f"{e['where']}: {e['reason']}" for e in errors), exc)
    if page is not None:
        return page
    return problem(422, "invalid_request", "Invalid request", "the request is not valid", errors=errors)


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, f"http_{exc.status_code}")
    detail = exc.detail if isinstance(exc.detail, str) else "request failed"
    page = _page(request, exc.status_code, code, detail, exc)
    if page is not None:
        return page
    return problem(exc.status_code, code, detail, detail)


def _internal(request: Request, exc: Exception) -> Response:
    # A defect, not a user error: log it whole, tell the client no more than that it happened.
    logger.error("unhandled error", exc_info=exc)
    page = _page(request, 500, "internal_error", "the server failed to handle this request; it has been logged", None)
    if page is not None:
        return page
    return problem(500, "internal_error", "Internal error", "the server failed to handle this request; it has been logged")


def install(app: FastAPI, pages: PageProblem | None = None) -> None:
    """Register the handlers; `pages` renders errors of page requests as HTML (None: API requests)."""
    app.state.page_problem = pages
    app.add_exception_handler(AllianceError, _domain_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _internal)
