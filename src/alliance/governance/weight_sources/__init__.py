"""Where a weighted vote's weights come from, one module per source, and the registry that finds a
source by its key (the weighted rule's `weights` setting).

Adding a source is one module with a `WeightSource` subclass (key, title, summary, `weights`) and
one line in WEIGHT_SOURCES; tests/unit/test_weight_sources.py fails if a registered source lacks a
part. Nothing elsewhere branches on the key.
"""

from __future__ import annotations

from alliance.core.errors import Problem
from alliance.core.messages import Message
from alliance.governance.weight_sources.base import WeightReader, WeightSource, WeightSourceUnknown, WeightsUnavailable
from alliance.governance.weight_sources.equal import EqualSource
from alliance.governance.weight_sources.settled import SettledSource
from alliance.governance.weight_sources.table import TableSource

WEIGHT_SOURCES: dict[str, type[WeightSource]] = {source.key: source for source in (
    TableSource, SettledSource, EqualSource)}
DEFAULT_SOURCE = TableSource.key


def source_named(key: str) -> type[WeightSource]:
    """The source registered as `key`, or WeightSourceUnknown naming the sources there are."""
    source = WEIGHT_SOURCES.get(key.strip()) if isinstance(key, str) else None
    if source is None:
        reason = Message("unknown source of weights {source!r}; the sources are {known}", source=key,
                         known=", ".join(WEIGHT_SOURCES))
        raise WeightSourceUnknown(reason, [Problem("source", "", reason)])
    return source


__all__ = ["DEFAULT_SOURCE", "WEIGHT_SOURCES", "WeightReader", "WeightSource", "WeightSourceUnknown",
           "WeightsUnavailable", "source_named"]
