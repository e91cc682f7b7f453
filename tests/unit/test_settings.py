from __future__ import annotations

from pathlib import Path

from bot.settings import Settings


def test_the_database_password_comes_from_its_secret_file(tmp_path: Path) -> None:
    secret = tmp_path / "postgres_password"
    secret.write_text("s3cr&t/pw\n")
    settings = Settings(
        database_url="postgresql+asyncpg://anlaufstelle@db/anlaufstelle",
        database_password_file=secret,
    )
    url = settings.resolved_database_url
    assert url.startswith("postgresql+asyncpg://anlaufstelle:")
    assert url.endswith("@db/anlaufstelle")
    assert "s3cr%26t%2Fpw" in url  # quoted, so special characters cannot break the URL
