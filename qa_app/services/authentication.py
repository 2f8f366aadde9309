"""Authentication: password login with throttling per (username, address) and per address, and API
tokens with an expiry."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from qa_app.db.base import utcnow
from qa_app.db.models import AuditEvent, User
from qa_app.services import audit
from qa_app.services.users import _HASH_METHOD

IP_FACTOR = 4  # failures from one address allowed = IP_FACTOR x the per-(username, address) limit
_DUMMY_HASH = generate_password_hash("not-a-real-password", method=_HASH_METHOD)


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    throttled: bool = False
    retry_after: int = 0  # seconds until the next attempt is allowed (when throttled)
    scope: str = ""  # what was throttled: account_address, address or account


# Login throttling (issue #11): five wrong passwords used to lock a known username for 15 minutes from
# anywhere, so anyone could lock anyone out. Now, within the window (QA_LOGIN_WINDOW_MINUTES):
#   * one address trying one username: refused after ``max_failures`` failures;
#   * one address trying any usernames: refused after ``max_failures * IP_FACTOR`` failures;
#   * one username from many addresses: after ``max_failures * USER_FACTOR`` failures every further
#     attempt waits 2, 4, 8 ... seconds (at most the window) after the latest failure — no hard lock —
#     and an address the user logged in from successfully in the last TRUSTED_DAYS is exempt.
USER_FACTOR = 2
TRUSTED_DAYS = 30


@dataclass(frozen=True)
class Throttle:
    """A throttle in force or building up, for the admins' users page."""

    scope: str  # account_address | address | account
    username: str
    ip: str
    failures: int
    last_failure_at: datetime
    until: datetime | None  # next attempt allowed at (None: not refusing attempts now)
    addresses: int = 1  # distinct addresses (account scope)


def _failures(since: datetime):  # noqa: ANN202
    return select(AuditEvent.at).where(AuditEvent.action == "login_failed", AuditEvent.at >= since)


def _release(times: list[datetime], limit: int, window: timedelta) -> datetime | None:
    """When a count-limited throttle ends: the ``limit``-th most recent failure leaves the window."""
    return times[limit - 1] + window if len(times) >= limit else None


def _user_delay(failures: int, max_failures: int, window: timedelta) -> timedelta | None:
    """The wait after an account's latest failure once it has had many from everywhere."""
    over = failures - max_failures * USER_FACTOR
    if over < 0:
        return None
    return min(window, timedelta(seconds=2 ** min(over + 1, 20)))


def _trusted(db: Session, username: str, ip: str, now: datetime) -> bool:
    """Whether ``username`` logged in successfully from ``ip`` recently."""
    since = now - timedelta(days=TRUSTED_DAYS)
    return (
        db.scalar(
            select(AuditEvent.id)
            .where(AuditEvent.action == "login", AuditEvent.at >= since)
            .where(AuditEvent.username == username, AuditEvent.ip == ip)
            .limit(1)
        )
        is not None
    )


def login_throttle(
    db: Session,
    username: str,
    ip: str,
    *,
    max_failures: int,
    window_minutes: int,
    now: datetime | None = None,
) -> tuple[str, datetime | None]:
    """Whether an attempt for ``username`` from ``ip`` is refused now: (scope, allowed again at), or
    ("", None)."""
    now = now or utcnow()
    window = timedelta(minutes=window_minutes)
    recent = _failures(now - window).order_by(AuditEvent.at.desc())
    checks: list[tuple[str, datetime | None]] = []
    if ip:
        pair = list(
            db.scalars(recent.where(AuditEvent.username == username, AuditEvent.ip == ip).limit(max_failures))
        )
        checks.append(("account_address", _release(pair, max_failures, window)))
        limit = max_failures * IP_FACTOR
        by_ip = list(db.scalars(recent.where(AuditEvent.ip == ip).limit(limit)))
        checks.append(("address", _release(by_ip, limit, window)))
    count = (
        db.scalar(
            select(func.count()).select_from(
                _failures(now - window).where(AuditEvent.username == username).subquery()
            )
        )
        or 0
    )
    delay = _user_delay(count, max_failures, window)
    if delay is not None and not (ip and _trusted(db, username, ip, now)):
        last = db.scalar(recent.where(AuditEvent.username == username).limit(1))
        checks.append(("account", last + delay if last is not None else None))
    refused = [(scope, until) for scope, until in checks if until is not None and until > now]
    return max(refused, key=lambda c: c[1]) if refused else ("", None)


def authenticate(
    db: Session, username: str, password: str, *, ip: str, max_failures: int, window_minutes: int
) -> LoginResult:
    """Check credentials, throttled per (username, address), per address and, with growing delays, per
    username across addresses (see above)."""
    now = utcnow()
    scope, until = login_throttle(
        db, username, ip, max_failures=max_failures, window_minutes=window_minutes, now=now
    )
    if until is not None:
        retry = max(1, math.ceil((until - now).total_seconds()))
        audit.record(db, "login_throttled", username=username, ip=ip, scope=scope, retry_after=retry)
        return LoginResult(None, throttled=True, retry_after=retry, scope=scope)
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
    user.last_login_at = now
    audit.record(db, "login", user=user, ip=ip)
    return LoginResult(user)


def login_throttles(
    db: Session, *, max_failures: int, window_minutes: int, now: datetime | None = None
) -> list[Throttle]:
    """Accounts, addresses and account+address pairs with enough recent failures to be throttled (or,
    for accounts, to be delayed), most recent first — what an admin needs to see who is locked out."""
    now = now or utcnow()
    window = timedelta(minutes=window_minutes)
    failed = (AuditEvent.action == "login_failed", AuditEvent.at >= now - window)
    out: list[Throttle] = []
    pairs = db.execute(
        select(AuditEvent.username, AuditEvent.ip, func.count(), func.max(AuditEvent.at))
        .where(*failed, AuditEvent.ip != "")
        .group_by(AuditEvent.username, AuditEvent.ip)
        .having(func.count() >= max_failures)
    ).all()
    for username, ip, n, last in pairs:
        times = list(
            db.scalars(
                _failures(now - window)
                .where(AuditEvent.username == username, AuditEvent.ip == ip)
                .order_by(AuditEvent.at.desc())
                .limit(max_failures)
            )
        )
        out.append(Throttle("account_address", username, ip, n, last, _release(times, max_failures, window)))
    limit = max_failures * IP_FACTOR
    for ip, n, last in db.execute(
        select(AuditEvent.ip, func.count(), func.max(AuditEvent.at))
        .where(*failed, AuditEvent.ip != "")
        .group_by(AuditEvent.ip)
        .having(func.count() >= limit)
    ).all():
        times = list(
            db.scalars(
                _failures(now - window).where(AuditEvent.ip == ip).order_by(AuditEvent.at.desc()).limit(limit)
            )
        )
        out.append(Throttle("address", "", ip, n, last, _release(times, limit, window)))
    for username, n, addresses, last in db.execute(
        select(
            AuditEvent.username,
            func.count(),
            func.count(func.distinct(AuditEvent.ip)),
            func.max(AuditEvent.at),
        )
        .where(*failed)
        .group_by(AuditEvent.username)
        .having(func.count() >= max_failures * USER_FACTOR)
    ).all():
        delay = _user_delay(n, max_failures, window)
        out.append(Throttle("account", username, "", n, last, last + delay if delay else None, addresses))
    # throttles whose time is over are left out; an account with many failures stays listed (delays
    # start again with its next failure)
    out = [
        t if t.until is None or t.until > now else replace(t, until=None)
        for t in out
        if t.scope == "account" or (t.until is not None and t.until > now)
    ]
    return sorted(out, key=lambda t: t.last_failure_at, reverse=True)


def recent_login_failures(db: Session, *, window_minutes: int, now: datetime | None = None) -> dict[str, int]:
    """Failed logins per username within the window (for the admins' users list)."""
    since = (now or utcnow()) - timedelta(minutes=window_minutes)
    rows = db.execute(
        select(AuditEvent.username, func.count())
        .where(AuditEvent.action == "login_failed", AuditEvent.at >= since)
        .group_by(AuditEvent.username)
    ).all()
    return {username: n for username, n in rows}


API_TOKEN_DAYS = 90
TOKEN_TOUCH_SECONDS = 60  # the last-used time is written at most once a minute


def issue_api_token(db: Session, user: User, *, actor: User, days: int = API_TOKEN_DAYS) -> str:
    """Create a new API token for ``user`` (replacing the old one), valid for ``days``; only its hash
    is stored."""
    token = "qa_" + secrets.token_urlsafe(32)
    now = utcnow()
    user.api_token_hash = hashlib.sha256(token.encode()).hexdigest()
    user.api_token_created_at = now
    user.api_token_expires_at = now + timedelta(days=days)
    user.api_token_last_used_at = None
    db.flush()
    audit.record(
        db,
        "api_token_created",
        user=actor,
        target=f"user:{user.id}",
        expires=user.api_token_expires_at.isoformat(),
    )
    return token


@dataclass(frozen=True)
class TokenCheck:
    """The outcome of presenting an API token: the user, or why not (missing, invalid, expired)."""

    user: User | None
    problem: str = ""
    expired_at: datetime | None = None


def check_api_token(db: Session, token: str, *, now: datetime | None = None) -> TokenCheck:
    """The active user whose unexpired token this is. A token without an expiry counts as expired."""
    if not token:
        return TokenCheck(None, "missing")
    digest = hashlib.sha256(token.encode()).hexdigest()
    user = db.scalar(select(User).where(User.api_token_hash == digest))
    if user is None or not user.active:
        return TokenCheck(None, "invalid")
    expires = user.api_token_expires_at
    if expires is None or expires <= (now or utcnow()):
        return TokenCheck(None, "expired", expires)
    return TokenCheck(user)


def touch_api_token(db: Session, user: User, *, now: datetime | None = None) -> None:
    """Record that ``user``'s token was just used (shown to admins)."""
    now = now or utcnow()
    last = user.api_token_last_used_at
    if last is None or (now - last).total_seconds() >= TOKEN_TOUCH_SECONDS:
        user.api_token_last_used_at = now
        db.flush()


def user_for_token(db: Session, token: str) -> User | None:
    """The active user whose unexpired token this is, or None."""
    return check_api_token(db, token).user
