"""Review assignments: a reviewer's queue, completion when the review is submitted, skipping, and the
queue's health for leads (backlog, overdue, throughput per reviewer, completion per plan).

Assignments are made by sampling runs (``qa_app.services.sampling``). Use cases flush, never commit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session, joinedload

from qa_app.db.base import utcnow
from qa_app.db.models import (
    COMPLETED,
    AssignmentState,
    Call,
    Evaluation,
    Purpose,
    RaterType,
    ReviewAssignment,
    Role,
    SamplingPlan,
    User,
)
from qa_app.services import audit
from qa_app.services.errors import Conflict, Invalid, NotFound

LEADS = (Role.ADMIN, Role.TRAINER)  # see every queue; may skip any assignment
WINDOWS = (7, 30)  # days of throughput on the health page


def in_queue_condition(user_id: int):
    """SQL: the call is in this user's queue (an open assignment)."""
    return exists().where(
        and_(
            ReviewAssignment.call_id == Call.id,
            ReviewAssignment.reviewer_id == user_id,
            ReviewAssignment.state == AssignmentState.OPEN,
        )
    )


def complete_assignment_for(db: Session, evaluation: Evaluation) -> int:
    """A human review of the call was submitted: its open assignment is done (whoever reviewed it, since
    the call no longer needs a review). Calibration scores do not count. Returns how many were closed."""
    if (
        evaluation.purpose != Purpose.REVIEW
        or evaluation.rater_type != RaterType.HUMAN
        or evaluation.state not in COMPLETED
    ):
        return 0
    rows = db.scalars(
        select(ReviewAssignment).where(
            ReviewAssignment.call_id == evaluation.call_id, ReviewAssignment.state == AssignmentState.OPEN
        )
    ).all()
    now = utcnow()
    for a in rows:
        a.state, a.completed_at = AssignmentState.DONE, now
        a.completed_by_id, a.evaluation_id = evaluation.rater_id, evaluation.id
    db.flush()
    return len(rows)


def get_for(db: Session, assignment_id: int, user: User) -> ReviewAssignment:
    """The assignment if it is the user's own (leads: any); else NotFound."""
    a = db.get(ReviewAssignment, assignment_id)
    if a is None or (a.reviewer_id != user.id and user.role not in LEADS):
        raise NotFound("assignments.not_found")
    return a


def skip(db: Session, a: ReviewAssignment, *, actor: User, reason: str) -> ReviewAssignment:
    """Take an open assignment out of the queue without a review (unusable audio, wrong queue ...)."""
    if a.reviewer_id != actor.id and actor.role not in LEADS:
        raise NotFound("assignments.not_found")
    if a.state != AssignmentState.OPEN:
        raise Conflict("assignments.closed")
    reason = reason.strip()
    if not reason:
        raise Invalid("assignments.skip_reason_required", field="reason")
    a.state, a.completed_at, a.completed_by_id = AssignmentState.SKIPPED, utcnow(), actor.id
    a.skip_reason = reason[:1000]
    audit.record(db, "review_assignment_skipped", user=actor, target=f"call:{a.call_id}", assignment=a.id)
    db.flush()
    return a


def _with_call():
    return (
        joinedload(ReviewAssignment.call).joinedload(Call.agent),
        joinedload(ReviewAssignment.call).joinedload(Call.team),
        joinedload(ReviewAssignment.plan),
    )


def queue_for(db: Session, user: User) -> list[ReviewAssignment]:
    """The user's open assignments, soonest due first."""
    return list(
        db.scalars(
            select(ReviewAssignment)
            .options(*_with_call())
            .where(ReviewAssignment.reviewer_id == user.id, ReviewAssignment.state == AssignmentState.OPEN)
            .order_by(ReviewAssignment.due_at, ReviewAssignment.id)
        )
    )


def recently_closed(db: Session, user: User, *, days: int = 7, limit: int = 20) -> list[ReviewAssignment]:
    """The user's assignments done or skipped in the last ``days`` days, newest first."""
    return list(
        db.scalars(
            select(ReviewAssignment)
            .options(*_with_call())
            .where(
                ReviewAssignment.reviewer_id == user.id,
                ReviewAssignment.state != AssignmentState.OPEN,
                ReviewAssignment.completed_at >= utcnow() - timedelta(days=days),
            )
            .order_by(ReviewAssignment.completed_at.desc(), ReviewAssignment.id.desc())
            .limit(limit)
        )
    )


def open_counts(db: Session, user_id: int, now: datetime | None = None) -> tuple[int, int]:
    """(open, overdue) assignments of one user."""
    now = now or utcnow()
    row = db.execute(
        select(func.count(), func.count(case((ReviewAssignment.due_at < now, 1))))
        .select_from(ReviewAssignment)
        .where(ReviewAssignment.reviewer_id == user_id, ReviewAssignment.state == AssignmentState.OPEN)
    ).one()
    return row[0], row[1]


def open_by_plan(db: Session, now: datetime | None = None) -> dict[int | None, tuple[int, int]]:
    """plan id -> (open, overdue) assignments."""
    now = now or utcnow()
    RA = ReviewAssignment
    rows = db.execute(
        select(RA.plan_id, func.count(), func.count(case((RA.due_at < now, 1))))
        .where(RA.state == AssignmentState.OPEN)
        .group_by(RA.plan_id)
    )
    return {plan_id: (n, overdue) for plan_id, n, overdue in rows}


# --- queue health -----------------------------------------------------------------------------------------


@dataclass
class ReviewerHealth:
    user: User
    open: int = 0
    overdue: int = 0
    oldest_due: datetime | None = None
    done: dict[int, int] = field(default_factory=dict)  # window days -> assignments completed
    on_time: dict[int, int] = field(default_factory=dict)  # window days -> of those, by the due date
    skipped: dict[int, int] = field(default_factory=dict)
    reviews: dict[int, int] = field(default_factory=dict)  # window days -> all reviews submitted


@dataclass
class PlanHealth:
    plan: SamplingPlan | None  # None: assignments of a plan since deleted
    assigned: int = 0
    open: int = 0
    overdue: int = 0
    done: int = 0
    on_time: int = 0
    skipped: int = 0

    @property
    def completion_rate(self) -> float | None:
        """Done as a share of what was assigned (open ones count against it)."""
        return self.done / self.assigned if self.assigned else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.done if self.done else None


@dataclass
class Health:
    reviewers: list[ReviewerHealth]
    plans: list[PlanHealth]
    open: int
    overdue: int
    windows: tuple[int, ...] = WINDOWS
    plan_window: int = 30

    def done(self, window: int) -> int:
        """Assignments completed by anyone in the last ``window`` days."""
        return sum(r.done.get(window, 0) for r in self.reviewers)


def health(db: Session, *, now: datetime | None = None, plan_window: int = 30) -> Health:
    """Backlog and overdue per reviewer, throughput per reviewer over the last 7 and 30 days, and each
    plan's completion over the assignments it made in the last ``plan_window`` days."""
    now = now or utcnow()
    RA = ReviewAssignment
    # every active QA reviewer appears, idle ones too; others (leads who review) when they have numbers
    stats: dict[int, dict] = defaultdict(lambda: {"done": {}, "on_time": {}, "skipped": {}, "reviews": {}})
    for uid in db.scalars(select(User.id).where(User.active, User.role == Role.QA_REVIEWER)):
        stats[uid].setdefault("open", 0)
    for uid, n, overdue, oldest in db.execute(
        select(RA.reviewer_id, func.count(), func.count(case((RA.due_at < now, 1))), func.min(RA.due_at))
        .where(RA.state == AssignmentState.OPEN)
        .group_by(RA.reviewer_id)
    ):
        stats[uid].update(open=n, overdue=overdue, oldest_due=oldest)
    for w in WINDOWS:
        since = now - timedelta(days=w)
        for uid, state, n, on_time in db.execute(
            select(
                RA.completed_by_id,
                RA.state,
                func.count(),
                func.count(case((RA.completed_at <= RA.due_at, 1))),
            )
            .where(
                RA.state != AssignmentState.OPEN, RA.completed_at >= since, RA.completed_by_id.is_not(None)
            )
            .group_by(RA.completed_by_id, RA.state)
        ):
            if state == AssignmentState.DONE:
                stats[uid]["done"][w], stats[uid]["on_time"][w] = n, on_time
            else:
                stats[uid]["skipped"][w] = n
        for uid, n in db.execute(
            select(Evaluation.rater_id, func.count())
            .where(
                Evaluation.purpose == Purpose.REVIEW,
                Evaluation.rater_type == RaterType.HUMAN,
                Evaluation.state.in_(COMPLETED),
                Evaluation.submitted_at >= since,
                Evaluation.rater_id.is_not(None),
            )
            .group_by(Evaluation.rater_id)
        ):
            stats[uid]["reviews"][w] = n
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(list(stats))))} if stats else {}
    reviewers = sorted(
        (ReviewerHealth(user=users[uid], **st) for uid, st in stats.items() if uid in users),
        key=lambda h: (-h.overdue, -h.open, h.user.display_name, h.user.id),
    )

    since = now - timedelta(days=plan_window)
    done = RA.state == AssignmentState.DONE
    counted = {
        row[0]: row[1:]
        for row in db.execute(
            select(
                RA.plan_id,
                func.count(),
                func.count(case((RA.state == AssignmentState.OPEN, 1))),
                func.count(case((and_(RA.state == AssignmentState.OPEN, RA.due_at < now), 1))),
                func.count(case((done, 1))),
                func.count(case((and_(done, RA.completed_at <= RA.due_at), 1))),
                func.count(case((RA.state == AssignmentState.SKIPPED, 1))),
            )
            .where(RA.assigned_at >= since)
            .group_by(RA.plan_id)
        )
    }
    plans = [
        PlanHealth(plan, *counted.pop(plan.id, (0, 0, 0, 0, 0, 0)))
        for plan in db.scalars(select(SamplingPlan).order_by(SamplingPlan.active.desc(), SamplingPlan.name))
    ]
    if None in counted:
        plans.append(PlanHealth(None, *counted[None]))
    return Health(
        reviewers,
        plans,
        open=sum(h.open for h in reviewers),
        overdue=sum(h.overdue for h in reviewers),
        plan_window=plan_window,
    )


def user_names(db: Session, user_ids: list[int]) -> dict[int, str]:
    """Display names of users by id (for counts keyed by reviewer)."""
    if not user_ids:
        return {}
    return dict(db.execute(select(User.id, User.display_name).where(User.id.in_(set(user_ids)))).all())
