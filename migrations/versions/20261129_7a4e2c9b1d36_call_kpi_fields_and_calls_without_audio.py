"""call KPI fields (wait/hold/wrap seconds, CSAT, NPS, resolved) and calls without audio

Revision ID: 7a4e2c9b1d36
Revises: c7e3a91f5d20
Create Date: 2026-11-29 18:32:20.914185

The KPI columns are nullable (every field is optional in the sources); CHECK constraints repeat the
ranges the intake validates. The audio columns become nullable for demo-history calls, which are
metadata and evaluations only.
"""

import sqlalchemy as sa
from alembic import op

revision = "7a4e2c9b1d36"
down_revision = "c7e3a91f5d20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wait_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("hold_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("wrap_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("csat", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("nps", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("resolved", sa.Boolean(), nullable=True))
        batch_op.alter_column("audio_sha256", existing_type=sa.VARCHAR(length=64), nullable=True)
        batch_op.alter_column("audio_path", existing_type=sa.VARCHAR(length=255), nullable=True)
        batch_op.alter_column("audio_format", existing_type=sa.VARCHAR(length=8), nullable=True)
        batch_op.create_check_constraint("csat_range", "csat BETWEEN 1 AND 5")
        batch_op.create_check_constraint("nps_range", "nps BETWEEN 0 AND 10")
        batch_op.create_check_constraint(
            "kpi_seconds_non_negative", "wait_seconds >= 0 AND hold_seconds >= 0 AND wrap_seconds >= 0"
        )


def downgrade() -> None:
    without_audio = op.get_bind().scalar(sa.text("SELECT count(*) FROM calls WHERE audio_path IS NULL"))
    if without_audio:
        raise RuntimeError(
            f"{without_audio} call(s) have no audio (demo history); delete them before downgrading "
            "below 7a4e2c9b1d36"
        )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_constraint("kpi_seconds_non_negative", type_="check")
        batch_op.drop_constraint("nps_range", type_="check")
        batch_op.drop_constraint("csat_range", type_="check")
        batch_op.alter_column("audio_format", existing_type=sa.VARCHAR(length=8), nullable=False)
        batch_op.alter_column("audio_path", existing_type=sa.VARCHAR(length=255), nullable=False)
        batch_op.alter_column("audio_sha256", existing_type=sa.VARCHAR(length=64), nullable=False)
        batch_op.drop_column("resolved")
        batch_op.drop_column("nps")
        batch_op.drop_column("csat")
        batch_op.drop_column("wrap_seconds")
        batch_op.drop_column("hold_seconds")
        batch_op.drop_column("wait_seconds")
