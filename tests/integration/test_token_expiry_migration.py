"""The API-token migration gives tokens issued before it an expiry (they never expired: issue #11, item 7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from factories import migrate


def test_existing_tokens_get_an_expiry(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate(url, "a7c3e9d14b62")  # the revision before b7e3c9a1d4f2
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for name, token in (("with_token", "ab" * 32), ("without", None)):
                conn.execute(
                    sa.text(
                        "INSERT INTO users (username, display_name, password_hash, role, active, api_token_hash,"
                        " session_version, created_at) VALUES (:n, :n, 'x', 'admin', 1, :t, 1, '2026-01-01 00:00:00')"
                    ),
                    {"n": name, "t": token},
                )
        migrate(url, "b7e3c9a1d4f2")
        with engine.connect() as conn:
            rows = dict(conn.execute(sa.text("SELECT username, api_token_expires_at FROM users")).all())
    finally:
        engine.dispose()
    assert rows["without"] is None
    expires = datetime.fromisoformat(rows["with_token"]).replace(tzinfo=UTC)
    assert abs(expires - (datetime.now(UTC) + timedelta(days=90))) < timedelta(minutes=5)
