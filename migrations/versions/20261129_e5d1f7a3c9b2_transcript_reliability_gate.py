"""transcript-reliability gate stored on the call (decided once at scoring time), reviewer confirmation

Revision ID: e5d1f7a3c9b2
Revises: 7a4e2c9b1d36
Create Date: 2026-11-29 21:45:00

``calls.transcript_unreliable`` / ``transcript_reasons`` hold the verdict of
``scoring.reliability.assess`` (reasons as message dicts), so lists, averages and releases read a
column instead of recomputing; ``transcript_confirmed_*`` record the reviewer who confirmed a flagged
transcript. Backfill: every call with a recording is judged from its stored transcript (or its
absence, for calls already processed) and the call's measured duration, by the same pure rule the
scorer runs, on both SQLite and PostgreSQL. Calls still waiting for processing are judged when scored.
"""

import sqlalchemy as sa
from alembic import op

import qa_app.db.base

revision = "e5d1f7a3c9b2"
down_revision = "7a4e2c9b1d36"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("transcript_unreliable", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("transcript_reasons", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("transcript_confirmed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("transcript_confirmed_at", qa_app.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("transcript_confirmed_reason", sa.Text(), server_default="", nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_calls_transcript_confirmed_by_id_users"),
            "users",
            ["transcript_confirmed_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            "ix_calls_unreliable_started", ["transcript_unreliable", "started_at"], unique=False
        )
    backfill(op.get_bind())


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
        try:
            transcript = Transcript.from_dict(data) if data is not None else None
        except (ValueError, KeyError, TypeError):
            transcript = None
        reasons = assess(facts_of(transcript, duration, roles_confirmed=swapped_by is not None))
        if reasons:
            bind.execute(
                calls.update()
                .where(calls.c.id == call_id)
                .values(transcript_unreliable=True, transcript_reasons=[m.to_dict() for m in reasons])
            )


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_unreliable_started")
        batch_op.drop_constraint(batch_op.f("fk_calls_transcript_confirmed_by_id_users"), type_="foreignkey")
        batch_op.drop_column("transcript_confirmed_reason")
        batch_op.drop_column("transcript_confirmed_at")
        batch_op.drop_column("transcript_confirmed_by_id")
        batch_op.drop_column("transcript_reasons")
        batch_op.drop_column("transcript_unreliable")
