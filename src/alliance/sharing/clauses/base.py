"""What every clause kind of an agreement is made of: typed fields beside readable text.

A clause is the parties' own words (`text`) and the few typed fields the platform acts on (a
notice period, a non-compete end date, an arbitration body). Each kind is one module of this
package holding a `ClauseKindSpec`: its parameters (a frozen dataclass whose fields are the
clause's YAML keys), how it reads and checks them, its form fields for the agreement builder,
its bilingual template for the clause library, how its fields read in words, and how a project's
clause may narrow, never contradict, its framework's (`conflicts`). Pure: no store, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from alliance.core.messages import Message
from alliance.sharing.reader import Reader
from alliance.sharing.rules.form import FormField

MAX_CLAUSE_TEXT = 5000   # characters of a clause's own words
MAX_ITEM = 200           # characters of one listed item (a product, a purpose)
MAX_ITEMS = 50

# Metadata of a clause field added after versions with that clause were signed: while it holds its
# default it is left out of the canonical form (sharing.agreement.canonical_json), so those versions
# keep the digest they were signed with.
LATER: Mapping[str, bool] = {"later": True}


class ClauseKind(StrEnum):
    SCOPE = "scope"
    TERM = "term"
    DUTIES = "duties"
    DATA_USE = "data_use"
    EXIT = "exit"
    DISPUTES = "disputes"
    CONFIDENTIALITY = "confidentiality"
    NON_COMPETE = "non_compete"
    IP = "ip"
    BUDGET = "budget"


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause of an agreement version: its kind, the parties' words and its typed fields
    (the kind's `Params`)."""

    kind: ClauseKind
    text: str
    params: Any


@dataclass(frozen=True, slots=True)
class ClauseContext:
    """What a clause is checked against: the document's parties and dates."""

    parties: set[str]
    effective_from: date | None
    effective_until: date | None
    currency: str | None = None  # None when the document's currency is wrong: amounts are then not read


@dataclass(frozen=True, slots=True)
class Template:
    """A clause library entry: the words to start from, in each language, and typical fields."""

    zh: str
    en: str
    fields: Mapping[str, Any]
    fields_en: Mapping[str, Any] | None = None  # where the typical fields are words: in English

    def text(self, language: str) -> str:
        return self.zh if language.lower().startswith("zh") else self.en

    def typical(self, language: str) -> Mapping[str, Any]:
        return {**self.fields, **(self.fields_en or {})} if not language.lower().startswith("zh") else self.fields


@dataclass(frozen=True, slots=True)
class ClauseKindSpec:
    kind: ClauseKind
    label: str                                   # message id
    explanation: str                             # message id: what the platform does with it
    Params: type
    parse: Callable[[Reader, Mapping[str, Any], str, ClauseContext], Any]
    fields: tuple[FormField, ...]
    template: Template
    # The fields in words, each (label message id, value shown): the agreement page and the PDF.
    describe: Callable[[Any], list[tuple[str, str]]]
    # How a project's clause contradicts its framework's (framework, project): each named.
    conflicts: Callable[[Any, Any], list[Message]] = lambda _framework, _project: []

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)


# -- small readers every kind uses -------------------------------------------------------------------

def whole(r: Reader, raw: Mapping[str, Any], key: str, where: str, *, low: int, high: int,
          required: bool = True, default: int | None = None) -> int | None:
    """A whole number in [low, high] (days, months, years)."""
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            r.add(where, key, Message("is required (a whole number from {low} to {high})", low=low, high=high))
        return default
    text = str(value).strip()
    if isinstance(value, bool) or not text.lstrip("-").isdigit():
        r.add(where, key, Message("{value!r} is not a whole number", value=value))
        return default
    number = int(text)
    if not low <= number <= high:
        r.add(where, key, Message("{value} is not from {low} to {high}", value=number, low=low, high=high))
        return default
    return number


def items(r: Reader, raw: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> tuple[str, ...]:
    """A list of short texts (a single text is a list of one)."""
    value = raw.get(key)
    if value is None or value == [] or (isinstance(value, str) and not value.strip()):
        if required:
            r.add(where, key, Message("is required (a list, one item per line)"))
        return ()
    listed = [value] if isinstance(value, str) else value
    if not isinstance(listed, list) or any(isinstance(v, (Mapping, list)) for v in listed):
        r.add(where, key, Message("must be a list of texts"))
        return ()
    found = [str(v).strip() for v in listed if str(v).strip()]
    if len(found) > MAX_ITEMS:
        r.add(where, key, Message("lists {count} items; at most {max_items}", count=len(found), max_items=MAX_ITEMS))
    for item in found:
        if len(item) > MAX_ITEM:
            r.add(where, key, Message("an item is {length} characters long; at most {max_length}",
                                      length=len(item), max_length=MAX_ITEM))
            break
    return tuple(dict.fromkeys(found))


def words(r: Reader, raw: Mapping[str, Any], key: str, where: str, *, required: bool = False,
          limit: int = MAX_ITEM) -> str:
    value = r.text(raw, key, where, required=required) or ""
    if len(value) > limit:
        r.add(where, key, Message("is {length} characters long; at most {max_length}", length=len(value),
                                  max_length=limit))
    return value


def listed(values: Sequence[str]) -> str:
    return "; ".join(values)


def chained(parts: Sequence[str], template: str = "{first}, {rest}") -> str:
    """Parts joined by `template`, kept a Message whose parts are each said in the reader's language
    (a plain `", ".join` of Messages would be English again)."""
    if not parts:
        return ""
    text = parts[0]
    for part in parts[1:]:
        text = Message(template, first=text, rest=part)
    return text
