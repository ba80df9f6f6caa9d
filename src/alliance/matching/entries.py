"""What the matching service stores and shows beside the pure model: a stored declaration (with its
id and who changed it last) and an entry of the alliance's directory of outside holders. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alliance.matching.model import Declaration, HolderKind

CODE_LIMIT = 32
NAME_LIMIT = 200


@dataclass(frozen=True, slots=True)
class StoredDeclaration:
    id: int
    holder_kind: HolderKind
    holder: str  # the member's code or the directory entry's code
    declaration: Declaration
    updated_at: datetime | None = None  # None: stored before 0041 (the demo's, a member import's)
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
