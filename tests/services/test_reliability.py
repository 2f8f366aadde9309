"""qa_app.services.reliability: the SQL condition for an unreliable transcript says exactly what the
one definition (scoring.reliability.unreliable) says, for every combination of recording, transcript,
role confidence, a person's role swap, call length and amount of text — on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_app.db.models import Call, CallStatus, TranscriptRecord
from qa_app.services import reliability
from scoring.reliability import TranscriptFacts, unreliable

import factories
from factories import build_app, dispose, make_settings

DURATIONS = (10.0, 30.0, 120.0)
CONFIDENCES = (None, 0.3, 0.5, 0.9)
TEXTS = ("", "好", "您好请讲\n我要报修宽带", "\n".join(["您好，这里是客服中心，请问有什么可以帮您"] * 3))


def _cases():
    for n, (duration, recording) in enumerate(itertools.product(DURATIONS, (True, False))):
        yield n, duration, recording, None  # no transcript
        for m, (conf, swapped, text) in enumerate(itertools.product(CONFIDENCES, (False, True), TEXTS)):
            yield 1000 * (n + 1) + m, duration, recording, (conf, swapped, text)


def _check(db: Session) -> tuple[int, int]:
    agent = factories.create_agent(db)
    swapper = factories.create_user(db, "qa_reviewer")
    expected: dict[int, bool] = {}
    for key, duration, recording, transcript in _cases():
        call = Call(
            agent_id=agent.id,
            team_id=agent.team_id,
            started_at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC),
            duration=duration,
            status=CallStatus.READY,
            audio_sha256=f"{key:064d}" if recording else None,
            audio_path=f"x/{key}.wav" if recording else None,
            audio_format="wav" if recording else None,
        )
        db.add(call)
        db.flush()
        facts = TranscriptFacts(duration=duration, has_transcript=transcript is not None, has_recording=recording)
        if transcript is not None:
            conf, swapped, text = transcript
            db.add(
                TranscriptRecord(
                    call_id=call.id,
                    language="zh",
                    data={},
                    search_text=text,
                    role_confidence=conf,
                    roles_swapped_by_id=swapper.id if swapped else None,
                )
            )
            lines = text.split("\n") if text else []
            facts = TranscriptFacts(
                duration=duration,
                role_confidence=conf,
                roles_confirmed=swapped,
                turns=len(lines),
                text_chars=sum(len(line) for line in lines),
                has_recording=recording,
            )
        expected[call.id] = unreliable(facts)
    db.flush()
    got = dict(
        db.execute(
            select(Call.id, reliability.unreliable_transcript())
            .outerjoin(TranscriptRecord, TranscriptRecord.call_id == Call.id)
            .where(Call.id.in_(expected))
        ).all()
    )
    assert {k: bool(v) for k, v in got.items()} == expected
    assert all(v is not None for v in got.values()), "never NULL"
    return sum(expected.values()), len(expected)


def test_sql_agrees_with_the_definition(db):
    flagged, total = _check(db)
    assert 0 < flagged < total  # both answers occur


@pytest.mark.postgres
def test_sql_agrees_with_the_definition_on_postgres(pg_url, tmp_path):
    app = build_app(make_settings(tmp_path / "pg", database_url=pg_url), None)
    try:
        with app.extensions["qa_sessionmaker"]() as db:
            flagged, total = _check(db)
            assert 0 < flagged < total
    finally:
        dispose(app)
