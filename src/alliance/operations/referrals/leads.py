"""The same lead, whatever way it was typed: names and contacts normalised, and the earlier referral
of the same lead to the same member whose exclusivity window is still open. Pure."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date

from alliance.operations.referrals.model import DuplicateLead, Referral

# Legal-form words a company name may carry or drop ("杭州悦佳贸易有限公司" = "杭州悦佳贸易"),
# longest first so that "股份有限公司" goes before "有限公司" and "公司".
_SUFFIXES = sorted(("有限责任公司", "股份有限公司", "有限公司", "集团", "公司", "商行", "工作室",
                    "coltd", "colimited", "company", "limited", "ltd", "inc", "llc", "gmbh", "corp", "co"),
                   key=len, reverse=True)
_DROP = re.compile(r"[\W_]+", re.UNICODE)  # spaces, punctuation (full- and half-width after NFKC)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normal_name(name: str) -> str:
    """Width and case folded, spaces and punctuation dropped, a trailing legal form dropped."""
    text = _DROP.sub("", unicodedata.normalize("NFKC", name).casefold())
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def normal_contact(contact: str) -> str:
    """An e-mail address in lower case; a phone number as its digits, without China's +86 / 0086
    prefix; anything else folded like a name."""
    text = unicodedata.normalize("NFKC", contact).strip().casefold()
    if _EMAIL.match(text):
        return text
    digits = re.sub(r"[\s\-().+]", "", text)
    if digits.isdigit() and len(digits) >= 5:
        for prefix in ("0086", "86"):
            if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
                return digits[len(prefix):]
        return digits
    return _DROP.sub("", text)


def find_duplicate(earlier: Iterable[Referral], to_member: str, name_key: str, contact_key: str,
                   today: date) -> Referral | None:
    """The first earlier referral of the same lead (same normalised name or contact) to `to_member`
    whose window is open today, or None."""
    for r in sorted(earlier, key=lambda r: r.number):
        if r.to_member != to_member or not r.window_open(today):
            continue
        if (name_key and normal_name(r.lead_name) == name_key) or (contact_key and normal_contact(r.lead_contact)
                                                                   == contact_key):
            return r
    return None


def refuse_duplicate(earlier: Iterable[Referral], to_member: str, name: str, contact: str, today: date) -> None:
    """DuplicateLead naming the earlier referral, if there is one."""
    found = find_duplicate(earlier, to_member, normal_name(name), normal_contact(contact), today)
    if found is not None:
        raise DuplicateLead(found.number, found.to_member, found.window_ends)
