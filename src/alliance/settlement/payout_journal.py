"""Payouts as Beancount transactions, pure: the lines `settlement.journal.beancount` adds for the
payouts of its period (docs/payouts.md, "In the journal").

A payout clears the member's claim in the settlement currency and pays it out of a per-currency
payout account; the conversion's difference goes to the FX account:

    2026-11-25 * "payout" "BRAND-A in USD at 7.2"
      Liabilities:Alliance:NB:BRAND-A       7123.40 CNY
      Liabilities:Alliance:NB:PAYOUTS-USD   -989.36 USD @@ 7123.39 CNY
      Liabilities:Alliance:NB:FX              -0.01 CNY

The payee leg carries its value back in the settlement currency as a **total** price (`@@`), so the
transaction balances exactly (a per-unit `@ 7.2` would weigh 7123.392 CNY); the rate itself is
metadata. Signs are the journal's: owed to an account is negative. A member paying in (a negative
payout) is the same transaction with every sign flipped.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date

from alliance.settlement.payouts import FX_ACCOUNT, Payout


def payout_account(currency: str) -> str:
    """The account code payouts in `currency` are paid from (a Beancount component once cleaned)."""
    return f"PAYOUTS-{currency}"


def accounts(payouts: Iterable[tuple[int, Payout]]) -> dict[str, str]:
    """Every account code the payouts post to, and the one currency it holds: each member and the FX
    account in the settlement currency, each payout account in its own."""
    found: dict[str, str] = {}
    for _number, p in payouts:
        found[p.member] = p.settlement_currency
        found[payout_account(p.payee_currency)] = p.payee_currency
        if p.difference_minor:
            found[FX_ACCOUNT] = p.settlement_currency
    return found


def open_lines(root: str, names: Mapping[str, str], payouts: Iterable[tuple[int, Payout]], opened: date,
               already: Collection[str] = ()) -> list[str]:
    """`open` directives for the payouts' accounts not in `already` (the codes the journal opens)."""
    return [f"{opened.isoformat()} open {root}:{names[code]} {currency}"
            for code, currency in sorted(accounts(payouts).items()) if code not in already]


def transactions(root: str, names: Mapping[str, str], payouts: Iterable[tuple[int, Payout]]) -> list[str]:
    """The payouts as Beancount transaction lines (each preceded by an empty line), in the order given.

    `root` is the journal's account root (`Liabilities:Alliance:<ALLIANCE>`), `names` each account
    code's component (`settlement.journal.components`, over the codes of `accounts(...)` too)."""
    out: list[str] = []
    for number, p in payouts:
        if not p.owed_minor:
            continue
        note = f"{p.member} in {p.payee_currency}" + (f" at {p.rate_text}" if p.converted else "")
        out += ["", f'{p.payout_day.isoformat()} * "payout" "{_quote(note)}"', f"  payout: {number}",
                f'  member: "{_quote(p.member)}"', f"  first-day: {p.first_day.isoformat()}",
                f"  last-day: {p.last_day.isoformat()}", f'  rate: "{p.rate_text}"']
        # The member's claim is cleared: owed to it (negative in the journal) is taken back.
        out.append(f"  {root}:{names[p.member]}  {p.owed.amount_text()} {p.settlement_currency}")
        if p.paid_minor:
            leg = f"  {root}:{names[payout_account(p.payee_currency)]}  {(-p.paid).amount_text()} {p.payee_currency}"
            if p.converted:
                leg += f" @@ {_unsigned(p.value_back.amount_text())} {p.settlement_currency}"
            out.append(leg)
        if p.difference_minor:
            out.append(f"  {root}:{names[FX_ACCOUNT]}  {(-p.difference).amount_text()} {p.settlement_currency}")
    return out


def _unsigned(text: str) -> str:
    return text.removeprefix("-")


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
