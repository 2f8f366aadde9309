"""Jobs: when the latest broker message for a job is due (QA_JOB_BROKER)

Revision ID: e5b1d7c3a902
Revises: 0820b1adffe5
Create Date: 2026-11-29 21:30:00.000000

Empty for every existing job: with a broker configured, the scheduler's sweeper sends the runnable ones.
"""

import sqlalchemy as sa
from alembic import op

import qa_app.db.base

revision = "e5b1d7c3a902"
down_revision = "0820b1adffe5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_at", qa_app.db.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("published_at")
