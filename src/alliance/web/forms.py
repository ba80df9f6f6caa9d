"""Forms of the web workspace read and shown again: each field's value as typed, its error in the
page's language, every wrong field reported at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import Request

from alliance.core.decimals import parse_decimal
from alliance.core.errors import InvalidInput
from alliance.core.text import check_text
from alliance.web.i18n import N_
from alliance.web.render import gettext_for

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

FIELD_TEXT_LIMIT = 4000  # a posted value is kept (and shown again) up to this many characters


def page_offset(text: str) -> int:
    """A list's offset from a query parameter; anything but a small whole number is the first page."""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 8 else 0

CHOOSE = N_("Choose…")  # a select's first, empty option
FILL_IN = N_("Fill this in.")
TOO_LONG = N_("At most %(limit)d characters.")
CONTROL_CHARACTERS = N_("Remove the control characters from this text.")
NOT_A_DATE = N_("Enter a date as YYYY-MM-DD.")
NOT_A_NUMBER = N_("Enter a number such as 95 or 3.5, with at most 16 digits before the decimal point and 8 after it.")
WHOLE_NUMBER = N_("Enter a whole number from %(low)d to %(high)d.")


@dataclass(frozen=True, slots=True)
class FormView:
    """What a form shows again: the values as typed, each field's error and the refusal's lines (in
    the page's language), and the due-diligence items that kept a pilot from starting."""

    values: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    problems: Sequence[str] = ()
    blocking: Sequence[tuple[StrEnum, str, StrEnum]] = ()


@dataclass(slots=True)
class PostedForm:
    """A posted form's values and what is wrong with them, field by field: (msgid, parameters)
    until `view` translates them. Each reader notes its field's error and returns None (or the
    text as typed) when the field is wrong, so one post reports every wrong field at once."""

    values: dict[str, str]
    errors: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    async def read(cls, request: Request) -> PostedForm:
        form = await request.form()
        return cls({k: v[:FIELD_TEXT_LIMIT] for k, v in form.multi_items() if isinstance(v, str)})

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, name: str, msgid: str, /, **params: Any) -> None:
        self.errors.setdefault(name, (msgid, params))

    def text(self, name: str, limit: int, *, required: bool = True, multiline: bool = False) -> str:
        """The field stripped (`core.text.check_text`'s rules: required, length, no control characters)."""
        value = self.values.get(name, "")
        try:
            return check_text(value, name, limit, required=required, multiline=multiline)
        except InvalidInput:
            cleaned = value.strip()
            if not cleaned:
                self.fail(name, FILL_IN)
            elif len(cleaned) > limit:
                self.fail(name, TOO_LONG, limit=limit)
            else:
                self.fail(name, CONTROL_CHARACTERS)
            return cleaned

    def pick(self, name: str, choices: Mapping[str, T], msgid: str) -> T | None:
        found = choices.get(self.values.get(name, ""))
        if found is None:
            self.fail(name, msgid)
        return found

    def choice(self, name: str, kind: type[E], msgid: str) -> E | None:
        return self.pick(name, {e.value: e for e in kind}, msgid)

    def day(self, name: str) -> date | None:
        try:
            return date.fromisoformat(self.values.get(name, "").strip())
        except ValueError:
            self.fail(name, NOT_A_DATE)
            return None

    def number(self, name: str) -> Decimal | None:
        """An exact decimal (`core.decimals.parse_decimal`: what the store keeps without rounding)."""
        try:
            return parse_decimal(self.values.get(name, ""), name)
        except InvalidInput:
            self.fail(name, NOT_A_NUMBER)
            return None

    def whole(self, name: str, low: int, high: int) -> int | None:
        text = self.values.get(name, "").strip()
        if text.isascii() and text.isdigit() and len(text) <= 9 and low <= int(text) <= high:
            return int(text)
        self.fail(name, WHOLE_NUMBER, low=low, high=high)
        return None

    def view(self, request: Request, problems: Sequence[str] = (),
             blocking: Sequence[tuple[StrEnum, str, StrEnum]] = ()) -> FormView:
        _ = gettext_for(request)
        errors = {name: _(msgid) % params if params else _(msgid) for name, (msgid, params) in self.errors.items()}
        return FormView(self.values, errors, problems, blocking)


def options(_: Callable[[str], str], labels: Mapping[E, str], values: Sequence[E] | None = None,
            *, placeholder: bool = True) -> list[tuple[str, str]]:
    """A select's (value, text) pairs in the page's language, led by an empty "Choose…"."""
    pairs = [(v.value, _(labels[v])) for v in (labels if values is None else values)]
    return [("", _(CHOOSE)), *pairs] if placeholder else pairs
