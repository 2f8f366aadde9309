"""The transcript search index: one row per transcript segment (redacted text, party, start time).

Fed by ``qa_app.services.search.index_transcript`` whenever a transcript is stored. The full-text
structures on top of this table are dialect-specific and live only in the migration (20261129_c7e3a91f5d20):

* SQLite: ``transcript_segments_fts``, an external-content FTS5 table with the ``trigram`` tokenizer over
  ``text`` + two spaces (plus its shadow tables), kept in sync by three triggers, and
  ``transcript_segments_fts_vocab``, its ``fts5vocab`` instance table (finds 1-2 character terms);
* PostgreSQL: ``ix_transcript_segments_text_trgm``, a GIN ``pg_trgm`` index on ``text``, and
  ``ix_transcript_segments_text_bigrams``, a GIN index on ``qa_bigrams(text)`` (2-character terms).

They are not in the SQLAlchemy metadata; :func:`is_search_index_object` tells Alembic (and the schema
drift test) to leave them alone.
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.db.base import Base

FTS_TABLE = "transcript_segments_fts"
FTS_VOCAB = "transcript_segments_fts_vocab"
TRGM_INDEX = "ix_transcript_segments_text_trgm"
BIGRAM_INDEX = "ix_transcript_segments_text_bigrams"


def is_search_index_object(name: str | None) -> bool:
    """True for the dialect-specific search structures created by the migration, not by the models."""
    return bool(name) and (name.startswith(FTS_TABLE) or name in (TRGM_INDEX, BIGRAM_INDEX))


class TranscriptSegment(Base):
    __tablename__ = "transcript_segments"
    __table_args__ = (Index("ix_transcript_segments_call", "call_id", "seg_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)  # the FTS5 rowid on SQLite
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    seg_no: Mapped[int] = mapped_column()  # position in the transcript's segments
    party: Mapped[str] = mapped_column(String(10))  # agent | customer | ivr | unknown
    start: Mapped[float] = mapped_column(Float)  # seconds from the start of the call
    text: Mapped[str] = mapped_column(Text)  # as stored in the transcript: redacted numbers are masked
