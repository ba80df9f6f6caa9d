"""The register's vocabulary: kinds, origins, licences, shares, versions and assets. Pure.

An asset is never edited: each registration or change is a new `Version` of it, and the asset as it
stands is its last version (`Asset.current`). Shares are exact `Fraction`s, written as text ("1/3",
"1/2", "1"), so a third stays a third and the shares of an asset sum to exactly 1.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from alliance.core.messages import Message
from alliance.ledger.events import utc_text


class IpKind(StrEnum):
    PATENT = "patent"
    SOFTWARE = "software"
    TRADEMARK = "trademark"
    KNOW_HOW = "know_how"
    DESIGN = "design"


class Origin(StrEnum):
    """Background IP a member brings (it stays the member's; the alliance gets a licence); foreground
    IP created in an alliance project (owned by its contributors in their shares)."""

    BACKGROUND = "background"
    FOREGROUND = "foreground"


KIND_NAMES: dict[IpKind, Message] = {
    IpKind.PATENT: Message("patent"),
    IpKind.SOFTWARE: Message("software"),
    IpKind.TRADEMARK: Message("trademark"),
    IpKind.KNOW_HOW: Message("know-how"),
    IpKind.DESIGN: Message("design"),
}
ORIGIN_NAMES: dict[Origin, Message] = {
    Origin.BACKGROUND: Message("background IP"),
    Origin.FOREGROUND: Message("foreground IP"),
}
# Know-how is unregistered by nature: it has no official number; every other kind needs one.
NUMBER_OPTIONAL = frozenset({IpKind.KNOW_HOW})


def number_key(number: str) -> str:
    """What two registration numbers are compared by (docs/ip.md "Duplicates"): the number in Unicode
    NFKC (full-width letters, digits and punctuation become their ASCII forms), case-folded, with
    every space (Unicode categories Z*) and punctuation character (categories P*: . - _ / , : ( ) 、 ·
    and the like) left out. Letters, digits and symbols (+, #, ...) count. So "ZL 2024 1234567.8",
    "zl202412345678" and "ＺＬ２０２４１２３４５６７．８" are one number. The number as entered is
    what is stored and shown; this key is only compared."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", number).casefold())
    return "".join(c for c in folded if unicodedata.category(c)[0] not in "ZP")


@dataclass(frozen=True)
class Licence:
    """What a background asset's owner grants the alliance: readable text plus the typed fields the
    platform acts on. `until` None: no end date."""

    text: str
    exclusive: bool = False
    territory: str = ""
    starts_on: date | None = None
    until: date | None = None

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "exclusive": self.exclusive, "territory": self.territory,
                "starts_on": _iso(self.starts_on), "until": _iso(self.until)}


@dataclass(frozen=True)
class Share:
    member: str
    share: Fraction

    def as_json(self) -> list[str]:
        return [self.member, share_text(self.share)]


@dataclass(frozen=True)
class Version:
    """One version of an asset: everything it says at that point. Background: `owner` and `licence`;
    foreground: `contributors` (exact shares summing to 1) and optionally `project` (the project
    agreement's code it came from)."""

    version: int
    title: str
    number: str | None
    owner: str | None
    licence: Licence | None
    contributors: tuple[Share, ...]
    project: str | None
    note: str
    recorded_by: str
    recorded_at: datetime

    @property
    def members(self) -> tuple[str, ...]:
        """Who holds it: the owner, or the contributors."""
        return (self.owner,) if self.owner is not None else tuple(s.member for s in self.contributors)


@dataclass(frozen=True)
class Asset:
    asset: int          # its number in the alliance's register (1, 2, ...)
    origin: Origin
    kind: IpKind
    versions: tuple[Version, ...]

    @property
    def current(self) -> Version:
        return self.versions[-1]


Register = Sequence[Asset]


def version_fields(asset: Asset, v: Version) -> dict[str, Any]:
    """A version as plain fields: what its ledger entry's digest is taken of (`ledger.coverage`
    recomputes it from the stored row, `store.ip_repository.IpRepository.recorded`)."""
    return {"asset": asset.asset, "version": v.version, "origin": asset.origin.value, "kind": asset.kind.value,
            "title": v.title, "number": v.number, "owner": v.owner,
            "licence": None if v.licence is None else v.licence.as_json(),
            "contributors": [s.as_json() for s in v.contributors], "project": v.project, "note": v.note,
            "recorded_by": v.recorded_by, "recorded_at": utc_text(v.recorded_at)}


def share_text(value: Fraction) -> str:
    """"1/3", "1/2", "1": the exact form stored and recorded."""
    return str(value)


def share_percent(value: Fraction, places: int = 2) -> str:
    """For people only ("33.33%"): rounded half-even for display; the stored share stays exact."""
    shown = (Decimal(value.numerator) / Decimal(value.denominator) * 100).quantize(Decimal(1).scaleb(-places))
    return f"{shown.normalize():f}%"


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
