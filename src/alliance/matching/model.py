"""Resources and needs (资源与需求) and who holds them. Pure.

A declaration is one thing a holder offers (a resource) or lacks (a need): its kind (taxonomy.py),
a free-text description (Chinese or English), a capacity and its unit (for a need: the capacity it
requires), a region ("" = anywhere), a time window (open at either end) and a priority, 1 (most
important) to 5. A holder is a member of the alliance, a prospect in its partner pipeline or an
outside candidate in its directory; each has a code unique within its kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.matching.taxonomy import Taxonomy

PRIORITIES = range(1, 6)
DESCRIPTION_LIMIT = 2000
UNIT_LIMIT = 32
REGION_LIMIT = 64


class Side(StrEnum):
    RESOURCE = "resource"  # something the holder has and offers
    NEED = "need"  # a gap the holder wants filled


class HolderKind(StrEnum):
    MEMBER = "member"
    PROSPECT = "prospect"
    CANDIDATE = "candidate"  # an outside company in the alliance's matching directory


class DeclarationInvalid(InvalidInput):
    code = "declaration_invalid"
    title = Message("Resource or need not valid")


@dataclass(frozen=True, slots=True)
class Window:
    """When a resource is available or a need must be met; None = open at that end."""

    starts_on: date | None = None
    ends_on: date | None = None

    @property
    def open(self) -> bool:
        return self.starts_on is None and self.ends_on is None


@dataclass(frozen=True, slots=True)
class Declaration:
    side: Side
    kind: str
    description: str = ""
    capacity: Decimal | None = None  # None: not stated (the match then counts presence only)
    unit: str = ""
    region: str = ""
    window: Window = field(default_factory=Window)
    priority: int = 3

    @property
    def weight(self) -> int:
        """A need's weight in a score: priority 1 weighs 5, priority 5 weighs 1."""
        return 6 - self.priority


@dataclass(frozen=True, slots=True)
class Holder:
    """Someone who has resources and needs: a member, a prospect or an outside candidate."""

    kind: HolderKind
    code: str
    name: str
    region: str = ""
    declarations: tuple[Declaration, ...] = ()

    @property
    def resources(self) -> tuple[Declaration, ...]:
        return tuple(d for d in self.declarations if d.side is Side.RESOURCE)

    @property
    def needs(self) -> tuple[Declaration, ...]:
        return tuple(d for d in self.declarations if d.side is Side.NEED)


def parse_capacity(text: str) -> Decimal | None:
    """A capacity as written ("" = not stated); raises ValueError with the reason."""
    text = text.strip().replace(",", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not value.is_finite():
        raise ValueError("not a number")
    return value


def problems_of(declaration: Declaration, taxonomy: Taxonomy, where: str = "") -> list[Problem]:
    """Every reason `declaration` cannot be stored (empty when it can). Pure."""
    found: list[Problem] = []

    def bad(field_name: str, reason: str) -> None:
        found.append(Problem(where, field_name, reason))

    if declaration.kind not in taxonomy:
        bad("kind", Message("{key} is not a resource kind of this alliance", key=declaration.kind))
    if declaration.capacity is not None and declaration.capacity < 0:
        bad("capacity", Message("a capacity cannot be negative"))
    if declaration.capacity is not None and declaration.capacity > Decimal("1e15"):
        bad("capacity", Message("a capacity above 10^15 is not believable"))
    if declaration.side is Side.NEED and declaration.capacity is not None and declaration.capacity == 0:
        bad("capacity", Message("a need requires a capacity above zero (leave it blank if it has none)"))
    if declaration.priority not in PRIORITIES:
        bad("priority", Message("a priority is 1 (highest) to 5"))
    w = declaration.window
    if w.starts_on is not None and w.ends_on is not None and w.ends_on < w.starts_on:
        bad("window", Message("the window ends ({end}) before it starts ({start})",
                              end=w.ends_on.isoformat(), start=w.starts_on.isoformat()))
    if len(declaration.description) > DESCRIPTION_LIMIT:
        bad("description", Message("at most {n} characters", n=DESCRIPTION_LIMIT))
    if len(declaration.unit) > UNIT_LIMIT:
        bad("unit", Message("at most {n} characters", n=UNIT_LIMIT))
    if len(declaration.region) > REGION_LIMIT:
        bad("region", Message("at most {n} characters", n=REGION_LIMIT))
    return found


def check(declaration: Declaration, taxonomy: Taxonomy, where: str = "") -> Declaration:
    problems = problems_of(declaration, taxonomy, where)
    if problems:
        raise DeclarationInvalid(Message("The resource or need is not valid"), problems)
    return declaration
