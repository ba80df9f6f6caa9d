"""Terms of the industry glossary (行业词典): what a term says, how a term's texts are compared, and
the checks of a draft. Pure.

A term lives in a scope: the alliance (`ALLIANCE_SCOPE`) or one of its governance bodies (a working
group's own words). Inside a scope a text names one term only: a draft whose Chinese or English
text, or one of its synonyms, equals (case- and width-insensitive, spaces folded: `key`) a text or
synonym of another term is refused naming that term. Every change is a new version; a version is
`proposed` until the coordinator (or the scope body's chair) agrees it, and agreed versions are the
ones pages explain on hover.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from alliance.core.errors import Conflict, InvalidInput, Problem
from alliance.core.messages import Message

ALLIANCE_SCOPE = 0  # the scope of the whole alliance; a body's scope is its id
TEXT_LIMIT = 100         # a term's text or a synonym
DEFINITION_LIMIT = 2000  # a definition, in one language
INDUSTRY_LIMIT = 100
NOTE_LIMIT = 500
MAX_SYNONYMS = 20


class Status(StrEnum):
    PROPOSED = "proposed"
    AGREED = "agreed"


STATUS_NAMES = {Status.PROPOSED: Message("proposed"), Status.AGREED: Message("agreed")}


class TermInvalid(InvalidInput):
    code = "term_invalid"
    title = Message("Term not valid")


class TermExists(Conflict):
    code = "term_exists"
    title = Message("The term already exists")

    def __init__(self, text: str, number: int, existing: str) -> None:
        super().__init__(Message("{text!r} is already term {number} ({existing}) in this scope: edit that term or "
                                 "add it there as a synonym", text=text, number=number, existing=existing))
        self.number = number


_SPACE = re.compile(r"\s+")


def key(text: str) -> str:
    """How texts are compared: NFKC (full-width letters and digits as half-width), case-folded, spaces
    folded to one and trimmed. "ＳＫＵ", "sku" and " SKU " are one key."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def clean(text: str) -> str:
    """A text as stored: spaces folded and trimmed, nothing else changed."""
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True, slots=True)
class TermDraft:
    """What a term says: its texts in both languages, definitions, synonyms, industry and owner."""

    zh: str
    en: str
    definition_zh: str = ""
    definition_en: str = ""
    synonyms: tuple[str, ...] = ()
    industry: str = ""
    owner: str = ""

    def texts(self) -> list[str]:
        """Every text that names the term: zh, en, then the synonyms (empty ones left out)."""
        return [t for t in (self.zh, self.en, *self.synonyms) if t]

    def keys(self) -> set[str]:
        return {key(t) for t in self.texts()}

    def as_json(self) -> dict[str, Any]:
        return {"zh": self.zh, "en": self.en, "definition_zh": self.definition_zh,
                "definition_en": self.definition_en, "synonyms": list(self.synonyms), "industry": self.industry,
                "owner": self.owner}


@dataclass(frozen=True, slots=True)
class TermVersion:
    version: int
    draft: TermDraft
    status: Status
    note: str
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class Term:
    """A term with every version, oldest first; `agreed` is its latest agreed version, if any."""

    number: int
    scope: int  # ALLIANCE_SCOPE or a body's id
    versions: tuple[TermVersion, ...] = field(default_factory=tuple)

    @property
    def current(self) -> TermVersion:
        return self.versions[-1]

    @property
    def status(self) -> Status:
        return self.current.status

    @property
    def agreed(self) -> TermVersion | None:
        return next((v for v in reversed(self.versions) if v.status is Status.AGREED), None)

    def name(self, language: str = "en") -> str:
        d = self.current.draft
        return (d.zh or d.en) if language.startswith("zh") else (d.en or d.zh)


def version_fields(number: int, scope: int, version: TermVersion) -> dict[str, Any]:
    """What the ledger's digest of an agreed version covers: the term, its scope and every field of the
    version as stored (the digest is recomputed from the stored row to verify it)."""
    return {"term": number, "scope": scope, "version": version.version, **version.draft.as_json(),
            "status": version.status.value}


def check_draft(draft: TermDraft, where: str = "term") -> TermDraft:
    """The draft cleaned (spaces folded, synonyms without repeats or the term's own texts), or
    TermInvalid with every problem at once."""
    cleaned = TermDraft(zh=clean(draft.zh), en=clean(draft.en), definition_zh=draft.definition_zh.strip(),
                        definition_en=draft.definition_en.strip(), synonyms=(), industry=clean(draft.industry),
                        owner=draft.owner.strip())
    problems: list[Problem] = []

    def bad(name: str, reason: str) -> None:
        problems.append(Problem(where, name, reason))

    if not cleaned.zh and not cleaned.en:
        bad("zh", Message("give the term in Chinese, in English or both"))
    for name, value in (("zh", cleaned.zh), ("en", cleaned.en)):
        if len(value) > TEXT_LIMIT:
            bad(name, Message("at most {n} characters", n=TEXT_LIMIT))
    if not cleaned.definition_zh and not cleaned.definition_en:
        bad("definition", Message("give a definition in Chinese, in English or both"))
    for name, value in (("definition_zh", cleaned.definition_zh), ("definition_en", cleaned.definition_en)):
        if len(value) > DEFINITION_LIMIT:
            bad(name, Message("at most {n} characters", n=DEFINITION_LIMIT))
    if len(cleaned.industry) > INDUSTRY_LIMIT:
        bad("industry", Message("at most {n} characters", n=INDUSTRY_LIMIT))
    own = {key(cleaned.zh), key(cleaned.en)}
    synonyms: list[str] = []
    seen: set[str] = set()
    for synonym in (clean(s) for s in draft.synonyms):
        k = key(synonym)
        if not synonym or k in own or k in seen:
            continue
        if len(synonym) > TEXT_LIMIT:
            bad("synonyms", Message("{synonym!r}: at most {n} characters", synonym=synonym[:20], n=TEXT_LIMIT))
        seen.add(k)
        synonyms.append(synonym)
    if len(synonyms) > MAX_SYNONYMS:
        bad("synonyms", Message("at most {n} synonyms", n=MAX_SYNONYMS))
    if problems:
        raise TermInvalid(Message("The term is not valid"), problems)
    return TermDraft(cleaned.zh, cleaned.en, cleaned.definition_zh, cleaned.definition_en, tuple(synonyms),
                     cleaned.industry, cleaned.owner)


def find_duplicate(draft: TermDraft, others: Iterable[Term], *, exclude: int | None = None) -> None:
    """Raise TermExists naming the first term of `others` (the same scope) that has a text or synonym
    of `draft`; `exclude`: the term being edited."""
    wanted = {key(t): t for t in draft.texts()}
    for term in others:
        if term.number == exclude:
            continue
        for text in term.current.draft.texts():
            if key(text) in wanted:
                d = term.current.draft
                raise TermExists(wanted[key(text)], term.number, " / ".join(t for t in (d.zh, d.en) if t))


def parse_synonyms(text: str | Sequence[str]) -> tuple[str, ...]:
    """Synonyms typed as one text (separated by commas, 、, ；, ; or new lines) or given as a list."""
    if isinstance(text, str):
        return tuple(s for s in re.split(r"[,，、;；\n]", text) if s.strip())
    return tuple(text)
