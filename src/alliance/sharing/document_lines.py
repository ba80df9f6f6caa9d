"""Where in an agreement's YAML a problem is: the line an editor should point at.

The validator (`sharing.agreement`) names a problem's place in the document's own terms: `where`
is `agreement`, `rule 3`, `rule 'software'` or `rule 'store-tiers' tier 2`, and `field` a key or a
dotted path (`shares.M1`). `DocumentLines` composes the YAML once (PyYAML's node tree keeps each
node's position; libyaml's C composer when present, which is several times faster) and answers a
problem's 1-based line: the deepest part of the path that exists, so a missing key points at its
rule, and a problem that names nothing findable has no line. Lines count YAML's own line breaks
(`\\n`, `\\r\\n`, `\\r`, U+0085, U+2028, U+2029); the editor counts the same ones. Pure: text in,
line numbers out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import yaml

from alliance.core.errors import Problem

_RULE = re.compile(r"^rule (?:(\d+)|'(.*)')(?: tier (\d+))?$")
_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # YAML's line breaks
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_LOCATED = 200  # problems given a line; the rest are listed without one


class DocumentLines:
    """One document's node tree, for locating any number of problems in it."""

    def __init__(self, text: str) -> None:
        self.syntax_error_line: int | None = None
        self._root: yaml.Node | None = None
        try:
            self._root = yaml.compose(text, Loader=_Loader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            # An error at the end of the text (an unclosed bracket) is marked past its last line.
            last = len(_BREAK.findall(text)) + 1
            self.syntax_error_line = min(mark.line + 1, last) if mark is not None else None
        except (yaml.YAMLError, RecursionError, ValueError):
            pass

    def line_of(self, problem: Problem) -> int | None:
        """The line `problem` is about, or None when its place cannot be found (or the text does not parse)."""
        root = self._root
        if not isinstance(root, yaml.MappingNode):
            return None
        node: yaml.Node | None = root
        line = None
        if problem.where != "agreement":
            place = _RULE.match(problem.where)
            if place is None:
                return None
            index, rule_id, tier = place.groups()
            node = _rule_node(root, int(index) if index else None, rule_id, problem)
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

    def lines_of(self, problems: Sequence[Problem]) -> list[int | None]:
        """Each problem's line; past MAX_LOCATED problems, None (a long list is not worth the work)."""
        return [self.line_of(p) if i < MAX_LOCATED else None for i, p in enumerate(problems)]


def syntax_error_line(text: str) -> int | None:
    """The line of the first YAML syntax error, or None when the text parses."""
    return DocumentLines(text).syntax_error_line


def problem_line(text: str, problem: Problem) -> int | None:
    """The line one problem is about (see `DocumentLines.line_of`)."""
    return DocumentLines(text).line_of(problem)


def _rule_node(root: yaml.MappingNode, index: int | None, rule_id: str | None, problem: Problem) -> yaml.Node | None:
    rules, _ = _step(root, "rules", None)
    if not isinstance(rules, yaml.SequenceNode):
        return None
    if index is not None:
        return rules.value[index - 1] if 1 <= index <= len(rules.value) else None
    named = [item for item in rules.value
             if isinstance(found := _step(item, "id", None)[0], yaml.ScalarNode) and found.value.strip() == rule_id]
    # A reused id is reported on the rule that reuses it; any other problem of that id, on the first.
    if problem.field == "id" and "earlier rule" in problem.reason and len(named) > 1:
        return named[1]
    return named[0] if named else None


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
