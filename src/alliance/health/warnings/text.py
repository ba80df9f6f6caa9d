"""A text given in Chinese and English (rule names, runbooks, incident titles), pure."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

TEXT_LIMIT = 2000


class Text(BaseModel):
    """`{zh: ..., en: ...}`; a plain string is taken for both languages."""

    model_config = ConfigDict(extra="forbid")
    zh: str = Field(default="", max_length=TEXT_LIMIT)
    en: str = Field(default="", max_length=TEXT_LIMIT)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"zh": value, "en": value}
        return value

    def said(self, locale: str) -> str:
        """The text in `locale` (zh_CN or en), the other language when that one is empty."""
        first, second = (self.zh, self.en) if locale.startswith("zh") else (self.en, self.zh)
        return (first or second).strip()

    def both(self) -> str:
        """Both languages for a notice read by either (Chinese first): "资源闲置 / Idle resources"."""
        zh, en = self.zh.strip(), self.en.strip()
        return zh if zh == en or not en else en if not zh else f"{zh} / {en}"
