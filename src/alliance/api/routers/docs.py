"""The interactive API reference: Swagger UI, served from the platform's own static files.

FastAPI's built-in docs page loads Swagger UI from a CDN and starts it with an inline script, so it
is blank offline and needs its own content-security policy. This page loads the npm package's files
(`swagger-ui-dist`, vendored under web/static/vendor with its licence) and a small start-up script
of ours, so it works with no network and under the same CSP as every other page, except that
Swagger UI sets inline styles (see edge.guards.DOCS_PATH).
"""

from __future__ import annotations

from fastapi.responses import HTMLResponse
from starlette.requests import Request

from alliance import __version__

SWAGGER_UI = "5.35.0"
PATH = "/api/v1/docs"

PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Alliance API {__version__}</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui-{SWAGGER_UI}.css">
</head>
<body>
<div id="swagger-ui" data-spec="/api/v1/openapi.json"></div>
<script src="/static/vendor/swagger-ui-bundle-{SWAGGER_UI}.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


async def api_docs(_: Request) -> HTMLResponse:
    """Swagger UI over `/api/v1/openapi.json`; "Authorize" takes an API key (docs/access.md)."""
    return HTMLResponse(PAGE)


def install(app: object) -> None:
    """Serve the page as a plain route: it is neither an API operation nor a workspace page."""
    app.add_route(PATH, api_docs, methods=["GET"], include_in_schema=False)  # type: ignore[attr-defined]
