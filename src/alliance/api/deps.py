"""Typed dependencies shared by the routers and pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from alliance.core.clock import Clock
from alliance.store.database import Store


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


StoreDep = Annotated[Store, Depends(get_store)]
ClockDep = Annotated[Clock, Depends(get_clock)]
