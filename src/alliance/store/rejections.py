"""Why an order line was rejected, said in the user's language.

The checks run in SQL over every line of a file (store.facts), so SQL cannot build a `Message`.
Each check writes a short code and its values instead, `code<US>value<US>value`, several joined by
<RS> (the ASCII unit and record separators, which `sql_value` removes from the values): `reason`
turns that into one message for the few rejected lines shown. The English is what the checks said
before they spoke in codes.
"""

from __future__ import annotations

from collections.abc import Callable

from alliance.core.messages import Message, joined

US = "\x1f"  # between a code and its values
RS = "\x1e"  # between the reasons of one line


def sql_value(expression: str) -> str:
    """SQL for a value written into a reason: the separators removed (a cell could hold them)."""
    return f"translate(CAST({expression} AS VARCHAR), chr(30) || chr(31), '')"


def sql_reason(code: str, *values: str) -> str:
    """SQL for one reason: its code and the given SQL expressions (never NULL where it is used; a
    string literal of ours, or a format placeholder of one, is taken as it is)."""
    return " || chr(31) || ".join([f"'{code}'", *(v if v.startswith(("'", "{")) else sql_value(v) for v in values)])


def _required(field: str) -> Message:
    return Message("{field} is required", field=field)


def _no_member(field: str, value: str | None = None) -> Message:
    if value is None:
        return Message("{field} (missing) is not a member", field=field)
    return Message("{field} '{value}' is not a member", field=field, value=value)


def _not_decimal(field: str, value: str | None = None) -> Message:
    if value is None:
        return Message("{field} (missing) is not a decimal with the currency's places", field=field)
    return Message("{field} '{value}' is not a decimal with the currency's places", field=field, value=value)


_REASONS: dict[str, Callable[..., Message]] = {
    "required": _required,
    "repeats": lambda row: Message("line_id repeats row {row}", row=row),
    "no_such_time": lambda value: Message("occurred_at '{value}' is not a date and time (no such day or hour)",
                                          value=value),
    "time_missing": lambda: Message("occurred_at is missing"),
    "no_offset": lambda value: Message("occurred_at '{value}' is not an ISO 8601 time with an offset", value=value),
    "offset_too_far": lambda value: Message("occurred_at '{value}' has an offset beyond 14:00, which no clock shows",
                                            value=value),
    "outside_years": lambda value: Message("occurred_at '{value}' is outside the years 2000 to 2099", value=value),
    "no_member": _no_member,
    "quantity_missing": lambda: Message("quantity (missing) is not a whole number"),
    "not_whole": lambda value: Message("quantity '{value}' is not a whole number", value=value),
    "not_decimal": _not_decimal,
    "over_line_limit": lambda field, value, limit: Message(
        "{field} '{value}' is more than {limit}, the most a line may carry", field=field, value=value, limit=limit),
    "currency_missing": lambda: Message("currency (missing): every line names its ISO 4217 currency"),
    "unknown_currency": lambda value: Message("currency '{value}' is not an ISO 4217 code (such as CNY, USD, EUR)",
                                              value=value),
    "other_currency": lambda value: Message("currency '{value}' is not the alliance's", value=value),
    "strangers": lambda codes: Message("attributed_to names non-members: {codes}", codes=codes),
    "refund_needs_sale": lambda: Message("a negative amount is a refund and needs refund_of"),
    "refund_positive": lambda: Message("a refund (refund_of) has a negative amount"),
    "over_day_limit": lambda day, limit, currency, stored: Message(
        "business day {day} would carry more than {limit} {currency} of amounts and costs together, the most one "
        "alliance's day may ({stored} minor units stored before)", day=day, limit=limit, currency=currency,
        stored=stored),
    "no_sale": lambda sale: Message("refund_of '{sale}' names no sale of the alliance, stored or in this file (send "
                                    "a refund with or after its sale)", sale=sale),
    "refunds_refund": lambda sale: Message("refund_of '{sale}' is itself a refund, not a sale", sale=sale),
    "other_seller": lambda sale, sold_by, seller: Message("refund_of '{sale}' was sold by {sold_by}, not {seller}",
                                                          sale=sale, sold_by=sold_by, seller=seller),
    "other_currency_refund": lambda sale, sold_in, currency: Message(
        "refund_of '{sale}' was sold in {sold_in}, not {currency}: a refund is in its sale's currency", sale=sale,
        sold_in=sold_in, currency=currency),
    "refunds_exceed": lambda sale, sold, before: Message(
        "refunds of '{sale}' would exceed the sale ({sold} minor units, {before} refunded before this file)",
        sale=sale, sold=sold, before=before),
}

# Why a stored line cannot be settled (lines stored before import checked these bounds).
UNSETTLEABLE: dict[str, Message] = {
    "outside_years": Message("occurred outside the years 2000 to 2099"),
    "over_line_limit": Message("amount or cost over the line limit"),
    "over_day_limit": Message("its business day carries more than the day limit"),
}


def reason(coded: str) -> str:
    """The message for a rejected line's coded reasons (see the module docstring), joined by "; "."""
    said: list[str] = []
    for one in coded.split(RS):
        code, *values = one.split(US)
        try:
            said.append(_REASONS[code](*values))
        except (KeyError, TypeError):  # not written by these checks: shown as it is, never lost
            said.append(Message(one.replace(US, " ")))
    return joined(said) if said else Message(coded)
