"""Accounts: authentication with throttling, users, teams, agents, API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from qa_app.db.base import utcnow
from qa_app.db.models import Agent, AuditEvent, Role, Team, User
from qa_app.services import audit
from qa_app.services.errors import Conflict, Invalid, NotFound

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
# Werkzeug's scrypt (n=2**15, r=8, p=1): memory-hard, no extra dependency.
_HASH_METHOD = "scrypt"
IP_FACTOR = 4  # failures from one address allowed = IP_FACTOR x the per-username limit
_DUMMY_HASH = generate_password_hash("not-a-real-password", method=_HASH_METHOD)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=_HASH_METHOD)


def check_password_strength(password: str) -> None:
    if len(password) < 10:
        raise Invalid("accounts.password_too_short", field="password", min=10)
    if password.isdigit() or password.isalpha():
        raise Invalid("accounts.password_mixed", field="password")


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    throttled: bool = False


def authenticate(
    db: Session, username: str, password: str, *, ip: str, max_failures: int, window_minutes: int
) -> LoginResult:
    """Check credentials; throttle after ``max_failures`` failures per username (x IP_FACTOR per IP)."""
    since = utcnow() - timedelta(minutes=window_minutes)
    recent = (
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "login_failed", AuditEvent.at >= since)
    )
    by_user = db.scalar(recent.where(AuditEvent.username == username)) or 0
    # Per address the limit is higher: a whole office may sit behind one NAT address.
    by_ip = (db.scalar(recent.where(AuditEvent.ip == ip)) or 0) if ip else 0
    if by_user >= max_failures or by_ip >= max_failures * IP_FACTOR:
        audit.record(db, "login_throttled", username=username, ip=ip)
        return LoginResult(None, throttled=True)
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)  # same work either way: no username oracle
        audit.record(db, "login_failed", username=username, ip=ip, reason="unknown user")
        return LoginResult(None)
    if not check_password_hash(user.password_hash, password) or not user.active:
        audit.record(
            db, "login_failed", user=user, ip=ip, reason="inactive" if user.active is False else "password"
        )
        return LoginResult(None)
    user.last_login_at = utcnow()
    audit.record(db, "login", user=user, ip=ip)
    return LoginResult(user)


def end_sessions(db: Session, user: User) -> None:
    """Invalidate every session cookie issued to ``user`` (logout, password change, deactivation)."""
    user.session_version += 1
    db.flush()


def create_user(
    db: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    role: str,
    actor: User | None,
    locale: str | None = None,
) -> User:
    if not USERNAME_RE.match(username):
        raise Invalid("accounts.username_format", field="username")
    if role not in {r.value for r in Role}:
        raise Invalid("accounts.unknown_role", field="role", role=role)
    check_password_strength(password)
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("accounts.username_taken", field="username")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        locale=locale,
    )
    db.add(user)
    db.flush()
    audit.record(
        db, "user_created", user=actor, target=f"user:{user.id}", role=role, username_created=username
    )
    return user


def update_user(
    db: Session,
    user: User,
    *,
    actor: User,
    display_name: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    password: str | None = None,
) -> User:
    if role is not None and role != user.role:
        if role not in {r.value for r in Role}:
            raise Invalid("accounts.unknown_role", field="role", role=role)
        if user.id == actor.id:
            raise Invalid("accounts.own_role", field="role")
        audit.record(db, "role_changed", user=actor, target=f"user:{user.id}", old=user.role, new=role)
        user.role = role
        end_sessions(db, user)
    if display_name:
        user.display_name = display_name
    if password:
        check_password_strength(password)
        user.password_hash = hash_password(password)
        end_sessions(db, user)
        audit.record(db, "password_changed", user=actor, target=f"user:{user.id}")
    if active is not None and active != user.active:
        if not active and user.id == actor.id:
            raise Invalid("accounts.deactivate_self", field="active")
        user.active = active
        end_sessions(db, user)
        audit.record(
            db, "user_activated" if active else "user_deactivated", user=actor, target=f"user:{user.id}"
        )
    db.flush()
    audit.record(db, "user_updated", user=actor, target=f"user:{user.id}")
    return user


def issue_api_token(db: Session, user: User, *, actor: User) -> str:
    """Create a new API token for ``user`` (replacing the old one); only its hash is stored."""
    token = "qa_" + secrets.token_urlsafe(32)
    user.api_token_hash = hashlib.sha256(token.encode()).hexdigest()
    db.flush()
    audit.record(db, "api_token_created", user=actor, target=f"user:{user.id}")
    return token


def user_for_token(db: Session, token: str) -> User | None:
    if not token:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    user = db.scalar(select(User).where(User.api_token_hash == digest))
    return user if user is not None and user.active else None


def create_team(db: Session, *, name: str, lead_user_id: int | None, actor: User | None) -> Team:
    name = name.strip()
    if not name:
        raise Invalid("accounts.team_name_required", field="name")
    if db.scalar(select(Team.id).where(Team.name == name)) is not None:
        raise Conflict("accounts.team_exists", field="name")
    team = Team(name=name, lead_user_id=lead_user_id)
    db.add(team)
    db.flush()
    audit.record(db, "team_created", user=actor, target=f"team:{team.id}", name=name)
    return team


def create_agent(
    db: Session,
    *,
    employee_no: str,
    name: str,
    team_id: int,
    hire_date: date,
    user_id: int | None,
    actor: User | None,
) -> Agent:
    employee_no = employee_no.strip()
    if not employee_no:
        raise Invalid("accounts.employee_no_required", field="employee_no")
    if db.get(Team, team_id) is None:
        raise NotFound("accounts.team_not_found", field="team_id")
    if db.scalar(select(Agent.id).where(Agent.employee_no == employee_no)) is not None:
        raise Conflict("accounts.employee_no_taken", field="employee_no")
    if hire_date > date.today():
        raise Invalid("accounts.hire_date_future", field="hire_date")
    if user_id is not None:
        user = db.get(User, user_id)
        if user is None or user.role != Role.AGENT:
            raise Invalid("accounts.link_needs_agent_role", field="user_id")
        if db.scalar(select(Agent.id).where(Agent.user_id == user_id)) is not None:
            raise Conflict("accounts.user_already_linked", field="user_id")
    agent = Agent(
        employee_no=employee_no,
        name=name.strip() or employee_no,
        team_id=team_id,
        hire_date=hire_date,
        user_id=user_id,
    )
    db.add(agent)
    db.flush()
    audit.record(db, "agent_created", user=actor, target=f"agent:{agent.id}", employee_no=employee_no)
    return agent


def set_team_active(db: Session, team: Team, active: bool, *, actor: User) -> None:
    """Deactivate (or reactivate) a team; a team with active agents cannot be deactivated."""
    if not active:
        busy = (
            db.scalar(select(func.count()).select_from(Agent).where(Agent.team_id == team.id, Agent.active))
            or 0
        )
        if busy:
            raise Invalid("accounts.team_has_agents", n=busy)
    team.active = active
    db.flush()
    audit.record(db, "team_updated", user=actor, target=f"team:{team.id}", active=active)


def set_agent_active(db: Session, agent: Agent, active: bool, *, actor: User) -> None:
    agent.active = active
    db.flush()
    audit.record(db, "agent_updated", user=actor, target=f"agent:{agent.id}", active=active)


def agent_by_employee_no(db: Session, employee_no: str) -> Agent:
    """The agent with this 工号, or Invalid naming it."""
    agent = db.scalar(select(Agent).where(Agent.employee_no == employee_no))
    if agent is None:
        raise Invalid("accounts.unknown_employee_no", field="employee_no", employee_no=employee_no)
    return agent


def agent_for_user(db: Session, user: User) -> Agent | None:
    return db.scalar(select(Agent).where(Agent.user_id == user.id))
