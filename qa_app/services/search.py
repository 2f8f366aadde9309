"""Transcript search: what was said, by whom, in the calls the user may see.

The index is ``transcript_segments`` (one row per segment: call, position, party, start time, redacted
text), fed by :func:`index_transcript` each time a transcript is stored and by :func:`reindex` for rows
stored before the index existed (``flask --app wsgi reindex-transcripts``).

Matching (each whitespace-separated term must occur in the same segment, as a substring):

* SQLite: the FTS5 ``trigram`` index (``transcript_segments_fts``): a phrase query for terms of 3+
  characters, the trigrams a 1-2 character term starts for shorter ones; terms so common that sorting
  all their matches would cost more are found with ``LIKE`` on the newest calls' segments instead
  (see ``_term_conditions``; bench/search.py measures it);
* PostgreSQL: ``ILIKE`` per term, served by the ``pg_trgm`` GIN index for terms of 3+ characters and by
  a GIN index of each text's bigrams (``qa_bigrams``) for rare 2-character terms; 1-character terms
  have no index there.

Both are case-insensitive for Latin letters. Queries are NFKC-normalised (full-width forms) and
converted to Simplified Chinese like the transcripts. Redacted numbers are stored as runs of ``*``
(transcription/redact.py); ``*`` is removed from every query term, so neither the mask nor the original
digits can be searched for. Visibility is exactly the calls list's (``calls.visible_calls``): agents get
hits from their own calls only. Hits come newest call first, then in transcript order.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    Text,
    any_,
    bindparam,
    column,
    delete,
    func,
    insert,
    literal_column,
    select,
    table,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from qa_app.db.models import Agent, Call, Team, TranscriptRecord, TranscriptSegment, User
from qa_app.db.models.transcript_segment import BIGRAM_INDEX, FTS_TABLE, FTS_VOCAB
from qa_app.services import calls
from transcription.redact import MASK
from transcription.text import to_simplified
from transcription.types import Transcript

PARTIES = ("agent", "customer")
MAX_TERMS = 5
MAX_TERM_CHARS = 50
TRIGRAM = 3  # shortest term the trigram indexes can serve
FTS_MAX_CANDIDATES = 5000  # above this many index matches, find the newest hits with LIKE instead
PG_WALK_ABOVE = 1500  # PostgreSQL: a bigram the statistics count in more segments goes straight to ILIKE
SNIPPET_CHARS = 120
_MASKS = {MASK, "＊", "∗"}
_fts = table(FTS_TABLE, column("rowid"))
_vocab = table(FTS_VOCAB, column("term"), column("doc"))
_TOP = "\U0010ffff"  # the highest code point: [t, t + _TOP) is every trigram starting with t


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    party: str | None = None  # agent | customer
    date_from: datetime | None = None  # inclusive
    date_to: datetime | None = None  # exclusive
    team_id: int | None = None
    agent_id: int | None = None


@dataclass(frozen=True)
class Hit:
    call_id: int
    seg_no: int
    party: str
    start: float
    started_at: datetime
    employee_no: str
    agent_name: str
    team_name: str
    snippet: str  # the segment text, cut around the first match when long
    highlights: tuple[tuple[int, int], ...]  # [start, end) character ranges of ``snippet`` to mark

    @property
    def cue(self) -> float:
        """Where a link opens the call (``?t=``): the start rounded up to 0.1 s, so that it falls inside this
        segment (the call page's player marks the line that contains the time)."""
        return math.ceil(round(self.start * 10, 6)) / 10

    def pieces(self) -> list[tuple[str, bool]]:
        """``snippet`` as (text, marked) pieces, for templates that escape each piece."""
        out, pos = [], 0
        for a, b in self.highlights:
            if a > pos:
                out.append((self.snippet[pos:a], False))
            out.append((self.snippet[a:b], True))
            pos = b
        if pos < len(self.snippet):
            out.append((self.snippet[pos:], False))
        return out


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    terms: list[str]
    page: int
    per_page: int
    has_next: bool


# --- query text ---------------------------------------------------------------------------------------


def parse_terms(text: str | None) -> list[str]:
    """The search terms of a query: NFKC + Simplified Chinese, split on whitespace, redaction masks
    removed, empty and repeated terms dropped, at most MAX_TERMS of at most MAX_TERM_CHARS each."""
    norm = to_simplified(unicodedata.normalize("NFKC", text or ""))
    terms: list[str] = []
    for raw in norm.split():
        term = "".join(ch for ch in raw if ch not in _MASKS)[:MAX_TERM_CHARS]
        if term and term.casefold() not in {t.casefold() for t in terms}:
            terms.append(term)
    return terms[:MAX_TERMS]


def _like_pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _fts_phrase(terms: Iterable[str]) -> str:
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _capped_count(db: Session, rows: Select) -> int:
    return db.scalar(select(func.count()).select_from(rows.limit(FTS_MAX_CANDIDATES + 1).subquery())) or 0


def _term_conditions(db: Session, terms: list[str]) -> list[ColumnElement[bool]] | None:
    """WHERE conditions for the terms, or None when the index already says nothing matches.

    PostgreSQL: see :func:`_pg_conditions`.

    SQLite: every term must also match a LIKE on the segment text; the index narrows the rows first.
    Terms of 3+ characters are one FTS5 phrase query; a 1-2 character term is looked up in the FTS5
    instance vocabulary as the trigrams it starts (each indexed text ends with two spaces, so every
    occurrence starts one). The counts are cut off at FTS_MAX_CANDIDATES: the most selective lookup
    gives the candidate segments; when every one exceeds the limit the terms are common, and a LIKE over
    the newest calls' segments fills a page sooner than sorting every match by call date."""
    seg = TranscriptSegment
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        return _pg_conditions(db, terms)
    likes = [seg.text.like(_like_pattern(t), escape="\\") for t in terms]
    if dialect != "sqlite":
        return likes
    lookups: list[Select] = []
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    if long_terms:
        match = literal_column(FTS_TABLE).op("MATCH")(_fts_phrase(long_terms))
        lookups.append(select(_fts.c.rowid).where(match))
    for t in terms:
        if len(t) < TRIGRAM:
            lo = t.lower()
            lookups.append(select(_vocab.c.doc).where(_vocab.c.term >= lo, _vocab.c.term < lo + _TOP))
    best_count, best = None, None
    for rows in lookups:
        n = _capped_count(db, rows)
        if n == 0:
            return None
        if best_count is None or n < best_count:
            best_count, best = n, rows
    if best is None or (best_count or 0) > FTS_MAX_CANDIDATES:
        return likes
    return [seg.id.in_(best), *likes]


_PG_BIGRAM_ESTIMATE = sql_text(
    """SELECT u.f * c.reltuples
    FROM pg_stats s
    CROSS JOIN unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS u(e, f)
    CROSS JOIN pg_class c
    WHERE s.schemaname = current_schema() AND s.tablename = :index AND u.e = :gram
      AND c.oid = CAST(:table AS regclass)"""
)


def _pg_bigram_estimate(db: Session, gram: str) -> float:
    """How many segments contain ``gram`` by the planner's statistics of the bigram index (its most
    common elements); 0 when it is not among them (rare, or no statistics yet)."""
    est = db.scalar(
        _PG_BIGRAM_ESTIMATE, {"index": BIGRAM_INDEX, "gram": gram, "table": TranscriptSegment.__tablename__}
    )
    return float(est or 0)


def _pg_conditions(db: Session, terms: list[str]) -> list[ColumnElement[bool]] | None:
    """PostgreSQL: an ILIKE per term (pg_trgm's GIN index serves 3+ characters).

    A 2-character term that the planner statistics do not call common (PG_WALK_ABOVE) first fetches the
    ids of its segments from the bigram index, cut off at FTS_MAX_CANDIDATES: none -> no hits; up to the
    limit -> the query is narrowed to those ids; common or more -> plain ILIKE, which the planner answers
    by walking the newest calls. The bigram condition itself never goes into the main query: on a walk
    the planner would call qa_bigrams() row by row."""
    seg = TranscriptSegment
    conds: list[ColumnElement[bool]] = []
    narrowed: list[int] | None = None
    for t in terms:
        if len(t) == 2 and _pg_bigram_estimate(db, t.lower()) <= PG_WALK_ABOVE:
            grams = bindparam("bigram", [t.lower()], type_=ARRAY(Text), unique=True)
            has = func.qa_bigrams(seg.text, type_=ARRAY(Text)).op("@>")(grams)
            ids = list(db.scalars(select(seg.id).where(has).limit(FTS_MAX_CANDIDATES + 1)))
            if not ids:
                return None
            if len(ids) <= FTS_MAX_CANDIDATES and (narrowed is None or len(ids) < len(narrowed)):
                narrowed = ids
        conds.append(seg.text.ilike(_like_pattern(t), escape="\\"))
    if narrowed is not None:
        # the 2-character ILIKEs stay: cheap on these rows, and exact where lower() and ILIKE differ
        conds.insert(0, seg.id == any_(bindparam("ids", narrowed, type_=ARRAY(Integer), unique=True)))
    return conds


# --- highlighting -------------------------------------------------------------------------------------


def _ranges(text: str, terms: list[str]) -> list[tuple[int, int]]:
    found = sorted(
        (m.start(), m.end())
        for t in terms
        for m in re.finditer(re.escape(t), text, re.IGNORECASE)
        if m.end() > m.start()
    )
    merged: list[tuple[int, int]] = []
    for a, b in found:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The text (cut to ``width`` characters around the first match, with … at cut ends) and the
    ranges of the snippet that match a term."""
    ranges = _ranges(text, terms)
    if len(text) <= width:
        return text, tuple(ranges)
    first = ranges[0][0] if ranges else 0
    lo = max(0, min(first - width // 3, len(text) - width))
    hi = lo + width
    prefix = "…" if lo > 0 else ""
    suffix = "…" if hi < len(text) else ""
    shift = len(prefix) - lo
    clipped = tuple(
        (max(a, lo) + shift, min(b, hi) + shift) for a, b in ranges if b > lo and a < hi
    )
    return prefix + text[lo:hi] + suffix, clipped


# --- search -------------------------------------------------------------------------------------------


def search(db: Session, user: User, query: SearchQuery, *, page: int = 1, per_page: int = 20) -> SearchPage:
    """One page of hits (newest call first); ``has_next`` instead of a total (counting every match of a
    common phrase would cost more than the page)."""
    terms = parse_terms(query.text)
    page = max(1, page)
    if not terms:
        return SearchPage([], terms, page, per_page, False)
    seg = TranscriptSegment
    visible = calls.narrow(  # the same visibility and filters as the calls list
        calls.visible_calls(db, user),
        agent_id=query.agent_id,
        team_id=query.team_id,
        date_from=query.date_from,
        date_to=query.date_to,
    )
    stmt = (
        visible.join(seg, seg.call_id == Call.id)
        .join(Agent, Agent.id == Call.agent_id)
        .join(Team, Team.id == Call.team_id)
        .with_only_columns(
            seg.call_id,
            seg.seg_no,
            seg.party,
            seg.start,
            seg.text,
            Call.started_at,
            Agent.employee_no,
            Agent.name,
            Team.name,
        )
    )
    conds = _term_conditions(db, terms)
    if conds is None:
        return SearchPage([], terms, page, per_page, False)
    stmt = stmt.where(*conds)
    if query.party in PARTIES:
        stmt = stmt.where(seg.party == query.party)
    stmt = stmt.order_by(Call.started_at.desc(), Call.id.desc(), seg.seg_no).offset((page - 1) * per_page)
    rows = db.execute(stmt.limit(per_page + 1)).all()
    hits = []
    for row in rows[:per_page]:
        text, marks = snippet(row[4], terms)
        hits.append(Hit(row[0], row[1], row[2], row[3], row[5], row[6], row[7], row[8], text, marks))
    return SearchPage(hits, terms, page, per_page, len(rows) > per_page)


# --- the index ----------------------------------------------------------------------------------------


def index_transcript(db: Session, call_id: int, transcript: Transcript) -> int:
    """Replace the call's rows in the search index with the transcript's segments (flushes; the caller
    commits). The text is the stored, redacted text. Returns the number of segments indexed."""
    db.execute(delete(TranscriptSegment).where(TranscriptSegment.call_id == call_id))
    rows = [
        {"call_id": call_id, "seg_no": i, "party": s.role, "start": float(s.start), "text": s.text}
        for i, s in enumerate(transcript.segments)
        if s.text.strip()
    ]
    if rows:
        db.execute(insert(TranscriptSegment), rows)
    db.flush()
    return len(rows)


def reindex(db: Session, *, after_id: int = 0, limit: int = 200) -> tuple[int, int | None]:
    """Index the next ``limit`` stored transcripts with an id above ``after_id``; returns (transcripts
    indexed, last id or None when none were left). Idempotent; the caller commits between batches."""
    records = db.scalars(
        select(TranscriptRecord).where(TranscriptRecord.id > after_id).order_by(TranscriptRecord.id).limit(limit)
    ).all()
    for rec in records:
        index_transcript(db, rec.call_id, Transcript.from_dict(rec.data))
    return len(records), (records[-1].id if records else None)
