"""Audit log writes and queries."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from qa_app.db.base import utcnow
from qa_app.db.models import AuditEvent, User

ACTIONS = (
    "login",
    "login_failed",
    "login_throttled",
    "logout",
    "authz_denied",
    "audio_play",
    "audio_download",
    "user_created",
    "user_updated",
    "user_deactivated",
    "user_activated",
    "role_changed",
    "password_changed",
    "team_created",
    "team_updated",
    "agent_created",
    "agent_updated",
    "call_uploaded",
    "calls_imported",
    "api_token_created",
    "job_retried",
    "roles_swapped",
    "rubric_published",
    "rubric_draft_saved",
    "rescore_requested",
    "release_rule_changed",
    "evaluation_submitted",
    "evaluation_acknowledged",
    "dispute_raised",
    "dispute_ruled",
    "demo_history_seeded",
    "coaching_plan_created",
    "coaching_plan_closed",
    "coaching_session_held",
    "knowledge_article_created",
    "knowledge_article_edited",
    "sampling_plan_created",
    "sampling_plan_updated",
    "sampling_run_requested",
    "review_assignment_skipped",
    "calibration_created",
    "calibration_updated",
    "calibration_started",
    "calibration_discussion",
    "calibration_outcome_saved",
    "calibration_closed",
)


def record(
    db: Session,
    action: str,
    *,
    user: User | None = None,
    username: str = "",
    target: str = "",
    ip: str = "",
    **detail: object,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        user_id=user.id if user is not None else None,
        username=user.username if user is not None else username,
        target=target,
        ip=ip,
        detail={k: v for k, v in detail.items() if v is not None},
    )
    db.add(event)
    db.flush()
    return event


def record_once(
    db: Session,
    action: str,
    *,
    user: User,
    target: str,
    within: timedelta,
    ip: str = "",
    **detail: object,
) -> AuditEvent | None:
    """Record ``action`` unless ``user`` already has one on ``target`` within the last ``within``
    (one record per playback session instead of one per byte range). Returns the new event or None."""
    recent = db.scalar(
        select(AuditEvent.id)
        .where(
            AuditEvent.action == action,
            AuditEvent.at >= utcnow() - within,
            AuditEvent.user_id == user.id,
            AuditEvent.target == target,
        )
        .limit(1)
    )
    if recent is not None:
        return None
    return record(db, action, user=user, target=target, ip=ip, **detail)


def query(
    *,
    action: str | None = None,
    username: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[tuple[AuditEvent]]:
    stmt = select(AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if username:
        stmt = stmt.where(AuditEvent.username == username)
    if since:
        stmt = stmt.where(AuditEvent.at >= since)
    if until:
        stmt = stmt.where(AuditEvent.at < until)
    return stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
