"""In-app notifications: written by use cases and duties, read on every page's bell."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qa_app.db.base import utcnow
from qa_app.db.models import Notification

# Codes and their texts (rendered by the web layer in the reader's language).
KINDS = (
    "review_assigned",  # a reviewer got calls to review
    "evaluation_released",  # an agent has a new evaluation
    "dispute_raised",  # a lead has a dispute to rule on
    "dispute_ruled",  # the agent's dispute was decided
    "calibration_invited",  # a reviewer is asked to score calls blind
    "calibration_due",  # a reviewer's calibration scores are due (tomorrow or overdue)
    "coaching_plan_created",
    "coaching_session_due",
    "coaching_plan_due",
    "coaching_plan_closed",
)


def notify(
    db: Session,
    user_ids: Iterable[int],
    kind: str,
    *,
    params: dict | None = None,
    url: str = "",
    dedupe_key: str | None = None,
) -> int:
    """Notify each user once. With ``dedupe_key`` (suffixed by the user id) a repeat is ignored, so a
    duty that runs twice, or on several workers, never notifies twice. Returns how many were added."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    added = 0
    for uid in dict.fromkeys(user_ids):
        key = f"{dedupe_key}:u{uid}" if dedupe_key else None
        if key is not None and db.scalar(select(Notification.id).where(Notification.dedupe_key == key)):
            continue
        try:
            with db.begin_nested():
                db.add(
                    Notification(user_id=uid, kind=kind, params=dict(params or {}), url=url, dedupe_key=key)
                )
                db.flush()
            added += 1
        except IntegrityError:
            continue  # another worker notified first
    return added


def unread_count(db: Session, user_id: int) -> int:
    return db.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )


def recent(db: Session, user_id: int, limit: int = 50) -> list[Notification]:
    return list(
        db.scalars(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(db: Session, user_id: int, ids: Iterable[int] | None = None) -> None:
    """Mark the user's notifications read (all of them, or only ``ids``)."""
    stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(list(ids)))
    db.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False))
