"""job kinds with generic subjects and de-duplication keys; duty runs

Jobs name any area's object as (subject_type, subject_id) instead of only a call, and carry a
de-duplication key that a partial unique index keeps unique among pending jobs. ``duty_runs`` records
the (duty, period) pairs a scheduled duty fired for; its primary key makes a duty fire once per period
however many schedulers run.

Revision ID: 3c1f0a9e7b21
Revises: 2680a5153df1
Create Date: 2026-11-29 18:30:00
"""

import sqlalchemy as sa
from alembic import op

import qa_app.db.base

revision = "3c1f0a9e7b21"
down_revision = "2680a5153df1"
branch_labels = None
depends_on = None

ACTIVE = sa.text("state IN ('queued', 'running', 'failed')")


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_type", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("subject_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=200), nullable=True))
    op.execute("UPDATE jobs SET subject_type = 'call', subject_id = call_id WHERE call_id IS NOT NULL")
    # Pending jobs keep their idempotence: the key the new enqueue() computes for (kind, subject).
    op.execute(
        "UPDATE jobs SET dedupe_key = kind || ':call:' || CAST(call_id AS VARCHAR(20)) "
        "WHERE call_id IS NOT NULL AND state IN ('queued', 'running', 'failed')"
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_call_id")
        batch_op.drop_constraint("fk_jobs_call_id_calls", type_="foreignkey")
        batch_op.drop_column("call_id")
        batch_op.create_index("ix_jobs_subject", ["subject_type", "subject_id"], unique=False)
        batch_op.create_index(
            "uq_jobs_active_dedupe_key",
            ["dedupe_key"],
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        )
    op.create_table(
        "duty_runs",
        sa.Column("duty", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("fired_at", qa_app.db.base.UTCDateTime(), nullable=False),
        sa.Column("worker", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("duty", "period", name=op.f("pk_duty_runs")),
    )


def downgrade() -> None:
    op.drop_table("duty_runs")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("call_id", sa.Integer(), nullable=True))
    op.execute("UPDATE jobs SET call_id = subject_id WHERE subject_type = 'call'")
    op.execute("DELETE FROM jobs WHERE subject_type IS NOT NULL AND subject_type <> 'call'")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("uq_jobs_active_dedupe_key")
        batch_op.drop_index("ix_jobs_subject")
        batch_op.drop_column("dedupe_key")
        batch_op.drop_column("subject_id")
        batch_op.drop_column("subject_type")
        batch_op.create_foreign_key(
            "fk_jobs_call_id_calls", "calls", ["call_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_index("ix_jobs_call_id", ["call_id"], unique=False)
