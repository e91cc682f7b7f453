"""The [telegram] settings: the token from a file, the webhook secret required and checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.settings import SettingsError, TelegramSettings


def test_no_token_means_no_telegram() -> None:
    assert not TelegramSettings().enabled


def test_the_token_file_wins_and_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("123:from-file\n", encoding="utf-8")
    s = TelegramSettings(token=SecretStr("123:inline"), token_file=path)
    assert s.enabled and s.resolved_token() == "123:from-file"
    assert "from-file" not in repr(s) and "inline" not in repr(s)


def test_webhook_mode_needs_a_valid_secret(tmp_path: Path) -> None:
    s = TelegramSettings(token=SecretStr("1:x"), mode="webhook")
    with pytest.raises(SettingsError, match="secret_token"):
        s.resolved_secret_token()
    with pytest.raises(SettingsError, match="A-Z"):
        TelegramSettings(secret_token=SecretStr("has space")).resolved_secret_token()
    path = tmp_path / "secret"
    path.write_text("abc_DEF-123\n", encoding="utf-8")
    assert TelegramSettings(secret_token_file=path).resolved_secret_token() == "abc_DEF-123"
