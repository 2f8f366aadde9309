"""API token expiry and last use

Revision ID: b7e3c9a1d4f2
Revises: a7c3e9d14b62
Create Date: 2026-11-29 20:10:00.000000

Tokens issued before this revision had no expiry: they get one 90 days (the QA_API_TOKEN_DAYS default)
from the upgrade, so integrations keep working until an admin issues a new token.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import qa_app.db.base

revision = "b7e3c9a1d4f2"
down_revision = "a7c3e9d14b62"
branch_labels = None
depends_on = None

LEGACY_TOKEN_DAYS = 90


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_token_created_at", qa_app.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("api_token_expires_at", qa_app.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("api_token_last_used_at", qa_app.db.base.UTCDateTime(), nullable=True))
    users = sa.table(
        "users",
        sa.column("api_token_hash", sa.String()),
        sa.column("api_token_expires_at", qa_app.db.base.UTCDateTime()),
    )
    op.execute(
        users.update()
        .where(users.c.api_token_hash.is_not(None))
        .values(api_token_expires_at=datetime.now(UTC) + timedelta(days=LEGACY_TOKEN_DAYS))
    )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("api_token_last_used_at")
        batch_op.drop_column("api_token_expires_at")
        batch_op.drop_column("api_token_created_at")
