"""Loading and saving the shared warehouse: warehouses with their price lines, bookings, and billed
months with their lines. Every query is scoped by alliance_id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.engine import Row

from alliance.operations.warehouse.billing import InvoiceLine, StayDetail
from alliance.operations.warehouse.model import (
    Booking, Period, PriceLine, Status, Terms, Unit, Warehouse, WarehouseDraft, terms_from_json, terms_json,
)
from alliance.store.duplicates import refuses_duplicates
from alliance.store.tables import (
    warehouse_bookings, warehouse_invoice_lines, warehouse_invoices, warehouse_prices, warehouses,
)


def _warehouse(row: Row[Any], lines: Sequence[PriceLine]) -> Warehouse:
    terms = Terms(tuple(lines), row.free_days, row.surcharge_after, Decimal(row.surcharge_percent))
    return Warehouse(id=row.id, number=row.number, name=row.name, owner=row.owner, location=row.location,
                     capacity=int(row.capacity), unit=Unit(row.unit), terms=terms, active=bool(row.active),
                     created_at=row.created_at, created_by=row.created_by)


def booking_of(row: Row[Any]) -> Booking:
    return Booking(id=row.id, number=row.number, warehouse_id=row.warehouse_id, member=row.member,
                   quantity=int(row.quantity), starts_on=row.starts_on, ends_on=row.ends_on, priority=row.priority,
                   status=Status(row.status), created_at=row.created_at, created_by=row.created_by,
                   checked_in_on=row.checked_in_on, checked_out_on=row.checked_out_on,
                   actual_quantity=None if row.actual_quantity is None else int(row.actual_quantity), note=row.note,
                   terms=None if row.terms is None else terms_from_json(row.terms))


_PERIOD_ORDER = {Period.DAY: 0, Period.WEEK: 1, Period.MONTH: 2}


class WarehouseRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- warehouses -------------------------------------------------------------------------------

    def _lines(self, alliance_id: int, ids: Iterable[int]) -> dict[int, list[PriceLine]]:
        wanted = list(ids)
        found: dict[int, list[PriceLine]] = {i: [] for i in wanted}
        if not wanted:
            return found
        rows = self._c.execute(select(warehouse_prices).where(warehouse_prices.c.alliance_id == alliance_id,
                                                              warehouse_prices.c.warehouse_id.in_(wanted)))
        for r in rows:
            found[r.warehouse_id].append(PriceLine(Period(r.period), int(r.price_minor)))
        for lines in found.values():
            lines.sort(key=lambda line: _PERIOD_ORDER[line.period])
        return found

    def warehouses(self, alliance_id: int, *, active_only: bool = False) -> list[Warehouse]:
        query = select(warehouses).where(warehouses.c.alliance_id == alliance_id).order_by(warehouses.c.number)
        if active_only:
            query = query.where(warehouses.c.active.is_(True))
        rows = self._c.execute(query).all()
        lines = self._lines(alliance_id, [r.id for r in rows])
        return [_warehouse(r, lines[r.id]) for r in rows]

    def warehouse(self, alliance_id: int, number: int) -> Warehouse | None:
        row = self._c.execute(select(warehouses).where(warehouses.c.alliance_id == alliance_id,
                                                       warehouses.c.number == number)).one_or_none()
        return None if row is None else _warehouse(row, self._lines(alliance_id, [row.id])[row.id])

    def warehouse_by_id(self, alliance_id: int, warehouse_id: int) -> Warehouse | None:
        row = self._c.execute(select(warehouses).where(warehouses.c.alliance_id == alliance_id,
                                                       warehouses.c.id == warehouse_id)).one_or_none()
        return None if row is None else _warehouse(row, self._lines(alliance_id, [row.id])[row.id])

    def _next(self, table: Any, alliance_id: int) -> int:
        top = self._c.execute(select(func.max(table.c.number)).where(table.c.alliance_id == alliance_id)).scalar()
        return int(top or 0) + 1

    @staticmethod
    def _values(draft: WarehouseDraft) -> dict[str, Any]:
        t = draft.terms
        return {"name": draft.name.strip(), "owner": draft.owner, "location": draft.location.strip(),
                "capacity": draft.capacity, "unit": draft.unit.value, "free_days": t.free_days,
                "surcharge_after": t.surcharge_after, "surcharge_percent": t.surcharge_percent,
                "active": draft.active}

    def _save_lines(self, alliance_id: int, warehouse_id: int, lines: Sequence[PriceLine]) -> None:
        self._c.execute(delete(warehouse_prices).where(warehouse_prices.c.alliance_id == alliance_id,
                                                       warehouse_prices.c.warehouse_id == warehouse_id))
        for line in lines:
            self._c.execute(insert(warehouse_prices).values(alliance_id=alliance_id, warehouse_id=warehouse_id,
                                                            period=line.period.value, price_minor=line.price_minor))

    @refuses_duplicates
    def add_warehouse(self, alliance_id: int, draft: WarehouseDraft, at: datetime, by: str) -> int:
        """Store a new warehouse; its number."""
        number = self._next(warehouses, alliance_id)
        result = self._c.execute(insert(warehouses).values(
            alliance_id=alliance_id, number=number, **self._values(draft), created_at=at, created_by=by,
            updated_at=at, updated_by=by))
        key = result.inserted_primary_key
        assert key is not None
        self._save_lines(alliance_id, int(key[0]), draft.terms.lines)
        return number

    def update_warehouse(self, alliance_id: int, warehouse_id: int, draft: WarehouseDraft, at: datetime,
                         by: str) -> None:
        self._c.execute(update(warehouses).where(warehouses.c.alliance_id == alliance_id,
                                                 warehouses.c.id == warehouse_id)
                        .values(**self._values(draft), updated_at=at, updated_by=by))
        self._save_lines(alliance_id, warehouse_id, draft.terms.lines)

    # -- bookings ---------------------------------------------------------------------------------

    def bookings(self, alliance_id: int, warehouse_id: int | None = None, *, member: str | None = None,
                 statuses: Iterable[Status] | None = None, overlapping: tuple[date, date] | None = None) -> list[Booking]:
        """Bookings, by number; of one warehouse, member, statuses; `overlapping` (start, end): those whose
        booked or actual span may touch those days."""
        t = warehouse_bookings
        query = select(t).where(t.c.alliance_id == alliance_id).order_by(t.c.number)
        if warehouse_id is not None:
            query = query.where(t.c.warehouse_id == warehouse_id)
        if member is not None:
            query = query.where(t.c.member == member)
        if statuses is not None:
            query = query.where(t.c.status.in_([s.value for s in statuses]))
        rows = self._c.execute(query)
        found = [booking_of(r) for r in rows]
        if overlapping is not None:
            lo, hi = overlapping
            found = [b for b in found if b.stay[0] <= hi and b.stay[1] >= lo]
        return found

    def booking(self, alliance_id: int, number: int) -> Booking | None:
        t = warehouse_bookings
        row = self._c.execute(select(t).where(t.c.alliance_id == alliance_id, t.c.number == number)).one_or_none()
        return None if row is None else booking_of(row)

    @refuses_duplicates
    def add_booking(self, alliance_id: int, warehouse_id: int, member: str, quantity: int, starts_on: date,
                    ends_on: date, priority: int, status: Status, note: str, at: datetime, by: str,
                    terms: Terms) -> int:
        """Store a booking with the terms it is billed by; its number."""
        number = self._next(warehouse_bookings, alliance_id)
        self._c.execute(insert(warehouse_bookings).values(
            alliance_id=alliance_id, warehouse_id=warehouse_id, number=number, member=member, quantity=quantity,
            starts_on=starts_on, ends_on=ends_on, priority=priority, status=status.value, note=note,
            terms=terms_json(terms), created_at=at, created_by=by, updated_at=at, updated_by=by))
        return number

    def update_booking(self, alliance_id: int, booking_id: int, at: datetime, by: str, **values: Any) -> None:
        if "status" in values:
            values["status"] = Status(values["status"]).value
        self._c.execute(update(warehouse_bookings)
                        .where(warehouse_bookings.c.alliance_id == alliance_id, warehouse_bookings.c.id == booking_id)
                        .values(**values, updated_at=at, updated_by=by))

    # -- billed months ----------------------------------------------------------------------------

    def billed_months(self, alliance_id: int, warehouse_id: int) -> set[str]:
        t = warehouse_invoices
        rows = self._c.execute(select(t.c.month).where(t.c.alliance_id == alliance_id, t.c.warehouse_id == warehouse_id))
        return {r.month for r in rows}

    def billed_before(self, alliance_id: int, warehouse_id: int, month: str) -> dict[int, int]:
        """Booking id -> what invoices of months before `month` billed for it (month lines + corrections)."""
        i, line = warehouse_invoices, warehouse_invoice_lines
        query = (select(line.c.booking_id, func.sum(line.c.month_minor + line.c.correction_minor).label("total"))
                 .join(i, i.c.id == line.c.invoice_id)
                 .where(i.c.alliance_id == alliance_id, i.c.warehouse_id == warehouse_id, i.c.month < month)
                 .group_by(line.c.booking_id))
        return {r.booking_id: int(r.total) for r in self._c.execute(query)}

    @refuses_duplicates
    def add_invoice(self, alliance_id: int, warehouse_id: int, month: str, reference: str, charge_id: int | None,
                    total_minor: int, lines_sha256: str, lines: Sequence[tuple[int, InvoiceLine]], at: datetime,
                    by: str) -> int:
        """Store a billed month and its lines ((booking id, line) pairs); its id. A month billed twice
        is refused by the unique (warehouse, month)."""
        result = self._c.execute(insert(warehouse_invoices).values(
            alliance_id=alliance_id, warehouse_id=warehouse_id, month=month, reference=reference,
            charge_id=charge_id, total_minor=total_minor, lines_sha256=lines_sha256, billed_at=at, billed_by=by))
        key = result.inserted_primary_key
        assert key is not None
        invoice_id = int(key[0])
        if lines:
            self._c.execute(insert(warehouse_invoice_lines), [
                {"alliance_id": alliance_id, "invoice_id": invoice_id, "booking_id": booking_id,
                 "member": line.member, "month_minor": line.month_minor, "correction_minor": line.correction_minor,
                 "days_in_month": line.days_in_month, "explanation": line.explanation, "detail": _detail(line)}
                for booking_id, line in lines])
        return invoice_id

    def invoices(self, alliance_id: int, warehouse_id: int | None = None,
                 month: str | None = None) -> list[Row[Any]]:
        """Invoice rows, newest month first."""
        t = warehouse_invoices
        query = select(t).where(t.c.alliance_id == alliance_id).order_by(t.c.month.desc(), t.c.warehouse_id)
        if warehouse_id is not None:
            query = query.where(t.c.warehouse_id == warehouse_id)
        if month is not None:
            query = query.where(t.c.month == month)
        return list(self._c.execute(query))

    def booking_terms(self, alliance_id: int, booking_ids: Iterable[int]) -> dict[int, Terms]:
        """Booking id -> the terms it is billed by, for those stored with terms."""
        wanted, t = list(booking_ids), warehouse_bookings
        if not wanted:
            return {}
        rows = self._c.execute(select(t.c.id, t.c.terms).where(t.c.alliance_id == alliance_id, t.c.id.in_(wanted),
                                                               t.c.terms.is_not(None)))
        return {r.id: terms_from_json(r.terms) for r in rows}

    def invoice_lines(self, alliance_id: int, invoice_ids: Sequence[int]) -> dict[int, list[tuple[int, InvoiceLine]]]:
        """Invoice id -> its (booking number, line) pairs, in booking order."""
        line, b = warehouse_invoice_lines, warehouse_bookings
        found: dict[int, list[tuple[int, InvoiceLine]]] = {i: [] for i in invoice_ids}
        if not invoice_ids:
            return found
        query = (select(line, b.c.number).join(b, b.c.id == line.c.booking_id)
                 .where(line.c.alliance_id == alliance_id, line.c.invoice_id.in_(list(invoice_ids)))
                 .order_by(line.c.invoice_id, b.c.number))
        for r in self._c.execute(query):
            found[r.invoice_id].append((r.booking_id, _line(r)))
        return found


def _detail(line: InvoiceLine) -> dict[str, Any] | None:
    if line.detail is None or line.stay_start is None or line.stay_end is None:
        return None
    d = line.detail
    return {"start": line.stay_start.isoformat(), "end": line.stay_end.isoformat(), "days": d.days,
            "billable_days": d.billable_days, "free_days": d.free_days, "combination": [list(c) for c in d.combination],
            "quantity": d.quantity, "base_minor": d.base_minor, "surcharge_days": d.surcharge_days,
            "surcharge_minor": d.surcharge_minor}


def _line(r: Row[Any]) -> InvoiceLine:
    d = r.detail
    detail = None if not d else StayDetail(d["days"], d["billable_days"], d["free_days"],
                                           tuple((p, int(c)) for p, c in d["combination"]), d["quantity"],
                                           int(d["base_minor"]), d["surcharge_days"], int(d["surcharge_minor"]))
    return InvoiceLine(r.number, r.member, int(r.month_minor), int(r.correction_minor), r.days_in_month,
                       r.explanation, None if not d else date.fromisoformat(d["start"]),
                       None if not d else date.fromisoformat(d["end"]), detail)
