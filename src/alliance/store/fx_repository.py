"""Exchange rates of each alliance (settlement.fx), append-only: rows are inserted, never updated
or deleted. Made per unit of work by the service (`FxRepository(uow.connection)`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, func, insert, select, update

from alliance.settlement.fx.rates import Rate, rate_text
from alliance.store.tables import alliances, fx_rates


@dataclass(frozen=True, slots=True)
class StoredRate:
    rate: Rate
    import_number: int
    imported_by: str
    imported_at: datetime


def _stored(r: object) -> StoredRate:
    return StoredRate(Rate(r.day, r.currency, Decimal(r.rate), r.source), int(r.import_number),  # type: ignore[attr-defined]
                      r.imported_by, r.imported_at)  # type: ignore[attr-defined]


class FxRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def hold(self, alliance_id: int) -> None:
        """Make this alliance's imports one at a time, until the transaction ends, so that what is read
        next (the stored rates, the last import number) stays true until it commits. PostgreSQL locks
        the alliance's row; SQLite has no row lock, and its reads before a transaction's first write
        see no later commit: an UPDATE that changes nothing takes its write lock now (waiting, within
        busy_timeout, for the import under way)."""
        if self._c.dialect.name == "sqlite":
            self._c.execute(update(alliances).where(alliances.c.id == alliance_id).values(id=alliances.c.id))
        else:
            self._c.execute(select(alliances.c.id).where(alliances.c.id == alliance_id).with_for_update())

    def known(self, alliance_id: int, keys: Iterable[tuple[date, str]]) -> dict[tuple[date, str], Decimal]:
        """The stored rates of these (day, currency) pairs (those stored)."""
        wanted = set(keys)
        if not wanted:
            return {}
        days = [d for d, _ in wanted]
        found = self._c.execute(select(fx_rates.c.day, fx_rates.c.currency, fx_rates.c.rate).where(
            fx_rates.c.alliance_id == alliance_id, fx_rates.c.day >= min(days), fx_rates.c.day <= max(days),
            fx_rates.c.currency.in_(sorted({c for _, c in wanted}))))
        return {(r.day, r.currency): Decimal(r.rate) for r in found if (r.day, r.currency) in wanted}

    def next_import(self, alliance_id: int) -> int:
        last = self._c.execute(select(func.max(fx_rates.c.import_number))
                               .where(fx_rates.c.alliance_id == alliance_id)).scalar_one_or_none()
        return int(last or 0) + 1

    def add(self, alliance_id: int, number: int, rates: Sequence[Rate], by: str, at: datetime) -> None:
        if rates:
            self._c.execute(insert(fx_rates), [
                {"alliance_id": alliance_id, "day": r.day, "currency": r.currency, "rate": rate_text(r.rate),
                 "source": r.source, "import_number": number, "imported_by": by, "imported_at": at} for r in rates])

    def page(self, alliance_id: int, currency: str | None, limit: int, offset: int) -> tuple[list[StoredRate], int]:
        """Newest day first, then by currency; and how many in all."""
        where = [fx_rates.c.alliance_id == alliance_id]
        if currency:
            where.append(fx_rates.c.currency == currency)
        total = int(self._c.execute(select(func.count()).select_from(fx_rates).where(*where)).scalar_one())
        rows = self._c.execute(select(fx_rates).where(*where).order_by(fx_rates.c.day.desc(), fx_rates.c.currency)
                               .limit(limit).offset(offset))
        return [_stored(r) for r in rows], total

    def currencies(self, alliance_id: int) -> list[str]:
        return list(self._c.execute(select(fx_rates.c.currency).where(fx_rates.c.alliance_id == alliance_id)
                                    .distinct().order_by(fx_rates.c.currency)).scalars())

    def latest(self, alliance_id: int, currency: str, count: int) -> list[Rate]:
        """The `count` latest rates of `currency`, oldest first (a chart's series)."""
        rows = self._c.execute(select(fx_rates).where(fx_rates.c.alliance_id == alliance_id,
                                                      fx_rates.c.currency == currency)
                               .order_by(fx_rates.c.day.desc()).limit(count)).all()
        return [_stored(r).rate for r in reversed(rows)]

    def between(self, alliance_id: int, first: date, last: date) -> list[Rate]:
        """Every rate of the days first..last (inclusive), by day and currency."""
        rows = self._c.execute(select(fx_rates).where(fx_rates.c.alliance_id == alliance_id, fx_rates.c.day >= first,
                                                      fx_rates.c.day <= last)
                               .order_by(fx_rates.c.day, fx_rates.c.currency))
        return [_stored(r).rate for r in rows]

    def recorded(self, alliance_id: int) -> list[dict[str, object]]:
        """Every stored rate as verification reads it (ledger.coverage.ExchangeRateImportKind)."""
        rows = self._c.execute(select(fx_rates).where(fx_rates.c.alliance_id == alliance_id).order_by(fx_rates.c.id))
        return [{"import": int(r.import_number), "day": r.day.isoformat(), "currency": r.currency, "rate": r.rate,
                 "source": r.source} for r in rows]
