"""Transcript search at scale: 100k synthetic Chinese call transcripts (~20 segments each), SQLite and
PostgreSQL, the search service against the naive peer (LIKE over transcripts.search_text).

    .venv/bin/python bench/search.py [--transcripts 100000] [--repeat 21]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/search_dev] [--no-sqlite]

Each backend gets a fresh schema (SQLite: a temp file; PostgreSQL: a new schema, dropped afterwards)
migrated to head, seeded with the same data (executemany), then every query is run ``--repeat`` times
(warm cache) as the /search page runs it (first page of 20 hits) and as the naive peer would (first 20
calls whose search_text contains every term; it cannot filter by party). Prints p50 / p95 / worst and
the naive/indexed ratio, and writes bench/results/search.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from alembic import command  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402
from staff import seed_staff  # noqa: E402

from qa_app.cli import alembic_config  # noqa: E402
from qa_app.db.models import Call, TranscriptRecord, TranscriptSegment, User  # noqa: E402
from qa_app.db.session import make_engine, make_session_factory, optimize_database  # noqa: E402
from qa_app.services import calls, search  # noqa: E402

CITIES = "北京 上海 广州 深圳 杭州 南京 苏州 成都 重庆 武汉 西安 长沙 郑州 济南 青岛 沈阳 大连 哈尔滨 长春 天津 石家庄 太原 合肥 南昌 福州 厦门 南宁 昆明 贵阳 兰州 西宁 银川 呼和浩特 乌鲁木齐 拉萨 海口 三亚 宁波 温州 无锡 常州 佛山 东莞 珠海 中山 惠州 泉州 烟台 潍坊 洛阳".split()
PRODUCTS = "畅享套餐 流量包 宽带包年 亲情号 视频会员 来电提醒 国际漫游 家庭融合套餐 千兆宽带 云盘会员 彩铃 副卡 5G套餐 校园卡 固话".split()
SURNAMES = "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗".split()
AGENT_OPEN = [
    "您好，很高兴为您服务，请问有什么可以帮您？",
    "您好，这里是客服中心，工号{n}为您服务。",
    "您好，欢迎致电客户服务热线，请问您需要办理什么业务？",
]
CUSTOMER = [
    "我家的宽带从昨天开始就连不上了，一直显示宽带故障。",
    "我想查询一下上个月的话费账单。",
    "我的{product}怎么多扣了{amount}元？",
    "我要投诉，你们的维修师傅一直没有上门。",
    "请帮我退订{product}。",
    "我要退款，这个月被重复扣费了。",
    "我在{city}出差，手机一直没有信号。",
    "我想把{product}改成{product2}。",
    "网速特别慢，看视频一直卡。",
    "我的号码是不是欠费停机了？",
    "上次说{day}之前处理好，到现在还没有人联系我。",
    "你们的服务态度太差了，我要找你们领导。",
    "好的，那我等你们的电话。",
    "没有了，谢谢。",
    "光猫上的红灯一直在闪。",
    "我搬家到{city}了，宽带能不能移机？",
]
AGENT = [
    "好的，我帮您查询一下，请稍等。",
    "非常抱歉给您带来不便，我马上为您处理。",
    "我已经为您提交了维修工单，师傅会在{hours}小时内联系您。",
    "退款会在三到五个工作日内原路返回。",
    "请问是{surname}先生吗？麻烦您核对一下机主姓名。",
    "您的{product}已经退订成功，下个月生效。",
    "这边看到您的账户余额是{amount}元。",
    "建议您先重启一下光猫和路由器试试。",
    "您的问题我已经记录下来了，会尽快给您回复。",
    "{city}的网络正在升级，预计{day}恢复。",
    "请问还有其他可以帮您的吗？",
    "感谢您的来电，祝您生活愉快，再见。",
    "理解您的心情，我这边帮您加急处理。",
    "您的套餐每月包含{gb}G流量和{minutes}分钟通话。",
]
QUERIES = [  # (name, text, extra filters)
    ("3+ chars, common (维修工单)", "维修工单", {}),
    ("3+ chars, rare (乌鲁木齐 宽带)", "乌鲁木齐 宽带", {}),
    ("2 chars, common (退款)", "退款", {}),
    ("2 chars, mid (拉萨)", "拉萨", {}),
    ("2 chars, rare (网线)", "网线", {}),
    ("3+ chars + party=customer (宽带故障)", "宽带故障", {"party": "customer"}),
    ("2 chars + party=agent (抱歉)", "抱歉", {"party": "agent"}),
    ("3+ chars + agent filter (退订)", "退订成功", {"agent": True}),
    ("2 chars + agent filter (投诉)", "投诉", {"agent": True}),
    ("agent login, own calls (流量)", "流量", {"as_agent": True}),
    ("no hits, 3+ chars (量子纠缠)", "量子纠缠", {}),
    ("no hits, 2 chars (鲸鱼)", "鲸鱼", {}),
]


def _fill(rnd: random.Random, template: str) -> str:
    return template.format(
        n=rnd.randint(1000, 9999),
        product=rnd.choice(PRODUCTS),
        product2=rnd.choice(PRODUCTS),
        amount=rnd.randint(5, 300),
        city=rnd.choice(CITIES),
        day=f"{rnd.randint(1, 12)}月{rnd.randint(1, 28)}日",
        hours=rnd.choice((2, 4, 24, 48)),
        surname=rnd.choice(SURNAMES),
        gb=rnd.choice((10, 20, 30, 60, 100)),
        minutes=rnd.choice((100, 300, 500, 1000)),
    )


RARE = ["家里的猫把网线咬断了。", "我在国外留学，想开通国际漫游。", "孩子把手机掉进鱼缸里了。"]  # 1 in 5000 turns


def conversation(rnd: random.Random, n: int) -> list[tuple[str, str]]:
    lines = [("agent", _fill(rnd, rnd.choice(AGENT_OPEN)))]
    while len(lines) < n:
        said = rnd.choice(RARE) if rnd.random() < 0.0002 else _fill(rnd, rnd.choice(CUSTOMER))
        lines.append(("customer", said))
        lines.append(("agent", _fill(rnd, rnd.choice(AGENT))))
    return lines[:n]


def seed(engine, n_transcripts: int, n_segments: int) -> dict[str, object]:
    """Users, 10 teams, 300 agents, n calls each with a transcript and its segments (executemany)."""
    rnd = random.Random(11)
    factory = make_session_factory(engine)
    with factory() as db:
        admin, agent_user, agents = seed_staff(db, team_name="班组{}", agent_name="坐席{}")
        db.commit()
        agent_ids = [(a.id, a.team_id) for a in agents]
        ids = {"admin": admin.id, "agent_user": agent_user.id, "agent": agents[5].id}
    start = datetime(2026, 1, 1, tzinfo=UTC)
    chunk = 1000
    with engine.begin() as conn:
        for first in range(0, n_transcripts, chunk):
            call_rows, tr_rows, seg_rows = [], [], []
            for i in range(first, min(first + chunk, n_transcripts)):
                agent_id, team_id = agent_ids[rnd.randrange(len(agent_ids))]
                call_id = i + 1
                lines = conversation(rnd, n_segments)
                call_rows.append(
                    {
                        "id": call_id,
                        "agent_id": agent_id,
                        "team_id": team_id,
                        "started_at": start + timedelta(seconds=rnd.randrange(300 * 86400)),
                        "duration": 5.0 * n_segments,
                        "status": "ready",
                        "audio_sha256": f"{i:064x}",
                        "audio_path": f"audio/x/{i}.wav",
                        "audio_format": "wav",
                        "source": "import",
                        "created_at": start,
                    }
                )
                segs = [
                    {"id": k, "start": 5.0 * k, "end": 5.0 * k + 4.5, "speaker": role, "role": role, "text": t}
                    for k, (role, t) in enumerate(lines)
                ]
                tr_rows.append(
                    {
                        "call_id": call_id,
                        "language": "zh",
                        "data": {"language": "zh", "duration": 5.0 * n_segments, "segments": segs},
                        "search_text": "\n".join(t for _, t in lines),
                        "created_at": start,
                    }
                )
                seg_rows.extend(
                    {"call_id": call_id, "seg_no": k, "party": role, "start": 5.0 * k, "text": t}
                    for k, (role, t) in enumerate(lines)
                )
            conn.execute(insert(Call), call_rows)
            conn.execute(insert(TranscriptRecord), tr_rows)
            conn.execute(insert(TranscriptSegment), seg_rows)
    return ids


def naive(db, user, terms: list[str], flt: dict) -> list[int]:
    """The peer without an index: the first 20 visible calls whose search_text contains every term."""
    stmt = calls.visible_calls(db, user).join(TranscriptRecord, TranscriptRecord.call_id == Call.id)
    stmt = stmt.with_only_columns(Call.id)
    for t in terms:
        stmt = stmt.where(TranscriptRecord.search_text.like(search._like_pattern(t), escape="\\"))
    if flt.get("agent_id"):
        stmt = stmt.where(Call.agent_id == flt["agent_id"])
    return list(db.scalars(stmt.order_by(Call.started_at.desc(), Call.id.desc()).limit(20)))


def measure(fn, repeat: int) -> dict[str, float]:
    fn()  # warm up
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return {
        "p50": statistics.median(samples),
        "p95": samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))],
        "worst": samples[-1],
    }


def _seeded_ids(engine) -> dict[str, object] | None:
    """The ids of an already seeded database (--sqlite-path / --pg-schema given twice), else None."""
    with engine.connect() as conn:
        if not conn.dialect.has_table(conn, "transcript_segments") or not conn.scalar(
            text("SELECT count(*) FROM transcript_segments")
        ):
            return None
        users = dict(conn.execute(text("SELECT username, id FROM users")).all())
        agent = conn.scalar(text("SELECT id FROM agents WHERE employee_no = '00005'"))
    return {"admin": users["admin"], "agent_user": users["agent"], "agent": agent}


def run_backend(name: str, url: str, args: argparse.Namespace) -> dict[str, object]:
    engine = make_engine(url)
    pg = engine.dialect.name == "postgresql"
    ids = _seeded_ids(engine)
    reused = ids is not None
    t0 = time.perf_counter()
    if not reused:
        command.upgrade(alembic_config(url), "head")
        if pg:  # bulk load as one would: build the GIN indexes after the rows are in
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP INDEX ix_transcript_segments_text_trgm")
                conn.exec_driver_sql("DROP INDEX ix_transcript_segments_text_bigrams")
        ids = seed(engine, args.transcripts, args.segments)
    seeded = time.perf_counter() - t0
    t1 = time.perf_counter()
    with engine.begin() as conn:
        if pg and not reused:
            schema = conn.scalar(
                text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")
            )
            conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
            conn.exec_driver_sql(
                f"CREATE INDEX ix_transcript_segments_text_trgm ON transcript_segments USING gin (text {schema}.gin_trgm_ops)"
            )
            conn.exec_driver_sql(
                "CREATE INDEX ix_transcript_segments_text_bigrams ON transcript_segments USING gin (qa_bigrams(text))"
            )
            conn.exec_driver_sql("ANALYZE")
    index_build = time.perf_counter() - t1
    if not pg:  # the steady state: the bulk load's WAL checkpointed into the database file
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    optimize_database(engine)
    with engine.connect() as conn:
        if pg:
            size = conn.scalar(text("SELECT pg_database_size(current_database())"))
        else:
            size = Path(url.removeprefix("sqlite:///")).stat().st_size
    print(
        f"\n== {name}: {args.transcripts} transcripts x {args.segments} segments "
        + ("(reused)" if reused else f"seeded in {seeded:.0f} s")
        + ("" if reused else f", GIN indexes built in {index_build:.0f} s" if pg else " (FTS5 fed by the triggers)")
        + f"; database {size / 2**20:.0f} MiB"
    )
    factory = make_session_factory(engine)
    results = {}
    print(f"{'query':<40} {'hits':>4} {'p50':>8} {'p95':>8} {'worst':>8} | {'naive p50':>9} {'worst':>8} {'ratio':>7}")
    with factory() as db:
        admin = db.get(User, ids["admin"])
        agent_user = db.get(User, ids["agent_user"])
        for qname, qtext, extra in QUERIES:
            user = agent_user if extra.get("as_agent") else admin
            q = search.SearchQuery(
                text=qtext, party=extra.get("party"), agent_id=ids["agent"] if extra.get("agent") else None
            )
            hits = len(search.search(db, user, q).hits)
            fast = measure(lambda u=user, q=q: search.search(db, u, q), args.repeat)
            flt, terms = {"agent_id": q.agent_id}, search.parse_terms(qtext)
            slow = measure(lambda u=user, t=terms, f=flt: naive(db, u, t, f), args.naive_repeat)
            ratio = slow["p50"] / fast["p50"] if fast["p50"] else float("inf")
            results[qname] = {"hits": hits, "indexed_ms": fast, "naive_ms": slow, "ratio_p50": ratio}
            print(
                f"{qname:<40} {hits:>4} {fast['p50']:8.1f} {fast['p95']:8.1f} {fast['worst']:8.1f} | "
                f"{slow['p50']:9.1f} {slow['worst']:8.1f} {ratio:6.1f}x"
            )
    engine.dispose()
    return {"seed_s": round(seeded, 1), "index_build_s": round(index_build, 1), "db_mib": round(size / 2**20), "queries": results}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transcripts", type=int, default=100_000)
    ap.add_argument("--segments", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=21, help="timed runs of each indexed query")
    ap.add_argument("--naive-repeat", type=int, default=5, help="timed runs of each naive query")
    ap.add_argument("--pg-url", default=None, help="also run on this PostgreSQL database (a scratch schema)")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--sqlite-path", default=None, help="keep (and reuse when seeded) this SQLite file")
    ap.add_argument("--pg-schema", default=None, help="keep (and reuse when seeded) this PostgreSQL schema")
    args = ap.parse_args()
    report: dict[str, object] = {"transcripts": args.transcripts, "segments": args.segments}
    if not args.no_sqlite:
        path = args.sqlite_path or f"{tempfile.mkdtemp(prefix='qa-search-bench-')}/bench.sqlite3"
        report["sqlite"] = run_backend("SQLite (FTS5 trigram)", f"sqlite:///{path}", args)
    if args.pg_url:
        schema = args.pg_schema or f"bench_search_{uuid.uuid4().hex[:8]}"
        admin_engine = create_engine(args.pg_url)
        with admin_engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        sep = "&" if "?" in args.pg_url else "?"
        url = f"{args.pg_url}{sep}options=-csearch_path%3D{schema}"
        try:
            report["postgresql"] = run_backend("PostgreSQL (pg_trgm GIN)", url, args)
        finally:
            if not args.pg_schema:
                with admin_engine.begin() as conn:
                    conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin_engine.dispose()
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "search.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
