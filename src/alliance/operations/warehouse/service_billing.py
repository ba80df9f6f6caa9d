"""Billing the shared warehouse by month: one invoice line per booking (the month's days and the
corrections of earlier months) and one charge per warehouse and month, scheduled for the next
settlement run (operations.charge_service); the scheduler's job bills each last month once it is over."""

from __future__ import annotations

import logging
from typing import Any

from alliance.access.policy import Action, authorize
from alliance.access.roles import Principal
from alliance.core.clock import Clock, local_today
from alliance.core.errors import AllianceError, AlreadyStored
from alliance.core.money import minor_digits
from alliance.ledger import events
from alliance.ledger import service as ledger
from alliance.operations.warehouse.accrual import month_bounds, previous_month
from alliance.operations.warehouse.billing import Invoice, by_member, invoice, member_rate
from alliance.operations.warehouse.digests import invoice_digest
from alliance.operations.warehouse.model import (
    MonthAlreadyBilled, MonthNotOver, Warehouse,
)
from alliance.operations.warehouse.views import (
    InvoiceView,
)
from alliance.registry import lifecycle
from alliance.registry.model import Alliance
from alliance.store.database import Store
from alliance.store.unit_of_work import UnitOfWork
from alliance.store.warehouse_repository import WarehouseRepository
from alliance.operations.warehouse.service_support import (
    _check_month, _invoice_views, _warehouse, reference_of, title_of,
)

SOURCE = "warehouse"  # the charges' source (statement lines' kind)


logger = logging.getLogger(__name__)


def bill_month(store: Store, alliance_code: str, principal: Principal, month: str, clock: Clock, *,
               number: int | None = None) -> list[InvoiceView]:
    """Bill `month` ("2026-11", over: MonthNotOver otherwise) for one warehouse or every warehouse not
    yet billed for it: per booking an invoice line (the month's days, and corrections of earlier
    months), and ONE charge per warehouse and month (members −, the owner +) scheduled for the next
    settlement run. A warehouse billed for the month already: MonthAlreadyBilled (number given; with
    all warehouses those billed are skipped)."""
    authorize(principal, Action.MANAGE_ALLIANCE, alliance_code)
    _check_month(month)
    with store.unit_of_work() as uow:
        alliance = uow.alliances.require(alliance_code)
        uow.alliances.lock(alliance.id)
        repo = WarehouseRepository(uow.connection)
        if month_bounds(month)[1] >= local_today(clock, alliance.timezone):
            raise MonthNotOver(month)
        houses = repo.warehouses(alliance.id) if number is None else [_warehouse(repo, alliance, number)]
        billed: list[int] = []
        for w in houses:
            if month in repo.billed_months(alliance.id, w.id):
                if number is not None:
                    raise MonthAlreadyBilled(w.number, month)
                continue
            if _bill(uow, repo, alliance, w, month, principal.subject, clock) is not None:
                billed.append(w.id)
        views = [v for v in _invoice_views(repo, alliance, principal, None, month)
                 if v.warehouse in {w.number for w in houses if w.id in billed}]
        uow.commit()
        return views


def bill_due_months(store: Store, clock: Clock) -> int:
    """The scheduler's job: bill, for every alliance, each warehouse's last month once it is over
    (not yet billed). Returns how many warehouse months were billed."""
    count = 0
    with store.unit_of_work() as uow:
        alliances = uow.alliances.all()
    for alliance in alliances:
        month = previous_month(local_today(clock, alliance.timezone).strftime("%Y-%m"))
        if lifecycle.write_of(events.WAREHOUSE_MONTH_BILLED) not in lifecycle.ALLOWED[alliance.status]:
            continue  # a dissolved alliance's warehouses stand where they were
        with store.unit_of_work() as uow:
            numbers = [w.number for w in WarehouseRepository(uow.connection).warehouses(alliance.id)]
        for number in numbers:
            # each warehouse month in its own transaction: one that cannot be billed (a dissolved alliance,
            # a charge refused) is logged and tried again next time, never holding back the others
            try:
                with store.unit_of_work() as uow:
                    uow.alliances.lock(alliance.id)
                    repo = WarehouseRepository(uow.connection)
                    w = repo.warehouse(alliance.id, number)
                    if w is not None and month not in repo.billed_months(alliance.id, w.id) and \
                            _bill(uow, repo, alliance, w, month, "scheduler", clock) is not None:
                        count += 1
                    uow.commit()
            except AllianceError:
                logger.warning("warehouse %s of alliance %s: %s not billed", number, alliance.code, month,
                               exc_info=True)
    return count


# -- billing --------------------------------------------------------------------------------------

def charge_lines(inv: Invoice, owner: str, reference: str) -> list[Any]:
    """The month's charge: each member (not the owner: what it owes itself nets out) pays its total, the
    owner receives the sum. Members owing nothing are left out; a credit (a correction) is a + line."""
    from alliance.operations.charges import ChargeLine

    lines: list[Any] = []
    grouped = by_member(inv.lines)
    for member in sorted(inv.totals):
        amount = inv.totals[member]
        if member == owner or amount == 0:
            continue
        mine = grouped[member]
        base = sum(line.month_minor for line in mine)
        lines.append(ChargeLine(member, -amount, base, member_rate(mine, reference)))
    total = -sum(line.amount_minor for line in lines)
    if lines and total:
        lines.append(ChargeLine(owner, total, total, f"Σ {len(lines)} ({reference})"))
    return lines


def _bill(uow: UnitOfWork, repo: WarehouseRepository, alliance: Alliance, w: Warehouse, month: str, actor: str,
          clock: Clock) -> int | None:
    """Bill one warehouse month (inside the caller's unit of work); the invoice's id."""
    from alliance.operations import charge_service

    every = repo.bookings(alliance.id, w.id)
    by_number = {b.number: b for b in every}
    inv = invoice(month, every, w.terms, repo.billed_before(alliance.id, w.id, month),
                  digits=minor_digits(alliance.currency))
    reference = reference_of(w, month)
    lines = charge_lines(inv, w.owner, reference)
    charge_id = None
    if len(lines) >= 2:
        charge_id = charge_service.schedule_charge(uow, alliance, source=SOURCE, reference=reference,
                                                   title=title_of(w, month), lines=lines, actor=actor, clock=clock)
    try:
        invoice_id = repo.add_invoice(alliance.id, w.id, month, reference, charge_id, inv.total_minor,
                                      invoice_digest(inv.lines, alliance.currency),
                                      [(by_number[line.booking].id, line) for line in inv.lines], clock.now(), actor)
    except AlreadyStored:
        raise MonthAlreadyBilled(w.number, month) from None
    ledger.record(uow, alliance.id, alliance.code, events.WAREHOUSE_MONTH_BILLED, actor, clock.now(), {
        "warehouse": w.number, "month": month, "reference": reference, "charge": charge_id,
        "lines": len(inv.lines), "lines_sha256": invoice_digest(inv.lines, alliance.currency)})
    return invoice_id
