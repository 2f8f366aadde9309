"""Users: accounts, roles, passwords, activation; ending a user's sessions."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from qa_app.db.models import Role, User
from qa_app.services import audit
from qa_app.services.errors import Conflict, Invalid

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
# Werkzeug's scrypt (n=2**15, r=8, p=1): memory-hard, no extra dependency.
_HASH_METHOD = "scrypt"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=_HASH_METHOD)


def check_password_strength(password: str) -> None:
    if len(password) < 10:
        raise Invalid("accounts.password_too_short", field="password", min=10)
    if password.isdigit() or password.isalpha():
        raise Invalid("accounts.password_mixed", field="password")


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


def list_users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.role, User.username)))
