"""Settings read from ALLIANCE_* variables without pydantic-settings (core.settings.get_settings)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from alliance.core.settings import get_settings


def test_variables_are_read_in_any_case_and_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_HOME", "/srv/alliance")
    monkeypatch.setenv("alliance_max_body_mb", "8")  # names in any case, as before
    monkeypatch.setenv("ALLIANCE_RATE_LIMIT", "12.5")
    monkeypatch.setenv("ALLIANCE_LEDGER_PASSPHRASE", "a long secret")
    monkeypatch.setenv("ALLIANCE_NO_SUCH_SETTING", "ignored")
    settings = get_settings()
    assert settings.home == Path("/srv/alliance") and settings.max_body_mb == 8 and settings.rate_limit == 12.5
    assert settings.ledger_passphrase is not None and settings.ledger_passphrase.get_secret_value() == "a long secret"
    assert "a long secret" not in repr(settings)


def test_a_bad_value_names_its_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_MAX_BODY_MB", "0")
    with pytest.raises(ValidationError, match="max_body_mb"):
        get_settings()


def test_unset_means_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ALLIANCE_HOME", "ALLIANCE_DATABASE_URL", "ALLIANCE_COMPUTE_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    settings = get_settings()
    assert settings.home == Path("data") and settings.database_url is None and settings.compute_workers == 2
