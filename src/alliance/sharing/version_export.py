"""A stored agreement version exported as a signature-ready PDF (`sharing.version_pdf` draws it).

Reads what the PDF shows (the version, its document parsed, the alliance and its members' names)
and names the file. Who may export is who may read the version: the edges authorise the route as
they do the version's own (READ_RECORDS) before calling this.
"""

from __future__ import annotations

from dataclasses import dataclass

from alliance.core.clock import Clock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message
from alliance.language import SUPPORTED_LOCALES, normalise_locale
from alliance.registry import service as registry
from alliance.sharing import service
from alliance.sharing.agreement import load_agreement_text
from alliance.sharing.version_pdf import VersionSheet, render
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


def export_pdf(store: Store, alliance_code: str, agreement_code: str, version: int | None, locale: str,
               clock: Clock) -> ExportedPdf:
    """The version as a PDF in `locale`, dated by `clock` (the same content and time: the same bytes)."""
    data = sheet(store, alliance_code, agreement_code, version)
    v = data.version
    content = render(data, locale, clock.now())
    return ExportedPdf(f"{v.agreement_code}-v{v.version}-{locale.replace('_', '-')}.pdf", content)
