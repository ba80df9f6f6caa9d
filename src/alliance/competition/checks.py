"""What a screening's input must satisfy, checked before anything is computed or stored. Pure.

The input is kept as it was entered (`MarketEntry`, text fields); checking turns it into exact
`model.Market`s or collects every problem at once (`Problem(where, field, why)`, where naming the
market and row as the form shows them) and raises one error whose class is the first problem's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

from alliance.competition.model import (ALLIANCE_ROLES, HUNDRED, Market, Occasion, Participant, Relation, Role,
                                        percent_text)
from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.core.money import Money, MoneyError
from alliance.core.text import check_text

NAME_LIMIT = 200
NUMBER_LIMIT = 40     # characters of a share or an amount as typed
MAX_MARKETS = 30
MAX_PARTICIPANTS = 60


class CompetitionInvalid(InvalidInput):
    code = "competition_invalid"
    title = Message("Invalid screening input")


class SharesOverHundred(CompetitionInvalid):
    code = "competition_shares_over_100"
    title = Message("Shares above 100%")


class NegativeAmount(CompetitionInvalid):
    code = "competition_negative_amount"
    title = Message("A negative market size, sales or share")


class EmptyMarket(CompetitionInvalid):
    code = "competition_empty_market"
    title = Message("A market without participants")


class UnknownParticipant(CompetitionInvalid):
    code = "competition_unknown_member"
    title = Message("Not a current member")


class DuplicateParticipant(CompetitionInvalid):
    code = "competition_duplicate_participant"
    title = Message("A participant named twice")


class NotANumber(CompetitionInvalid):
    code = "competition_not_a_number"
    title = Message("Not a number")


@dataclass(frozen=True)
class ParticipantEntry:
    """A row as typed: a name (a member's code for a member), its role, and either its share in
    percent or its sales (an amount in the alliance's currency)."""

    name: str
    role: str = Role.MEMBER.value
    share: str = ""
    sales: str = ""


@dataclass(frozen=True)
class MarketEntry:
    product: str
    region: str
    relation: str = Relation.HORIZONTAL.value
    size: str = ""       # the market's size in the alliance's currency (for shares from sales)
    participants: tuple[ParticipantEntry, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"participants": [asdict(p) for p in self.participants]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MarketEntry:
        return cls(str(data.get("product", "")), str(data.get("region", "")),
                   str(data.get("relation", Relation.HORIZONTAL.value)), str(data.get("size", "")),
                   tuple(ParticipantEntry(str(p.get("name", "")), str(p.get("role", Role.MEMBER.value)),
                                          str(p.get("share", "")), str(p.get("sales", "")))
                         for p in data.get("participants", [])))


# A share in percent: a decimal ("30", "12.5", "12.5%") or a fraction of a percent ("100/3"). No
# exponents and no floats: the edges pass text.
_SHARE = re.compile(r"^(?:(\d+)\s*/\s*(\d+)|(\d+(?:\.\d+)?|\.\d+))\s*%?$")

Found = list[tuple[type[CompetitionInvalid], Problem]]


def parse_percent(text: str, where: str, found: Found) -> Fraction | None:
    """An exact share in percent from text, or None with the problem added to `found`."""
    cleaned = str(text).strip().replace(",", "")
    if cleaned.startswith("-") and _SHARE.match(cleaned[1:].strip()):
        found.append((NegativeAmount, Problem(where, "share", Message("share {share!r} is negative", share=text))))
        return None
    m = _SHARE.match(cleaned) if len(cleaned) <= NUMBER_LIMIT else None
    if m is None or (m.group(2) is not None and int(m.group(2)) == 0):
        found.append((NotANumber, Problem(where, "share", Message(
            "share {share!r} is not a number: write a percentage such as 30, 12.5 or 100/3", share=text))))
        return None
    top, bottom, decimal = m.groups()
    return Fraction(decimal) if decimal is not None else Fraction(int(top), int(bottom))


def parse_amount(text: str, currency: str, where: str, what: str, found: Found) -> int | None:
    """Minor units of `currency` from text ("1,200,000.00"), or None with the problem added."""
    try:
        minor = Money.parse(str(text)[:NUMBER_LIMIT * 2], currency).minor
    except MoneyError:
        found.append((NotANumber, Problem(where, what, Message("{value!r} is not an amount in {currency}",
                                                               value=text, currency=currency))))
        return None
    if minor < 0:
        found.append((NegativeAmount, Problem(where, what, Message("{value!r} is negative", value=text))))
        return None
    return minor


def _parse_enum(found: Found, where: str, what: str, text: str, kind: type[Role] | type[Relation]) -> Any:
    try:
        return kind(str(text).strip().lower())
    except ValueError:
        found.append((CompetitionInvalid, Problem(where, what, Message("{value!r} is not one of {choices}",
                                                                       value=text,
                                                                       choices=", ".join(k.value for k in kind)))))
        return None


def check_markets(entries: Sequence[MarketEntry], *, occasion: Occasion, members: Iterable[str],
                  currency: str) -> list[Market]:
    """Exact markets from the entries, or the first problem's error listing every problem.

    Each market needs a product, a region, a relation and at least one participant on the alliance's
    side; members are current members' codes, each participant named once per market; a row gives a
    share (percent) or sales (then the market needs its size), never both; no share, sales or size is
    negative; no share, and no sum of shares, is above 100%. The joining company appears only when
    the screening is for a company joining."""
    current = set(members)
    found: Found = []
    if not entries:
        found.append((EmptyMarket, Problem(Message("screening"), "markets", Message("name at least one market"))))
    if len(entries) > MAX_MARKETS:
        found.append((CompetitionInvalid, Problem(Message("screening"), "markets", Message(
            "at most {limit} markets in one screening", limit=MAX_MARKETS))))
        entries = entries[:MAX_MARKETS]
    markets = []
    for n, entry in enumerate(entries, 1):
        market = _check_market(n, entry, occasion, current, currency, found)
        if market is not None:
            markets.append(market)
    if found:
        first, problem = found[0]
        raise first(problem.text(), [p for _, p in found])
    return markets


def _text(found: Found, where: str, what: Message, field_name: str, value: str) -> str:
    try:
        return check_text(value, what, NAME_LIMIT)
    except InvalidInput as exc:
        found.append((CompetitionInvalid, Problem(where, field_name, exc.message)))
        return ""


def _check_market(n: int, entry: MarketEntry, occasion: Occasion, current: set[str], currency: str,
                  found: Found) -> Market | None:
    where = Message("market {n}", n=n)
    before = len(found)
    product = _text(found, where, Message("product"), "product", entry.product)
    region = _text(found, where, Message("region"), "region", entry.region)
    relation = _parse_enum(found, where, "relation", entry.relation, Relation)
    size = None
    if str(entry.size).strip():
        size = parse_amount(entry.size, currency, where, "size", found)
    rows = [p for p in entry.participants if (p.name or p.share or p.sales).strip()]
    if not rows:
        found.append((EmptyMarket, Problem(where, "participants", Message(
            "the market has no participants: enter at least one member and its share"))))
        return None
    if len(rows) > MAX_PARTICIPANTS:
        found.append((CompetitionInvalid, Problem(where, "participants", Message(
            "at most {limit} participants in one market", limit=MAX_PARTICIPANTS))))
        return None
    participants = []
    seen: set[str] = set()
    for r, row in enumerate(rows, 1):
        participant = _check_row(Message("market {n}, row {row}", n=n, row=r), row, occasion, current, size,
                                 currency, seen, found)
        if participant is not None:
            participants.append(participant)
    if len(found) > before:
        return None
    if not any(p.role in ALLIANCE_ROLES for p in participants):
        found.append((EmptyMarket, Problem(where, "participants", Message(
            "no member is in this market: enter at least one member (or the joining company) and its share"))))
        return None
    total = sum((p.share for p in participants), Fraction(0))
    if total > HUNDRED:
        found.append((SharesOverHundred, Problem(where, "share", Message(
            "the shares add up to {total}%, more than 100%", total=_said(total)))))
        return None
    return Market(product, region, relation, tuple(participants), size)


def _check_row(where: str, row: ParticipantEntry, occasion: Occasion, current: set[str], size: int | None,
               currency: str, seen: set[str], found: Found) -> Participant | None:
    before = len(found)
    role = _parse_enum(found, where, "role", row.role, Role)
    name = _text(found, where, Message("name"), "name", row.name)
    if role is Role.MEMBER and name and name not in current:
        found.append((UnknownParticipant, Problem(where, "name", Message(
            "{member!r} is not a current member of the alliance", member=name))))
    if role is Role.JOINING and occasion is not Occasion.JOINING:
        found.append((CompetitionInvalid, Problem(where, "role", Message(
            "a joining company is screened only when the screening is for a company joining"))))
    key = name.casefold()
    if name and key in seen:
        found.append((DuplicateParticipant, Problem(where, "name", Message("{name!r} is named twice in this market",
                                                                          name=name))))
    seen.add(key)
    share_text, sales_text = str(row.share).strip(), str(row.sales).strip()
    share = None
    if share_text and sales_text:
        found.append((CompetitionInvalid, Problem(where, "share", Message(
            "give the share or the sales, not both"))))
    elif share_text:
        share = parse_percent(share_text, where, found)
    elif sales_text:
        sales = parse_amount(sales_text, currency, where, "sales", found)
        if size is None:
            found.append((CompetitionInvalid, Problem(where, "sales", Message(
                "sales give a share only against the market's size: enter the market's size"))))
        elif size == 0:
            found.append((CompetitionInvalid, Problem(where, "sales", Message(
                "the market's size is 0: sales cannot give a share of it"))))
        elif sales is not None:
            share = Fraction(sales, size) * HUNDRED
    else:
        found.append((CompetitionInvalid, Problem(where, "share", Message("enter its share or its sales"))))
    if share is not None and share > HUNDRED:
        found.append((SharesOverHundred, Problem(where, "share" if share_text else "sales", Message(
            "{name}'s share is {share}%, more than 100%", name=name or "?", share=_said(share)))))
    if len(found) > before or share is None or role is None:
        return None
    return Participant(name, role, share)


def _said(value: Fraction) -> str:
    return percent_text(value).rstrip("%")
