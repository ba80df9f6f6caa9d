"""YAML that never turns a number into a binary float.

PyYAML's safe loader reads `0.3` as the float 0.30000000000000004-ish; an agreement's shares and
amounts must stay exactly what the parties wrote, so this loader reads every YAML float as a
`Decimal` from its text. Integers stay integers; dates stay dates.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import yaml


class ExactLoader(yaml.SafeLoader):
    """SafeLoader whose floats are Decimals built from the document's own digits."""


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    lowered = text.lower()
    if lowered in (".nan", ".inf", "+.inf", "-.inf"):
        raise yaml.constructor.ConstructorError(None, None, f"{text} is not a usable number", node.start_mark)
    return Decimal(text)


ExactLoader.add_constructor("tag:yaml.org,2002:float", _decimal)


def load(text: str) -> Any:
    """Parse one YAML document with exact decimals."""
    return yaml.load(text, Loader=ExactLoader)  # noqa: S506 - ExactLoader is a SafeLoader
