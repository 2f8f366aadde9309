"""retention: purge markers on calls (audio / transcript purged at)

Revision ID: e5a1c3f7b920
Revises: e5b1d7c3a902
Create Date: 2026-11-29 21:50:00

The retention duty (qa_app/services/retention.py) deletes a call's audio and its transcript after the
configured number of days; the call row stays for the aggregates, marked with when each was purged.
(The transcript-reliability verdict that outlives a purged transcript is the gate's stored column,
migration e5d1f7a3c9b2.)
"""

import sqlalchemy as sa
from alembic import op

import qa_app.db.base

revision = "e5a1c3f7b920"
down_revision = "e5b1d7c3a902"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audio_purged_at", qa_app.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("transcript_purged_at", qa_app.db.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("transcript_purged_at")
        batch_op.drop_column("audio_purged_at")
