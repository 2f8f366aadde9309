"""Transcript search service: index feeding, matching (trigram and short terms), filters, visibility,
paging, highlighting, redacted numbers; the reindex command; the same on PostgreSQL (``pg_url``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from qa_app.db.models import Call, TranscriptSegment, User
from qa_app.services import processing, search
from transcription.redact import redact_transcript
from transcription.types import Segment, Transcript

import factories

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def transcript(*lines: tuple[str, str]) -> Transcript:
    segs = tuple(
        Segment(i, 5.0 * i, 5.0 * i + 4, "S0" if role == "agent" else "S1", txt, role)
        for i, (role, txt) in enumerate(lines)
    )
    return Transcript("zh", 5.0 * len(lines), segs, speakers={"S0": "agent", "S1": "customer"})


@pytest.fixture
def world(db, settings):
    team_a, team_b = factories.create_team(db, "一组"), factories.create_team(db, "二组")
    agent_a = factories.create_agent(db, team=team_a, name="张三")
    agent_b = factories.create_agent(db, team=team_b, name="李四")
    call_a = factories.create_call(db, settings, agent_a, started_at=T0)
    call_b = factories.create_call(db, settings, agent_b, started_at=T0 + timedelta(days=3))
    processing.store_transcript(
        db,
        call_a,
        transcript(
            ("agent", "您好，请问有什么可以帮您？"),
            ("customer", "我家宽带故障了，一直连不上网。"),
            ("agent", "好的，我帮您查一下宽带故障的原因，请稍等。"),
            ("customer", "我要退款。"),
        ),
    )
    processing.store_transcript(
        db,
        call_b,
        transcript(
            ("agent", "您好，很高兴为您服务。"),
            ("customer", "上个月的话费能退款吗？"),
            ("agent", "可以的，退款会在三个工作日内到账。"),
        ),
    )
    admin = factories.create_user(db, "admin")
    db.commit()
    return {
        "a": call_a,
        "b": call_b,
        "agent_a": agent_a,
        "agent_b": agent_b,
        "admin": admin,
        "team_a": team_a,
    }


def run(db, user: User, text: str, **kw) -> list[tuple[int, int]]:
    page = search.search(db, user, search.SearchQuery(text=text, **kw))
    return [(h.call_id, h.seg_no) for h in page.hits]


def test_store_transcript_feeds_the_index_and_replaces_it(db, world):
    a = world["a"].id
    assert db.scalar(select(func.count()).where(TranscriptSegment.call_id == a)) == 4
    processing.store_transcript(db, world["a"], transcript(("agent", "只有一句。")))
    db.commit()
    rows = db.execute(
        select(TranscriptSegment.seg_no, TranscriptSegment.text).where(TranscriptSegment.call_id == a)
    )
    assert rows.all() == [(0, "只有一句。")]
    assert run(db, world["admin"], "宽带故障") == []  # the FTS index followed (triggers)


def test_phrases_of_any_length_newest_call_first(db, world):
    admin = world["admin"]
    a, b = world["a"].id, world["b"].id
    assert run(db, admin, "宽带故障") == [(a, 1), (a, 2)]  # trigram index
    assert run(db, admin, "退款") == [(b, 1), (b, 2), (a, 3)]  # 2 characters: no trigram, LIKE
    assert run(db, admin, "款") == [(b, 1), (b, 2), (a, 3)]
    assert run(db, admin, "您好") == [(b, 0), (a, 0)]
    assert run(db, admin, "退款 工作日") == [(b, 2)]  # all terms in one segment
    assert run(db, admin, "宽带故障 原因") == [(a, 2)]
    assert run(db, admin, "没有人说过这句话") == []
    assert run(db, admin, "   ") == []


def test_filters_party_date_team_agent(db, world):
    admin = world["admin"]
    a, b = world["a"].id, world["b"].id
    assert run(db, admin, "退款", party="customer") == [(b, 1), (a, 3)]
    assert run(db, admin, "退款", party="agent") == [(b, 2)]
    assert run(db, admin, "退款", date_from=T0 + timedelta(days=1)) == [(b, 1), (b, 2)]
    assert run(db, admin, "退款", date_to=T0 + timedelta(days=1)) == [(a, 3)]
    assert run(db, admin, "退款", team_id=world["team_a"].id) == [(a, 3)]
    assert run(db, admin, "退款", agent_id=world["agent_b"].id) == [(b, 1), (b, 2)]


def test_agent_never_gets_another_agents_hits(db, world):
    user_a = world["agent_a"].user
    a, b = world["a"].id, world["b"].id
    assert run(db, user_a, "退款") == [(a, 3)]
    assert run(db, user_a, "退款", agent_id=world["agent_b"].id) == []  # filtering by another agent
    assert run(db, user_a, "工作日") == []
    assert {c for c, _ in run(db, world["agent_b"].user, "您好")} == {b}
    unlinked = factories.create_user(db, "agent")  # an agent login with no agent record sees nothing
    assert run(db, unlinked, "您好") == []


def test_hit_fields_and_highlights(db, world):
    page = search.search(db, world["admin"], search.SearchQuery(text="宽带 原因"))
    (hit,) = page.hits
    assert (hit.call_id, hit.seg_no, hit.party, hit.start) == (world["a"].id, 2, "agent", 10.0)
    assert hit.employee_no == world["agent_a"].employee_no and hit.agent_name == "张三"
    assert hit.team_name == "一组" and hit.started_at == T0
    assert [p for p, marked in hit.pieces() if marked] == ["宽带", "原因"]
    assert "".join(p for p, _ in hit.pieces()) == hit.snippet == "好的，我帮您查一下宽带故障的原因，请稍等。"


def test_a_hits_cue_falls_inside_its_segment():
    """Links open the call at the start rounded up to 0.1 s: cut down (42.6 -> 42) it would fall in the line
    before, which the call page's player would mark and play."""
    cues = [search.Hit(1, 0, "agent", s, T0, "", "", "", "", ()).cue for s in (9.53, 42.6, 10.0, 0.0, 7.21)]
    assert cues == [9.6, 42.6, 10.0, 0.0, 7.3]


def test_snippet_cuts_long_text_around_the_match():
    long = "甲" * 300 + "宽带故障" + "乙" * 300
    text, marks = search.snippet(long, ["宽带故障"], width=60)
    assert text.startswith("…") and text.endswith("…") and len(text) == 62
    ((a, b),) = marks
    assert text[a:b] == "宽带故障"
    assert search.snippet("abc ABC", ["abc"]) == ("abc ABC", ((0, 3), (4, 7)))


def test_paging(db, world):
    admin = world["admin"]
    first = search.search(db, admin, search.SearchQuery(text="退款"), per_page=2)
    second = search.search(db, admin, search.SearchQuery(text="退款"), page=2, per_page=2)
    assert first.has_next and not second.has_next
    assert [(h.call_id, h.seg_no) for h in first.hits + second.hits] == run(db, admin, "退款")


def test_query_normalisation():
    assert search.parse_terms(" 寬帶  退款 退款 ") == ["宽带", "退款"]  # traditional -> simplified, dedupe
    assert search.parse_terms("ＡＢＣ") == ["ABC"]  # NFKC
    assert search.parse_terms("*** ＊＊ 卡号****") == ["卡号"]
    assert search.parse_terms("a b c d e f g") == ["a", "b", "c", "d", "e"]


def test_special_characters_are_literal(db, world):
    admin = world["admin"]
    for q in ('"', "%", "_", "\\", "宽带 OR 退款", 'NEAR("宽带")', "*", "'; drop table calls; --"):
        assert run(db, admin, q) == [], q


def test_redacted_numbers_are_not_searchable(db, world, settings):
    call = factories.create_call(db, settings, world["agent_a"], started_at=T0 - timedelta(days=1))
    said = transcript(
        ("customer", "我的手机号是13812345678，卡号是6222021234567890128。"),
        ("customer", "号码是幺三八一二三四五六七八，身份证号110101199003074514。"),
    )
    redacted, spans = redact_transcript(said)
    assert spans and "1381234" not in redacted.segments[0].text
    processing.store_transcript(db, call, redacted)
    db.commit()
    admin = world["admin"]
    for q in (
        "13812345678",
        "1381234",
        "138",
        "幺三八",
        "6222021234567890128",
        "110101",
        "*",
        "***",
        "＊＊＊",
    ):
        assert run(db, admin, q) == [], q
    assert run(db, admin, "手机号是") == [(call.id, 0)]  # the words around the number still are
    hit = search.search(db, admin, search.SearchQuery(text="手机号")).hits[0]
    assert "13812345678" not in hit.snippet and "*" in hit.snippet


def test_digits_are_found_exactly_where_redaction_left_them(db, world, settings):
    """The index holds the stored, redacted text: a run of digits is found if and only if redaction left it
    visible. 编号110101199003074515 fails the ID checksum but is ID-shaped, so it is masked completely
    (before the long-number policy in transcription/redact.py it was stored as 编号110101***********5)."""
    call = factories.create_call(db, settings, world["agent_a"], started_at=T0 - timedelta(days=2))
    redacted, _spans = redact_transcript(transcript(("customer", "编号110101199003074515，请核对。")))
    stored = redacted.segments[0].text
    assert stored == "编号******************，请核对。"
    processing.store_transcript(db, call, redacted)
    db.commit()
    for q in ("110101", "1101011990", "19900307", "074515", "编号1101"):
        visible_digits = q in stored
        assert (run(db, world["admin"], q) == [(call.id, 0)]) == visible_digits, (q, stored)
    assert run(db, world["admin"], "请核对") == [(call.id, 0)]


def test_reindex_backfills_rows_stored_before_the_index(db, world, runner):
    db.execute(text("DELETE FROM transcript_segments"))
    db.commit()
    assert run(db, world["admin"], "退款") == []
    result = runner.invoke(args=["reindex-transcripts", "--batch", "1"])
    assert result.exit_code == 0, result.output
    assert "indexed 2 transcript(s)" in result.output
    db.expire_all()
    assert len(run(db, world["admin"], "退款")) == 3
    assert len(run(db, world["admin"], "宽带故障")) == 2
    assert search.reindex(db, after_id=10**9) == (0, None)


def test_deleting_a_call_removes_its_hits(db, world):
    db.execute(text("DELETE FROM transcripts WHERE call_id = :c"), {"c": world["b"].id})
    db.execute(text("DELETE FROM calls WHERE id = :c"), {"c": world["b"].id})
    db.commit()
    assert run(db, world["admin"], "退款") == [(world["a"].id, 3)]
    assert (
        db.execute(
            text(
                "SELECT count(*) FROM transcript_segments_fts WHERE transcript_segments_fts MATCH '工作日内'"
            )
        ).scalar()
        == 0
    )


@pytest.fixture
def pg_db(pg_url, tmp_path, migrated_template):
    s = factories.make_settings(tmp_path / "pg", database_url=pg_url)
    app = factories.build_app(s, None)
    session = app.extensions["qa_sessionmaker"]()
    yield session, s
    session.close()
    factories.dispose(app)


def test_postgres_search(pg_db, monkeypatch):
    db, s = pg_db
    agent_a, agent_b = factories.create_agent(db), factories.create_agent(db)
    call_a = factories.create_call(db, s, agent_a, started_at=T0)
    call_b = factories.create_call(db, s, agent_b, started_at=T0 + timedelta(days=1))
    processing.store_transcript(
        db, call_a, transcript(("agent", "您好"), ("customer", "宽带故障，我要退款。"))
    )
    said, _ = redact_transcript(transcript(("customer", "我的手机号是13812345678。"), ("agent", "ABC退款")))
    processing.store_transcript(db, call_b, said)
    db.commit()
    admin = factories.create_user(db, "admin")
    assert run(db, admin, "宽带故障") == [(call_a.id, 1)]
    assert run(db, admin, "退款") == [(call_b.id, 1), (call_a.id, 1)]
    assert run(db, admin, "abc退款") == [(call_b.id, 1)]  # ILIKE
    assert run(db, admin, "AB") == [(call_b.id, 1)]  # 2 characters: the bigram index, case-insensitive
    assert run(db, admin, "鲸鱼") == [] and run(db, admin, "款") == [(call_b.id, 1), (call_a.id, 1)]
    assert run(db, admin, "退款", party="customer") == [(call_a.id, 1)]
    assert run(db, agent_a.user, "退款") == [(call_a.id, 1)]
    for q in ("13812345678", "138", "*", "%", "_"):
        assert run(db, admin, q) == [], q
    db.execute(text("ANALYZE transcript_segments"))
    assert run(db, admin, "退款") == [(call_b.id, 1), (call_a.id, 1)]  # with planner statistics
    monkeypatch.setattr(search, "PG_WALK_ABOVE", -1)  # every bigram "common": plain ILIKE
    assert run(db, admin, "退款") == [(call_b.id, 1), (call_a.id, 1)]
    assert run(db, admin, "鲸鱼") == []
    plan = "\n".join(
        db.execute(text("EXPLAIN SELECT id FROM transcript_segments WHERE text ILIKE '%宽带故障%'")).scalars()
    )
    assert "ix_transcript_segments_text_trgm" in plan or "Seq Scan" in plan  # tiny tables may seq-scan


def test_postgres_walk_of_the_newest_calls_finds_what_one_query_finds(pg_db, monkeypatch):
    """Common terms on PostgreSQL are found by reading the newest calls in keyset batches: with batches
    of one or two calls (many batches, calls at the same start time across a batch boundary) every
    page, filter and visibility gives the hits of the narrowed one-query path, in the same order."""
    db, s = pg_db
    agent_a, agent_b = factories.create_agent(db), factories.create_agent(db)
    lines = [("customer", "我要退款，宽带故障"), ("agent", "好的，退款马上处理"), ("customer", "谢谢")]
    for k in range(9):  # calls 3 and 4 start at the same time: the keyset cursor must keep both
        started = T0 + timedelta(hours=k if k != 4 else 3)
        call = factories.create_call(db, s, agent_a if k % 3 else agent_b, started_at=started)
        said = lines if k % 2 == 0 else [("agent", "您好"), ("customer", "没有问题")]
        processing.store_transcript(db, call, transcript(*said))
    db.commit()
    admin = factories.create_user(db, "admin")
    queries = [
        ("退款", {}),
        ("宽带故障", {}),
        ("退款 宽带", {}),
        ("款", {}),
        ("退款", {"party": "agent"}),
        ("退款", {"agent_id": agent_a.id}),
        ("鲸鱼", {}),
    ]

    def pages(user, q, kw):
        return [
            [
                (h.call_id, h.seg_no)
                for h in search.search(db, user, search.SearchQuery(text=q, **kw), page=p, per_page=2).hits
            ]
            for p in range(1, 7)
        ]

    want = {(q, str(kw)): pages(admin, q, kw) for q, kw in queries}
    own = pages(agent_a.user, "退款", {})
    assert want[("退款", "{}")][0] and sum(len(p) for p in want[("退款", "{}")]) == 10
    monkeypatch.setattr(search, "PG_WALK_ABOVE", -1)  # every term "common": the walk
    monkeypatch.setattr(search, "WALK_FIRST_BATCH", 1)
    monkeypatch.setattr(search, "WALK_MAX_BATCH", 2)
    for q, kw in queries:
        assert pages(admin, q, kw) == want[(q, str(kw))], (q, kw)
    assert pages(agent_a.user, "退款", {}) == own
    # the planner switches used by the lookups and the walk are restored within the transaction
    assert (
        db.scalar(text("SHOW enable_bitmapscan")) == "on" and db.scalar(text("SHOW enable_seqscan")) == "on"
    )
    assert all(
        h[0] in {c.id for c in db.scalars(select(Call).where(Call.agent_id == agent_a.id))}
        for p in own
        for h in p
    )


def test_common_phrases_switch_to_like_with_the_same_hits(db, world, monkeypatch):
    admin = world["admin"]
    want = {q: run(db, admin, q) for q in ("宽带故障", "宽带故障 原因", "退款 工作日", "您好，请问")}
    monkeypatch.setattr(search, "FTS_MAX_CANDIDATES", 1)  # every phrase is "common" now
    for q, hits in want.items():
        assert run(db, admin, q) == hits, q
    assert run(db, world["agent_b"].user, "宽带故障") == []


def test_short_terms_at_the_end_of_a_segment_and_one_character_segments(db, world, settings):
    call = factories.create_call(db, settings, world["agent_a"], started_at=T0 + timedelta(days=9))
    processing.store_transcript(
        db,
        call,
        transcript(("customer", "我要退款"), ("agent", "嗯"), ("customer", "OK好的"), ("agent", "鲸")),
    )
    db.commit()
    admin = world["admin"]
    c = call.id
    assert run(db, admin, "退款")[0] == (c, 0)  # no punctuation after the term
    assert run(db, admin, "款")[0] == (c, 0)
    assert run(db, admin, "嗯") == [(c, 1)]  # a one-character segment
    assert run(db, admin, "鲸") == [(c, 3)]
    assert run(db, admin, "ok") == [(c, 2)]  # case-insensitive
    assert run(db, admin, "k好") == [(c, 2)]
    assert run(db, admin, "鲸鱼") == []
    assert run(db, admin, "嗯 好的") == []  # both terms in one segment


def test_rows_changed_in_place_stay_searchable(db, world):
    """The update trigger keeps the FTS index (and its padding) in step with the table."""
    db.execute(
        text("UPDATE transcript_segments SET text = '改成了发票问题' WHERE call_id = :c AND seg_no = 3"),
        {"c": world["a"].id},
    )
    db.commit()
    assert run(db, world["admin"], "发票问题") == [(world["a"].id, 3)]
    assert run(db, world["admin"], "发票") == [(world["a"].id, 3)]
    assert run(db, world["admin"], "我要退款") == []
