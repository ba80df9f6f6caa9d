"""A stored agreement version exported as a signature-ready PDF (`sharing.version_pdf` draws it).

Reads what the PDF shows (the version, its document parsed, the alliance and its members' names)
and names the file. Who may export is who may read the version: the edges authorise the route as
they do the version's own (READ_RECORDS) before calling this.

Drawing a PDF costs tens of milliseconds of CPU, and a version is downloaded again and again while
its parties sign it. So the PDF is deterministic, dated when the version last changed (its last
signature, else its proposal: `created_at`), never by the wall clock, and kept in a small in-memory
cache (`PdfCache`) keyed by a digest of everything it shows (`state_key`): two downloads of an
unchanged version are the same bytes and the second draws nothing; a new signature (or a member's
new legal name) is a new key, so a new PDF. Each process has its own cache; nothing is stored.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.language import SUPPORTED_LOCALES, normalise_locale
from alliance.registry import service as registry
from alliance.sharing import service
from alliance.sharing.agreement import load_agreement_text
from alliance.sharing.version_pdf import VersionSheet, render
from alliance.sharing.versions import AgreementVersion
from alliance.store.database import Store

MEDIA_TYPE = "application/pdf"


class UnknownLanguage(InvalidInput):
    code = "unknown_language"
    title = Message("Unknown language")


@dataclass(frozen=True, slots=True)
class ExportedPdf:
    filename: str  # e.g. "yuejia-sharing-v1-zh-CN.pdf": codes only, so ASCII
    content: bytes


def pdf_locale(lang: str | None, default: str) -> str:
    """The catalogue locale of a `lang` parameter ("zh-CN", "zh", "en", "en-GB"); `default` when it
    is empty. Raises UnknownLanguage for any other language."""
    if not lang:
        return default
    locale = normalise_locale(lang)
    if locale is None:
        raise UnknownLanguage(Message("{lang!r} is not a language of the export (use zh-CN or en)", lang=lang))
    assert locale in SUPPORTED_LOCALES
    return locale


def sheet(store: Store, alliance_code: str, agreement_code: str, version: int | None = None) -> VersionSheet:
    """What the PDF of a version shows. Raises NotFound as `service.get_version` does."""
    alliance = registry.get_alliance(store, alliance_code)
    shown = service.get_version(store, alliance_code, agreement_code, version)
    members = {m.code: m.legal_name for m in registry.list_members(store, alliance_code, include_left=True)}
    return VersionSheet(alliance.code, alliance.name, alliance.timezone, shown, load_agreement_text(shown.document),
                        members)


def created_at(version: AgreementVersion) -> datetime:
    """The PDF's creation date: when the version last changed, i.e. its last signature, else its
    proposal. Never the wall clock, so the same version gives the same bytes whenever it is exported."""
    return max((s.signed_at for s in version.signatures), default=version.proposed_at)


def state_key(data: VersionSheet, locale: str) -> str:
    """A SHA-256 of everything the PDF of `data` in `locale` shows: the version's document and its
    digest, its signatures, the alliance's name and time zone and its members' names. Equal keys,
    equal PDFs (in one process: the code and catalogues drawing it do not change while it runs)."""
    v = data.version
    shown = {
        "locale": locale, "alliance": [data.alliance_code, data.alliance_name, data.timezone],
        "version": [v.agreement_code, v.version, v.sha256, hashlib.sha256(v.document.encode()).hexdigest(),
                    v.proposed_by, v.proposed_at.isoformat()],
        "signatures": [[s.member_code, s.signer, s.sha256, s.signed_at.isoformat(), s.account, s.account_name,
                        s.attorney_id] for s in v.signatures],
        "members": sorted(data.members.items()),
    }
    return hashlib.sha256(json.dumps(shown, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


class PdfCache:
    """The last `size` PDFs drawn, by `state_key`, least recently used dropped first. Thread-safe (the
    edges export in a thread pool); a PDF is drawn outside the lock, so two first downloads of one
    version at the same moment may both draw it (the same bytes), and no download waits on another's."""

    def __init__(self, size: int) -> None:
        assert size >= 1
        self._size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, draw: Callable[[], bytes]) -> bytes:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        content = draw()
        with self._lock:
            self._items[key] = content
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return content

    def __len__(self) -> int:
        return len(self._items)


# PDFs are tens of kilobytes: 32 of them (the versions being signed now, in two languages) is ~2 MB.
CACHE = PdfCache(32)


def export_pdf(store: Store, alliance_code: str, agreement_code: str, version: int | None,
               locale: str) -> ExportedPdf:
    """The version as a PDF in `locale`, dated `created_at(version)`: the same version (document and
    signatures) gives the same bytes, drawn once and then served from `CACHE`."""
    data = sheet(store, alliance_code, agreement_code, version)
    v = data.version
    content = CACHE.get(state_key(data, locale), lambda: render(data, locale, created_at(v)))
    return ExportedPdf(f"{v.agreement_code}-v{v.version}-{locale.replace('_', '-')}.pdf", content)
