"""Home: the staff dashboard, or an agent's own evaluations, trend and open items."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qa_app.db.base import utcnow
from qa_app.db.models import Call
from qa_app.services import analytics, calls, feedback, organisation
from qa_app.web.access import ALL_ROLES, allow
from qa_app.web.context import get_db, get_settings

bp = Blueprint("main", __name__)


@bp.route("/")
@allow(*ALL_ROLES)
def index():
    db = get_db()
    if current_user.is_agent:
        return _agent_home(db)
    visible = calls.visible_calls(db, current_user).subquery()
    by_status = dict(db.execute(select(visible.c.status, func.count()).group_by(visible.c.status)).all())
    avg_score = db.scalar(select(func.avg(visible.c.auto_score)))
    recent = list(db.scalars(calls.visible_calls(db, current_user).order_by(Call.started_at.desc()).limit(8)))
    settings = get_settings()
    # headcount and the largest gaps, linked to the cohort dashboard
    cohorts = analytics.cohort_headline(
        db,
        analytics.scope_for(db, current_user),
        settings=settings,
        today=datetime.now(ZoneInfo(settings.timezone)).date(),
    )
    return render_template(
        "main/index.html",
        by_status=by_status,
        avg_score=avg_score,
        recent=recent,
        cohorts=cohorts,
        agent=None,
        new_hire_days=settings.new_hire_days,
        criterion_titles=analytics.criterion_titles(db, "en" if str(get_locale()).startswith("en") else "zh"),
    )


def _agent_home(db: Session):
    """An agent's home: their evaluations, weekly score trend and open items (no queue counters)."""
    settings = get_settings()
    home = feedback.agent_home(
        db, current_user, tz=ZoneInfo(settings.timezone), window_days=settings.dispute_window_days
    )
    return render_template(
        "main/agent_home.html",
        home=home,
        spark=_sparkline(home.trend),
        agent=organisation.agent_for_user(db, current_user),
        now=utcnow(),
    )


def _sparkline(trend: list[feedback.WeekPoint], width: int = 400, height: int = 80) -> dict:
    """SVG coordinates of the weekly averages; the y axis spans the data (at least 20 points, up to 100)."""
    values = [w.average for w in trend if w.average is not None]
    if not values:
        return {"points": [], "lo": 0, "hi": 100}
    hi = 100
    lo = max(0, min(int(min(values) // 10 * 10), hi - 20))
    left, right, top, bottom = 34, width - 10, 8, height - 8
    step = (right - left) / max(len(trend) - 1, 1)
    points = [
        (round(left + i * step, 1), round(bottom - (w.average - lo) / (hi - lo) * (bottom - top), 1), w)
        for i, w in enumerate(trend)
        if w.average is not None
    ]
    return {"points": points, "lo": lo, "hi": hi, "left": left, "right": right, "top": top, "bottom": bottom}
