"""YAML that never turns a number into a binary float, and never expands into more than was written.

PyYAML's safe loader reads `0.3` as the float 0.30000000000000004-ish; an agreement's shares and
amounts must stay exactly what the parties wrote, so this loader reads every YAML float as a
`Decimal` from its text. Integers stay integers; dates stay dates.

Aliases (`*name`) are refused: an agreement gains nothing from them, and a few nested ones expand a
kilobyte of text into gigabytes ("billion laughs"). What the safe loader raises outside its own
errors (an impossible date such as 2027-02-30, nesting deeper than Python's stack) comes out as a
`yaml.YAMLError` like any other unreadable document.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import yaml


class ExactLoader(yaml.SafeLoader):
    """SafeLoader whose floats are Decimals built from the document's own digits, without aliases."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in an agreement", mark)
        return super().compose_node(parent, index)


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    lowered = text.lower()
    if lowered in (".nan", ".inf", "+.inf", "-.inf"):
        raise yaml.constructor.ConstructorError(None, None, f"{text} is not a usable number", node.start_mark)
    return Decimal(text)


def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except ValueError as exc:  # 2027-02-30: a date that does not exist, said where it is
        raise yaml.constructor.ConstructorError(None, None, f"{node.value} is not a date ({exc})",
                                                node.start_mark) from None


ExactLoader.add_constructor("tag:yaml.org,2002:float", _decimal)
ExactLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def load(text: str) -> Any:
    """Parse one YAML document with exact decimals."""
    try:
        return yaml.load(text, Loader=ExactLoader)  # noqa: S506 - ExactLoader is a SafeLoader
    except ValueError as exc:  # a date or time that does not exist
        raise yaml.YAMLError(f"a value cannot be read: {exc}") from None
    except RecursionError:
        raise yaml.YAMLError("the document is nested too deeply") from None
