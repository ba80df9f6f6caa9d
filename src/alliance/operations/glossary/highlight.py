"""Agreed terms explained where they occur: a text with each agreed term wrapped in
`<abbr class="term" title="...">`, the title being the term and its definition in the reader's
language. Pure.

Safety first: the text is never trusted. Matches are found on the raw text, then every piece, the
matched ones too, is escaped; the only markup in the result is the `<abbr>` this module writes, with
an escaped title. Longest match first: at any position the longest text of any term wins (so
"云仓托盘位" beats "云仓"), and matches never overlap. A text of Latin letters or digits matches only
as a whole word ("SKU" not inside "SKUs2"), case-insensitively; a Chinese text matches anywhere.
Only agreed versions are given to a `Highlighter` (the service builds it), so proposed terms are
never shown as if the alliance had agreed them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape

MIN_LENGTH = 2  # a single character is too often part of another word to be explained
_WORDY = re.compile(r"[0-9A-Za-z_]")


@dataclass(frozen=True, slots=True)
class Gloss:
    """One agreed term as the highlighter needs it."""

    number: int
    zh: str
    en: str
    definition_zh: str
    definition_en: str
    synonyms: tuple[str, ...] = ()

    def title(self, language: str) -> str:
        """The term and its definition in `language` ("zh..." Chinese, else English), the other
        language's where this one has none."""
        if language.startswith("zh"):
            name, definition = self.zh or self.en, self.definition_zh or self.definition_en
        else:
            name, definition = self.en or self.zh, self.definition_en or self.definition_zh
        return f"{name}: {definition}" if definition else name


class Highlighter:
    """Wraps every agreed term found in a text; built once per page from the agreed terms in scope."""

    def __init__(self, glosses: Iterable[Gloss]) -> None:
        self._by_key: dict[str, Gloss] = {}
        for gloss in glosses:
            for text in (gloss.zh, gloss.en, *gloss.synonyms):
                if len(text) >= MIN_LENGTH:
                    self._by_key.setdefault(text.casefold(), gloss)  # the first term given keeps a shared text
        texts = sorted(self._by_key, key=lambda t: (-len(t), t))  # longest first: the alternation tries in order
        parts = [_bounded(t) for t in texts]
        self._pattern = re.compile("|".join(parts), re.IGNORECASE) if parts else None
        self.glosses = tuple(dict.fromkeys(self._by_key.values()))

    def __bool__(self) -> bool:
        return self._pattern is not None

    def matches(self, text: str) -> list[tuple[int, int, Gloss]]:
        """(start, end, term) of each match, left to right, never overlapping."""
        if self._pattern is None or not text:
            return []
        found = ((m.start(), m.end(), self._by_key.get(m.group(0).casefold())) for m in self._pattern.finditer(text))
        return [(start, end, gloss) for start, end, gloss in found if gloss is not None]

    def mark(self, text: object, language: str) -> Markup:
        """`text` escaped, each agreed term wrapped in an `<abbr>` whose title says it in `language`."""
        raw = "" if text is None else str(text)
        out: list[str] = []
        at = 0
        for start, end, gloss in self.matches(raw):
            out.append(str(escape(raw[at:start])))
            out.append(abbr(raw[start:end], gloss.title(language), gloss.number))
            at = end
        out.append(str(escape(raw[at:])))
        return Markup("".join(out))


def abbr(shown: str, title: str, number: int) -> str:
    """The markup of one explained term: focusable (keyboards and touch reach the explanation too)."""
    return (f'<abbr class="term" data-term="{number}" title="{escape(title)}" tabindex="0">'
            f"{escape(shown)}</abbr>")


def _bounded(text: str) -> str:
    """The pattern of `text`: a word of its own where it begins or ends with a Latin letter or digit."""
    pattern = re.escape(text)
    if _WORDY.match(text[0]):
        pattern = r"(?<![0-9A-Za-z_])" + pattern
    if _WORDY.match(text[-1]):
        pattern += r"(?![0-9A-Za-z_])"
    return pattern


def plain(text: object) -> Markup:
    """`text` escaped with nothing explained (no glossary in reach)."""
    return Markup(escape("" if text is None else str(text)))
