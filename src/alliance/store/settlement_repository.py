"""Closed settlement runs and their statement lines; every query is scoped by alliance_id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select

from alliance.core.messages import from_document, to_document
from alliance.store.tables import (period_metrics, settlement_conversions, settlement_failures, settlement_runs,
                                  statement_lines)
from alliance.store.duplicates import refuses_duplicates


@dataclass(frozen=True, slots=True)
class StoredRun:
    id: int
    day: date
    currency: str
    lines: int
    late_lines: int
    agreements: list[dict[str, Any]]
    closed_at: datetime
    actor: str
    unshared_reason: str | None = None  # why a day with lines closed with nothing shared (confirmed)


@dataclass(frozen=True, slots=True)
class StoredStatementLine:
    account: str
    agreement: str
    version: int
    rule_id: str
    kind: str
    base_minor: int
    rate: str
    amount_minor: int
    adjustment_of: date | None
    correction_of: str | None = None  # a ruling's correcting entry: the ruling it books (settlement.corrections)


@dataclass(frozen=True, slots=True)
class StoredConversion:
    """A seller's lines of one business day in one foreign currency, as a run converted them."""

    business_day: date
    account: str
    currency: str
    rate: str
    source: str
    lines: int
    original_minor: int
    converted_minor: int
    adjustment: bool

    def as_json(self) -> dict[str, Any]:
        """As the ledger digests it (settlement.fx): plain values, the day as ISO text."""
        return {"day": self.business_day.isoformat(), "account": self.account, "currency": self.currency,
                "rate": self.rate, "source": self.source, "lines": self.lines, "original_minor": self.original_minor,
                "converted_minor": self.converted_minor, "adjustment": self.adjustment}


@dataclass(frozen=True, slots=True)
class SettlementFailure:
    day: date
    attempted_at: datetime
    actor: str
    reason: str  # a Message when it was recorded as one (said in the reader's language)


class SettlementRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def closed(self, alliance_id: int) -> dict[date, datetime]:
        rows = self._c.execute(
            select(settlement_runs.c.day, settlement_runs.c.closed_at).where(settlement_runs.c.alliance_id == alliance_id)
        )
        return {r.day: r.closed_at for r in rows}

    def watermark(self, alliance_id: int) -> int | None:
        """The latest watermark of the alliance's runs (see `settlement_runs.watermark_us`)."""
        return self._c.execute(select(func.max(settlement_runs.c.watermark_us))
                               .where(settlement_runs.c.alliance_id == alliance_id)).scalar_one()

    def run(self, alliance_id: int, day: date) -> StoredRun | None:
        r = self._c.execute(
            select(settlement_runs).where(settlement_runs.c.alliance_id == alliance_id, settlement_runs.c.day == day)
        ).one_or_none()
        return None if r is None else StoredRun(r.id, r.day, r.currency, r.lines, r.late_lines, r.agreements,
                                                r.closed_at, r.actor, r.unshared_reason)

    @refuses_duplicates
    def add(self, alliance_id: int, run: dict[str, Any], lines: list[dict[str, Any]],
            conversions: list[StoredConversion] | None = None) -> int:
        result = self._c.execute(insert(settlement_runs).values(alliance_id=alliance_id, **run))
        key = result.inserted_primary_key
        assert key is not None
        run_id = int(key[0])
        if lines:
            # Only a correction's lines name a ruling; every other line stores NULL there.
            self._c.execute(insert(statement_lines), [{"alliance_id": alliance_id, "run_id": run_id,
                                                       "correction_of": None, **l} for l in lines])
        if conversions:
            self._c.execute(insert(settlement_conversions), [
                {"alliance_id": alliance_id, "run_id": run_id, "business_day": c.business_day, "account": c.account,
                 "currency": c.currency, "rate": c.rate, "source": c.source, "lines": c.lines,
                 "original_minor": c.original_minor, "converted_minor": c.converted_minor,
                 "adjustment": c.adjustment} for c in conversions])
        return run_id

    def conversions(self, alliance_id: int, run_id: int, account: str | None = None) -> list[StoredConversion]:
        """What a run converted (of one account, if given), in the order it was saved."""
        query = select(settlement_conversions).where(settlement_conversions.c.alliance_id == alliance_id,
                                                     settlement_conversions.c.run_id == run_id)
        if account is not None:
            query = query.where(settlement_conversions.c.account == account)
        return [StoredConversion(r.business_day, r.account, r.currency, r.rate, r.source, r.lines, r.original_minor,
                                 r.converted_minor, bool(r.adjustment))
                for r in self._c.execute(query.order_by(settlement_conversions.c.id))]

    def metrics(self, alliance_id: int) -> dict[str, dict[str, dict[str, Decimal]]]:
        """period -> metric -> member -> value, for every period recorded."""
        found: dict[str, dict[str, dict[str, Decimal]]] = {}
        for r in self._c.execute(select(period_metrics).where(period_metrics.c.alliance_id == alliance_id)):
            found.setdefault(r.period, {}).setdefault(r.metric, {})[r.member_code] = r.value
        return found

    def add_metrics(self, alliance_id: int, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._c.execute(insert(period_metrics), [{"alliance_id": alliance_id, **r} for r in rows])

    def runs_between(self, alliance_id: int, first: date, last: date) -> list[StoredRun]:
        rows = self._c.execute(
            select(settlement_runs)
            .where(settlement_runs.c.alliance_id == alliance_id, settlement_runs.c.day.between(first, last))
            .order_by(settlement_runs.c.day)
        )
        return [StoredRun(r.id, r.day, r.currency, r.lines, r.late_lines, r.agreements, r.closed_at, r.actor,
                          r.unshared_reason) for r in rows]

    def has_account(self, alliance_id: int, account: str) -> bool:
        """Whether any statement line of the alliance was ever posted to `account`."""
        return self._c.execute(select(statement_lines.c.id).where(
            statement_lines.c.alliance_id == alliance_id, statement_lines.c.account == account).limit(1)).first() is not None

    def lines(self, alliance_id: int, run_id: int, account: str | None = None) -> list[StoredStatementLine]:
        query = (
            select(statement_lines)
            .where(statement_lines.c.alliance_id == alliance_id, statement_lines.c.run_id == run_id)
            .order_by(statement_lines.c.id)
        )
        if account is not None:
            query = query.where(statement_lines.c.account == account)
        return [
            StoredStatementLine(r.account, r.agreement, r.version, r.rule_id, r.kind, r.base_minor, r.rate,
                                r.amount_minor, r.adjustment_of, r.correction_of)
            for r in self._c.execute(query)
        ]

    def postings(self, alliance_id: int) -> list[tuple[int, str, str, str, int]]:
        """(run id, agreement, rule id, account, amount in minor units) of every statement line of every
        closed day, for the funds' balances at dissolution (exits.funds)."""
        rows = self._c.execute(
            select(statement_lines.c.run_id, statement_lines.c.agreement, statement_lines.c.rule_id,
                   statement_lines.c.account, statement_lines.c.amount_minor)
            .where(statement_lines.c.alliance_id == alliance_id).order_by(statement_lines.c.id))
        return [(int(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4])) for r in rows]

    def account_totals(self, alliance_id: int, first: date, last: date) -> list[tuple[date, str, int, int]]:
        """(day, account, net amount in minor units, statement lines) of every closed day in [first, last]."""
        rows = self._c.execute(
            select(settlement_runs.c.day, statement_lines.c.account, func.sum(statement_lines.c.amount_minor),
                   func.count())
            .select_from(statement_lines.join(settlement_runs, statement_lines.c.run_id == settlement_runs.c.id))
            .where(settlement_runs.c.alliance_id == alliance_id, statement_lines.c.alliance_id == alliance_id,
                   settlement_runs.c.day.between(first, last))
            .group_by(settlement_runs.c.day, statement_lines.c.account)
            .order_by(settlement_runs.c.day, statement_lines.c.account)
        )
        return [(r[0], r[1], int(r[2]), int(r[3])) for r in rows]

    def add_failure(self, alliance_id: int, day: date, at: datetime, actor: str, reason: str) -> None:
        self._c.execute(insert(settlement_failures).values(alliance_id=alliance_id, day=day, attempted_at=at,
                                                           actor=actor[:200], reason=reason[:1000],
                                                           reason_message=to_document(reason)))

    def failures_between(self, alliance_id: int, first: date, last: date) -> dict[date, SettlementFailure]:
        """The latest failed attempt of each day in [first, last] that had one."""
        rows = self._c.execute(
            select(settlement_failures)
            .where(settlement_failures.c.alliance_id == alliance_id, settlement_failures.c.day.between(first, last))
            .order_by(settlement_failures.c.attempted_at, settlement_failures.c.id)
        )
        return {r.day: SettlementFailure(r.day, r.attempted_at, r.actor,
                                          from_document(r.reason_message, r.reason)) for r in rows}
