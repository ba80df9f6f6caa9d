"""The one clock. Code asks a `Clock` for the time so tests can freeze it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time, always timezone-aware (UTC)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that says what it is told; for tests and replays."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, by: timedelta) -> None:
        self._at += by


def local_today(clock: Clock, tz: str) -> date:
    """Today's date in time zone `tz` (an alliance's business day), e.g. Asia/Shanghai."""
    return clock.now().astimezone(ZoneInfo(tz)).date()
