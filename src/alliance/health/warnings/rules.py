"""The warning-rule format: a documented YAML / JSON document, validated with every problem at
once, each naming the rule, the field and the line (pure).

A document is one rule (a mapping), a list of rules, or `{rules: [...]}`. The format is described
with examples in docs/health.md ("Warning rules"). Condition and action kinds come from their
registries (conditions/, actions/), so the models below are built from them.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from decimal import Decimal
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message
from alliance.health.warnings.actions import ACTIONS
from alliance.health.warnings.conditions import CONDITIONS
from alliance.health.warnings.text import Text

MAX_RULES = 200
MAX_DOCUMENT = 512 * 1024
ROLES = ("coordinator",)  # owners that are roles; any other owner is a member code
GRANULARITIES = ("week", "month", "quarter")
SEVERITIES = ("info", "warning", "critical")
# The KPI codes of the default catalogue (health.md); an alliance's own catalogue may add more.
DEFAULT_KPIS = (
    "meeting_attendance", "decision_speed", "information_sharing", "settlement_disputes",
    "shared_customer_growth", "shared_revenue_growth", "joint_patents", "cost_saved",
    "resource_contribution", "market_influence", "learning", "risk_resilience",
    "collaboration_entropy", "resource_idle_rate", "public_sentiment", "goal_drift",
    "communication_frequency", "manager_turnover",
)

Condition = Annotated[Union[tuple(c.Params for c in CONDITIONS.values())], Field(discriminator="kind")]  # type: ignore[valid-type]
ActionSpec = Annotated[Union[tuple(a.Params for a in ACTIONS.values())], Field(discriminator="kind")]  # type: ignore[valid-type]


class Name(Text):
    """A rule's name: both languages required."""

    zh: str = Field(min_length=1, max_length=120)
    en: str = Field(min_length=1, max_length=120)


def _default_actions() -> list[Any]:
    return [ACTIONS["notify"].Params()]


class RuleSpec(BaseModel):
    """One warning rule as written by the coordinator (docs/health.md)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    name: Name
    kpi: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    scope: Literal["member", "alliance"] = "member"
    condition: Condition
    granularity: Literal["week", "month", "quarter"] = "week"
    for_periods: int = Field(default=1, alias="for", ge=1, le=52)
    keep_firing_for: int = Field(default=0, ge=0, le=52)
    severity: Literal["info", "warning", "critical"] = "warning"
    owner: str = Field(default="coordinator", min_length=1, max_length=32)
    runbook: Text = Field(default_factory=Text)
    actions: list[ActionSpec] = Field(default_factory=_default_actions, max_length=5)  # type: ignore[valid-type]
    enabled: bool = True

    def document(self) -> dict[str, Any]:
        """The rule as plain data (the stored and exported form; numbers as text, never floats)."""
        return _plain(self.model_dump(by_alias=True, mode="python"))

    def describe(self) -> Message:
        return CONDITIONS[self.condition.kind].describe(self.condition)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# -- reading a document -------------------------------------------------------------------------

def load(text: str, fmt: str | None = None) -> tuple[Any, Any]:
    """(data, node tree for line numbers) of a YAML or JSON text; InvalidInput with the line if it
    does not parse. JSON is read as JSON (YAML would take some of its mistakes)."""
    if len(text.encode()) > MAX_DOCUMENT:
        raise InvalidInput(Message("the rules document is larger than {limit} KiB", limit=MAX_DOCUMENT // 1024))
    try:
        # A document that opens a bracket and quotes its keys is JSON (so its mistakes are JSON's).
        if fmt == "json" or (fmt is None and text.lstrip()[:1] in ("[", "{") and '"' in text):
            data = json.loads(text, parse_float=Decimal)
        else:
            data = yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(Message("line {line}: not valid JSON: {reason}", line=exc.lineno, reason=exc.msg)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise InvalidInput(Message("line {line}: not valid YAML: {reason}", line=line,
                                   reason=str(getattr(exc, "problem", "") or exc))) from None
    try:
        nodes = yaml.compose(text)
    except yaml.YAMLError:
        nodes = None
    return data, nodes


def _line(node: Any, path: tuple[Any, ...]) -> int | None:
    """The line (1-based) of the value at `path` in a composed YAML/JSON node tree."""
    found = None
    for key in path:
        if node is None:
            break
        found = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            node = None
    if node is not None:
        found = node.start_mark.line + 1
    return found


_REASONS: dict[str, Message] = {
    "missing": Message("required"),
    "extra_forbidden": Message("not a field here"),
    "union_tag_invalid": Message("unknown kind"),
    "union_tag_not_found": Message("give its kind"),
}


def _reason(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "union_tag_invalid":
        return Message("unknown kind {given!r}: one of {kinds}", given=str(error.get("input", {}).get("kind", "")),
                       kinds=", ".join(error.get("ctx", {}).get("expected_tags", "").replace("'", "").split(", ")))
    if kind == "literal_error":
        return Message("one of {expected}", expected=str(error.get("ctx", {}).get("expected", "")).replace("'", ""))
    return _REASONS.get(kind, error.get("msg", ""))


def parse_rules(text: str, known_kpis: Collection[str] = DEFAULT_KPIS, fmt: str | None = None) -> list[RuleSpec]:
    """Every rule of a document, or InvalidInput listing every problem (rule, field, line)."""
    data, nodes = load(text, fmt)
    prefix: tuple[Any, ...] = ()
    if isinstance(data, dict) and "rules" in data and isinstance(data["rules"], list):
        items, prefix = data["rules"], ("rules",)
    elif isinstance(data, list):
        items = data
    elif isinstance(data, dict):
        items, nodes, prefix = [data], _wrap(nodes), ()
    else:
        raise InvalidInput(Message("a rules document is a rule, a list of rules or {example}", example="{rules: [...]}"))
    if len(items) > MAX_RULES:
        raise InvalidInput(Message("a rules document holds at most {limit} rules", limit=MAX_RULES))
    return check_rules(items, known_kpis, nodes, prefix)


def _wrap(nodes: Any) -> Any:
    return None if nodes is None else yaml.SequenceNode("tag:yaml.org,2002:seq", [nodes], nodes.start_mark,
                                                        nodes.end_mark)


def check_rules(items: list[Any], known_kpis: Collection[str], nodes: Any = None,
                prefix: tuple[Any, ...] = ()) -> list[RuleSpec]:
    problems: list[Problem] = []
    rules: list[RuleSpec] = []
    seen: set[str] = set()
    for n, item in enumerate(items):
        given = item.get("id") if isinstance(item, dict) else None
        label = Message("rule {id}", id=given) if isinstance(given, str) and given else Message("rule {n}", n=n + 1)

        def where(loc: tuple[Any, ...], n: int = n, label: Message = label) -> Message:
            line = _line(nodes, prefix + (n,) + loc) if nodes is not None else None
            return Message("{rule} (line {line})", rule=label, line=line) if line else label

        if not isinstance(item, dict):
            problems.append(Problem(where(()), "", Message("a rule is a mapping of fields")))
            continue
        try:
            rule = RuleSpec.model_validate(item)
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(error["loc"])
                # Pydantic names the union member in the path (condition.above.threshold): drop it.
                shown = [str(p) for i, p in enumerate(loc)
                         if not (i > 0 and loc[i - 1] in ("condition",) and p in CONDITIONS)
                         and not (i > 1 and loc[i - 2] == "actions" and p in ACTIONS)]
                problems.append(Problem(where(tuple(p for p in loc if p not in CONDITIONS and p not in ACTIONS)),
                                        ".".join(shown), _reason(error)))
            continue
        if rule.kpi not in known_kpis:
            problems.append(Problem(where(("kpi",)), "kpi", Message("unknown KPI {kpi!r}", kpi=rule.kpi)))
        if rule.id in seen:
            problems.append(Problem(where(("id",)), "id", Message("the id {id!r} is used twice", id=rule.id)))
        seen.add(rule.id)
        rules.append(rule)
    if problems:
        raise InvalidInput(Message("the rules do not parse ({count} problems)", count=len(problems)), problems)
    return rules


def dump_rules(rules: list[RuleSpec], fmt: str = "yaml") -> str:
    """The document of `rules` (what export writes and import reads back)."""
    data = {"rules": [r.document() for r in rules]}
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
