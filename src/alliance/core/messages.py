"""Text shown to a user, kept as a template and its parameters so an edge can say it in any language.

    raise MemberNotFound(Message("alliance {alliance!r} has no member with code {member!r}",
                                 alliance=alliance_code, member=member_code))

A `Message` *is* its English text (a `str` subclass, like `markupsafe.Markup`): logs, the CLI, tests
and any code that formats it further keep working unchanged. It also remembers its `template` (an
English message id in the Babel catalogues, `str.format` placeholders) and `params`, so the web can
show it in the page's language and the API in the one `Accept-Language` asks for (`in_language`).
Parameters that are themselves messages are said in the same language. Anything built from a
message by ordinary string operations is plain English again: translation is kept only while the
message travels as itself.

Extraction: `scripts/update-translations` collects every `Message("...")` whose template is a
literal into the catalogues; a test fails when a template has no Chinese translation, or a
translation whose placeholders differ from its template's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from string import Formatter
from datetime import date
from decimal import Decimal
from typing import Any


class Message(str):
    """English text that can be said again in another language (see the module docstring)."""

    template: str
    params: Mapping[str, Any]

    def __new__(cls, template: str, /, **params: Any) -> Message:
        text = template.format(**params) if params else template
        self = super().__new__(cls, text)
        self.template = template
        self.params = params
        return self

    def in_language(self, translate: Callable[[str], str]) -> str:
        """This message in the language of `translate` (a catalogue's gettext); English when the
        translation is missing or does not fit the parameters (a catalogue mistake shows, never fails)."""
        params = {name: value.in_language(translate) if isinstance(value, Message) else value
                  for name, value in self.params.items()}
        translated = translate(self.template)
        if not params:
            return translated
        try:
            return translated.format(**params)
        except (KeyError, IndexError, ValueError):
            return self.template.format(**params)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (a worker process, a cache) as what it is, not as a plain str; the text travels
        # as it is, so a million reasons coming back from a computing child are not formatted again.
        return (_rebuild, (str(self), self.template, dict(self.params)))


def _rebuild(text: str, template: str, params: dict[str, Any]) -> Message:
    self = str.__new__(Message, text)
    self.template = template
    self.params = params
    return self


def joined(parts: Sequence[str]) -> str:
    """`"; ".join(parts)`, kept a Message whose parts are each said in the reader's language."""
    if not parts:
        return ""
    text = parts[0]
    for part in parts[1:]:
        text = Message("{first}; {rest}", first=text, rest=part)
    return text


def placeholders(template: str) -> set[str]:
    """The parameter names a template uses: "{name!r}" and "{amount:.2f}" give name and amount."""
    return {field.split(".", 1)[0].split("[", 1)[0]
            for _, field, _, _ in Formatter().parse(template) if field is not None and field != ""}


def in_language(text: object, translate: Callable[[str], str]) -> object:
    """`text` said with `translate` when it is a Message; anything else as it is."""
    return text.in_language(translate) if isinstance(text, Message) else text


# --- keeping a message: its template and parameters as JSON, to say it again when it is shown -----

Document = dict[str, Any]


class NotKept(ValueError):
    """A parameter of a type a document does not keep exactly (the message is then kept as English)."""


def to_document(text: str) -> Document | None:
    """A Message as JSON-ready data ({"template", "params"}) to store beside its English text, so a
    page shows it later in the reader's language; None for plain text, or for a message with a
    parameter that would not come back as it was (then only the English is kept)."""
    if not isinstance(text, Message):
        return None
    try:
        return {"template": text.template, "params": {name: _kept(value) for name, value in text.params.items()}}
    except NotKept:
        return None


def from_document(document: object, english: str) -> str:
    """The message a document keeps, or `english` (the stored text) when the document is missing or
    not one this version reads (a template whose parameters no longer fit is shown as it was)."""
    try:
        if not isinstance(document, dict):
            raise NotKept(document)
        params = {name: _restored(value) for name, value in document["params"].items()}
        if not placeholders(document["template"]) <= set(params):
            raise NotKept(document["template"])
        return _stored(document["template"], **params)
    except (NotKept, KeyError, TypeError, AttributeError, IndexError, ValueError):
        return english


# A stored template is not a message id of the code: called by another name, so that the catalogue's
# extraction (which collects the literals in `Message(...)` calls) does not take "template" for one.
_stored = Message


def _kept(value: object) -> object:
    if isinstance(value, Message):
        return {"message": to_document(value) or _refuse(value)}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, date) and type(value) is date:
        return {"date": value.isoformat()}
    return _refuse(value)


def _refuse(value: object) -> Any:
    raise NotKept(type(value).__name__)


def _restored(value: object) -> object:
    if not isinstance(value, dict):
        return value
    if "message" in value:
        return _stored(value["message"]["template"],
                       **{name: _restored(v) for name, v in value["message"]["params"].items()})
    if "decimal" in value:
        return Decimal(value["decimal"])
    if "date" in value:
        return date.fromisoformat(value["date"])
    raise NotKept(value)
