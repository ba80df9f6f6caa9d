"""What an action is given and what it gives back (pure data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alliance.core.messages import Message, to_document


@dataclass(frozen=True)
class Firing:
    """One rule's news of one evaluation: the members that began firing (or resolved), with the
    values that triggered; `uow` is the evaluation's unit of work (actions write in it)."""

    uow: Any
    alliance_id: int
    alliance_code: str
    rule: Any                      # rules.RuleSpec
    members: tuple[str | None, ...]  # None: the alliance as a whole
    values: dict[str | None, str]    # member -> the value of the period, as text
    period: str                      # the period's start, ISO
    now: datetime
    resolved: bool = False


@dataclass(frozen=True)
class ActionRecord:
    """What one action did: done or not, and a sentence saying what (kept as a message document)."""

    kind: str
    done: bool
    said: Message
    ref: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "done": self.done, "said": str(self.said), "said_doc": to_document(self.said),
                "ref": self.ref}
