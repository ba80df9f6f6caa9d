"""Errors of the scorecard: each `InvalidInput` or `NotFound` with a stable code, every problem at once."""

from __future__ import annotations

from alliance.core.errors import InvalidInput, NotFound
from alliance.core.messages import Message


class CatalogueInvalid(InvalidInput):
    """A KPI definition the scorecard cannot use: bands that do not order for the direction, an
    unknown dimension, direction or source, a negative weight."""

    code = "kpi_catalogue_invalid"
    title = Message("KPI catalogue is invalid")


class KpiValueInvalid(InvalidInput):
    """An entered value that cannot be stored: an unknown or computed KPI, a period that does not
    parse, a value that is not a number, an unknown member."""

    code = "kpi_value_invalid"
    title = Message("KPI value refused")


class PeriodInvalid(InvalidInput):
    """A period that does not parse (2026Q4, 2026-11, 2026-W48, 2026-10-01..2027-01-01)."""

    code = "kpi_period_invalid"
    title = Message("Period not understood")


class PledgeInvalid(InvalidInput):
    """A pledge or a delivery that cannot be stored: unknown kind or member, an amount that is not
    positive or not exact, a delivery against another alliance's pledge."""

    code = "pledge_invalid"
    title = Message("Pledge refused")


class PledgeNotFound(NotFound):
    code = "pledge_not_found"
    title = Message("Pledge not found")

    def __init__(self, number: int) -> None:
        super().__init__(Message("no pledge number {number} in this alliance, or not yours to see", number=number))
