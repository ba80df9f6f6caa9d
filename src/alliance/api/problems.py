"""RFC 9457 problem details: the one error envelope of the HTTP API (and the web pages' fallback).

Every error answer is `application/problem+json` with `type`, `title`, `status`, `detail`, and a
stable `code` extension member clients can switch on; validation errors add `errors`, a list of
`{where, field, reason}`.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from alliance.core.errors import AllianceError, InvalidInput

logger = logging.getLogger("alliance.api")
PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://alliance.dev/problems/"


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail, "code": code}
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AllianceError)
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidInput) and exc.problems:
        extra["errors"] = [{"where": p.where, "field": p.field, "reason": p.reason} for p in exc.problems]
    response = problem(exc.status, exc.code, exc.title, exc.message, **extra)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="alliance"'
    retry_after = getattr(exc, "retry_after", None)
    if exc.status == 429 and retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"where": ".".join(str(x) for x in e.get("loc", ())), "field": str(e.get("loc", ("",))[-1]), "reason": e.get("msg", "")}
        for e in exc.errors()
    ]
    return problem(422, "invalid_request", "Invalid request", "the request is not valid", errors=errors)


def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, f"http_{exc.status_code}")
    detail = exc.detail if isinstance(exc.detail, str) else "request failed"
    return problem(exc.status_code, code, detail, detail)


def _internal(_: Request, exc: Exception) -> JSONResponse:
    # A defect, not a user error: log it whole, tell the client no more than that it happened.
    logger.error("unhandled error", exc_info=exc)
    return problem(500, "internal_error", "Internal error", "the server failed to handle this request; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(AllianceError, _domain_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _internal)
