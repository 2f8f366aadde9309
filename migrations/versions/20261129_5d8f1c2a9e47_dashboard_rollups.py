"""dashboard rollups: verdict_daily, score_daily, aggregate_dirty, aggregate_state (issue #12)

Revision ID: 5d8f1c2a9e47
Revises: e5a1c3f7b920
Create Date: 2026-11-29 22:45:00

Empty tables: fill them with ``flask rebuild-aggregates`` after upgrading (the dashboards read them).
"""

import sqlalchemy as sa
from alembic import op

from qa_app.db.base import UTCDateTime

revision = "5d8f1c2a9e47"
down_revision = "e5a1c3f7b920"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verdict_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("cohort", sa.String(length=16), nullable=False),
        sa.Column("passes", sa.Integer(), nullable=False),
        sa.Column("fails", sa.Integer(), nullable=False),
        sa.Column("nas", sa.Integer(), nullable=False),
        sa.Column("points_sum", sa.Float(), nullable=False),
        sa.Column("points_max", sa.Float(), nullable=False),
        sa.Column("pointed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "agent_id", "team_id", "criterion", "source"),
    )
    op.create_index("ix_verdict_daily_agent_day", "verdict_daily", ["agent_id", "day"])
    op.create_table(
        "score_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("total_sum", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("day", "agent_id", "team_id"),
    )
    op.create_index("ix_score_daily_agent_day", "score_daily", ["agent_id", "day"])
    op.create_table(
        "aggregate_dirty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "aggregate_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("refreshed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("aggregate_state")
    op.drop_table("aggregate_dirty")
    op.drop_index("ix_score_daily_agent_day", table_name="score_daily")
    op.drop_table("score_daily")
    op.drop_index("ix_verdict_daily_agent_day", table_name="verdict_daily")
    op.drop_table("verdict_daily")
