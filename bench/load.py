"""Load test at provincial volume: a seeded PostgreSQL database, the app under gunicorn on loopback,
concurrent logged-in users and API clients, and the ingestion throughput of ``POST /api/calls``.

    .venv/bin/python bench/load.py [--calls 200000] [--evaluations 1000000] [--segments 20]
        [--db qa_load] [--pg-admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--keep-db] [--fresh] [--seed-only] [--workers 4] [--users 20] [--duration 120]
        [--max-requests 20000] [--think 1.0] [--uploads 200] [--upload-clients 4] [--json OUT]

1. **Seed** (skipped when ``--db`` already holds a seeded world and ``--fresh`` is not given): creates the
   database, migrates it to head, runs the demo seed's people (``seed-demo`` without history or audio:
   the logins qa_li, lead_chen, agent01 … with the demo password) and adds teams, agents and
   ``--calls`` calls over the last 180 days with their transcripts (``--segments`` turns: a demo
   dialogue with generated turns in the middle, so every call's text differs), search segments, an
   automated scorecard and ``--evaluations`` evaluations in all (the current machine evaluation, older
   machine evaluations the re-scores superseded, human reviews on ~15% of calls with their history,
   a few drafts). The scorecards are real: each call takes the card of one of a pool of dialogue
   variants scored by the engine at the start. Rows go in with COPY; the search GIN indexes are built
   after the rows, then ANALYZE.
2. **Serve**: ``gunicorn wsgi:app`` with ``--workers`` sync workers on a free loopback port, the
   database URL in ``QA_DATABASE_URL``, a temporary instance directory.
3. **Drive** ``--users`` concurrent users (threads; each its own logged-in session or API token):
   reviewers (calls list with filters, deep pages, transcript search, the review page of random calls,
   call pages), team leads (calls list, dashboards, search), agents (their own calls, search) and API
   clients (``GET /api/calls/<id>``), each waiting ``--think`` seconds on average between requests
   (0: back to back). Stops after ``--duration`` seconds or ``--max-requests`` requests.
4. **Ingest**: ``--uploads`` recordings posted to ``POST /api/calls`` by ``--upload-clients`` clients
   (a real speech clip with one sample changed per upload so each is new; every tenth upload is a
   truncated file, which must be refused): accepted, refused, throughput.

Prints p50 / p95 / p99 / max per endpoint, errors, throughput, CPU seconds of the server (gunicorn +
PostgreSQL backends) and of this client, the load average, and writes bench/results/load.json.
The database is dropped at the end unless ``--keep-db`` (then a re-run reuses it: no re-seeding).
Nothing is left running: gunicorn is stopped in a ``finally``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(Path(__file__).resolve().parent)]

import requests  # noqa: E402
import search as search_bench  # noqa: E402  (bench/search.py: the generated dialogue lines)
from alembic import command  # noqa: E402
from sqlalchemy import create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from qa_app.cli import alembic_config  # noqa: E402
from qa_app.db.models import Agent, Team, User  # noqa: E402
from qa_app.db.session import make_engine, make_session_factory  # noqa: E402
from qa_app.demo.scripts import DEMO_SCRIPTS  # noqa: E402
from qa_app.services import authentication, demo, evaluations, rubrics  # noqa: E402
from qa_app.settings import Settings  # noqa: E402
from transcription.types import Segment, Transcript  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date.today()
DAYS = 180
N_TEAMS = 24  # + the demo's two
AGENTS_PER_TEAM = 25
POOL = 240  # dialogue variants scored by the engine
SECRET = "load-bench-secret"
REVIEWERS = ("qa_li", "qa_zhao")
LOGIN = {"reviewer": "qa_li", "lead": "lead_chen", "agent": "agent01"}
QUEUES = ("宽带报障", "账单查询", "套餐变更", "投诉处理", "携号转网")


# --- seeding ------------------------------------------------------------------------------------------


def _pg_url(admin_url: str, db: str) -> str:
    return make_url(admin_url).set(database=db).render_as_string(hide_password=False)


def _admin(admin_url: str, sql: str) -> None:
    eng = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            conn.exec_driver_sql(sql)
    finally:
        eng.dispose()


def _db_exists(admin_url: str, name: str) -> bool:
    eng = create_engine(admin_url)
    try:
        with eng.connect() as conn:
            return bool(conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}))
    finally:
        eng.dispose()


def _seeded(url: str) -> dict | None:
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            if not conn.dialect.has_table(conn, "load_bench_state"):
                return None
            return json.loads(conn.scalar(text("SELECT info FROM load_bench_state")))
    finally:
        eng.dispose()


def _dialogue(script, rnd: random.Random, fillers: int) -> list[tuple[str, str, float]]:
    """(role, text, pause) turns: the script's opening, ``fillers`` generated exchanges, its ending."""
    turns = [(t.role, t.text, t.pause_before) for t in script.turns]
    head, tail = turns[:3], turns[3:]
    middle = []
    for _ in range(fillers):
        middle.append(("customer", search_bench._fill(rnd, rnd.choice(search_bench.CUSTOMER)), 0.5))
        middle.append(("agent", search_bench._fill(rnd, rnd.choice(search_bench.AGENT)), 0.6))
    return head + middle + tail


def _transcript(turns: list[tuple[str, str, float]]) -> Transcript:
    segs, t = [], 0.5
    for i, (role, said, pause) in enumerate(turns):
        t += pause
        dur = max(1.0, len(said) / 4.2)
        segs.append(
            Segment(
                i, round(t, 2), round(t + dur, 2), "SPEAKER_0" if role == "agent" else "SPEAKER_1", said, role
            )
        )
        t += dur
    return Transcript(
        language="zh",
        duration=round(t + 1.0, 2),
        segments=tuple(segs),
        speakers={"SPEAKER_0": "agent", "SPEAKER_1": "customer"},
        role_confidence=0.93,
    )


def _refill(
    turns: list[tuple[str, str, float]], rnd: random.Random, first: int, n: int
) -> list[tuple[str, str, float]]:
    """The same dialogue shape with fresh generated lines in the middle (each call's own text)."""
    out = list(turns)
    for k in range(first, first + n):
        role = out[k][0]
        pool = search_bench.CUSTOMER if role == "customer" else search_bench.AGENT
        said = (
            rnd.choice(search_bench.RARE)
            if role == "customer" and rnd.random() < 0.0002
            else search_bench._fill(rnd, rnd.choice(pool))
        )
        out[k] = (role, said, out[k][2])
    return out


def _pool(db, segments: int) -> tuple[list[dict], int]:
    """POOL dialogue variants, each scored by the real engine against the default rubric."""
    from qa_app.jobs.backends import default_scorer

    scorer = default_scorer()
    version = rubrics.default_version(db)
    rubric = rubrics.to_domain(version, strict=False)
    scales = {c.id: c.scale for c in rubric.criteria()}
    scripts = [s for s in DEMO_SCRIPTS if s.language == "zh"]
    rnd = random.Random(5)
    pool = []
    for i in range(POOL):
        script = scripts[i % len(scripts)]
        fillers = max(0, (segments - len(script.turns)) // 2)
        turns = _dialogue(script, rnd, fillers)
        card = scorer(_transcript(turns), rubric).to_dict()
        machine = evaluations.machine_items(card["criteria"], scales)
        human = {
            cid: {**it, "comment": "", "reason": "", "overridden": False, "earned": it.get("points")}
            for cid, it in machine.items()
        }
        pool.append(
            {
                "turns": turns,
                "filler_first": 3,
                "fillers": 2 * fillers,
                "card": json.dumps(card, ensure_ascii=False),
                "total": card["total"],
                "critical_failed": bool(card["critical_failed"]),
                "needs_review": sum(1 for c in card["criteria"] if c.get("needs_review")),
                "machine_items": json.dumps(machine, ensure_ascii=False),
                "human_items": json.dumps(human, ensure_ascii=False),
                "queue": script.queue,
            }
        )
    return pool, version.id


def _copy(raw, table: str, cols: tuple[str, ...], rows) -> int:
    n = 0
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
            n += 1
    return n


def seed(url: str, args: argparse.Namespace) -> dict:
    """Migrate and fill the database (see the module docstring); returns what was made and how long."""
    t0 = time.perf_counter()
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with engine.begin() as conn:  # bulk load as one would: the GIN indexes after the rows
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_transcript_segments_text_trgm")
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_transcript_segments_text_bigrams")
    tmp = Path(tempfile.mkdtemp(prefix="qa-load-seed-"))  # the seed's instance dir (nothing is written there)
    settings = Settings.from_env(
        {"QA_DATABASE_URL": url, "QA_INSTANCE_DIR": str(tmp), "QA_SECRET_KEY": SECRET}
    )
    factory = make_session_factory(engine)
    rnd = random.Random(2026)
    with factory() as db:
        demo.seed(db, settings, audio=False, history=False, today=TODAY)
        db.commit()
        users = {u.username: u for u in db.scalars(select(User))}
        leads = [users["lead_chen"].id, users["coach_wang"].id, None]
        team_rows = [
            {
                "name": f"班组{i + 3:02d} Team {i + 3}",
                "lead_user_id": leads[i % 3],
                "active": True,
                "created_at": datetime(2024, 1, 1, tzinfo=UTC),
            }
            for i in range(N_TEAMS)
        ]
        db.execute(insert(Team), team_rows)
        teams = list(db.scalars(select(Team.id).order_by(Team.id)))
        agent_rows = []
        for i in range(N_TEAMS * AGENTS_PER_TEAM):
            tenure = rnd.choice((30, 60, 120, 200, 400, 800, 1500)) + rnd.randrange(30)
            agent_rows.append(
                {
                    "employee_no": f"L{i:05d}",
                    "name": f"{rnd.choice(search_bench.SURNAMES)}{i}",
                    "team_id": teams[2 + i // AGENTS_PER_TEAM],
                    "hire_date": TODAY - timedelta(days=tenure),
                    "active": True,
                    "created_at": datetime(2024, 1, 1, tzinfo=UTC),
                }
            )
        db.execute(insert(Agent), agent_rows)
        db.commit()
        agents = [(a.id, a.team_id, a.hire_date) for a in db.scalars(select(Agent).order_by(Agent.id))]
        reviewer_ids = [users[u].id for u in REVIEWERS]
        agent_user = {a.id: a.user_id for a in db.scalars(select(Agent))}
        pool, version_id = _pool(db, args.segments)
    t_pool = time.perf_counter()

    n = args.calls
    first_day = TODAY - timedelta(days=DAYS)
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection
        with pg.cursor() as cur:  # a bulk load: the rows are consistent by construction, skip FK triggers
            cur.execute("SET session_replication_role = replica")
        counts: dict[str, int] = {}
        # calls + scorecards + transcripts + segments, one pass (the same random choices for all four)
        plan = []  # per call: (agent_id, team_id, started, pool index, status, duration)
        for _ in range(n):
            aid, tid, hired = agents[rnd.randrange(len(agents))]
            day = first_day + timedelta(days=rnd.randrange(DAYS))
            day = max(day, hired)
            minute = rnd.randrange(8 * 60 + 30, 20 * 60 + 30)
            local = datetime.combine(day, dtime(minute // 60, minute % 60, rnd.randrange(60)), TZ)
            started = local.astimezone(UTC).replace(tzinfo=None)
            r = rnd.random()
            status = "ready" if r < 0.985 else ("failed" if r < 0.995 else "queued")
            plan.append((aid, tid, started, rnd.randrange(POOL), status))
        call_cols = (
            "id", "agent_id", "team_id", "started_at", "duration", "direction", "queue", "customer_ref_hash",
            "channel_layout", "language", "status", "failure_reason", "audio_sha256", "audio_path",
            "audio_format", "audio_bytes", "original_filename", "source", "auto_score", "wait_seconds",
            "hold_seconds", "wrap_seconds", "csat", "nps", "resolved", "created_at",
        )  # fmt: skip
        seg_rows: list = []
        tr_rows: list = []

        def calls_rows():
            for i, (aid, tid, started, p, status) in enumerate(plan, start=1):
                v = pool[p]
                ready = status == "ready"
                yield (
                    i, aid, tid, started, 60.0 + rnd.random() * 600, "inbound" if rnd.random() < 0.9 else "outbound",
                    v["queue"], f"{rnd.randrange(n // 2):064x}", "mono", "zh", status,
                    "ffmpeg could not decode the file" if status == "failed" else None,
                    f"{i:064x}", f"audio/{i % 256:02x}/load-{i}.wav", "wav", 96_000, f"load-{i}.wav", "import",
                    round(v["total"], 2) if ready and v["total"] is not None else None,
                    float(min(300, round(rnd.expovariate(1 / 11)))), float(round(rnd.uniform(0, 90))),
                    float(round(rnd.uniform(15, 60))), rnd.choice((None, None, 3, 4, 5, 5, 2)),
                    rnd.choice((None, None, None, 9, 10, 7, 3)), rnd.random() < 0.85, started + timedelta(minutes=3),
                )  # fmt: skip

        counts["calls"] = _copy(pg, "calls", call_cols, calls_rows())
        card_cols = (
            "id",
            "call_id",
            "rubric_version_id",
            "total",
            "critical_failed",
            "needs_review",
            "data",
            "created_at",
        )
        counts["auto_scorecards"] = _copy(
            pg,
            "auto_scorecards",
            card_cols,
            (
                (
                    i,
                    i,
                    version_id,
                    pool[p]["total"],
                    pool[p]["critical_failed"],
                    pool[p]["needs_review"],
                    pool[p]["card"],
                    started + timedelta(minutes=8),
                )
                for i, (_a, _t, started, p, status) in enumerate(plan, start=1)
                if status == "ready"
            ),
        )

        def transcripts():
            srnd = random.Random(99)
            seg_id = 0
            for i, (_a, _t, started, p, status) in enumerate(plan, start=1):
                if status != "ready":
                    continue
                v = pool[p]
                turns = _refill(v["turns"], srnd, v["filler_first"], v["fillers"])
                tr = _transcript(turns)
                data = tr.to_dict()
                data["call_id"] = str(i)
                tr_rows.append(
                    (
                        i,
                        i,
                        "zh",
                        json.dumps(data, ensure_ascii=False),
                        "\n".join(s.text for s in tr.segments),
                        0.93,
                        started + timedelta(minutes=7),
                    )
                )
                for s in tr.segments:
                    seg_id += 1
                    seg_rows.append((seg_id, i, s.id, s.role, s.start, s.text))
                if len(tr_rows) >= 5000:
                    yield

        tr_cols = ("id", "call_id", "language", "data", "search_text", "role_confidence", "created_at")
        seg_cols = ("id", "call_id", "seg_no", "party", "start", "text")
        counts["transcripts"] = counts["transcript_segments"] = 0
        for _ in (*transcripts(), None):
            counts["transcripts"] += _copy(pg, "transcripts", tr_cols, tr_rows)
            counts["transcript_segments"] += _copy(pg, "transcript_segments", seg_cols, seg_rows)
            tr_rows.clear()
            seg_rows.clear()

        # evaluations: per ready call the current machine one, older machine ones (superseded by
        # re-scores) to reach --evaluations, human reviews on ~15% (more on complaint risk), drafts on 1%
        ready = [(i, row) for i, row in enumerate(plan, start=1) if row[4] == "ready"]
        humans = {i for i, row in ready if rnd.random() < (0.3 if pool[row[3]]["needs_review"] else 0.1)}
        drafts = {i for i, _row in ready if rnd.random() < 0.01 and i not in humans}
        extra = max(0, args.evaluations - len(ready) - len(humans) - len(drafts))
        per_call, frac = divmod(extra, max(1, len(ready)))
        ev_cols = (
            "id", "call_id", "rubric_version_id", "rater_type", "rater_id", "purpose", "state", "total",
            "critical_failed", "items", "comments", "summary", "auto_scorecard_id", "superseded",
            "submitted_at", "released_at", "closed_at", "updated_at", "version", "created_at",
        )  # fmt: skip
        evt_cols = ("evaluation_id", "at", "actor_id", "action", "state_from", "state_to", "note", "snapshot")
        events: list = []

        def eval_rows():
            eid = 0
            erng = random.Random(7)
            for i, (aid, _t, started, p, _s) in ready:
                v = pool[p]
                scored = started + timedelta(minutes=8)
                old = per_call + (1 if erng.random() * len(ready) < frac else 0)
                for k in range(old):  # re-scores: the earlier machine evaluations, superseded
                    eid += 1
                    at = scored - timedelta(days=k + 1)
                    yield (eid, i, version_id, "machine", None, "review", "submitted", v["total"], v["critical_failed"], v["machine_items"], "[]", "", i, True, at, None, None, at, 1, at)  # fmt: skip
                eid += 1
                released = not v["critical_failed"] and not v["needs_review"]
                yield (eid, i, version_id, "machine", None, "review", "released" if released else "submitted", v["total"], v["critical_failed"], v["machine_items"], "[]", "", i, i in humans, scored, scored if released else None, None, scored, 1, scored)  # fmt: skip
                events.append((eid, scored, None, "created", None, "submitted", "", "{}"))
                if i in humans:
                    eid += 1
                    who = reviewer_ids[erng.randrange(len(reviewer_ids))]
                    when = scored + timedelta(hours=erng.uniform(4, 72))
                    ack = agent_user.get(aid) is not None and erng.random() < 0.6
                    state = "acknowledged" if ack else "released"
                    yield (eid, i, version_id, "human", who, "review", state, v["total"], v["critical_failed"], v["human_items"], "[]", "", i, False, when, when, when + timedelta(days=1) if ack else None, when, 1, when - timedelta(minutes=12))  # fmt: skip
                    events.append(
                        (eid, when - timedelta(minutes=12), who, "created", None, "draft", "", "{}")
                    )
                    events.append((eid, when, who, "submitted", "draft", "submitted", "", "{}"))
                    events.append((eid, when, who, "released", "submitted", "released", "", "{}"))
                if i in drafts:
                    eid += 1
                    when = scored + timedelta(hours=erng.uniform(4, 72))
                    yield (eid, i, version_id, "human", reviewer_ids[1], "review", "draft", v["total"], v["critical_failed"], v["human_items"], "[]", "", i, False, None, None, None, when, 1, when)  # fmt: skip
                    events.append((eid, when, reviewer_ids[1], "created", None, "draft", "", "{}"))

        counts["evaluations"] = _copy(pg, "evaluations", ev_cols, eval_rows())
        counts["evaluation_events"] = _copy(pg, "evaluation_events", evt_cols, events)
        counts["human_reviews"] = len(humans)
        with pg.cursor() as cur:
            for table in ("calls", "auto_scorecards", "transcripts", "transcript_segments", "evaluations"):
                sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                cur.execute(sql)
        pg.commit()
    finally:
        raw.close()
    t_rows = time.perf_counter()
    with engine.begin() as conn:
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
    t_index = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    t_done = time.perf_counter()
    info = {
        "counts": counts,
        "seconds": {
            "people_and_scored_pool": round(t_pool - t0, 1),
            "rows_copy": round(t_rows - t_pool, 1),
            "gin_indexes": round(t_index - t_rows, 1),
            "vacuum_analyze": round(t_done - t_index, 1),
            "total": round(t_done - t0, 1),
        },
        "seeded_on": TODAY.isoformat(),
    }
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE load_bench_state (info text)")
        conn.execute(text("INSERT INTO load_bench_state VALUES (:i)"), {"i": json.dumps(info)})
    engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    return info


def issue_token(url: str) -> str:
    """A fresh API token for the admin (only its hash is stored, so each run makes one)."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as db:
            admin = db.scalar(select(User).where(User.username == "admin"))
            token = authentication.issue_api_token(db, admin, actor=admin)
            db.commit()
            return token
    finally:
        engine.dispose()


def world(url: str) -> dict:
    """Ids the users pick from: teams, agents, agent01's id, the call id range."""
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            teams = list(conn.scalars(text("SELECT id FROM teams ORDER BY id")))
            agents = list(conn.scalars(text("SELECT id FROM agents ORDER BY id")))
            top = conn.scalar(text("SELECT max(id) FROM calls"))
            lead_teams = list(
                conn.scalars(
                    text(
                        "SELECT t.id FROM teams t JOIN users u ON u.id = t.lead_user_id WHERE u.username = 'lead_chen'"
                    )
                )
            )
            size = conn.scalar(text("SELECT pg_database_size(current_database())"))
        return {"teams": teams, "agents": agents, "top_call": top, "lead_teams": lead_teams, "db_bytes": size}
    finally:
        eng.dispose()


# --- server ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    url: str, workers: int, instance: Path, app_dir: Path = REPO
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "QA_DATABASE_URL": url,
        "QA_INSTANCE_DIR": str(instance),
        "QA_SECRET_KEY": SECRET,
        "QA_MAX_UPLOAD_MB": "20",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--timeout", "120",
         "--log-level", "warning", "wsgi:app"],
        cwd=app_dir, env=env, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {proc.returncode}")
            try:
                if requests.get(base + "/login", timeout=30).status_code == 200:
                    return proc, base
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise SystemExit("gunicorn did not answer within 180 s")
    except BaseException:
        stop_server(proc)
        raise


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _proc_cpu(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return total


def server_pids(proc: subprocess.Popen) -> list[int]:
    out = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def pg_backend_cpu(url: str) -> float:
    """CPU seconds so far of the PostgreSQL backends serving this database (server side of the queries)."""
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            pids = list(
                conn.scalars(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            )
    finally:
        eng.dispose()
    return _proc_cpu(pids)


# --- users ----------------------------------------------------------------------------------------------


def login(base: str, username: str) -> requests.Session:
    s = requests.Session()
    page = s.get(base + "/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    if token is None:
        raise SystemExit("no CSRF token on the login page")
    r = s.post(base + "/login", data={"csrf_token": token.group(1), "username": username, "password": demo.DEMO_PASSWORD}, allow_redirects=False)  # fmt: skip
    if r.status_code != 302:
        raise SystemExit(f"login of {username} failed: {r.status_code}")
    return s


def _month(rnd: random.Random) -> str:
    end = TODAY - timedelta(days=rnd.randrange(0, DAYS - 30))
    return f"from={(end - timedelta(days=30)).isoformat()}&to={end.isoformat()}"


SEARCH_TERMS = {
    "search 3+ chars common (维修工单)": "维修工单",
    "search 2 chars common (退款)": "退款",
    "search 2 chars mid (拉萨)": "拉萨",
    "search 2 chars rare (网线)": "网线",
    "search absent 3+ (量子纠缠)": "量子纠缠",
    "search absent 2 (鲸鱼)": "鲸鱼",
    "search 1 char (猫)": "猫",
}


def actions(role: str, w: dict, with_dashboards: bool = True) -> list[tuple[float, str, callable]]:
    """(weight, endpoint name, rnd -> path) for one kind of user; ``with_dashboards`` False leaves out the
    statistics pages (the dashboards and the home page's cohort headline)."""
    teams, agents, top = w["teams"], w["agents"], w["top_call"]
    lists = [
        (3, "calls list, newest", lambda r: "/calls/"),
        (2, "calls list, team + month", lambda r: f"/calls/?team={r.choice(teams)}&{_month(r)}"),
        (2, "calls list, agent by score", lambda r: f"/calls/?agent={r.choice(agents)}&sort=score"),
        (1, "calls list, needs review", lambda r: "/calls/?flag=needs_review"),
        (1, "calls list, not reviewed, month", lambda r: f"/calls/?review=not_reviewed&{_month(r)}"),
        (1, "calls list, deep page", lambda r: f"/calls/?page={r.randrange(100, 4000)}"),
        (1, "calls list, failed by duration", lambda r: "/calls/?status=failed&sort=duration"),
    ]
    searches = [(1, name, lambda r, q=q: f"/search?q={q}") for name, q in SEARCH_TERMS.items()]
    searches.append((1, "search 2 chars + team (投诉)", lambda r: f"/search?q=投诉&team={r.choice(teams)}"))
    dashboards = [
        (1, f"dashboard {p}", lambda r, p=p: f"/dashboards/{p}")
        for p in ("", "trends", "criteria", "cohorts", "coverage", "complaints", "kpis")
    ]
    if role == "reviewer":
        return [
            *lists,
            *searches,
            (6, "review page", lambda r: f"/calls/{r.randrange(1, top + 1)}/review"),
            (3, "call page", lambda r: f"/calls/{r.randrange(1, top + 1)}"),
        ]
    if role == "lead":
        return (
            [*lists, *searches, *dashboards, (1, "home", lambda r: "/")]
            if with_dashboards
            else [*lists, *searches]
        )
    if role == "agent":
        return [
            (3, "agent: own calls", lambda r: "/calls/"),
            (1, "agent: own calls page 3", lambda r: "/calls/?page=3"),
            (2, "agent: search own (流量)", lambda r: "/search?q=流量"),
            *([(1, "agent: home", lambda r: "/")] if with_dashboards else []),
        ]
    return [(1, "API GET /api/calls/<id>", lambda r: f"/api/calls/{r.randrange(1, top + 1)}")]


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.count = 0

    def add(self, name: str, ms: float, status: int, ok: bool) -> None:
        with self.lock:
            self.samples[name].append(ms)
            self.statuses[name][status] += 1
            if not ok:
                self.errors[name] += 1
            self.count += 1


def user_loop(
    dashboards: bool,
    role: str,
    base: str,
    w: dict,
    token: str,
    rec: Recorder,
    stop: threading.Event,
    seed: int,
    think: float,
    max_requests: int,
) -> None:
    rnd = random.Random(seed)
    if role == "api":
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {token}"
    else:
        s = login(base, LOGIN[role])
    menu = actions(role, w, dashboards)
    weights = [a[0] for a in menu]
    while not stop.is_set():
        _w, name, path = rnd.choices(menu, weights)[0]
        url = base + path(rnd)
        t = time.perf_counter()
        try:
            r = s.get(url, timeout=120, allow_redirects=False)
            status = r.status_code
        except requests.RequestException:
            status = 0
        ms = (time.perf_counter() - t) * 1000
        # a random call may be someone's own (403 review) or unready: those are answers, not errors
        ok = (
            status in (200, 403, 404)
            if name in ("review page", "call page") or name.startswith("API")
            else status == 200
        )
        rec.add(name, ms, status, ok)
        if rec.count >= max_requests:
            stop.set()
        if think > 0:
            stop.wait(rnd.uniform(0.5 * think, 1.5 * think))


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))]


def drive(
    base: str, url: str, w: dict, token: str, args: argparse.Namespace, server: subprocess.Popen
) -> dict:
    n = args.users
    roles = ["reviewer"] * round(n * 0.4) + ["lead"] * round(n * 0.2) + ["agent"] * round(n * 0.2)
    roles += ["api"] * (n - len(roles))
    rec, stop = Recorder(), threading.Event()
    threads = [
        threading.Thread(
            target=user_loop,
            args=(not args.no_dashboards, role, base, w, token, rec, stop, k, args.think, args.max_requests),
            daemon=True,
        )
        for k, role in enumerate(roles)
    ]
    pids = server_pids(server)
    cpu0, pg0, me0 = _proc_cpu(pids), pg_backend_cpu(url), os.times()
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    stop.wait(args.duration)
    stop.set()
    for th in threads:
        th.join(timeout=150)
    wall = time.perf_counter() - t0
    me1 = os.times()
    out = {
        "users": dict(sorted({r: roles.count(r) for r in roles}.items())),
        "think_s": args.think,
        "wall_s": round(wall, 1),
        "requests": rec.count,
        "throughput_rps": round(rec.count / wall, 1),
        "errors": sum(rec.errors.values()),
        "server_cpu_s": round(_proc_cpu(pids) - cpu0, 1),
        "postgres_cpu_s": round(pg_backend_cpu(url) - pg0, 1),
        "client_cpu_s": round((me1.user - me0.user) + (me1.system - me0.system), 1),
        "loadavg": os.getloadavg(),
        "endpoints": {},
    }
    for name in sorted(rec.samples):
        xs = rec.samples[name]
        out["endpoints"][name] = {
            "n": len(xs),
            "p50": round(statistics.median(xs), 1),
            "p95": round(pct(xs, 95), 1),
            "p99": round(pct(xs, 99), 1),
            "max": round(max(xs), 1),
            "errors": rec.errors.get(name, 0),
            "statuses": dict(rec.statuses[name]),
        }
    return out


def solo(
    base: str, w: dict, token: str, repeat: int, server: subprocess.Popen, url: str, dashboards: bool
) -> dict:
    """Each endpoint ``repeat`` times in a row by one user (no concurrency): its wall time on this
    (shared) machine and its CPU time in gunicorn + the PostgreSQL backends, which a busy machine does
    not inflate (requests are sequential, so the CPU is theirs)."""
    out: dict = {}
    rnd = random.Random(1)
    pids = server_pids(server)
    for role in ("reviewer", "lead", "agent", "api"):
        if role == "api":
            s = requests.Session()
            s.headers["Authorization"] = f"Bearer {token}"
        else:
            s = login(base, LOGIN[role])
        for _w, name, path in actions(role, w, dashboards):
            if name in out:
                continue
            xs = []
            cpu0 = _proc_cpu(pids) + pg_backend_cpu(url)
            for _ in range(repeat):
                t = time.perf_counter()
                s.get(base + path(rnd), timeout=300, allow_redirects=False)
                xs.append((time.perf_counter() - t) * 1000)
            cpu = (_proc_cpu(pids) + pg_backend_cpu(url) - cpu0) * 1000 / repeat
            out[name] = {
                "p50": round(statistics.median(xs), 1),
                "max": round(max(xs), 1),
                "cpu_ms": round(cpu),
            }
            print(
                f"solo {name:<38} p50 {out[name]['p50']:8.1f}  max {out[name]['max']:8.1f} ms  CPU {cpu:6.0f} ms"
            )
    return out


# --- ingestion ------------------------------------------------------------------------------------------


def _clip() -> bytes:
    """A real speech clip (the demo's synthesized voice is not needed: a test fixture WAV)."""
    for p in (
        REPO.parent / "shared/eval/zh_asr/BAC009S0764W0121.wav",
        REPO / "tests/fixtures/speech/zh_short.wav",
    ):
        if p.exists():
            return p.read_bytes()
    import numpy as np
    import soundfile as sf

    buf = io.BytesIO()
    t = np.arange(16000 * 4) / 16000
    sf.write(
        buf,
        (0.2 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype("float32"),
        16000,
        format="WAV",
        subtype="PCM_16",
    )
    return buf.getvalue()


def ingest(base: str, token: str, args: argparse.Namespace) -> dict:
    clip = bytearray(_clip())
    header = clip.find(b"data") + 8  # PCM WAV: change samples of the data chunk (a new recording each time)
    lock = threading.Lock()
    todo = list(range(args.uploads))
    nonce = random.SystemRandom().randrange(1, 60000)  # new bytes on every run (a kept db dedupes by sha256)
    results: list[tuple[int, int, float]] = []
    unexpected: list[str] = []

    def client(k: int) -> None:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {token}"
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop()
            body = bytearray(clip)
            pos = header + 2 + 2 * (i % ((len(body) - header) // 2 - 1))
            body[pos : pos + 2] = (i % 60000 + 1).to_bytes(2, "little")
            body[header : header + 2] = nonce.to_bytes(2, "little")
            if i % 10 == 9:
                body = body[: len(body) // 50]  # truncated: must be refused
            form = {
                "employee_no": "L00001",
                "started_at": "2026-11-28T10:00:00+08:00",
                "queue": "宽带报障",
                "csat": "4",
            }
            t = time.perf_counter()
            r = s.post(
                base + "/api/calls",
                data=form,
                files={"audio": (f"upload-{i}.wav", bytes(body), "audio/wav")},
                timeout=120,
            )
            with lock:
                results.append((i, r.status_code, (time.perf_counter() - t) * 1000))
                if (i % 10 == 9) != (r.status_code == 400) or r.status_code not in (201, 400):
                    unexpected.append(f"upload {i}: {r.status_code} {r.text[:300]}")

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(args.upload_clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    accepted = [r for r in results if r[1] == 201]
    refused = [r for r in results if r[1] == 400]
    wrong = [r for r in results if (r[0] % 10 == 9) != (r[1] == 400) or r[1] not in (201, 400)]
    ms = [r[2] for r in results]
    return {
        "uploads": len(results),
        "clients": args.upload_clients,
        "bytes_each": len(clip),
        "accepted_201": len(accepted),
        "refused_400": len(refused),
        "unexpected": len(wrong),
        "unexpected_examples": unexpected[:5],
        "wall_s": round(wall, 1),
        "uploads_per_s": round(len(results) / wall, 1),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(pct(ms, 95), 1),
        "max_ms": round(max(ms), 1),
    }


# --- main -----------------------------------------------------------------------------------------------


def print_report(report: dict) -> None:
    load = report.get("load")
    if load:
        print(
            f"\n{load['requests']} requests in {load['wall_s']} s ({load['throughput_rps']} req/s), "
            f"{load['errors']} errors; users {load['users']}, think {load['think_s']} s"
        )
        print(
            f"CPU s: gunicorn {load['server_cpu_s']}, PostgreSQL backends {load['postgres_cpu_s']}, "
            f"client {load['client_cpu_s']}; load average {tuple(round(x, 2) for x in load['loadavg'])}"
        )
        print(f"{'endpoint':<38} {'n':>5} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'err':>4}")
        for name, e in load["endpoints"].items():
            print(
                f"{name:<38} {e['n']:>5} {e['p50']:8.1f} {e['p95']:8.1f} {e['p99']:8.1f} {e['max']:8.1f} {e['errors']:>4}"
            )
    ing = report.get("ingest")
    if ing:
        print(
            f"\nPOST /api/calls: {ing['uploads']} uploads by {ing['clients']} clients in {ing['wall_s']} s = "
            f"{ing['uploads_per_s']}/s; accepted {ing['accepted_201']}, refused {ing['refused_400']}, "
            f"unexpected {ing['unexpected']}; p50 {ing['p50_ms']} p95 {ing['p95_ms']} max {ing['max_ms']} ms"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=200_000)
    ap.add_argument("--evaluations", type=int, default=1_000_000, help="evaluations in all (machine + human)")
    ap.add_argument("--segments", type=int, default=20, help="turns per transcript")
    ap.add_argument("--db", default="qa_load", help="the PostgreSQL database to seed (created)")
    ap.add_argument("--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--fresh", action="store_true", help="drop the database first even if it is seeded")
    ap.add_argument(
        "--keep-db", action="store_true", help="keep the database afterwards (a re-run reuses it)"
    )
    ap.add_argument("--seed-only", action="store_true")
    ap.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--duration", type=float, default=120.0, help="seconds of load")
    ap.add_argument("--max-requests", type=int, default=20_000)
    ap.add_argument(
        "--think", type=float, default=1.0, help="mean seconds between a user's requests (0: none)"
    )
    ap.add_argument("--uploads", type=int, default=200, help="POST /api/calls uploads (0: skip)")
    ap.add_argument("--upload-clients", type=int, default=4)
    ap.add_argument("--app-dir", type=Path, default=REPO, help="serve this code tree (e.g. ../main: before)")
    ap.add_argument(
        "--no-dashboards",
        action="store_true",
        help="leave the statistics pages out (the lists, search, review)",
    )
    ap.add_argument("--solo", type=int, default=3, help="first, each endpoint this many times by one user")
    ap.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "load.json")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    url = _pg_url(args.pg_admin_url, args.db)
    report: dict = {"args": {k: str(v) for k, v in vars(args).items()}, "uptime_before": os.getloadavg()}
    print(f"load average before: {os.getloadavg()}")
    if args.fresh and _db_exists(args.pg_admin_url, args.db):
        _admin(args.pg_admin_url, f'DROP DATABASE "{args.db}" WITH (FORCE)')
    info = _seeded(url) if _db_exists(args.pg_admin_url, args.db) else None
    server = None
    instance = Path(tempfile.mkdtemp(prefix="qa-load-instance-"))
    try:
        if info is None:
            if _db_exists(args.pg_admin_url, args.db):
                _admin(args.pg_admin_url, f'DROP DATABASE "{args.db}" WITH (FORCE)')
            _admin(
                args.pg_admin_url,
                f"CREATE DATABASE \"{args.db}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'",
            )
            info = seed(url, args)
            print(f"seeded: {info['counts']}\n  seconds: {info['seconds']}")
        else:
            print(
                f"reusing {args.db}: {info['counts']} (seeded in {info['seconds']['total']} s on {info['seeded_on']})"
            )
        report["seed"] = info
        w = world(url)
        report["db_mib"] = round(w["db_bytes"] / 2**20)
        print(f"database {report['db_mib']} MiB")
        if args.seed_only:
            return 0
        token = issue_token(url)
        server, base = start_server(url, args.workers, instance, args.app_dir)
        if args.solo:
            report["solo"] = solo(base, w, token, args.solo, server, url, not args.no_dashboards)
        if args.users and args.duration > 0:
            report["load"] = drive(base, url, w, token, args, server)
        if args.uploads:
            report["ingest"] = ingest(base, token, args)
        report["uptime_after"] = os.getloadavg()
        print_report(report)
    finally:
        if server is not None:
            stop_server(server)
        shutil.rmtree(instance, ignore_errors=True)  # the uploads' audio and the server's instance files
        if not args.keep_db and _db_exists(args.pg_admin_url, args.db):
            _admin(args.pg_admin_url, f'DROP DATABASE "{args.db}" WITH (FORCE)')
            print(f"dropped {args.db} (--keep-db keeps it)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
