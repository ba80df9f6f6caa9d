"""The project agreement a won bid creates: a YAML agreement document whose one rule, a
`fixed_split`, shares the project's revenue by the bid's price shares. Pure.

The project's revenue is the order lines the rule selects: by default the lines of the channel
`bid-<number>` (the members record the project's invoices with that channel); a SKU prefix may be
named instead. The document goes through the normal propose flow and each party signs it for
itself, as any other agreement."""

from __future__ import annotations

import re
from datetime import date

from alliance.operations.bids.model import Bid

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def default_code(bid: Bid) -> str:
    return f"bid-{bid.number}"


def default_channel(bid: Bid) -> str:
    return f"bid-{bid.number}"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def document(bid: Bid, *, code: str, currency: str, effective_from: date, effective_until: date | None = None,
             channel: str | None = None, sku_prefix: str | None = None) -> str:
    """The agreement's YAML: parties are the consortium in its order, shares exactly the bid's."""
    select = f"{{sku_prefix: {_quoted(sku_prefix)}}}" if sku_prefix else \
        f"{{channel: {_quoted(channel or default_channel(bid))}}}"
    title = f"{bid.request.title} ({bid.request.customer})"
    lines = [
        f"agreement: {code}",
        f"title: {_quoted(title[:200])}",
        f"currency: {currency}",
        f"effective_from: {effective_from.isoformat()}",
    ]
    if effective_until is not None:
        lines.append(f"effective_until: {effective_until.isoformat()}")
    lines += [
        "parties: [" + ", ".join(bid.members) + "]",
        "rules:",
        "  - id: project-revenue",
        "    kind: fixed_split",
        f"    description: {_quoted(f'Joint bid {bid.number}: the project revenue shared by the bid price shares')}",
        f"    select: {select}",
        "    base: revenue",
        "    shares: {" + ", ".join(f"{p.member}: {p.share}" for p in bid.parts) + "}",
    ]
    return "\n".join(lines) + "\n"
