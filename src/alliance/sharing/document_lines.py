"""Where in an agreement's YAML a problem is: the line an editor should point at.

The validator (`sharing.agreement`) names a problem's place in the document's own terms: `where`
is `agreement`, `rule 3`, `rule 'software'` or `rule 'store-tiers' tier 2`, and `field` a key or a
dotted path (`shares.M1`). This module finds that place in the YAML node tree (PyYAML's `compose`
keeps each node's position) and answers its 1-based line: the deepest part of the path that
exists, so a missing key points at its rule, and a problem that names nothing findable has no line.
Pure: text in, line numbers out.
"""

from __future__ import annotations

import re

import yaml

from alliance.core.errors import Problem

_RULE = re.compile(r"^rule (?:(\d+)|'(.*)')(?: tier (\d+))?$")


def syntax_error_line(text: str) -> int | None:
    """The line of the first YAML syntax error, or None when the text parses."""
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return mark.line + 1 if mark is not None else None
    except yaml.YAMLError:
        return None
    return None


def problem_line(text: str, problem: Problem) -> int | None:
    """The line `problem` is about, or None when its place cannot be found (or the text does not parse)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    node: yaml.Node | None = root
    line = None
    if problem.where != "agreement":
        place = _RULE.match(problem.where)
        if place is None:
            return None
        index, rule_id, tier = place.groups()
        node = _rule_node(root, int(index) if index else None, rule_id)
        if node is None:
            return None
        line = node.start_mark.line + 1
        if tier is not None:
            node, line = _step(node, "tiers", line)
            node, line = _step(node, str(int(tier) - 1), line) if node is not None else (None, line)
    for part in problem.field.split(".") if problem.field else ():
        if node is None:
            break
        node, line = _step(node, part, line)
    return line


def _rule_node(root: yaml.MappingNode, index: int | None, rule_id: str | None) -> yaml.Node | None:
    rules, _ = _step(root, "rules", None)
    if not isinstance(rules, yaml.SequenceNode):
        return None
    if index is not None:
        return rules.value[index - 1] if 1 <= index <= len(rules.value) else None
    for item in rules.value:
        found, _ = _step(item, "id", None)
        if isinstance(found, yaml.ScalarNode) and found.value == rule_id:
            return item
    return None


def _step(node: yaml.Node, part: str, line: int | None) -> tuple[yaml.Node | None, int | None]:
    """The child of `node` at `part` (a mapping key, or a list index) and the line to point at:
    the key's own line for a mapping entry; `line` unchanged when there is no such child."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return value, key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
        item = node.value[int(part)]
        return item, item.start_mark.line + 1
    return None, line
