"""The settlement journal: every closed day's postings as double-entry transactions. Pure.

One transaction per run, agreement version, rule and (for adjustments) original day, and one per
ruling's correction booked on the day (naming the ruling: `correction_of`); its
postings are the accounts' amounts summed, and they balance (the run was checked before it was
saved; this module checks again: never skipped). Exported as Beancount (for finance teams'
books; the test suite runs `bean-check` on it) or CSV.

Beancount accounts live under `Liabilities:Alliance:<ALLIANCE>:<ACCOUNT>` from the clearing
point of view: money owed to a member is a liability (negative), money a member owes reduces it
(positive). Codes become account components by upper-casing and replacing characters Beancount
does not allow with "-" (codes that would meet in one component each get a suffix from their
digest); the original code is kept as posting metadata.

A run that converted lines in other currencies (settlement.fx) adds, per business day and currency,
an FX transaction under `Equity:Alliance:<ALLIANCE>:FX` (`FxEntry`): the foreign amount at the total
price of its conversion (Beancount's `@@`), the lines' rounding, and the converted sum; it balances
in each currency exactly, with no tolerance.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from alliance.core.cells import defused_row
from alliance.core.errors import InvalidInput
from alliance.core.money import Money
from alliance.core.messages import Message
from alliance.settlement import payout_journal
from alliance.settlement.payouts import Payout


@dataclass(frozen=True, slots=True)
class JournalEntry:
    day: date
    agreement: str
    version: int
    rule_id: str
    kind: str
    adjustment_of: date | None
    postings: tuple[tuple[str, Money], ...]  # (account code, + owed to it / - owed by it)
    correction_of: str | None = None  # a ruling's correcting entry: "dispute 3, ruling proposal 12"


@dataclass(frozen=True, slots=True)
class FxEntry:
    """What a run converted of one business day's lines in one foreign currency (settlement.fx):
    `original` as sold, `converted` the sum of each line's conversion into the settlement currency.

    As a transaction it balances in both currencies without a tolerance: the foreign amount at the
    total price of its own conversion (`at_rate`, the original total converted once), the difference
    each line's rounding made (`converted - at_rate`) in a rounding account, and the converted sum
    against a conversion account. Its accounts are under `Equity:`, apart from the members'."""

    day: date  # the run's day
    business_day: date  # the lines' own day (earlier for late lines)
    original: Money
    converted: Money
    at_rate: Money  # `original` converted as one amount, rounded half-even
    rate: str
    source: str

    @property
    def rounding(self) -> Money:
        return Money(self.converted.minor - self.at_rate.minor, self.converted.currency)


@dataclass(frozen=True, slots=True)
class PayoutEntry:
    """A payout (settlement.payouts) in the journal: the member's claim cleared, paid in its currency
    at the payout day's rate, the difference booked to the FX rounding account (payout_journal)."""

    number: int
    payout: Payout

    @property
    def day(self) -> date:
        return self.payout.payout_day


Entry = JournalEntry | FxEntry | PayoutEntry

# The conversion accounts, by role (`Equity:Alliance:<ALLIANCE>:FX:<part>`; CSV: `fx:<part>`).
FX_ROUNDING, FX_CONVERTED = "ROUNDING", "CONVERTED"


class JournalUnbalanced(AssertionError):
    pass


def check(entries: Sequence[Entry]) -> None:
    for e in entries:
        if isinstance(e, PayoutEntry):
            p = e.payout
            if p.owed_minor != p.value_back_minor + p.difference_minor:
                raise JournalUnbalanced(f"payout {e.number} does not balance")
            continue
        if isinstance(e, FxEntry):
            # at_rate carries the original's sign (half-even of a product of it and a positive rate).
            if e.original.minor * e.at_rate.minor < 0 or (e.original.minor == 0 and e.at_rate.minor != 0):
                raise JournalUnbalanced(f"{e.day} FX {e.original.currency} of {e.business_day} does not balance")
            continue
        if sum(m.minor for _, m in e.postings) != 0:
            raise JournalUnbalanced(f"{e.day} {e.agreement} v{e.version} {e.rule_id} does not balance")


def component(code: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9-]", "-", code).upper()
    return cleaned if cleaned[:1].isalnum() else "X" + cleaned


def components(codes: Sequence[str]) -> dict[str, str]:
    """Each account code's Beancount component, distinct for distinct codes.

    Codes that clean to the same component (`sh.hw` and `sh_hw`, `sw` and `SW`) each get a
    suffix from a digest of the code itself, so an account's name does not depend on the order
    of the export; every other code keeps its plain component.
    """
    plain = {code: component(code) for code in codes}
    taken: dict[str, list[str]] = {}
    for code, name in plain.items():
        taken.setdefault(name, []).append(code)
    names = {code: name if len(taken[name]) == 1 else f"{name}-{hashlib.sha256(code.encode()).hexdigest()[:8].upper()}"
             for code, name in plain.items()}
    if len(set(names.values())) != len(names):  # a plain code that looks like a suffixed one: refuse, never merge
        raise JournalAccountsClash(Message("two accounts would share one Beancount account; export the journal as "
                                           "CSV"))
    return names


class JournalAccountsClash(InvalidInput):
    code = "journal_accounts_clash"


def beancount(alliance: str, currency: str, entries: Sequence[Entry]) -> str:
    """The journal as a Beancount file that `bean-check` accepts."""
    check(entries)
    root = f"Liabilities:Alliance:{component(alliance)}"
    fx_root = f"Equity:Alliance:{component(alliance)}:FX"
    fx = [e for e in entries if isinstance(e, FxEntry)]
    payouts = [(e.number, e.payout) for e in entries if isinstance(e, PayoutEntry)]
    accounts = sorted({code for e in entries if isinstance(e, JournalEntry) for code, _ in e.postings})
    names = components(sorted(set(accounts) | set(payout_journal.accounts(payouts, with_fx=False))))
    opened = min((e.day for e in entries), default=date(2000, 1, 1))
    out = [f'option "title" "Alliance {alliance} settlement journal"', f'option "operating_currency" "{currency}"', ""]
    out += [f"{opened.isoformat()} open {root}:{names[a]} {currency}" for a in accounts]
    out += payout_journal.open_lines(root, names, payouts, opened, already=accounts, with_fx=False)
    if fx or payouts:
        out += [f"{opened.isoformat()} open {fx_root}:{code} {code}" for code in sorted({e.original.currency for e in fx})]
        out += [f"{opened.isoformat()} open {fx_root}:{part} {currency}" for part in (FX_CONVERTED, FX_ROUNDING)]
    # A payout's difference (its rounding at the payout day's rate) is booked with the conversions'.
    out += payout_journal.transactions(root, names, payouts, fx_account=f"{fx_root}:{FX_ROUNDING}")
    for e in entries:
        if isinstance(e, PayoutEntry):
            continue
        if isinstance(e, FxEntry):
            out += _fx_transaction(fx_root, e)
            continue
        if e.correction_of is not None:
            # No agreement or rule made it: the ruling did, and the transaction says which.
            out += ["", f'{e.day.isoformat()} * "correction" "{_quote(f"correction: {e.correction_of}")}"',
                    f'  correction-of: "{_quote(e.correction_of)}"']
            for code, money in e.postings:
                out.append(f"  {root}:{names[code]}  {(-money).amount_text()} {money.currency}")
                out.append(f'    member: "{_quote(code)}"')
            continue
        note = f"{e.rule_id} ({e.kind})" + (f", adjustment of {e.adjustment_of}" if e.adjustment_of else "")
        out += ["", f'{e.day.isoformat()} * "{e.agreement} v{e.version}" "{_quote(note)}"',
                f'  agreement: "{_quote(e.agreement)}"', f"  version: {e.version}", f'  rule: "{_quote(e.rule_id)}"']
        if e.adjustment_of:
            out.append(f"  adjustment-of: {e.adjustment_of.isoformat()}")
        for code, money in e.postings:
            # Owed to the account (+) is a liability of the clearing: negative in Beancount.
            out.append(f"  {root}:{names[code]}  {(-money).amount_text()} {money.currency}")
            out.append(f'    member: "{_quote(code)}"')
    return "\n".join(out) + "\n"


def _fx_transaction(fx_root: str, e: FxEntry) -> list[str]:
    what = f"{e.original.currency} sales of {e.business_day.isoformat()} at {e.rate}"
    out = ["", f'{e.day.isoformat()} * "FX" "{_quote(what)}"', f'  rate: "{_quote(e.rate)}"',
           f'  source: "{_quote(e.source)}"', f"  business-day: {e.business_day.isoformat()}"]
    if e.original.minor:
        # The weight of `units @@ total` is the total with the units' sign: exactly at_rate.
        out.append(f"  {fx_root}:{e.original.currency}  {e.original.amount_text()} {e.original.currency} @@ "
                   f"{Money(abs(e.at_rate.minor), e.at_rate.currency).amount_text()} {e.at_rate.currency}")
    if e.rounding.minor:
        out.append(f"  {fx_root}:{FX_ROUNDING}  {e.rounding.amount_text()} {e.rounding.currency}")
    if e.converted.minor:
        out.append(f"  {fx_root}:{FX_CONVERTED}  {(-e.converted).amount_text()} {e.converted.currency}")
    return out


def to_csv(entries: Sequence[Entry]) -> str:
    """One row per posting. Every cell goes through `core.cells.defuse`, so a rule id or account
    code a spreadsheet would take for a formula ("=1+1") is written as text ("'=1+1"), while
    amounts stay plain numbers ("-12.50")."""
    check(entries)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["day", "agreement", "version", "rule", "kind", "adjustment_of", "account", "amount", "currency",
                     "correction_of"])
    for e in entries:
        if isinstance(e, PayoutEntry):
            p = e.payout
            for account, money in ((p.member, p.owed), (payout_journal.payout_account(p.payee_currency), -p.paid),
                                   (f"fx:{FX_ROUNDING.lower()}", -p.difference)):
                if money.minor:
                    writer.writerow(defused_row([p.payout_day.isoformat(), "", "", "", "payout", "", account,
                                                 money.amount_text(), money.currency, ""]))
            continue
        if isinstance(e, FxEntry):
            for account, money in ((f"fx:{e.original.currency}", e.original), (f"fx:{FX_ROUNDING.lower()}", e.rounding),
                                   (f"fx:{FX_CONVERTED.lower()}", -e.converted)):
                if money.minor:
                    # (late lines' conversions name their own day where adjustments do)
                    late = e.business_day.isoformat() if e.business_day != e.day else ""
                    writer.writerow(defused_row([e.day.isoformat(), "", "", "", "fx", late, account,
                                                 money.amount_text(), money.currency, ""]))
            continue
        for code, money in e.postings:
            writer.writerow(defused_row([e.day.isoformat(), e.agreement, e.version, e.rule_id, e.kind,
                                         e.adjustment_of.isoformat() if e.adjustment_of else "", code,
                                         money.amount_text(), money.currency, e.correction_of or ""]))
    return buffer.getvalue()


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
