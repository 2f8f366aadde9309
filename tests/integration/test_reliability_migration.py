"""The transcript-reliability migration judges the calls already stored (backfill) by the one rule, on
SQLite and PostgreSQL: flagged calls get their reasons, others stay clear, unprocessed calls wait for
their scoring, calls without a recording are not judged."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from factories import migrate

BEFORE = "e5b1d7c3a902"


def _segments(n: int, text: str) -> list[dict]:
    return [
        {
            "id": i,
            "start": i * 4.0,
            "end": i * 4.0 + 3,
            "speaker": "A" if i % 2 else "B",
            "role": "agent",
            "text": text,
        }
        for i in range(n)
    ]


def _transcript(segments: list[dict], duration: float, conf: float | None = 0.9) -> str:
    d = {
        "language": "zh",
        "duration": duration,
        "segments": segments,
        "speakers": {"A": "agent", "B": "customer"},
    }
    if conf is not None:
        d["role_confidence"] = conf
    return json.dumps(d, ensure_ascii=False)


CALLS = {
    # name: (duration, status, has audio, transcript JSON or None)
    "fine": (60.0, "ready", True, _transcript(_segments(12, "您好请问有什么可以帮您"), 60.0)),
    "one_segment": (64.0, "ready", True, _transcript(_segments(1, "喂喂"), 64.0)),
    "roles": (60.0, "ready", True, _transcript(_segments(12, "您好请问有什么可以帮您"), 60.0, conf=0.2)),
    "ready_no_transcript": (60.0, "ready", True, None),
    "failed_no_transcript": (60.0, "failed", True, None),
    "queued": (60.0, "queued", True, None),
    "history": (60.0, "ready", False, None),
}


def _run(url: str) -> dict[str, tuple[bool, list[str]]]:
    migrate(url, BEFORE)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO teams (id, name, active, created_at) VALUES (1, 't', true, '2026-11-01')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO agents (id, employee_no, name, team_id, hire_date, active, created_at)"
                    " VALUES (1, '1001', 'a', 1, '2026-01-01', true, '2026-11-01')"
                )
            )
            for i, (name, (duration, status, audio, data)) in enumerate(CALLS.items(), start=1):
                conn.execute(
                    sa.text(
                        "INSERT INTO calls (id, external_id, agent_id, team_id, started_at, duration, direction, queue,"
                        " channel_layout, language, status, audio_sha256, audio_path, audio_format, audio_bytes,"
                        " original_filename, source, created_at) VALUES (:id, :name, 1, 1, '2026-11-20', :d,"
                        " 'inbound', '', 'mono', 'zh', :s, :sha, :path, :fmt, 0, '', 'upload', '2026-11-20')"
                    ),
                    {
                        "id": i,
                        "name": name,
                        "d": duration,
                        "s": status,
                        "sha": f"{i:064d}" if audio else None,
                        "path": f"audio/{i}.wav" if audio else None,
                        "fmt": "wav" if audio else None,
                    },
                )
                if data is not None:
                    conn.execute(
                        sa.text(
                            "INSERT INTO transcripts (call_id, language, data, search_text, role_confidence, created_at)"
                            " VALUES (:c, 'zh', :data, '', NULL, '2026-11-20')"
                        ),
                        {"c": i, "data": data},
                    )
        migrate(url, "e5d1f7a3c9b2")
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT external_id, transcript_unreliable, transcript_reasons FROM calls")
            ).all()
    finally:
        engine.dispose()
    out = {}
    for name, flag, reasons in rows:
        if isinstance(reasons, str):
            reasons = json.loads(reasons)
        out[name] = (bool(flag), [r["code"] for r in reasons or []])
    return out


def _check(got: dict[str, tuple[bool, list[str]]]) -> None:
    assert got["fine"] == (False, [])
    assert got["one_segment"] == (True, ["reliability.one_segment", "reliability.little_text"])
    assert got["roles"] == (True, ["reliability.roles_uncertain"])
    assert got["ready_no_transcript"] == (True, ["reliability.no_transcript"])
    assert got["failed_no_transcript"] == (False, [])  # never scored: nothing to gate
    assert got["queued"] == (False, [])  # judged when it is scored
    assert got["history"] == (False, [])  # no recording: not judged on a transcript


def test_backfill_on_sqlite(tmp_path: Path):
    _check(_run(f"sqlite:///{tmp_path / 'old.sqlite3'}"))


def test_backfill_on_postgres(pg_url: str):
    _check(_run(pg_url))
