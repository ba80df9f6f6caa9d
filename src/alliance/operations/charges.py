"""Charges: money a shared operation decided, as statement lines for the next settlement run. Pure.

A joint-purchasing campaign's delivery, a warehouse's month, a deposit returned: each is decided by
its own tool, outside any agreement's rules. Closed days are never rewritten, so the tool
**schedules** a charge (lines that sum to zero, naming what they come from) and the next settlement
run that closes a day books it after the rules' lines, as fund releases are booked
(`settlement.bookings.charges`). Before booking, the run checks the charge against what the ledger
recorded when it was scheduled (`lines_digest`), so a charge altered in the database stops the day
instead of moving money nobody decided.

Accounts are member codes or **outside accounts** (`ext:<slug>`: a supplier paid through the
alliance's clearing). An outside account has no statement page; it appears in the day's totals and
journal like a fund.

This module checks a charge's lines (`check_lines`: every problem at once), digests them for the
ledger and makes their statement lines; `charge_service` does the I/O.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from alliance.core.errors import Problem
from alliance.core.limits import LINE_LIMIT_MINOR
from alliance.core.messages import Message
from alliance.core.money import Money

# The tools that schedule charges; each is also the statement line's `kind` (web.i18n.BOOKED_KINDS says
# it in the reader's language).
SOURCES = ("joint_purchase", "warehouse", "referral", "marketing")
OUTSIDE = "ext:"  # prefix of an outside account
ACCOUNT_LIMIT = 32  # statement_lines.account
MAX_REFERENCE = 64  # statement_lines.rule_id
MAX_TITLE = 200  # statement_lines.correction_of
MAX_RATE = 200  # statement_lines.rate
MAX_LINES = 20_000  # a warehouse's month for every member, with room
NO_VERSION = 0  # a charge's line is under no agreement's version
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")
_OUTSIDE_ACCOUNT = re.compile(r"ext:[A-Za-z0-9._-]{1,28}")


@dataclass(frozen=True, slots=True)
class ChargeLine:
    account: str  # a member code, or an outside account ("ext:<slug>")
    amount_minor: int  # + owed to the account, - owed by it; never 0
    base_minor: int  # what the amount was computed on, shown on statements
    rate: str  # how, in words (<= 200 characters)


@dataclass(frozen=True, slots=True)
class Charge:
    id: int
    source: str
    reference: str  # the tool's stable key: "campaign-12", "warehouse-3/2026-11"
    title: str  # what the reader sees: "Campaign 12: A4 paper 70g"
    currency: str
    lines: tuple[ChargeLine, ...]
    created_at: datetime
    created_by: str
    booked_on: date | None

    @property
    def status(self) -> str:
        return "pending" if self.booked_on is None else "booked"

    def total_of(self, account: str) -> int:
        return sum(l.amount_minor for l in self.lines if l.account == account)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "reference": self.reference, "title": self.title,
                "currency": self.currency, "status": self.status,
                "booked_on": None if self.booked_on is None else self.booked_on.isoformat(),
                "lines": [{"account": l.account, "amount": Money(l.amount_minor, self.currency).amount_text(),
                           "base": Money(l.base_minor, self.currency).amount_text(), "rate": l.rate}
                          for l in self.lines]}


def outside_account(slug: str) -> str:
    """An outside account for `slug` (a supplier's name or code): `ext:` and the slug's ASCII letters,
    digits, dots, dashes and underscores (others become `-`), cut to fit a statement's account column.
    A name with no ASCII at all (a Chinese supplier's name) gives its digest's first 12 hex digits, so
    two suppliers never share an account by accident."""
    ascii_form = unicodedata.normalize("NFKD", slug).encode("ascii", "ignore").decode()
    cleaned = _SLUG.sub("-", ascii_form).strip("-.")
    if not cleaned:
        cleaned = hashlib.sha256(slug.encode("utf-8")).hexdigest()[:12]
    return OUTSIDE + cleaned[:ACCOUNT_LIMIT - len(OUTSIDE)]


def is_outside(account: str) -> bool:
    return isinstance(account, str) and _OUTSIDE_ACCOUNT.fullmatch(account) is not None


def check_header(source: str, reference: str, title: str) -> list[Problem]:
    where = Message("the charge")
    problems: list[Problem] = []
    if source not in SOURCES:
        problems.append(Problem(where, "source", Message("{source!r} is not a source of charges ({known})",
                                                         source=source, known=", ".join(SOURCES))))
    for field, value, limit in (("reference", reference, MAX_REFERENCE), ("title", title, MAX_TITLE)):
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(where, field, Message("the {field} is empty", field=field)))
        elif len(value) > limit or any(ord(ch) < 32 for ch in value):
            problems.append(Problem(where, field, Message(
                "the {field} must be at most {limit} characters without control characters", field=field,
                limit=limit)))
    return problems


def check_lines(lines: Sequence[ChargeLine], members: Collection[str], currency: str) -> list[Problem]:
    """Every problem of a charge's lines at once (empty: it can be scheduled).

    `members`: the member codes that may be charged or paid. Each line needs a member or an outside
    account, a whole non-zero amount within what one statement line may move, a base within it too and
    an explanation; the lines sum to zero."""
    where = Message("the charge")
    problems: list[Problem] = []
    if not lines:
        problems.append(Problem(where, "lines", Message("a charge needs at least two lines")))
    if len(lines) > MAX_LINES:
        problems.append(Problem(where, "lines", Message("{count} lines: at most {limit} in one charge",
                                                        count=len(lines), limit=MAX_LINES)))
    total = 0
    for n, line in enumerate(lines, start=1):
        at = Message("line {n}", n=n)
        if line.account not in members and not is_outside(line.account):
            problems.append(Problem(at, "account", Message(
                "{account!r} is neither a member nor an outside account (ext:…)", account=line.account)))
        for field, value in (("amount", line.amount_minor), ("base", line.base_minor)):
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append(Problem(at, field, Message("the {field} must be a whole number of minor units, "
                                                           "not {value!r}", field=field, value=value)))
            elif abs(value) > LINE_LIMIT_MINOR:
                problems.append(Problem(at, field, Message(
                    "{value} is more than one line may move ({limit})", value=Money(value, currency).amount_text(),
                    limit=Money(LINE_LIMIT_MINOR, currency).amount_text())))
        if isinstance(line.amount_minor, int) and not isinstance(line.amount_minor, bool):
            if line.amount_minor == 0:
                problems.append(Problem(at, "amount", Message("a line of zero moves nothing; leave it out")))
            total += line.amount_minor
        if not isinstance(line.rate, str) or not line.rate.strip() or len(line.rate) > MAX_RATE:
            problems.append(Problem(at, "rate", Message("say how the amount was computed, in at most {limit} "
                                                        "characters", limit=MAX_RATE)))
    if lines and total != 0:
        problems.append(Problem(where, "lines", Message("the lines add up to {total}, not zero",
                                                        total=Money(total, currency).amount_text())))
    return problems


def lines_digest(lines: Sequence[ChargeLine], currency: str) -> str:
    """SHA-256 (hex) of the lines in order, as the ledger records them (amounts never in the clear: the
    ledger is read by every role, a member's lines only by it and the alliance's officers)."""
    data = [{"account": l.account, "amount": Money(l.amount_minor, currency).amount_text(),
             "base": Money(l.base_minor, currency).amount_text(), "rate": l.rate, "currency": currency}
            for l in lines]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True,
                                     separators=(",", ":")).encode()).hexdigest()


def statement_lines(charge: Charge) -> list[dict[str, Any]]:
    """The charge's lines as the settlement run stores them: kind = its source, `rule_id` its
    reference, `correction_of` its title (so a member's statement line names the campaign)."""
    return [{"account": l.account, "agreement": "", "version": NO_VERSION, "rule_id": charge.reference,
             "kind": charge.source, "base_minor": l.base_minor, "rate": l.rate[:MAX_RATE],
             "amount_minor": l.amount_minor, "adjustment_of": None, "correction_of": charge.title}
            for l in charge.lines]
