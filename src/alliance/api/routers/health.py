"""Liveness and readiness: is the server up, and does its database answer."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from alliance import __version__
from alliance.edge.deps import StoreDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str
    version: str


@router.get("/healthz", response_model=Health, responses={503: {"description": "database unavailable"}})
def healthz(store: StoreDep) -> Health:
    """`{"status": "ok", "database": "sqlite"|"postgresql"}`; 503 problem+json if the database is down."""
    store.ping()
    return Health(status="ok", database=store.kind, version=__version__)
