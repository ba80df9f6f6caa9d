"""The one settings object: every knob is an environment variable with the `ALLIANCE_` prefix."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Platform configuration, read from the environment (see README, "Configuration")."""

    model_config = SettingsConfigDict(env_prefix="ALLIANCE_", extra="ignore")

    home: Path = Field(default=Path("data"), description="Data directory; holds the SQLite file.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@host/db; default SQLite in home.",
    )
    default_locale: str = Field(default="zh_CN", description="Language of the web UI: zh_CN or en.")
    facts_path: Path | None = Field(default=None, description="DuckDB file of order lines; default facts.duckdb in home.")
    settle_at: str | None = Field(
        default=None,
        description="HH:MM local to each alliance: `alliance serve` settles yesterday after this time daily.",
    )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'alliance.db').resolve()}"

    def resolved_facts_path(self) -> Path:
        return (self.facts_path or self.home / "facts.duckdb").resolve()


def get_settings() -> Settings:
    """Settings as the environment says now (cheap; not cached, so tests and tools can change it)."""
    return Settings()
