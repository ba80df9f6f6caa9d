"""Answering an idempotent write: the kept outcome, as JSON or problem+json, marked when replayed."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from alliance.api.problems import problem
from alliance.settlement import idempotency


def respond(outcome: idempotency.Outcome) -> JSONResponse:
    """An idempotent write's outcome as a response (problem+json for 4xx), marked when replayed."""
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    if outcome.status >= 400:
        body = outcome.body
        response = problem(outcome.status, str(body.get("code", "error")), str(body.get("title", "Error")),
                           str(body.get("detail", "")), **{k: v for k, v in body.items() if k not in ("code", "title", "detail")})
        response.headers.update(headers)
        return response
    return JSONResponse(outcome.body, status_code=outcome.status, headers=headers)
