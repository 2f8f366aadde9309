"""indexes for provincial volume (bench/load.py: 200k calls, 1M evaluations on PostgreSQL)

* ``ix_evaluations_updated_at``: the dashboards' data stamp reads ``max(updated_at)`` on every request;
  without it that is a scan of every evaluation.
* ``ix_evaluations_completed_reviews``: the calls list's "reviewed / not yet reviewed" filter asks, per
  call, for a completed human review; this index answers from its own entries (an index-only scan of
  the human reviews) instead of a scan of every evaluation.

Revision ID: 0820b1adffe5
Revises: 7a4e2c9b1d36
Create Date: 2026-11-29 21:40:00
"""

from alembic import op

revision = "0820b1adffe5"
down_revision = "7a4e2c9b1d36"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_index("ix_evaluations_updated_at", ["updated_at"], unique=False)
        batch_op.create_index(
            "ix_evaluations_completed_reviews", ["rater_type", "purpose", "state", "call_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluations_completed_reviews")
        batch_op.drop_index("ix_evaluations_updated_at")
