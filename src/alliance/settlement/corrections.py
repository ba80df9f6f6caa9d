"""Correcting adjustment entries: what an accepted ruling orders paid, and its statement lines. Pure.

A ruling of a dispute (a proposal of the arbitration body, accepted) may order money moved between
members: a list of **transfers** (payer, payee, amount > 0 in the alliance's currency). Closed days
are never rewritten, so the transfers are booked as a **correction** on the next day a settlement run
closes: each transfer gives the payer a line of `-amount` and the payee a line of `+amount`, both of
kind `correction`, naming the ruling in `correction_of` ("dispute 3, ruling proposal 12"). Each
transfer's two lines sum to zero exactly, so the day still balances and every statement total moves
by exactly what the ruling ordered.

This module checks transfers (`check_transfers`: every problem at once), names a ruling
(`reference`, `parse_reference`), digests the transfers for the ledger (`transfers_digest`: entries
are read by every role of the alliance, a correction only by its parties and the alliance's
officers) and makes the statement lines (`statement_lines`). The service
(`settlement.service_corrections`) and the settlement run (`settlement.service.settle`) do the I/O.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from alliance.core.errors import Problem
from alliance.core.limits import LINE_LIMIT_MINOR
from alliance.core.messages import Message
from alliance.core.money import Money, MoneyError, minor_digits

# The statement line kind of a correcting entry (beside the rule kinds of sharing.agreement.RuleKind).
CORRECTION = "correction"
MAX_TRANSFERS = 50
# A correction's line holds neither an agreement nor a version: these stand in the statement's columns.
NO_AGREEMENT = ""
NO_VERSION = 0
_REFERENCE = re.compile(r"^dispute (\d+), ruling (.+)$", re.DOTALL)
MAX_RULING_REF = 64  # disputes.ruling_ref


@dataclass(frozen=True, slots=True)
class Transfer:
    """The payer owes the payee `amount` (> 0), by the ruling."""

    payer: str
    payee: str
    amount: Money

    def as_json(self) -> dict[str, str]:
        return {"payer": self.payer, "payee": self.payee, "amount": self.amount.amount_text()}


def _amount(value: object, currency: str) -> tuple[Money | None, Message | None]:
    """The exact amount of one transfer, or why it is not one."""
    if isinstance(value, bool) or isinstance(value, float) or not isinstance(value, (Decimal, int, str)):
        # A float is never exact money: refused, not rounded.
        return None, Message("{value!r} is not an exact amount (give a decimal)", value=value)
    try:
        amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        return None, Message("{value!r} is not an amount", value=value)
    if not amount.is_finite():
        return None, Message("{value!r} is not an amount", value=value)
    digits = minor_digits(currency)
    scaled = amount.scaleb(digits)
    if scaled != scaled.to_integral_value():
        return None, Message("{value} has more than {digits} decimal places for {currency}",
                             value=amount, digits=digits, currency=currency)
    minor = int(scaled)
    if minor <= 0:
        return None, Message("the amount must be more than zero, not {value}", value=amount)
    if minor > LINE_LIMIT_MINOR:
        return None, Message("{value} is more than one transfer may move ({limit})", value=amount,
                             limit=Money(LINE_LIMIT_MINOR, currency).amount_text())
    return Money(minor, currency), None


def check_transfers(transfers: Sequence[tuple[str, str, Any]], members: Collection[str],
                    currency: str) -> list[Problem]:
    """Every problem of an award's transfers at once (empty: they can be booked).

    `members` are the alliance's active members (those that have not left); `currency` the
    alliance's. A transfer needs a payer and a payee that are active members and different, and an
    exact amount more than zero with at most the currency's decimal places (a float is refused:
    money is never binary). At least one transfer, at most MAX_TRANSFERS.
    """
    problems: list[Problem] = []
    if not transfers:
        problems.append(Problem(Message("the ruling"), "transfers", Message("name at least one transfer")))
    if len(transfers) > MAX_TRANSFERS:
        problems.append(Problem(Message("the ruling"), "transfers",
                                Message("{count} transfers: at most {limit} in one ruling", count=len(transfers),
                                        limit=MAX_TRANSFERS)))
    active = set(members)
    try:
        minor_digits(currency)
    except MoneyError as exc:
        return [*problems, Problem(Message("the ruling"), "currency", exc.message)]
    for n, transfer in enumerate(transfers, start=1):
        where = Message("transfer {n}", n=n)
        try:
            payer, payee, value = transfer
        except (TypeError, ValueError):
            problems.append(Problem(where, "", Message("a transfer is (payer, payee, amount)")))
            continue
        for field, member in (("payer", payer), ("payee", payee)):
            if not isinstance(member, str) or member not in active:
                problems.append(Problem(where, field, Message("{member!r} is not an active member of the alliance",
                                                              member=member)))
        if isinstance(payer, str) and payer == payee:
            problems.append(Problem(where, "payee", Message("{member!r} would pay itself", member=payee)))
        _, why = _amount(value, currency)
        if why is not None:
            problems.append(Problem(where, "amount", why))
    return problems


def transfers_of(transfers: Sequence[tuple[str, str, Any]], currency: str) -> list[Transfer]:
    """The transfers as exact money (call after `check_transfers` found nothing)."""
    found = []
    for payer, payee, value in transfers:
        amount, why = _amount(value, currency)
        assert amount is not None, why  # checked
        found.append(Transfer(payer, payee, amount))
    return found


def check_ruling(ruling: str) -> Message | None:
    """Why a ruling reference cannot name a correction (None: it can)."""
    if not isinstance(ruling, str) or not ruling.strip():
        return Message("name the ruling (e.g. \"proposal 12\")")
    if len(ruling.strip()) > MAX_RULING_REF:
        return Message("the ruling's reference is longer than {limit} characters", limit=MAX_RULING_REF)
    if any(ord(ch) < 32 for ch in ruling):
        return Message("the ruling's reference holds a control character")
    return None


def reference(dispute: int, ruling: str) -> str:
    """How a correction's statement lines name the ruling: "dispute 3, ruling proposal 12"."""
    return f"dispute {dispute}, ruling {ruling}"


def parse_reference(text: str | None) -> tuple[int, str] | None:
    """(dispute number, ruling reference) of a `reference` text; None for anything else."""
    found = _REFERENCE.match(text or "")
    return None if found is None else (int(found.group(1)), found.group(2))


def transfers_digest(transfers: Sequence[Transfer]) -> str:
    """SHA-256 (hex) of the transfers in order, as the ledger records them (never in the clear)."""
    data = [{**t.as_json(), "currency": t.amount.currency} for t in transfers]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True,
                                     separators=(",", ":")).encode()).hexdigest()


def statement_lines(dispute: int, ruling: str, transfers: Sequence[Transfer]) -> list[dict[str, Any]]:
    """The statement lines booking the transfers: per transfer, the payer's `-amount` then the
    payee's `+amount`, each naming the ruling and, in `rate`, the other member of the transfer.

    The two lines of a transfer sum to zero exactly, so adding them keeps a day balanced and moves
    each account's total by what the ruling ordered. `base_minor` is the transfer's amount."""
    named = reference(dispute, ruling)
    lines = []
    for t in transfers:
        for account, other, sign in ((t.payer, t.payee, -1), (t.payee, t.payer, 1)):
            lines.append({"account": account, "agreement": NO_AGREEMENT, "version": NO_VERSION,
                          "rule_id": f"dispute-{dispute}", "kind": CORRECTION, "base_minor": t.amount.minor,
                          "rate": other, "amount_minor": sign * t.amount.minor, "adjustment_of": None,
                          "correction_of": named})
    return lines
