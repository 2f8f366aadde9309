"""transcript search index: transcript_segments (+ FTS5 trigram on SQLite, pg_trgm GIN on PostgreSQL)

Revision ID: c7e3a91f5d20
Revises: b7e3c9a1d4f2
Create Date: 2026-11-29 18:40:00

Existing transcripts are indexed by ``flask --app wsgi reindex-transcripts`` (new ones as they are stored).
"""

import sqlalchemy as sa
from alembic import op

revision = "c7e3a91f5d20"
down_revision = "b7e3c9a1d4f2"
branch_labels = None
depends_on = None

# The FTS5 index gets each text with two trailing spaces: then every occurrence of a 1-2 character term
# starts some trigram, and the instance vocabulary (a term-range scan) finds the segments of short terms.
SQLITE_UP = (
    "CREATE VIRTUAL TABLE transcript_segments_fts USING fts5(text, content='transcript_segments', "
    "content_rowid='id', tokenize='trigram')",
    "CREATE VIRTUAL TABLE transcript_segments_fts_vocab USING fts5vocab(transcript_segments_fts, instance)",
    """CREATE TRIGGER transcript_segments_fts_ai AFTER INSERT ON transcript_segments BEGIN
        INSERT INTO transcript_segments_fts(rowid, text) VALUES (new.id, new.text || '  ');
    END""",
    """CREATE TRIGGER transcript_segments_fts_ad AFTER DELETE ON transcript_segments BEGIN
        INSERT INTO transcript_segments_fts(transcript_segments_fts, rowid, text)
        VALUES ('delete', old.id, old.text || '  ');
    END""",
    """CREATE TRIGGER transcript_segments_fts_au AFTER UPDATE ON transcript_segments BEGIN
        INSERT INTO transcript_segments_fts(transcript_segments_fts, rowid, text)
        VALUES ('delete', old.id, old.text || '  ');
        INSERT INTO transcript_segments_fts(rowid, text) VALUES (new.id, new.text || '  ');
    END""",
)


def upgrade() -> None:
    op.create_table(
        "transcript_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("seg_no", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=10), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_transcript_segments_call_id_calls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript_segments")),
    )
    with op.batch_alter_table("transcript_segments", schema=None) as batch_op:
        batch_op.create_index("ix_transcript_segments_call", ["call_id", "seg_no"], unique=False)

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for stmt in SQLITE_UP:
            op.execute(stmt)
    elif dialect == "postgresql":
        # In public when it has to be created (a schema-scoped install would vanish with that schema);
        # the operator class is then named with the schema the extension really lives in.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        schema = op.get_bind().scalar(
            sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")
        )
        op.execute(
            f"CREATE INDEX ix_transcript_segments_text_trgm ON transcript_segments "
            f"USING gin (text {schema}.gin_trgm_ops)"
        )
        # pg_trgm has nothing for 2-character terms: an index of each text's (lower-cased) bigrams. The high
        # COST tells the planner to use the index rather than call the function row by row.
        op.execute(
            """CREATE FUNCTION qa_bigrams(t text) RETURNS text[]
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 10000 AS $$
                SELECT coalesce(array_agg(DISTINCT lower(substr(t, i, 2))), '{}')
                FROM generate_series(1, length(t) - 1) AS i
            $$"""
        )
        op.execute(
            "CREATE INDEX ix_transcript_segments_text_bigrams ON transcript_segments USING gin (qa_bigrams(text))"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("transcript_segments_fts_ai", "transcript_segments_fts_ad", "transcript_segments_fts_au"):
            op.execute("DROP TRIGGER IF EXISTS " + trigger)
        op.execute("DROP TABLE IF EXISTS transcript_segments_fts_vocab")
        op.execute("DROP TABLE IF EXISTS transcript_segments_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_transcript_segments_text_trgm")  # the extension stays
        op.execute("DROP INDEX IF EXISTS ix_transcript_segments_text_bigrams")
        op.execute("DROP FUNCTION IF EXISTS qa_bigrams(text)")
    with op.batch_alter_table("transcript_segments", schema=None) as batch_op:
        batch_op.drop_index("ix_transcript_segments_call")
    op.drop_table("transcript_segments")
