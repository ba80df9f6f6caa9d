"""The warning-rule format: every problem at once, naming the rule, the field and the line; JSON
and YAML; export reads back; every registered condition and action kind has all its parts."""

from __future__ import annotations

import json

import pytest

from alliance.core.errors import InvalidInput
from alliance.health.warnings.actions import ACTIONS
from alliance.health.warnings.conditions import CONDITIONS
from alliance.health.warnings.defaults import DEFAULT_RULES, default_rules
from alliance.health.warnings.rules import dump_rules, parse_rules

GOOD = """rules:
  - id: idle
    name: {zh: 资源闲置, en: Idle resources}
    kpi: resource_idle_rate
    condition: {kind: above, threshold: 0.15}
    for: 2
    actions:
      - {kind: agenda_item, body: joint_committee}
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        parse_rules(text)
    return [str(p) for p in caught.value.problems] or [str(caught.value)]


def test_a_good_document_parses_with_defaults() -> None:
    [rule] = parse_rules(GOOD)
    assert (rule.for_periods, rule.keep_firing_for, rule.granularity, rule.severity, rule.scope, rule.enabled) == (
        2, 0, "week", "warning", "member", True)
    assert str(rule.condition.threshold) == "0.15"
    assert rule.actions[0].kind == "agenda_item"


def test_every_problem_names_the_rule_the_field_and_the_line() -> None:
    text = GOOD + """  - id: bad
    name: {zh: 坏}
    kpi: resource_idle_rate
    condition: {kind: above, threshold: lots}
    severity: loud
    colour: red
  - id: idle
    name: {zh: 重复, en: Twice}
    kpi: nope
    condition: {kind: sideways}
"""
    assert _problems(text) == [
        "rule bad (line 10): name.en: required",
        "rule bad (line 12): condition.threshold: Input should be a valid decimal",
        "rule bad (line 13): severity: one of info, warning or critical",
        "rule bad (line 14): colour: not a field here",
        "rule idle (line 18): condition: unknown kind 'sideways': one of above, below, band, drop",
    ]


def test_unknown_kpi_and_duplicate_ids() -> None:
    text = GOOD + GOOD.split("rules:\n")[1].replace("resource_idle_rate", "nope")
    assert _problems(text) == ["rule idle (line 11): kpi: unknown KPI 'nope'",
                               "rule idle (line 9): id: the id 'idle' is used twice"]


def test_syntax_errors_give_the_line() -> None:
    assert _problems("rules:\n  - id: [\n") [0].startswith("line 3: not valid YAML")
    assert _problems('{"rules": [\n{"id": }]}')[0].startswith("line 2: not valid JSON")
    assert _problems("just text") == ["a rules document is a rule, a list of rules or {rules: [...]}"]


def test_json_and_a_single_rule_are_read_too() -> None:
    data = {"id": "x", "name": {"zh": "乙", "en": "X"}, "kpi": "goal_drift", "condition": {"kind": "band"},
            "for": 3}
    [rule] = parse_rules(json.dumps(data))
    assert rule.for_periods == 3 and rule.condition.band == "red"


def test_export_reads_back_the_same_rules() -> None:
    rules = default_rules()
    assert parse_rules(dump_rules(rules)) == rules
    assert parse_rules(dump_rules(rules, "json"), fmt="json") == rules


def test_the_defaults_are_the_articles() -> None:
    by_id = {r.id: r for r in default_rules()}
    assert len(by_id) == len(DEFAULT_RULES) == 7
    idle = by_id["resource-idle"]
    assert (idle.kpi, str(idle.condition.threshold), idle.for_periods) == ("resource_idle_rate", "15", 2)  # per cent, as the catalogue
    assert by_id["public-sentiment-red"].actions[0].incident_kind == "supplier_risk"
    assert (by_id["communication-falling"].condition.kind, str(by_id["communication-falling"].condition.percent)) == (
        "drop", "30")
    assert all(r.name.zh and r.name.en and r.runbook.zh and r.runbook.en for r in by_id.values())


@pytest.mark.parametrize("kind", sorted(CONDITIONS))
def test_every_condition_kind_has_every_part(kind: str) -> None:
    c = CONDITIONS[kind]
    assert c.kind == kind and c.Params.model_fields["kind"].default == kind
    assert str(c.label) and isinstance(c.fields, tuple) and isinstance(c.needs_bands, bool)
    assert set(c.fields) <= set(c.Params.model_fields)
    for name in ("lookback", "mask", "describe"):
        assert callable(getattr(c, name))


@pytest.mark.parametrize("kind", sorted(ACTIONS))
def test_every_action_kind_has_every_part(kind: str) -> None:
    a = ACTIONS[kind]
    assert a.kind == kind and a.Params.model_fields["kind"].default == kind
    assert str(a.label) and isinstance(a.fields, tuple) and isinstance(a.on_resolve, bool)
    assert set(a.fields) <= set(a.Params.model_fields)
    assert callable(a.perform) and callable(a.describe)
