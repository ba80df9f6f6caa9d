"""SQL text helpers of the DuckDB fact store: literals and instants as DuckDB reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Timestamps leave DuckDB as integer microseconds (its Python conversion of TIMESTAMPTZ needs pytz).
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_us(moment: datetime) -> int:
    """An aware time as DuckDB's epoch_us() gives it: compared as integers, no TIMESTAMPTZ binding."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def instant(moment: datetime) -> str:
    """A SQL TIMESTAMPTZ literal of an aware time."""
    return f"TIMESTAMPTZ '{moment.astimezone(UTC).isoformat()}'"

