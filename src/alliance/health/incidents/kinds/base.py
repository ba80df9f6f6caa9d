"""What every incident kind declares (pure): its key, name, priority and default SOP checklist."""

from __future__ import annotations

from dataclasses import dataclass

from alliance.core.messages import Message


@dataclass(frozen=True, slots=True)
class Step:
    """One step of an SOP checklist, in both languages (people of either language tick the same step)."""

    en: str
    zh: str

    def as_json(self) -> dict[str, str]:
        return {"en": self.en, "zh": self.zh}


@dataclass(frozen=True, slots=True)
class IncidentKind:
    key: str                 # stored on the incident ("user_complaint")
    name: Message            # how people call it
    priority: int            # 1 is the most urgent (P1); the response clock is per priority
    description: Message     # when to choose it
    sop: tuple[Step, ...]    # the default checklist, until the alliance edits its own
