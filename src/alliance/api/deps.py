"""Typed dependencies shared by the routers and pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from alliance.core.clock import Clock
from alliance.store.database import Store


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


StoreDep = Annotated[Store, Depends(get_store)]
# Ids are positive 32-bit integers; anything else is a 422, never a database overflow.
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
Code = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
ClockDep = Annotated[Clock, Depends(get_clock)]
