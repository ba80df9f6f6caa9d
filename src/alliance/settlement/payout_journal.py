"""Payouts as Beancount transactions, pure: the lines `settlement.journal.beancount` adds for the
payouts of its period (docs/payouts.md, "In the journal").

A payout clears the member's claim in the settlement currency and pays it out of a per-currency
payout account; the conversion's difference goes to the FX account:

    2026-11-25 * "payout" "BRAND-A in USD at 7.2"
      Liabilities:Alliance:NB:BRAND-A       7123.40 CNY
      Assets:Alliance:NB:Payouts:USD       -989.36 USD @@ 7123.39 CNY
      Liabilities:Alliance:NB:FX              -0.01 CNY

The payout accounts are the alliance's money going out, so they live under `Assets:` beside the
members' accounts rather than among them: a member may be coded anything a code allows
(`PAYOUTS-USD` included) and still never share an account with a payout. In CSV the payout account
is `payouts:<CURRENCY>`, which no member code can be (codes hold no colon).

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
    """The CSV account code payouts in `currency` are paid from (no member code holds a colon)."""
    return f"payouts:{currency}"


def payout_beancount(root: str, currency: str) -> str:
    """The Beancount account payouts in `currency` are paid from: `root` is the journal's
    `Liabilities:Alliance:<ALLIANCE>`, the payout account `Assets:Alliance:<ALLIANCE>:Payouts:<CURRENCY>`."""
    return f"Assets:{root.split(':', 1)[1]}:Payouts:{currency}"


def accounts(payouts: Iterable[tuple[int, Payout]], *, with_fx: bool = True) -> dict[str, str]:
    """Every account code under the journal's root the payouts post to, and the one currency it holds:
    each member and the FX account (unless `with_fx` is False: the journal books the difference
    elsewhere), in the settlement currency. The payout accounts are not among them (`payout_beancount`)."""
    found: dict[str, str] = {}
    for _number, p in payouts:
        found[p.member] = p.settlement_currency
        if p.difference_minor and with_fx:
            found[FX_ACCOUNT] = p.settlement_currency
    return found


def open_lines(root: str, names: Mapping[str, str], payouts: Iterable[tuple[int, Payout]], opened: date,
               already: Collection[str] = (), *, with_fx: bool = True) -> list[str]:
    """`open` directives for the payouts' accounts: those under `root` not in `already` (the codes the
    journal opens), then each payout account."""
    payouts = list(payouts)
    lines = [f"{opened.isoformat()} open {root}:{names[code]} {currency}"
             for code, currency in sorted(accounts(payouts, with_fx=with_fx).items()) if code not in already]
    return lines + [f"{opened.isoformat()} open {payout_beancount(root, currency)} {currency}"
                    for currency in sorted({p.payee_currency for _n, p in payouts})]


def transactions(root: str, names: Mapping[str, str], payouts: Iterable[tuple[int, Payout]], *,
                 fx_account: str | None = None) -> list[str]:
    """The payouts as Beancount transaction lines (each preceded by an empty line), in the order given.

    `root` is the journal's account root (`Liabilities:Alliance:<ALLIANCE>`), `names` each account
    code's component (`settlement.journal.components`, over the codes of `accounts(...)` too).
    `fx_account`: the whole Beancount account the differences are booked to, when the journal keeps
    its own (e.g. `Equity:Alliance:<ALLIANCE>:FX:ROUNDING`, opened by the journal; then call
    `accounts` and `open_lines` with `with_fx=False`); by default `<root>:FX`."""
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
            leg = f"  {payout_beancount(root, p.payee_currency)}  {(-p.paid).amount_text()} {p.payee_currency}"
            if p.converted:
                leg += f" @@ {_unsigned(p.value_back.amount_text())} {p.settlement_currency}"
            out.append(leg)
        if p.difference_minor:
            fx = fx_account or f"{root}:{names[FX_ACCOUNT]}"
            out.append(f"  {fx}  {(-p.difference).amount_text()} {p.settlement_currency}")
    return out


def _unsigned(text: str) -> str:
    return text.removeprefix("-")


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
