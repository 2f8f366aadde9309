"""Test data factories: users, teams, agents and calls (with real, tiny audio) in the app's database.

Every factory commits, so the rows are visible to requests served by the app (another session).
Passwords are hashed with a cheap PBKDF2 setting (check_password_hash accepts any method) to keep
the suite fast; the production scrypt path is exercised by the admin create-user tests.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from qa_app.db.models import Agent, Call, Role, Team, User
from qa_app.demo.synth import tone
from qa_app.services import calls
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
