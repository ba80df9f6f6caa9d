"""Campaign terms from text, as the CLI and the API take them: a quote as "Supplier: 1=4.00, 100=3.40",
a deadline as ISO 8601 (a time without an offset is in the alliance's zone), an amount in the
currency's units. Every problem is named (InvalidInput with Problems), nothing is guessed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.operations.purchasing.model import CampaignInvalid
from alliance.operations.purchasing.tiers import Quote, Tier, TiersInvalid, parse_price


def parse_tiers(text: str, where: str) -> tuple[tuple[Tier, ...], list[Problem]]:
    """ "1=4.00, 100=3.40" → tiers (checked for order separately by `tiers.check_quotes`)."""
    tiers: list[Tier] = []
    problems: list[Problem] = []
    for row, part in enumerate([p for p in text.split(",") if p.strip()], start=1):
        at = Message("{where} row {row}", where=where, row=row)
        quantity, sep, price = part.partition("=")
        n = quantity.strip()
        p = parse_price(price) if sep else None
        if not n.isdigit():
            problems.append(Problem(at, "min_quantity", Message("{text!r} is not MIN_QUANTITY=UNIT_PRICE", text=part.strip())))
            continue
        if p is None:
            problems.append(Problem(at, "unit_price", Message("{text!r} is not MIN_QUANTITY=UNIT_PRICE", text=part.strip())))
            continue
        tiers.append(Tier(int(n), p))
    return tuple(tiers), problems


def parse_quote(text: str, number: int = 1) -> Quote:
    """ "Paper Co: 1=4.00, 100=3.40, 500=3.00" (the supplier's name, a colon, the tiers)."""
    where = Message("quote {number}", number=number)
    name, sep, tiers_text = text.rpartition(":")
    if not sep:
        raise TiersInvalid(Message("a quote is written SUPPLIER: 1=PRICE, N=PRICE, ..."),
                           [Problem(where, "tiers", Message("{text!r} has no ':' after the supplier's name", text=text))])
    tiers, problems = parse_tiers(tiers_text, where)
    if problems:
        raise TiersInvalid(Message("the quote is not valid"), problems)
    return Quote(name.strip(), "", tiers)


def parse_deadline(text: str, timezone: str) -> datetime:
    """ISO 8601 date and time; without an offset it is the alliance's local time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CampaignInvalid(Message("the deadline is not valid"), [Problem(Message("campaign"), "deadline", Message(
            "{text!r} is not a date and time such as 2026-12-31T18:00", text=text))]) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(timezone))


def parse_decimal(text: str, field: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise CampaignInvalid(Message("{field} is not a number", field=field), [Problem(
            Message("campaign"), field, Message("{text!r} is not a number", text=text))]) from None
    if not value.is_finite():
        raise CampaignInvalid(Message("{field} is not a number", field=field), [Problem(
            Message("campaign"), field, Message("{text!r} is not a number", text=text))])
    return value


def parse_price_or_none(text: str) -> Decimal | None:
    """A unit price from decimal text, None when it is not a number (the tier check then names the row)."""
    return parse_price(text)


PLACEHOLDER_TIERS = (Tier(1, Decimal(1)),)


def merged_problems(own: list[Problem], checked: list[Problem], failed_quotes: set[int]) -> list[Problem]:
    """An edge's own parse problems and the service's checks of the draft built around them, each named
    once: the service's problems of a field the edge already named, or of a quote whose text did not
    parse (the draft held a placeholder in its place), are left out."""
    named = {(str(p.where), p.field) for p in own}
    prefixes = tuple(str(Message("quote {number}", number=n)) for n in sorted(failed_quotes))

    def about_failed_quote(where: str) -> bool:
        return any(where == prefix or where.startswith(prefix + " ") for prefix in prefixes)

    return own + [p for p in checked if (str(p.where), p.field) not in named and not about_failed_quote(str(p.where))]
