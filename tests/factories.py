"""Test support for the app suite: app/settings builders, CSRF + login helpers, and data factories
(users, teams, agents and calls with real, tiny audio) in the app's database.

The helpers live here rather than in conftest.py so test modules can import them unambiguously
(several conftest.py files exist under tests/).

Every factory commits, so the rows are visible to requests served by the app (another session).
Passwords are hashed with a cheap PBKDF2 setting (check_password_hash accepts any method) to keep
the suite fast; the production scrypt path is exercised by the admin create-user tests.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from qa_app.app import create_app
from qa_app.cli import alembic_config
from qa_app.db.models import Agent, Call, Role, Team, User
from qa_app.demo.synth import tone
from qa_app.services import authentication, calls
from qa_app.settings import Settings

DEFAULT_PASSWORD = "Correct-Horse-42"
FAST_HASH = "pbkdf2:sha256:1000"
ROLES = tuple(r.value for r in Role)

_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def create_user(
    db: Session,
    role: str = Role.ADMIN,
    *,
    username: str | None = None,
    password: str = DEFAULT_PASSWORD,
    active: bool = True,
    display_name: str | None = None,
    locale: str | None = None,
) -> User:
    username = username or f"{role}{_n()}"
    user = User(
        username=username,
        display_name=display_name or f"{role.title()} {username}",
        password_hash=generate_password_hash(password, method=FAST_HASH),
        role=str(role),
        active=active,
        locale=locale,
    )
    db.add(user)
    db.commit()
    return user


def create_team(db: Session, name: str | None = None, *, lead: User | None = None) -> Team:
    team = Team(name=name or f"班组{_n()}", lead_user_id=lead.id if lead else None)
    db.add(team)
    db.commit()
    return team


def create_agent(
    db: Session,
    *,
    team: Team | None = None,
    user: User | None = None,
    employee_no: str | None = None,
    name: str | None = None,
    hire_date: date | None = None,
    with_user: bool = True,
    active: bool = True,
) -> Agent:
    """An agent (坐席); by default linked to a fresh login account with the agent role."""
    team = team or create_team(db)
    if user is None and with_user:
        user = create_user(db, Role.AGENT)
    n = _n()
    agent = Agent(
        employee_no=employee_no or f"E{n:05d}",
        name=name or f"坐席{n}",
        team_id=team.id,
        user_id=user.id if user else None,
        hire_date=hire_date or date.today() - timedelta(days=400),
        active=active,
    )
    db.add(agent)
    db.commit()
    return agent


def make_wav(
    path: Path, *, seconds: float = 1.0, freq: float | None = None, channels: int = 1, sample_rate: int = 8000
) -> Path:
    """A small real WAV; a distinct ``freq`` gives distinct bytes (calls are deduplicated by hash)."""
    return tone(
        seconds, path, sample_rate, freq=freq if freq is not None else 300.0 + _n(), channels=channels
    )


def create_call(
    db: Session,
    settings: Settings,
    agent: Agent,
    *,
    seconds: float = 1.0,
    started_at: datetime | None = None,
    actor: User | None = None,
    channel_layout: str = "mono",
    queue: str = "",
    freq: float | None = None,
    direction: str = "inbound",
) -> Call:
    """Ingest a generated tone through the real intake path (calls.ingest)."""
    tmp = settings.instance_dir / "factory-audio"
    wav = make_wav(
        tmp / f"call-{_n()}.wav", seconds=seconds, freq=freq, channels=1 if channel_layout == "mono" else 2
    )
    meta = calls.CallMeta(
        agent_id=agent.id,
        started_at=started_at or datetime.now(UTC) - timedelta(hours=_n()),
        channel_layout=channel_layout,
        queue=queue,
        direction=direction,
    )
    with wav.open("rb") as fh:
        result = calls.ingest(db, settings, fh, filename=wav.name, meta=meta, actor=actor)
    db.commit()
    wav.unlink()
    return result.call


# --- app / settings / HTTP helpers ----------------------------------------------------------------------


SECRET_KEY = "test-secret-key-not-for-production"

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class SuiteDatabase:
    """Which database the app fixtures use: SQLite files (default) or, with ``QA_TEST_DATABASE=postgres``
    and ``QA_TEST_POSTGRES_URL``, a PostgreSQL database per app.

    The PostgreSQL databases come from a pool: one database is migrated per session (the template), a pool
    database is cloned from it (``CREATE DATABASE ... TEMPLATE``) only when no emptied one is free, and when
    the fixture scope that took it ends (tests/conftest.py) its connections are closed, every table is
    emptied with its sequences reset and ``alembic_version`` gets the head back (DELETE with foreign-key triggers off: ~20 ms
    for a test's rows, where a clone or a TRUNCATE costs 0.3-2 s on a busy server)."""

    template: str | None = None  # name of the migrated template database (PostgreSQL runs only)
    free: list[str] = []  # emptied pool databases
    taken: list[str] = []  # pool databases in use, in the order they were taken
    everything: list[str] = []  # every pool database (dropped at the end of the session)
    migrated: set[str] = set()  # URLs already at head (build_app skips migrating)
    revisions: list[str] = []  # the template's alembic_version rows (restored when a database is emptied)

    @staticmethod
    def wanted() -> bool:
        return os.environ.get("QA_TEST_DATABASE", "sqlite").strip().lower() in ("postgres", "postgresql")

    @classmethod
    def _engine(cls, name: str | None = None, **kw: object):
        from sqlalchemy import create_engine

        base = _pg_base_url()
        assert base, "QA_TEST_DATABASE=postgres needs QA_TEST_POSTGRES_URL"
        return create_engine(cls._url(name) if name else base, **kw)

    @classmethod
    def _url(cls, name: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(_pg_base_url()).set(database=name).render_as_string(hide_password=False)

    @classmethod
    def _admin(cls, sql: str, **params: object) -> None:
        from sqlalchemy import text

        admin = cls._engine(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(sql), params)
        admin.dispose()

    @classmethod
    def create_template(cls) -> None:
        name = f"qa_tpl_{os.getpid()}"
        cls._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cls._admin(f'CREATE DATABASE "{name}"')
        migrate(cls._url(name))
        cls.template = name
        engine = cls._engine(name)
        with engine.connect() as conn:
            cls.revisions = list(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
        engine.dispose()

    @classmethod
    def acquire(cls) -> str:
        """The URL of an empty migrated database of the pool (cloned when none is free)."""
        if cls.free:
            name = cls.free.pop()
        else:
            name = f"qa_t_{os.getpid()}_{len(cls.everything) + 1}"
            cls._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cls._admin(f'CREATE DATABASE "{name}" TEMPLATE "{cls.template}"')
            cls.everything.append(name)
        cls.taken.append(name)
        url = cls._url(name)
        cls.migrated.add(url)
        return url

    @classmethod
    def _empty(cls, name: str) -> None:
        from sqlalchemy import text

        cls._admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()",
            name=name,
        )
        engine = cls._engine(name)
        with engine.begin() as conn:
            tables = conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
            seqs = conn.execute(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
            ).scalars()
            # names from the catalogue, not from input
            deletes = "".join(f'DELETE FROM "{t}";\n' for t in tables)  # noqa: S608
            resets = "".join(f"SELECT setval('\"{q}\"', 1, false);\n" for q in seqs)
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica;\n" + deletes + resets)
            for revision in cls.revisions:  # a test may have moved it (readiness tests do)
                conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:r)"), {"r": revision})
        engine.dispose()

    @classmethod
    def release_since(cls, mark: int) -> None:
        """Empty the databases taken since ``len(taken)`` was ``mark`` and put them back in the pool."""
        names, cls.taken[mark:] = cls.taken[mark:], []
        for name in names:
            cls._empty(name)
            cls.free.append(name)

    @classmethod
    def drop_all(cls) -> None:
        for name in [*cls.everything, *([cls.template] if cls.template else [])]:
            cls._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cls.free, cls.taken, cls.everything, cls.template = [], [], [], None


def make_settings(base: Path, **overrides: object) -> Settings:
    base.mkdir(parents=True, exist_ok=True)
    if SuiteDatabase.template and "database_url" not in overrides:
        overrides["database_url"] = SuiteDatabase.acquire()
    settings = Settings(
        database_url=f"sqlite:///{base / 'qa.sqlite3'}",
        secret_key=SECRET_KEY,
        data_dir=base / "data",
        instance_dir=base / "instance",
        testing=True,
        login_max_failures=5,
        login_window_minutes=15,
    )
    return settings.with_overrides(**overrides) if overrides else settings


def alembic_cfg(url: str):
    """The app's Alembic config plus ``path_separator`` (alembic.ini lacks it: a DeprecationWarning that
    test_migrations.py::test_alembic_config_emits_no_warning reports on its own)."""
    cfg = alembic_config(url)
    if cfg.get_main_option("path_separator") is None:
        cfg.set_main_option("path_separator", "os")
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_cfg(url), revision)


def build_app(settings: Settings, template: Path | None) -> Flask:
    """Create the app on a migrated database (copy of the template for SQLite, migrations otherwise)."""
    if settings.database_url.startswith("sqlite:///") and template is not None:
        target = Path(settings.database_url.removeprefix("sqlite:///"))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, target)
        for suffix in ("-wal", "-shm"):
            src = Path(f"{template}{suffix}")
            if src.exists():
                shutil.copyfile(src, Path(f"{target}{suffix}"))
    elif settings.database_url not in SuiteDatabase.migrated:
        migrate(settings.database_url)
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    return create_app(settings)


def dispose(app: Flask) -> None:
    app.extensions["qa_engine"].dispose()


def new_session(app: Flask) -> Session:
    return app.extensions["qa_sessionmaker"]()


def extract_csrf(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no csrf_token field in the page"
    return m.group(1) or m.group(2)


def csrf_token(client: FlaskClient, url: str = "/login") -> str:
    """Fetch a page that renders a form (every page has the language form) and return its CSRF token."""
    resp = client.get(url, follow_redirects=True)
    return extract_csrf(resp.get_data(as_text=True))


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, username: str, password: str = DEFAULT_PASSWORD, next_url: str | None = None):
        token = csrf_token(self._client, "/login")
        url = "/login" if next_url is None else "/login?" + urlencode({"next": next_url})
        return self._client.post(url, data={"username": username, "password": password, "csrf_token": token})

    def logout(self):
        token = csrf_token(self._client, "/")
        return self._client.post("/logout", data={"csrf_token": token})


def post_form(client: FlaskClient, url: str, data: dict | None = None, *, token_from: str = "/login", **kw):
    """POST with a valid CSRF token (read from ``token_from``)."""
    payload = dict(data or {})
    payload["csrf_token"] = csrf_token(client, token_from)
    return client.post(url, data=payload, **kw)


def post_multipart(client: FlaskClient, url: str, fields: dict, files: list[tuple[str, bytes, str]], **kw):
    """POST multipart/form-data encoded in memory.

    (The test client spools bodies over 500 KB to a TemporaryFile it never closes: a ResourceWarning,
    i.e. an error under filterwarnings=error. Encoding the body ourselves avoids that.)
    """
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    values = MultiDict(list(fields.items()))
    for field, content, name in files:
        values.add(
            field, FileStorage(io.BytesIO(content), filename=name, content_type="application/octet-stream")
        )
    boundary, body = encode_multipart(values)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}", **kw)


def logged_in_client(
    app: Flask, username: str, password: str = DEFAULT_PASSWORD, *, lang: str | None = None
) -> FlaskClient:
    """A new client logged in as ``username``; ``lang="en"`` also switches the UI to English (to assert
    on WTForms' own messages, which are translated once the catalogs are compiled)."""
    c = app.test_client()
    resp = AuthActions(c).login(username, password)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    if lang is not None:
        assert c.post(f"/lang/{lang}", data={"csrf_token": csrf_token(c)}).status_code == 302
    return c


def data_files(settings: Settings) -> list[Path]:
    """Every regular file under the data dir (audio/, tmp/, ...)."""
    if not settings.data_dir.exists():
        return []
    return sorted(p for p in settings.data_dir.rglob("*") if p.is_file())


@dataclass
class Intake:
    """An app with an uploader (web client reading the English UI, and an API token) and one agent: the
    harness of the upload tests, through the web form and POST /api/calls."""

    app: Flask
    settings: Settings
    client: FlaskClient
    token: str
    agent: Agent

    def count(self, model) -> int:  # noqa: ANN001
        with self.app.extensions["qa_sessionmaker"]() as s:
            return s.scalar(select(func.count()).select_from(model))

    def calls(self) -> list[Call]:
        with self.app.extensions["qa_sessionmaker"]() as s:
            return list(s.scalars(select(Call).order_by(Call.id)))

    def web(
        self,
        files: list[tuple[bytes, str]],
        *,
        agent_id: int | None = None,
        layout: str = "mono",
        fields: dict[str, str] | None = None,
    ):
        """The upload form; ``fields`` adds or replaces form fields (e.g. the optional KPI fields)."""
        data = {
            "agent_id": str(agent_id if agent_id is not None else self.agent.id),
            "started_at": "2026-11-20T09:30",
            "direction": "inbound",
            "channel_layout": layout,
            "language": "zh",
            "queue": "宽带",
            "csrf_token": csrf_token(self.client),
            **(fields or {}),
        }
        return post_multipart(self.client, "/calls/upload", data, [("audio", b, name) for b, name in files])

    def api(
        self,
        content: bytes,
        name: str,
        *,
        employee_no: str | None = None,
        layout: str = "mono",
        fields: dict[str, str] | None = None,
    ):
        """POST /api/calls with the token; ``fields`` adds or replaces form fields."""
        data = {
            "employee_no": employee_no or self.agent.employee_no,
            "started_at": "2026-11-20T09:30:00+08:00",
            "channel_layout": layout,
            **(fields or {}),
        }
        return post_multipart(
            self.app.test_client(),
            "/api/calls",
            data,
            [("audio", content, name)],
            headers={"Authorization": f"Bearer {self.token}"},
        )


def intake_site(settings: Settings, template: Path | None) -> Intake:
    """An :class:`Intake` on a new app built from ``settings`` (dispose of ``.app`` afterwards)."""
    app = build_app(settings, template)
    db = app.extensions["qa_sessionmaker"]()
    uploader = create_user(db, "qa_reviewer")
    agent = create_agent(db)
    token = authentication.issue_api_token(db, uploader, actor=uploader)
    db.commit()
    db.close()
    # the web client reads the English UI (the test cases name English words of the messages)
    return Intake(app, settings, logged_in_client(app, uploader.username, lang="en"), token, agent)


def _pg_base_url() -> str | None:
    url = os.environ.get("QA_TEST_POSTGRES_URL", "").strip()
    if not url:
        return None
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _with_search_path(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", f"-csearch_path={schema}"))
    return urlunsplit(parts._replace(query=urlencode(query)))


def create_scored_call(db: Session, settings: Settings, agent: Agent, *, transcript=None, **kw) -> Call:
    """A call taken through the real transcript and scoring stages (fake speech, lexicon scorer): it has
    a transcript, an automated scorecard and the machine's evaluation."""
    from qa_app.db.models import CallStatus
    from qa_app.services import processing, rubrics

    from fakes import lexicon_scorer, make_transcript

    call = create_call(db, settings, agent, **kw)
    rubrics.ensure_default(db)
    processing.store_transcript(db, call, transcript or make_transcript())
    processing.score_call(db, call, lexicon_scorer())
    call.status = CallStatus.READY
    db.commit()
    return call


def create_evaluated_call(
    db: Session,
    agent: Agent,
    results: dict[str, str],
    *,
    started_at: datetime | None = None,
    queue: str = "",
    duration: float = 60.0,
    human: dict[str, str] | None = None,
    reviewer: User | None = None,
    role_confidence: float | None = 0.9,
    text_chars: int | None = 300,
    evidence: dict[str, tuple[float, float, str]] | None = None,
    unreliable: bool | None = None,
) -> Call:
    """A call row with a transcript record and its machine evaluation (``results``: criterion -> pass /
    fail / na), plus a completed human review when ``human`` is given (it supersedes the machine's, as
    evaluations.submit does). No audio file and no scoring run: fast enough for hundreds of calls in the
    coaching statistics tests. ``text_chars=None`` stores no transcript. The transcript-reliability verdict
    is stored as the scorer would (``unreliable`` forces it either way)."""
    import uuid

    from qa_app.db.models import CallStatus, EvalState, Evaluation, RaterType, TranscriptRecord
    from qa_app.services import rubrics
    from rubrics.messages import msg
    from scoring.reliability import TranscriptFacts, assess

    version = rubrics.ensure_default(db)
    call = Call(
        agent_id=agent.id,
        team_id=agent.team_id,
        started_at=started_at or datetime.now(UTC) - timedelta(hours=_n()),
        duration=duration,
        queue=queue,
        status=CallStatus.READY,
        audio_sha256=uuid.uuid4().hex * 2,
        audio_path="audio/missing.wav",
        audio_format="wav",
        source="demo",
    )
    if unreliable is None:
        # the verdict the scorer would have stored (scoring.reliability), on a plausible number of turns
        facts = TranscriptFacts(
            duration,
            has_transcript=text_chars is not None,
            role_confidence=role_confidence,
            turns=0 if text_chars is None else max(2, int(duration // 10)),
            text_chars=text_chars or 0,
        )
        reasons = assess(facts)
    else:
        reasons = (msg("reliability.low_logprob", value=-1.5, limit=-1.0),) if unreliable else ()
    call.transcript_unreliable = bool(reasons)
    call.transcript_reasons = [m.to_dict() for m in reasons]
    db.add(call)
    db.flush()
    if text_chars is not None:
        db.add(
            TranscriptRecord(
                call_id=call.id,
                language="zh",
                data={},
                search_text="好" * text_chars,
                role_confidence=role_confidence,
            )
        )

    def items(answers: dict[str, str]) -> dict:
        out = {}
        for cid, result in answers.items():
            ev = (evidence or {}).get(cid)
            out[cid] = {
                "result": result,
                "points": None,
                "machine_result": results.get(cid),
                "evidence": [{"start": ev[0], "end": ev[1], "text": ev[2], "segment": 0}] if ev else [],
            }
        return out

    db.add(
        Evaluation(
            call_id=call.id,
            rubric_version_id=version.id,
            rater_type=RaterType.MACHINE,
            state=EvalState.SUBMITTED,
            items=items(results),
            superseded=human is not None,
        )
    )
    if human is not None:
        db.add(
            Evaluation(
                call_id=call.id,
                rubric_version_id=version.id,
                rater_type=RaterType.HUMAN,
                rater_id=reviewer.id if reviewer else None,
                state=EvalState.RELEASED,
                items=items({**results, **human}),
            )
        )
    db.commit()
    return call


def create_sampling_plan(db: Session, name: str | None = None, **kw):
    """A weekly sampling plan (1 random call per agent unless ``kw`` says otherwise)."""
    from qa_app.services import sampling
    from scoring.sampling import Rules

    data = {
        "name": name or f"抽检计划{_n()}",
        "period": "week",
        "random_per_agent": 1,
        "rules": Rules(),
        **kw,
    }
    plan = sampling.create_plan(db, sampling.PlanInput(**data), actor=None)
    db.commit()
    return plan


def create_assignment(db: Session, call: Call, reviewer: User, plan=None, *, due_in_days: float = 3, **kw):  # noqa: ANN001
    """A review assignment of ``call`` in ``reviewer``'s queue (as a sampling run would make it)."""
    from qa_app.db.base import utcnow
    from qa_app.db.models import ReviewAssignment

    row = ReviewAssignment(
        call_id=call.id,
        reviewer_id=reviewer.id,
        plan_id=plan.id if plan is not None else None,
        period=kw.pop("period", "2026-W47"),
        reasons=kw.pop("reasons", ["random"]),
        due_at=utcnow() + timedelta(days=due_in_days),
        **kw,
    )
    db.add(row)
    db.commit()
    return row
