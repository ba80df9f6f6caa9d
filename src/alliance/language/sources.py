"""Every message the catalogues must hold, found in the code as `pybabel extract` would find it.

The web's templates and Python (gettext calls, `N_` marks) and every capability's `Message(...)`
templates (core/messages.py): one extraction, used by `scripts/update-translations` to bring the
catalogues up to date and by the tests that fail on an untranslated message.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

PACKAGE_DIR = Path(__file__).resolve().parent.parent
MAPPING = Path(__file__).resolve().parent / "babel.cfg"
# Message(template, **params): its first argument is a message id, like gettext's.
KEYWORDS = {**DEFAULT_KEYWORDS, "Message": None}

MessageId = str | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Found:
    """One message id and where it is (a path from src/alliance, and a line)."""

    msgid: MessageId
    where: str
    line: int
    comments: tuple[str, ...] = ()
    context: str | None = None


def found_messages() -> Iterator[Found]:
    with MAPPING.open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE_DIR, method_map, options_map, keywords=KEYWORDS, comment_tags=()
    ):
        msgid = message if isinstance(message, str) else tuple(message)
        yield Found(msgid, filename, lineno, tuple(comments), context)
