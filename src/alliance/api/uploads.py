"""Reading raw request bodies without trusting their size."""

from __future__ import annotations

from fastapi import Request

from alliance.core.errors import AllianceError
from alliance.core.messages import Message


class BodyTooLarge(AllianceError):
    code = "body_too_large"
    title = Message("Request body too large")
    status = 413


async def read_capped(request: Request, limit: int, what: str) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(Message("{what} may be at most {limit} bytes; this one declares {declared}",
                                   what=what, limit=limit, declared=declared))
    received = bytearray()
    async for chunk in request.stream():
        received.extend(chunk)
        if len(received) > limit:
            raise BodyTooLarge(Message("{what} may be at most {limit} bytes", what=what, limit=limit))
    return bytes(received)
