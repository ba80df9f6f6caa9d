"""Every sharing rule kind is one complete module in the registry, and nothing else tests a kind.

Like tests/unit/test_governance_rules.py for decision rules: a kind registered without one of its
parts (typed parameters, their keys, parsing, needs, settlement, notes, form, label, its section
of the format document) fails here, and so does a `kind ==` / `RuleKind.X` test anywhere in
src/alliance outside sharing/rules/ (issue 21).
"""

from __future__ import annotations

import dataclasses
import re
from enum import StrEnum
from pathlib import Path

import pytest

from alliance.language.sources import found_messages
from alliance.sharing.agreement import KIND_KEYS, RuleKind
from alliance.sharing.rule_form import KIND_FORMS
from alliance.sharing.rules import KINDS, RuleKindSpec, spec, statement_notes
from alliance.sharing.rules.base import COLLECTED
from alliance.web.i18n import ENUM_LABELS, STATEMENT_NOTES

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "alliance"


def test_every_kind_has_a_module() -> None:
    assert set(KINDS) == set(RuleKind)
    assert all(spec(kind).kind is kind for kind in RuleKind)


@pytest.mark.parametrize("kind", list(RuleKind), ids=str)
def test_a_kind_module_has_every_part(kind: RuleKind) -> None:
    s = spec(kind)
    assert isinstance(s, RuleKindSpec)
    assert dataclasses.is_dataclass(s.Params) and s.Params.__dataclass_params__.frozen  # type: ignore[attr-defined]
    # The fields are the YAML keys: the signed canonical JSON of a rule names them (agreement._plain).
    assert tuple(f.name for f in dataclasses.fields(s.Params)) == s.keys
    assert KIND_KEYS[kind] == set(s.keys)
    for method in ("parse", "needs", "settle", "describe"):
        assert getattr(type(s), method) is not getattr(RuleKindSpec, method), f"{kind}: no {method}"
    assert issubclass(s.Note, StrEnum)
    assert isinstance(s.label, str) and s.label
    assert s.form.kind == kind.value and s.form.label and s.form.explanation
    assert {f.key for f in s.form.fields} <= set(s.keys)
    assert KIND_FORMS[kind.value] is s.form


@pytest.mark.parametrize("kind", list(RuleKind), ids=str)
def test_a_kind_is_documented_in_the_format(kind: RuleKind) -> None:
    text = (ROOT / "docs" / "formats" / "agreement.md").read_text(encoding="utf-8")
    assert f"\n### `{kind.value}`\n" in text


def test_labels_and_notes_come_from_the_kinds_and_are_extracted_for_translation() -> None:
    assert ENUM_LABELS[RuleKind] == {kind: spec(kind).label for kind in RuleKind}
    assert STATEMENT_NOTES == statement_notes()
    assert COLLECTED in STATEMENT_NOTES and len(set(STATEMENT_NOTES)) == len(STATEMENT_NOTES)
    msgids = {found.msgid for found in found_messages()}
    missing = [text for text in (*STATEMENT_NOTES, *(s.label for s in KINDS.values())) if text not in msgids]
    assert missing == []  # each is marked N_(...) in its module: tests/e2e/test_home_page.py checks translations


# A test of a rule's kind: `kind ==`, `kind is (not) RuleKind...`, `kind in (RuleKind...`, or naming a
# member (`RuleKind.TIERED`) at all. Outside the registry, code asks the kind's module instead.
KIND_TEST = re.compile(r"\bkind\s*(==|!=)|\bkind\s+is\s+(not\s+)?RuleKind\b|\bin\s*\(\s*RuleKind\.|"
                       r"\bRuleKind\.[A-Z_]+\b")


def test_no_code_outside_the_registry_tests_a_rule_kind() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative.startswith("sharing/rules/") or relative == "sharing/terms.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "RuleKind" not in text and "rule.kind" not in text:
            continue  # other capabilities' own kinds (incidents, warnings, decision rules) are theirs
        for number, line in enumerate(text.splitlines(), start=1):
            if KIND_TEST.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == []


def test_every_kind_fits_a_statement_line() -> None:
    from alliance.store.tables import statement_lines

    assert max(len(kind.value) for kind in RuleKind) <= statement_lines.c.kind.type.length
