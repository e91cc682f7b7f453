"""The effective office settings: the file's values, with valid console overrides on top."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from bot.office.config import effective, validated
from bot.settings import Settings, WebChatSettings
from storage.office_settings import Stored

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_an_override_wins_and_an_invalid_one_falls_back_to_the_file() -> None:
    settings = Settings(webchat=WebChatSettings(allowed_origins=["https://file.example"]))
    stored = {
        "retention_days": Stored(0, "counsellor:1", AT),
        "allowed_origins": Stored(["not an origin"], "counsellor:1", AT),
    }
    result = effective(settings, stored)
    assert result.retention_days == 0
    assert result.allowed_origins == ("https://file.example",)
    assert set(result.overrides) == {"retention_days"}
    assert result.schedule.is_open(AT)  # the file's hours: Wednesday 9-16


def test_values_are_checked_like_the_settings_file() -> None:
    assert validated("allowed_origins", ["https://a.example/", "https://a.example"]) == [
        "https://a.example"
    ]
    assert validated("retention_days", "30") == 30
    with pytest.raises(ValidationError):
        validated("retention_days", -1)
    with pytest.raises(ValidationError):
        validated("office_hours", {"monday": ["16:00-09:00"]})
