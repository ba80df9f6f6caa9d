"""What a register entry must satisfy, checked before anything is stored. Pure.

Every problem of an entry is found at once (`Problem` records, as the importers do) and raised as
one error whose class, code and message are those of the first problem: the edges show them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from alliance.core.errors import Conflict, InvalidInput, NotFound, Problem
from alliance.core.messages import Message
from alliance.core.text import check_text
from alliance.ip.model import NUMBER_OPTIONAL, Asset, IpKind, Licence, Origin, Share, number_key

TITLE_LIMIT = 200
NUMBER_LIMIT = 64
TEXT_LIMIT = 4000
MAX_CONTRIBUTORS = 50
SHARE_LIMIT = 100  # characters of a share as typed ("1/3", "0.25"); exact shares of many changes grow long


class IpInvalid(InvalidInput):
    """A register entry that cannot be stored (an empty title, a number missing, ...)."""

    code = "ip_invalid"
    title = Message("Invalid IP register entry")


class UnknownIpKind(IpInvalid):
    code = "ip_unknown_kind"
    title = Message("Unknown kind of IP")


class SharesNotWhole(IpInvalid):
    code = "ip_shares_not_one"
    title = Message("The shares do not sum to 1")


class NotAMember(IpInvalid):
    code = "ip_not_a_member"
    title = Message("Not a current member")


class LicenceDatesReversed(IpInvalid):
    code = "ip_licence_dates"
    title = Message("The licence ends before it starts")


class DuplicateIpNumber(Conflict):
    code = "ip_duplicate_number"
    title = Message("This IP is already registered")


class IpAssetNotFound(NotFound):
    code = "ip_asset_not_found"
    title = Message("No such IP asset")


@dataclass(frozen=True)
class Entry:
    """A checked entry: what a new version will hold (the service adds who and when)."""

    origin: Origin
    kind: IpKind
    title: str
    number: str | None
    owner: str | None
    licence: Licence | None
    contributors: tuple[Share, ...]
    project: str | None
    note: str


def parse_kind(text: str) -> IpKind:
    try:
        return IpKind(text.strip().lower().replace("-", "_"))
    except ValueError:
        raise UnknownIpKind(Message("unknown kind of IP {kind!r}: use one of {choices}", kind=text,
                                    choices=", ".join(k.value for k in IpKind))) from None


_SHARE = re.compile(r"^(?:(\d+)\s*/\s*(\d+)|(\d+(?:\.\d+)?)\s*(%?))$")


def parse_share(text: str) -> Fraction:
    """An exact share from "1/3", "0.25" or "25%"; InvalidInput for anything else (no exponents, no
    signs: a float never reaches here, the edges pass text)."""
    cleaned = str(text).strip()
    if not cleaned or len(cleaned) > SHARE_LIMIT:
        raise IpInvalid(Message("a share is required, as a fraction (1/3) or a decimal (0.25)"))
    found = _SHARE.match(cleaned)
    if found is None or (found.group(2) is not None and int(found.group(2)) == 0):
        raise IpInvalid(Message("share {share!r} is not a number: write a fraction (1/3) or a decimal (0.25)",
                                share=cleaned))
    top, bottom, decimal, percent = found.groups()
    if decimal is not None:
        value = Fraction(decimal) / (100 if percent else 1)
    else:
        value = Fraction(int(top), int(bottom))
    if not 0 < value <= 1:
        raise IpInvalid(Message("share {share!r} is not between 0 and 1", share=cleaned))
    return value


def _refuse(found: list[tuple[type[InvalidInput], Problem]]) -> None:
    if found:
        first, problem = found[0]
        raise first(problem.text(), [p for _, p in found])


def _text(found: list[tuple[type[InvalidInput], Problem]], value: str, what: str, limit: int, *,
          required: bool, multiline: bool = False) -> str:
    try:
        return check_text(value, what, limit, required=required, multiline=multiline)
    except InvalidInput as exc:
        found.append((IpInvalid, Problem(what, "", exc.message)))
        return ""


def check_licence(found: list[tuple[type[InvalidInput], Problem]], licence: Licence) -> Licence:
    text = _text(found, licence.text, Message("licence"), TEXT_LIMIT, required=True, multiline=True)
    territory = _text(found, licence.territory, Message("territory"), TITLE_LIMIT, required=False)
    if licence.starts_on is not None and licence.until is not None and licence.until < licence.starts_on:
        found.append((LicenceDatesReversed, Problem("licence", "until", Message(
            "the licence ends on {until}, before it starts on {start}", until=licence.until.isoformat(),
            start=licence.starts_on.isoformat()))))
    return Licence(text, bool(licence.exclusive), territory, licence.starts_on, licence.until)


def check_shares(found: list[tuple[type[InvalidInput], Problem]], shares: Sequence[tuple[str, str | Fraction]],
                 members: Iterable[str]) -> tuple[Share, ...]:
    """Contributors with exact shares: each a current member, once, and the shares summing to exactly 1."""
    current = set(members)
    if not shares:
        found.append((IpInvalid, Problem("contributors", "", Message("name at least one contributor"))))
        return ()
    if len(shares) > MAX_CONTRIBUTORS:
        found.append((IpInvalid, Problem("contributors", "", Message("at most {limit} contributors",
                                                                     limit=MAX_CONTRIBUTORS))))
        return ()
    out: list[Share] = []
    seen: set[str] = set()
    whole = True
    for member, given in shares:
        member = str(member).strip()
        if member not in current:
            found.append((NotAMember, Problem(member or "?", "", Message(
                "{member!r} is not a current member of the alliance", member=member))))
        elif member in seen:
            found.append((IpInvalid, Problem(member, "", Message("{member!r} is named twice", member=member))))
        seen.add(member)
        try:
            value = given if isinstance(given, Fraction) else parse_share(given)
        except InvalidInput as exc:
            found.append((IpInvalid, Problem(member or "?", "share", exc.message)))
            whole = False
            continue
        out.append(Share(member, value))
    total = sum((s.share for s in out), Fraction(0))
    if whole and total != 1:
        # The sum of long fractions can be longer still: it is named only when it is short enough to read.
        said = str(total) if len(str(total)) <= 2 * SHARE_LIMIT else Message("a number close to 1")
        found.append((SharesNotWhole, Problem("contributors", "", Message(
            "the shares sum to {total}, not exactly 1", total=said))))
    return tuple(out)


def check_entry(*, origin: Origin, kind: str | IpKind, title: str, number: str | None, owner: str | None,
                licence: Licence | None, contributors: Sequence[tuple[str, str | Fraction]], project: str | None,
                note: str, members: Iterable[str], register: Iterable[Asset], asset: int | None = None,
                agreements: Iterable[str] | None = None) -> Entry:
    """The entry checked against the alliance's current members, its agreements' codes (None: not
    checked) and its register (`asset`: the asset being changed, left out of the duplicate check).
    Raises the first problem's error with them all."""
    found: list[tuple[type[InvalidInput], Problem]] = []
    members = set(members)
    try:
        parsed_kind = kind if isinstance(kind, IpKind) else parse_kind(kind)
    except UnknownIpKind as exc:
        found.append((UnknownIpKind, Problem("kind", "", exc.message)))
        parsed_kind = None
    clean_title = _text(found, title, Message("title"), TITLE_LIMIT, required=True)
    clean_number = _text(found, number or "", Message("number"), NUMBER_LIMIT, required=False) or None
    if clean_number is not None and not number_key(clean_number):
        found.append((IpInvalid, Problem("number", "", Message(
            "number {number!r} has no letter or digit", number=clean_number))))
    if clean_number is None and parsed_kind is not None and parsed_kind not in NUMBER_OPTIONAL:
        found.append((IpInvalid, Problem("number", "", Message(
            "a {kind} needs its registration or application number", kind=parsed_kind.value))))
    clean_note = _text(found, note, Message("note"), TEXT_LIMIT, required=False, multiline=True)
    clean_owner, clean_licence, shares, clean_project = None, None, (), None
    if origin is Origin.BACKGROUND:
        clean_owner = (owner or "").strip()
        if clean_owner not in members:
            found.append((NotAMember, Problem("owner", "", Message(
                "{member!r} is not a current member of the alliance", member=clean_owner))))
        if licence is None:
            found.append((IpInvalid, Problem("licence", "", Message("say what licence it grants the alliance"))))
        else:
            clean_licence = check_licence(found, licence)
    else:
        shares = check_shares(found, contributors, members)
        clean_project = _text(found, project or "", Message("project"), 64, required=False) or None
        if clean_project is not None and agreements is not None and clean_project not in set(agreements):
            found.append((IpInvalid, Problem("project", "", Message(
                "the alliance has no agreement {agreement!r}: name the project agreement by its code",
                agreement=clean_project))))
    _refuse(found)
    assert parsed_kind is not None
    entry = Entry(origin, parsed_kind, clean_title, clean_number, clean_owner, clean_licence, shares, clean_project,
                  clean_note)
    check_unique(entry, register, asset)
    return entry


def holder(origin: Origin, owner: str | None) -> str:
    """Whose numbers must not repeat: a background asset's owner; foreground IP is the alliance's."""
    return owner or "" if origin is Origin.BACKGROUND else ""


def check_unique(entry: Entry, register: Iterable[Asset], asset: int | None) -> None:
    """A number registered once per holder and kind: the same patent twice would count twice. Numbers
    are compared by `number_key` (width, case, spaces and punctuation do not tell them apart)."""
    if entry.number is None:
        return
    mine, key = holder(entry.origin, entry.owner), number_key(entry.number)
    for other in register:
        now = other.current
        if (other.asset != asset and other.kind is entry.kind and other.origin is entry.origin
                and now.number is not None and number_key(now.number) == key
                and holder(other.origin, now.owner) == mine):
            raise DuplicateIpNumber(Message("{kind} {number} is already registered as asset {asset} (as {stored})",
                                            kind=entry.kind.value, number=entry.number, asset=other.asset,
                                            stored=now.number))


def check_dates(starts_on: date | None, until: date | None) -> None:
    """The licence dates alone (forms check them before the rest)."""
    found: list[tuple[type[InvalidInput], Problem]] = []
    check_licence(found, Licence("-", starts_on=starts_on, until=until))
    _refuse(found)
