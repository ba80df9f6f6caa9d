"""The one way both sides write an identifier before it is blinded, so that equal customers meet.

Rules (docs/privacy.md, "Normalisation"):

- `phone`: E.164. Full-width digits become ASCII (NFKC); spaces, hyphens, dots and brackets are dropped; `00` first becomes `+`; a number
  with `+` keeps its country code (8 to 15 digits in all); without one, a mainland mobile
  (`1[3-9]` and 9 more digits) gets `+86`, as does a fixed line written with its trunk `0`
  (`010-12345678` -> `+861012345678`, 9 to 12 digits after the `0`). Anything else is refused.
- `email`: trimmed and lower-cased whole; one `@`, a local part and a domain with a dot, no spaces.
  Nothing else is rewritten (no removal of dots or `+tags`: providers differ).
- `credit_code`: the unified social credit code (统一社会信用代码), 18 characters, upper-cased with
  spaces dropped, its check character verified (GB 32100-2015).
- `name`: Unicode NFKC (full-width letters and digits become half-width), case folded, every
  punctuation mark and symbol dropped, runs of white space made one space, trimmed.

Each list is normalised with the same rule on both sides; the session names the kind, and the
value blinded is `salt|kind|normalised`, with the session's salt.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message


class Kind(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    CREDIT_CODE = "credit_code"
    NAME = "name"


RULES: dict[Kind, Message] = {
    Kind.PHONE: Message("E.164 (+ and country code; mainland numbers without one get +86)"),
    Kind.EMAIL: Message("trimmed and lower-cased, nothing else rewritten"),
    Kind.CREDIT_CODE: Message("18 characters, upper-cased, check character verified"),
    Kind.NAME: Message("NFKC, case folded, punctuation and symbols dropped, white space collapsed"),
}

_SEPARATORS = re.compile(r"[\s\-.()（）]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_TRUNK = re.compile(r"0[1-9]\d{8,11}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_LENGTH = 320  # the longest e-mail address; longer values are refused, whatever their kind


class Malformed(ValueError):
    """One value that cannot be normalised, with why."""

    def __init__(self, reason: Message) -> None:
        super().__init__(reason)
        self.reason = reason


def phone(value: str) -> str:
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+"):
        digits = text[1:]
        if digits.isdigit() and digits.isascii() and 8 <= len(digits) <= 15 and not digits.startswith("0"):
            return "+" + digits
        raise Malformed(Message("not a phone number in international form (+ and 8 to 15 digits)"))
    if text.isascii() and _MOBILE.fullmatch(text):
        return "+86" + text
    if text.isascii() and _TRUNK.fullmatch(text):
        return "+86" + text[1:]
    raise Malformed(Message("not a phone number: write it with + and its country code"))


def email(value: str) -> str:
    text = value.strip().lower()
    if not _EMAIL.fullmatch(text):
        raise Malformed(Message("not an e-mail address"))
    return text


def credit_code(value: str) -> str:
    text = re.sub(r"\s", "", value).upper()
    try:
        return str(uscc.validate(text))
    except ValidationError:
        raise Malformed(Message("not a unified social credit code (18 characters with a valid check character)")) from None


def name(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).casefold()
    kept = "".join(" " if ch.isspace() else ch for ch in text
                   if ch.isspace() or unicodedata.category(ch)[0] not in "PS")
    text = " ".join(kept.split())
    if not text:
        raise Malformed(Message("empty once punctuation and spaces are dropped"))
    return text


NORMALISERS = {Kind.PHONE: phone, Kind.EMAIL: email, Kind.CREDIT_CODE: credit_code, Kind.NAME: name}


def kind_of(value: str) -> Kind:
    try:
        return Kind(value)
    except ValueError:
        raise InvalidInput(Message("identifier kind {value!r} is not one of {kinds}", value=value,
                                   kinds=", ".join(k.value for k in Kind))) from None


@dataclass(frozen=True)
class Normalised:
    values: list[str]     # distinct, in the order first seen
    duplicates: int       # rows that repeated an earlier identifier once normalised
    blank: int            # empty rows, skipped


def normalise_all(kind: Kind, rows: Iterable[tuple[str, str]]) -> Normalised:
    """Normalise (where, value) pairs: every malformed row is named at once (`InvalidInput`), so
    that nothing is sent from a list with a bad row in it."""
    rule = NORMALISERS[kind]
    seen: dict[str, None] = {}
    problems: list[Problem] = []
    duplicates = blank = 0
    for where, raw in rows:
        if raw is None or not str(raw).strip():
            blank += 1
            continue
        text = str(raw)
        if len(text) > MAX_LENGTH:
            problems.append(Problem(where, kind.value, Message("longer than {n} characters", n=MAX_LENGTH)))
            continue
        try:
            value = rule(text)
        except Malformed as exc:
            problems.append(Problem(where, kind.value, exc.reason))
            continue
        if value in seen:
            duplicates += 1
        else:
            seen[value] = None
    if problems:
        raise InvalidInput(Message("{n} identifiers cannot be normalised as {kind}; nothing was sent",
                                   n=len(problems), kind=kind.value), problems)
    return Normalised(list(seen), duplicates, blank)


def salted(salt: str, kind: Kind, values: Iterable[str]) -> list[str]:
    """The strings handed to the protocol: the session's salt and the kind before each value."""
    prefix = f"{salt}|{kind.value}|"
    return [prefix + v for v in values]
