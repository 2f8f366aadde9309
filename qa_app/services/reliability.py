"""Unreliable transcripts in the database: :func:`scoring.reliability.unreliable` (the one definition,
documented there and in README) as SQL, built from the same constants, plus the transcript measures it
reads (turns = lines of the stored search text, characters without the line breaks).

Use :func:`unreliable_transcript` in a query over ``Call`` outer-joined to ``TranscriptRecord`` on
``TranscriptRecord.call_id == Call.id``. Sampling runs the Python rule on the measures read with
:func:`transcript_turns` / :func:`transcript_chars`; tests/services/test_reliability.py checks that
the SQL and the Python rule agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_

from qa_app.db.models import Call, TranscriptRecord
from scoring.reliability import (
    MIN_CHARS_PER_SECOND,
    MIN_ROLE_CONFIDENCE,
    MIN_SECONDS_FOR_DENSITY,
    MIN_TURNS_PER_MINUTE,
)


def _length() -> ColumnElement[Any]:
    return func.length(TranscriptRecord.search_text)


def _breaks() -> ColumnElement[Any]:
    text = TranscriptRecord.search_text
    return func.length(text) - func.length(func.replace(text, "\n", ""))


def transcript_turns() -> ColumnElement[Any]:
    """SQL: transcript segments (one line each in the search text); 0 for an empty text."""
    return case((_length() > 0, _breaks() + 1), else_=0)


def transcript_chars() -> ColumnElement[Any]:
    """SQL: transcribed characters, line breaks not counted."""
    return _length() - _breaks()


def unreliable_transcript() -> ColumnElement[bool]:
    """SQL: the call's transcript is unreliable (never NULL, also without a transcript row)."""
    duration = Call.duration
    return or_(
        # a transcript deleted by retention: its verdict, kept on the call when it was deleted
        and_(Call.transcript_purged_at.is_not(None), Call.transcript_unreliable.is_(True)),
        and_(
            TranscriptRecord.id.is_(None), Call.audio_path.is_not(None), Call.transcript_purged_at.is_(None)
        ),
        and_(
            TranscriptRecord.id.is_not(None),
            or_(
                and_(
                    TranscriptRecord.role_confidence.is_not(None),
                    TranscriptRecord.role_confidence < MIN_ROLE_CONFIDENCE,
                    TranscriptRecord.roles_swapped_by_id.is_(None),
                ),
                and_(
                    duration.is_not(None),
                    duration >= MIN_SECONDS_FOR_DENSITY,
                    or_(
                        transcript_turns() < MIN_TURNS_PER_MINUTE * duration / 60,
                        transcript_chars() < MIN_CHARS_PER_SECOND * duration,
                    ),
                ),
            ),
        ),
    )
