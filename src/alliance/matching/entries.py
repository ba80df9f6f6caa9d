"""What the matching service stores and shows beside the pure model: a stored declaration (with its
id and who changed it last) and an entry of the alliance's directory of outside holders. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alliance.matching.model import Declaration, HolderKind
from alliance.registry.records import decimal_text

CODE_LIMIT = 32
NAME_LIMIT = 200


@dataclass(frozen=True, slots=True)
class StoredDeclaration:
    id: int
    holder_kind: HolderKind
    holder: str  # the member's code or the directory entry's code
    declaration: Declaration
    updated_at: datetime | None = None  # None: stored before 0042 (the demo's, a member import's)
    updated_by: str | None = None


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """An outside company in the alliance's directory: a candidate, or a prospect's resource profile."""

    id: int
    code: str
    name: str
    credit_code: str | None
    region: str
    industry: str
    contact: str
    note: str
    source: str
    prospect_id: int | None
    created_at: datetime
    updated_at: datetime
    updated_by: str

    @property
    def holder_kind(self) -> HolderKind:
        return HolderKind.PROSPECT if self.prospect_id is not None else HolderKind.CANDIDATE


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """A directory entry as entered (checked by the service), not yet stored."""

    code: str
    name: str
    credit_code: str | None = None
    region: str = ""
    industry: str = ""
    contact: str = ""
    note: str = ""
    source: str = ""
    prospect_id: int | None = None


def declaration_json(stored: StoredDeclaration) -> dict[str, Any]:
    """A stored declaration as JSON-ready values (capacity as exact text), for the CLI and the API."""
    d = stored.declaration
    return {
        "id": stored.id, "holder": stored.holder, "holder_kind": stored.holder_kind.value, "side": d.side.value,
        "kind": d.kind, "description": d.description,
        "capacity": None if d.capacity is None else decimal_text(d.capacity), "unit": d.unit, "region": d.region,
        "starts_on": None if d.window.starts_on is None else d.window.starts_on.isoformat(),
        "ends_on": None if d.window.ends_on is None else d.window.ends_on.isoformat(),
        "priority": d.priority, "updated_at": None if stored.updated_at is None else stored.updated_at.isoformat(),
        "updated_by": stored.updated_by,
    }


def entry_json(e: DirectoryEntry) -> dict[str, Any]:
    return {"code": e.code, "name": e.name, "kind": e.holder_kind.value, "credit_code": e.credit_code,
            "region": e.region, "industry": e.industry, "contact": e.contact, "note": e.note, "source": e.source,
            "prospect": e.prospect_id, "updated_at": e.updated_at.isoformat(), "updated_by": e.updated_by}
