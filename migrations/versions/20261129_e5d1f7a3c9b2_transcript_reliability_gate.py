"""transcript-reliability gate stored on the call (decided once at scoring time), reviewer confirmation

Revision ID: e5d1f7a3c9b2
Revises: 5d8f1c2a9e47
Create Date: 2026-11-29 21:45:00

``calls.transcript_unreliable`` / ``transcript_reasons`` hold the verdict of
``scoring.reliability.assess`` (reasons as message dicts), so lists, averages and releases read a
column instead of recomputing; ``transcript_confirmed_*`` record the reviewer who confirmed a flagged
transcript. Backfill: every call with a recording is judged from its stored transcript (or its
absence, for calls already processed) and the call's measured duration, by the same pure rule the
scorer runs, on both SQLite and PostgreSQL. Calls still waiting for processing are judged when scored.
"""

import json

import sqlalchemy as sa
from alembic import op

import qa_app.db.base

revision = "e5d1f7a3c9b2"
down_revision = "5d8f1c2a9e47"  # re-chained after main's head when merging main (was 7a4e2c9b1d36)
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    # Plain ADD COLUMNs, no batch table copy: on SQLite a copy drops the old ``calls`` table, and with
    # foreign keys on that DROP cascades into transcripts, evaluations and every other child row.
    op.add_column(
        "calls", sa.Column("transcript_unreliable", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("calls", sa.Column("transcript_reasons", sa.JSON(), nullable=True))
    # who confirmed: a plain user id (also in the audit log); a FOREIGN KEY would need that table copy on SQLite
    op.add_column("calls", sa.Column("transcript_confirmed_by_id", sa.Integer(), nullable=True))
    op.add_column("calls", sa.Column("transcript_confirmed_at", qa_app.db.base.UTCDateTime(), nullable=True))
    op.add_column(
        "calls", sa.Column("transcript_confirmed_reason", sa.Text(), server_default="", nullable=False)
    )
    op.create_index(
        "ix_calls_unreliable_started", "calls", ["transcript_unreliable", "started_at"], unique=False
    )
    backfill(bind)


def backfill(bind) -> None:
    """Judge every processed call with a recording by the pure rule (imported: one definition)."""
    from scoring.reliability import assess, facts_of
    from transcription.types import Transcript

    calls = sa.table(
        "calls",
        sa.column("id", sa.Integer),
        sa.column("duration", sa.Float),
        sa.column("audio_path", sa.String),
        sa.column("status", sa.String),
        sa.column("transcript_unreliable", sa.Boolean),
        sa.column("transcript_reasons", sa.JSON),
    )
    transcripts = sa.table(
        "transcripts",
        sa.column("call_id", sa.Integer),
        sa.column("data", sa.JSON),
        sa.column("roles_swapped_by_id", sa.Integer),
    )
    rows = bind.execute(
        sa.select(
            calls.c.id,
            calls.c.duration,
            calls.c.status,
            transcripts.c.data,
            transcripts.c.roles_swapped_by_id,
        )
        .select_from(calls.outerjoin(transcripts, transcripts.c.call_id == calls.c.id))
        .where(calls.c.audio_path.is_not(None))
    ).all()
    for call_id, duration, status, data, swapped_by in rows:
        if data is None and status != "ready":
            continue  # not processed yet: judged when it is scored
        if isinstance(data, str):  # JSON stored as text by an older writer
            data = json.loads(data)
        try:
            transcript = Transcript.from_dict(data) if data is not None else None
        except (ValueError, KeyError, TypeError):
            continue  # unreadable: left for the next scoring to judge
        reasons = assess(facts_of(transcript, duration, roles_confirmed=swapped_by is not None))
        if reasons:
            bind.execute(
                calls.update()
                .where(calls.c.id == call_id)
                .values(transcript_unreliable=True, transcript_reasons=[m.to_dict() for m in reasons])
            )


def downgrade() -> None:
    op.drop_index("ix_calls_unreliable_started", table_name="calls")
    # SQLite (3.35+) drops these plain columns in place (no table copy)
    for column in (
        "transcript_confirmed_reason",
        "transcript_confirmed_at",
        "transcript_confirmed_by_id",
        "transcript_reasons",
        "transcript_unreliable",
    ):
        op.drop_column("calls", column)
