"""The languages the platform speaks: which one a reader asked for, and its Babel catalogue.

One catalogue per language serves every edge: the web's pages and the error messages of every
capability (`core.messages.Message` templates), which the API says in the language
`Accept-Language` asks for and the web in the page's. Catalogues ship as `.po` files only (no
compiled `.mo` in the repository): the first use of a language parses its `.po`, compiles it in
memory and caches the result for the process's lifetime. Message ids are English; `zh_CN` is the
pages' default language, `en` the other one.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from typing import TYPE_CHECKING

from alliance.core.messages import in_language

if TYPE_CHECKING:
    from babel.support import Translations

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
SUPPORTED_LOCALES: tuple[str, ...] = ("zh_CN", "en")
FALLBACK_LOCALE = "zh_CN"
DOMAIN = "messages"


def normalise_locale(text: str | None) -> str | None:
    """The supported locale a language tag asks for ("en-GB" -> "en", "zh-Hans" -> "zh_CN"), or None.

    Every Chinese tag maps to zh_CN: it is the only Chinese catalogue, and closer than English.
    """
    if not text:
        return None
    tag = text.strip().replace("-", "_").lower()
    primary = tag.split("_", 1)[0]
    if primary == "zh":
        return "zh_CN"
    if primary == "en":
        return "en"
    return None


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags from an Accept-Language header, most preferred first (q=0 dropped)."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def get_translations(locale: str) -> Translations:
    """The compiled catalogue of a supported locale. Raises ValueError for any other locale."""
    if locale not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported locale {locale!r} (supported: {', '.join(SUPPORTED_LOCALES)})")
    # Babel is imported here, not above: the CLI reads the terminal's language on every error and
    # needs no catalogue for English.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def say(text: object, locale: str) -> object:
    """`text` in `locale` when it is a `Message` (see core/messages.py); anything else as it is."""
    return in_language(text, get_translations(locale).gettext)


def accepted_locale(header: str | None, default: str = "en") -> str:
    """The supported locale an Accept-Language header prefers, or `default` (the API answers English
    unless asked otherwise)."""
    for tag in parse_accept_language(header):
        locale = normalise_locale(tag)
        if locale is not None:
            return locale
    return default


def environment_locale(environ: Mapping[str, str]) -> str:
    """The language a terminal user reads, from the POSIX variables gettext reads (LANGUAGE, then
    LC_ALL, LC_MESSAGES, LANG: the first one set decides): Chinese for any zh locale, else English."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "").split(":", 1)[0].split(".", 1)[0]
        if value:
            return normalise_locale(value) or "en"
    return "en"
