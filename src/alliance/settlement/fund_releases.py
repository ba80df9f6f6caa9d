"""Fund releases: a fund's balance paid out to members, and its statement lines. Pure.

A fund is an account an agreement declares (`accounts:`, e.g. the growth fund) that settlement pays
into. When an alliance is dissolved its funds are shared out (alliance.exits.funds decides who gets
what); a release is how that money moves. Closed days are never rewritten, so a release is
**scheduled** with its cause ("dissolution of hq") and **booked** by the next settlement run that
closes a day, after the rules' lines, as a ruling's correction is (settlement.corrections): each
part gives the fund a line of `-amount` and the member a line of `+amount`, both of kind
`fund_release`, naming the cause in `correction_of`. A part's two lines sum to zero, so the day
still balances, the fund's balance falls by exactly what was released and each member's total
rises by its part.

This module checks a release (`check_parts`: every problem at once), digests its parts for the
ledger (`parts_digest`) and makes its statement lines (`statement_lines`); the service
(`settlement.fund_release_service`) and the run (`settlement.bookings.fund_releases`) do the I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from alliance.core.errors import Problem
from alliance.core.limits import LINE_LIMIT_MINOR
from alliance.core.messages import Message
from alliance.core.money import Money

FUND_RELEASE = "fund_release"  # the statement line kind (beside the rule kinds and `correction`)
NO_VERSION = 0  # a release's line is under its fund's agreement, not one of its versions
MAX_PARTS = 500  # an alliance's members at most, with room
MAX_CAUSE = 200


@dataclass(frozen=True, slots=True)
class Part:
    member: str
    amount_minor: int  # > 0


@dataclass(frozen=True, slots=True)
class FundRelease:
    id: int
    fund: str
    agreement: str
    cause: str
    currency: str
    created_at: datetime
    created_by: str
    booked_on: date | None
    parts: tuple[Part, ...]

    @property
    def total_minor(self) -> int:
        return sum(p.amount_minor for p in self.parts)

    @property
    def status(self) -> str:
        return "pending" if self.booked_on is None else "booked"

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "fund": self.fund, "agreement": self.agreement, "cause": self.cause,
                "currency": self.currency, "status": self.status,
                "booked_on": None if self.booked_on is None else self.booked_on.isoformat(),
                "parts": [{"member": p.member, "amount": Money(p.amount_minor, self.currency).amount_text()}
                          for p in self.parts]}


def check_cause(cause: str) -> Message | None:
    """Why `cause` cannot name a release (None: it can)."""
    if not isinstance(cause, str) or not cause.strip():
        return Message("name the release's cause (e.g. \"dissolution of hq\")")
    if len(cause.strip()) > MAX_CAUSE:
        return Message("the cause is longer than {limit} characters", limit=MAX_CAUSE)
    if any(ord(ch) < 32 for ch in cause):
        return Message("the cause holds a control character")
    return None


def check_parts(parts: Sequence[tuple[str, int]], members: Collection[str], available_minor: int | None,
                currency: str) -> list[Problem]:
    """Every problem of a release's parts at once (empty: it can be scheduled).

    `members`: the alliance's members that may receive (those that have not left, or are leaving);
    `available_minor`: what the fund holds less what pending releases already take (None: not known,
    the fund being unknown, which is its own problem). Each part needs a
    member, once, and a whole amount of minor units more than zero; together at most what is available."""
    where = Message("the release")
    problems: list[Problem] = []
    if not parts:
        problems.append(Problem(where, "parts", Message("name at least one member and amount")))
    if len(parts) > MAX_PARTS:
        problems.append(Problem(where, "parts", Message("{count} parts: at most {limit} in one release",
                                                        count=len(parts), limit=MAX_PARTS)))
    seen: set[str] = set()
    total = 0
    for n, (member, minor) in enumerate(parts, start=1):
        at = Message("part {n}", n=n)
        if not isinstance(member, str) or member not in members:
            problems.append(Problem(at, "member", Message("{member!r} is not a member that may receive", member=member)))
        elif member in seen:
            problems.append(Problem(at, "member", Message("{member!r} is named twice", member=member)))
        seen.add(str(member))
        if isinstance(minor, bool) or not isinstance(minor, int) or minor <= 0:
            problems.append(Problem(at, "amount", Message("the amount must be a whole number of minor units above "
                                                          "zero, not {value!r}", value=minor)))
            continue
        if minor > LINE_LIMIT_MINOR:
            problems.append(Problem(at, "amount", Message("{value} is more than one line may move ({limit})",
                                                          value=Money(minor, currency).amount_text(),
                                                          limit=Money(LINE_LIMIT_MINOR, currency).amount_text())))
        total += minor
    if available_minor is not None and total > available_minor:
        problems.append(Problem(where, "parts", Message(
            "the parts add up to {total}, more than the fund holds ({available}, after the releases still to be "
            "booked)", total=Money(total, currency).amount_text(),
            available=Money(max(available_minor, 0), currency).amount_text())))
    return problems


def parts_digest(parts: Sequence[Part], currency: str) -> str:
    """SHA-256 (hex) of the parts in order, as the ledger records them (amounts never in the clear:
    the ledger is read by every role, a member's part only by it and the alliance's officers)."""
    data = [{"member": p.member, "amount": Money(p.amount_minor, currency).amount_text(), "currency": currency}
            for p in parts]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True,
                                     separators=(",", ":")).encode()).hexdigest()


def statement_lines(release: FundRelease) -> list[dict[str, Any]]:
    """Per part, the fund's `-amount` then the member's `+amount`, each naming the cause
    (`correction_of`) and, in `rate`, the other side; `base_minor` is the part's amount."""
    lines = []
    for p in release.parts:
        for account, other, sign in ((release.fund, p.member, -1), (p.member, release.fund, 1)):
            lines.append({"account": account, "agreement": release.agreement, "version": NO_VERSION,
                          "rule_id": f"fund-{release.fund}"[:64], "kind": FUND_RELEASE, "base_minor": p.amount_minor,
                          "rate": other, "amount_minor": sign * p.amount_minor, "adjustment_of": None,
                          "correction_of": release.cause})
    return lines
