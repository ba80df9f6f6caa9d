"""Messages a user reads are templates with parameters (core/messages.py), said in their language.

The English text is the message itself (a str), so everything that read English still does; the
web and the API ask for it in another language. Every error raised in the code passes a Message,
never a formatted string (a check over the source), and every template has a Chinese translation
with the same placeholders (a check over the catalogue).
"""

from __future__ import annotations

import ast
import importlib
import json
import pickle
import pkgutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import alliance
from alliance.core.errors import AllianceError, AllianceNotFound, InvalidInput, Problem
from alliance.core.messages import Message, from_document, in_language, joined, placeholders, to_document
from alliance.language import accepted_locale, get_translations, say
from alliance.language.sources import found_messages

SRC = Path(alliance.__file__).resolve().parent
CHINESE = {"no alliance with code {code!r}": "没有代码为 {code!r} 的联盟", "amount": "金额",
           "{what} {text!r} is not a number": "{what} {text!r} 不是数字", "{where}: {reason}": "{where}：{reason}"}


def test_a_message_is_its_english_text() -> None:
    text = Message("{what} {text!r} is not a number", what="amount", text="12x")
    assert text == "amount '12x' is not a number" and isinstance(text, str)
    assert f"line 3: {text}" == "line 3: amount '12x' is not a number"
    assert text.template == "{what} {text!r} is not a number" and text.params == {"what": "amount", "text": "12x"}


def test_a_message_is_said_in_another_language_with_nested_messages_too() -> None:
    text = Message("{what} {text!r} is not a number", what=Message("amount"), text="12x")
    assert text.in_language(lambda t: CHINESE.get(t, t)) == "金额 '12x' 不是数字"
    assert in_language(text, lambda t: t) == "amount '12x' is not a number"
    assert in_language("plain", lambda t: "译") == "plain"  # only messages are translated


def test_a_translation_that_does_not_fit_falls_back_to_english() -> None:
    text = Message("no alliance with code {code!r}", code="x")
    assert text.in_language(lambda t: "没有 {alliance} 联盟") == "no alliance with code 'x'"
    assert text.in_language(lambda t: "坏 {code") == "no alliance with code 'x'"


def test_a_message_survives_pickling_as_a_message() -> None:
    text = Message("{what} {text!r} is not a number", what=Message("amount"), text="12x")
    again = pickle.loads(pickle.dumps(text))
    assert isinstance(again, Message) and again == text and again.params["what"].template == "amount"
    error = pickle.loads(pickle.dumps(AllianceNotFound("nb")))
    assert error.message == "no alliance with code 'nb'"


def test_placeholders() -> None:
    assert placeholders("{a!r} and {b:.2f}, {c.name} {{literal}}") == {"a", "b", "c"}


def test_a_problem_is_said_whole_or_beside_its_field() -> None:
    p = Problem(Message("row {row}", row=3), "revenue", Message("{what} {text!r} is not a number", what="x", text="y"))
    assert str(p) == "row 3: revenue: x 'y' is not a number"
    assert p.detail() == "revenue: x 'y' is not a number" and isinstance(p.text(), Message)
    assert Problem("file", "", "bad").detail() == "bad"


def test_the_api_language_is_english_unless_chinese_is_asked_for() -> None:
    assert accepted_locale(None) == "en" and accepted_locale("fr, de;q=0.5") == "en"
    assert accepted_locale("zh-CN,zh;q=0.9,en;q=0.8") == "zh_CN" and accepted_locale("en-GB, zh;q=0.5") == "en"
    assert say(Message("Invalid input"), "zh_CN") == get_translations("zh_CN").gettext("Invalid input") != "Invalid input"


# --- every error raised passes a Message --------------------------------------------------------


def error_class_names() -> set[str]:
    for module in pkgutil.walk_packages(alliance.__path__, "alliance."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    names, pending = set(), [AllianceError]
    while pending:
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return names


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def formatted_text(node: ast.expr | None) -> bool:
    """A string built in place: a literal, an f-string, "%"/"+" on one, or "...".format(...)."""
    if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)
                                           and node.value):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return formatted_text(node.left) or formatted_text(node.right)
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
            and formatted_text(node.func.value))


def unmessaged(tree: ast.AST, errors: set[str]) -> list[int]:
    """Lines where an error (or a Problem's reason) gets formatted text instead of a Message. (A
    Problem's `where` may be an identifier, such as a path into a JSON document: not checked.)"""
    error_classes = {n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)
                     and (n.name in errors or any(_name(b) in errors for b in n.bases))}
    inside: dict[ast.AST, ast.ClassDef] = {}
    for cls in error_classes:
        for n in ast.walk(cls):
            inside[n] = cls
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        texts: list[ast.expr | None] = []
        if name in errors or (name == "__init__" and node in inside and isinstance(node.func, ast.Attribute)
                              and isinstance(node.func.value, ast.Call) and _name(node.func.value.func) == "super"):
            texts = node.args[:1] + [k.value for k in node.keywords if k.arg == "message"]
        elif name == "Problem":
            texts = [node.args[2] if len(node.args) > 2 else None]
            texts += [k.value for k in node.keywords if k.arg == "reason"]
        if any(formatted_text(t) for t in texts):
            lines.append(node.lineno)
    return lines


def test_every_error_is_raised_with_a_message() -> None:
    errors = error_class_names()
    offenders = [f"{path.relative_to(SRC)}:{line}" for path in sorted(SRC.rglob("*.py"))
                 for line in unmessaged(ast.parse(path.read_text(encoding="utf-8")), errors)]
    assert offenders == []


@pytest.mark.parametrize("code", [
    'raise InvalidInput(f"{x} is wrong")', 'raise InvalidInput("wrong")', 'raise InvalidInput("%s wrong" % x)',
    'raise InvalidInput("{} wrong".format(x))', 'problems.append(Problem(where, "f", f"bad {x}"))',
    'class Odd(InvalidInput):\n    def __init__(self):\n        super().__init__(f"odd {x}")',
])
def test_the_check_finds_formatted_text(code: str) -> None:
    assert unmessaged(ast.parse(code), {"InvalidInput"}) != []
    assert unmessaged(ast.parse('raise InvalidInput(Message("{x} is wrong", x=x))'), {"InvalidInput"}) == []


def test_an_error_made_from_plain_text_still_works() -> None:
    assert InvalidInput("from a variable").message == "from a variable"


# --- every template has a Chinese translation with the same placeholders ------------------------


def test_every_translation_keeps_its_templates_placeholders() -> None:
    zh = get_translations("zh_CN")
    problems = []
    for found in found_messages():
        if not isinstance(found.msgid, str) or "{" not in found.msgid or "%(" in found.msgid:
            continue
        chinese = zh.gettext(found.msgid)  # an untranslated one fails test_every_msgid_is_translated
        if placeholders(chinese) != placeholders(found.msgid):
            problems.append(f"{found.where}:{found.line}: {found.msgid!r} -> {chinese!r}")
    assert problems == []


def test_joined_parts_are_each_said_in_the_readers_language() -> None:
    parts = [Message("{what} is required", what="name"), "plain", Message("{what} is required", what="code")]
    text = joined(parts)
    assert text == "name is required; plain; code is required"
    chinese = {"{what} is required": "{what}为必填项", "{first}; {rest}": "{first}；{rest}"}
    assert text.in_language(lambda t: chinese.get(t, t)) == "name为必填项；plain；code为必填项"
    assert joined([]) == "" and joined(["one"]) == "one"


# --- a message kept in the database -------------------------------------------------------------


def test_a_kept_message_comes_back_as_it_was_and_json_keeps_it() -> None:
    text = Message("{day} needs {metric!r} ({amount} on {when}): {why}", day="2026-12-05", metric="user_assets",
                   amount=Decimal("12.50"), when=date(2026, 12, 4), why=Message("{what} is required", what="x"))
    document = json.loads(json.dumps(to_document(text)))
    again = from_document(document, "ignored")
    assert isinstance(again, Message) and again == text and again.template == text.template
    assert again.params["amount"] == Decimal("12.50") and again.params["when"] == date(2026, 12, 4)
    assert isinstance(again.params["why"], Message)


def test_what_a_document_cannot_keep_exactly_is_kept_as_english_only() -> None:
    assert to_document("plain text") is None
    assert to_document(Message("{ratio} too high", ratio=0.5)) is None  # a float would not come back exact
    assert to_document(Message("{value}", value=object())) is None


@pytest.mark.parametrize("document", [None, {}, {"template": "{a}"}, {"template": "{a}", "params": {}},
                                      {"template": "x", "params": {"a": {"what": 1}}}, "text", [1]])
def test_a_damaged_or_unknown_document_shows_the_stored_english(document: object) -> None:
    assert from_document(document, "the stored English") == "the stored English"
