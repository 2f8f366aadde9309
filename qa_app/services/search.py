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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
    tuple_,
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
PG_WALK_ABOVE = 1500  # PostgreSQL: a bigram the statistics count in more segments goes straight to the walk
WALK_FIRST_BATCH = 200  # PostgreSQL walk of the newest calls: calls in the first batch (doubling) ...
WALK_MAX_BATCH = 16000  # ... up to this many
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


def _term_conditions(db: Session, terms: list[str]) -> tuple[list[ColumnElement[bool]], bool] | None:
    """WHERE conditions for the terms and whether :func:`search` may run them as one query (False:
    PostgreSQL's walk of the newest calls), or None when the index already says nothing matches.

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
        return likes, True
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
        return likes, True
    return [seg.id.in_(best), *likes], True


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


def _pg_conditions(db: Session, terms: list[str]) -> tuple[list[ColumnElement[bool]], bool] | None:
    """PostgreSQL: an ILIKE per term (pg_trgm's GIN index serves 3+ characters), and whether an index
    lookup narrowed the query to a few segments (else :func:`search` walks the newest calls).

    A 2-character term that the planner statistics do not call common (PG_WALK_ABOVE) first fetches the
    ids of its segments from the bigram index, cut off at FTS_MAX_CANDIDATES: none -> no hits; up to the
    limit -> the query is narrowed to those ids. A term of 3+ characters fetches its segment ids from the
    trigram index the same way. Otherwise (common terms, 1-character terms) nothing is narrowed. The
    bigram condition itself never goes into the main query: on a walk the planner would call
    qa_bigrams() row by row."""
    seg = TranscriptSegment
    conds: list[ColumnElement[bool]] = []
    narrowed: list[int] | None = None
    for t in terms:
        ids: list[int] | None = None
        if len(t) == 2 and _pg_bigram_estimate(db, t.lower()) <= PG_WALK_ABOVE:
            grams = bindparam("bigram", [t.lower()], type_=ARRAY(Text), unique=True)
            has = func.qa_bigrams(seg.text, type_=ARRAY(Text)).op("@>")(grams)
            ids = list(db.scalars(select(seg.id).where(has).limit(FTS_MAX_CANDIDATES + 1)))
        elif len(t) >= TRIGRAM:
            ids = _pg_trigram_ids(db, t)
        if ids is not None:
            if not ids:
                return None
            if len(ids) <= FTS_MAX_CANDIDATES and (narrowed is None or len(ids) < len(narrowed)):
                narrowed = ids
        conds.append(seg.text.ilike(_like_pattern(t), escape="\\"))
    if narrowed is not None:
        # the 2-character ILIKEs stay: cheap on these rows, and exact where lower() and ILIKE differ
        conds.insert(0, seg.id == any_(bindparam("ids", narrowed, type_=ARRAY(Integer), unique=True)))
    return conds, narrowed is not None


_PG_ILIKE_ESTIMATE = sql_text(
    "EXPLAIN (FORMAT JSON) SELECT id FROM transcript_segments WHERE text ILIKE :pattern ESCAPE '\\'"
)


def _pg_trigram_ids(db: Session, term: str) -> list[int] | None:
    """The ids of up to FTS_MAX_CANDIDATES + 1 segments containing ``term`` (3+ characters) through the
    pg_trgm index, or None when the planner expects it in more than PG_WALK_ABOVE segments (common: the
    walk finds a page sooner). The sequential scan is switched off for the lookup alone (SET LOCAL,
    restored right after): near the limit the row estimate moves with each ANALYZE, and reading every
    segment to collect a few thousand ids is the slow plan the walk exists to avoid."""
    seg = TranscriptSegment
    lookup = select(seg.id).where(seg.text.ilike(_like_pattern(term), escape="\\"))
    if db.scalar(_PG_ILIKE_ESTIMATE, {"pattern": _like_pattern(term)})[0]["Plan"]["Plan Rows"] > PG_WALK_ABOVE:
        return None
    with _pg_off(db, "enable_seqscan"):
        return list(db.scalars(lookup.limit(FTS_MAX_CANDIDATES + 1)))


@contextmanager
def _pg_off(db: Session, setting: str) -> Iterator[None]:
    """A planner method switched off for the statements inside (SET LOCAL), then restored."""
    was = db.scalar(sql_text("SELECT current_setting(:s)"), {"s": setting})
    db.execute(sql_text("SELECT set_config(:s, 'off', true)"), {"s": setting})
    try:
        yield
    finally:
        db.execute(sql_text("SELECT set_config(:s, :v, true)"), {"s": setting, "v": was})


def _walk(db: Session, visible: Select, stmt: Select, need: int) -> list:
    """PostgreSQL, common terms: the first ``need`` hit rows of ``stmt`` (newest call first), found by
    reading the newest visible calls in keyset batches (WALK_FIRST_BATCH calls, doubling up to
    WALK_MAX_BATCH) and matching only their segments. Unlike one ``ILIKE ... ORDER BY started_at LIMIT``,
    whose plan (walk the newest calls, or scan every segment and sort) follows the planner's row
    estimate, this costs about the same on every run."""
    order = (Call.started_at.desc(), Call.id.desc())
    rows: list = []
    cursor: tuple | None = None
    batch = WALK_FIRST_BATCH
    while len(rows) < need:
        q = visible.with_only_columns(Call.id, Call.started_at).order_by(*order).limit(batch)
        if cursor is not None:
            q = q.where(tuple_(Call.started_at, Call.id) < tuple_(*cursor))
        newest = db.execute(q).all()
        if not newest:
            break
        ids = bindparam("walk", [c.id for c in newest], type_=ARRAY(Integer), unique=True)
        batch_rows = stmt.where(TranscriptSegment.call_id == any_(ids)).limit(need - len(rows))
        rows.extend(db.execute(batch_rows).all())
        if len(newest) < batch:
            break
        cursor = (newest[-1].started_at, newest[-1].id)
        batch = min(2 * batch, WALK_MAX_BATCH)
    return rows


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
    found = _term_conditions(db, terms)
    if found is None:
        return SearchPage([], terms, page, per_page, False)
    conds, one_query = found
    stmt = stmt.where(*conds)
    if query.party in PARTIES:
        stmt = stmt.where(seg.party == query.party)
    stmt = stmt.order_by(Call.started_at.desc(), Call.id.desc(), seg.seg_no)
    skip = (page - 1) * per_page
    if one_query:
        rows = db.execute(stmt.offset(skip).limit(per_page + 1)).all()
    else:
        rows = _walk(db, visible, stmt, skip + per_page + 1)[skip:]
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
