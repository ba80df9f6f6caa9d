"""A page of a longer list: what every paged list answers (items, how many in all, where it starts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int

    def as_json(self, items: list[object]) -> dict[str, object]:
        """The API's shape of a page, with the items already turned into JSON values."""
        return {"items": items, "total": self.total, "limit": self.limit, "offset": self.offset}
