"""Audit log writes and queries."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from qa_app.db.base import utcnow
from qa_app.db.models import AuditEvent, User


def N_(text: str) -> str:  # noqa: N802  (marks an English label for translation extraction; see labels.py)
    return text


# Every audit action, with its English label (translated where it is shown: qa_app/web/labels.py).
ACTIONS: dict[str, str] = {
    "login": N_("login"),
    "login_failed": N_("failed login"),
    "login_throttled": N_("login throttled"),
    "logout": N_("logout"),
    "authz_denied": N_("access denied"),
    "audio_play": N_("audio played"),
    "audio_download": N_("audio downloaded"),
    "user_created": N_("user created"),
    "user_updated": N_("user updated"),
    "user_deactivated": N_("user deactivated"),
    "user_activated": N_("user activated"),
    "role_changed": N_("role changed"),
    "password_changed": N_("password changed"),
    "team_created": N_("team created"),
    "team_updated": N_("team updated"),
    "agent_created": N_("agent created"),
    "agent_updated": N_("agent updated"),
    "call_uploaded": N_("call uploaded"),
    "calls_imported": N_("calls imported"),
    "api_token_created": N_("API token created"),
    "job_retried": N_("processing retried"),
    "roles_swapped": N_("roles swapped"),
    "transcript_confirmed": N_("transcript confirmed"),
    "rubric_published": N_("rubric published"),
    "rubric_draft_saved": N_("rubric draft saved"),
    "rescore_requested": N_("re-score requested"),
    "release_rule_changed": N_("release rule changed"),
    "evaluation_submitted": N_("evaluation submitted"),
    "evaluation_acknowledged": N_("evaluation acknowledged"),
    "dispute_raised": N_("dispute raised"),
    "dispute_ruled": N_("dispute ruled"),
    "demo_history_seeded": N_("demo history generated"),
    "coaching_plan_created": N_("coaching plan created"),
    "coaching_plan_closed": N_("coaching plan closed"),
    "coaching_session_held": N_("coaching session held"),
    "knowledge_article_created": N_("knowledge article created"),
    "knowledge_article_edited": N_("knowledge article edited"),
    "sampling_plan_created": N_("sampling plan created"),
    "sampling_plan_updated": N_("sampling plan updated"),
    "sampling_run_requested": N_("sampling run requested"),
    "review_assignment_skipped": N_("review assignment skipped"),
    "calibration_created": N_("calibration session created"),
    "calibration_updated": N_("calibration session changed"),
    "calibration_started": N_("calibration scoring started"),
    "calibration_discussion": N_("calibration moved to discussion"),
    "calibration_outcome_saved": N_("calibration outcome saved"),
    "calibration_closed": N_("calibration session closed"),
    "retention_purged": N_("personal data deleted (retention)"),
}


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
