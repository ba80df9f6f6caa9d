"""The HTTP API (FastAPI): routers per resource, typed dependencies, problem+json errors."""
