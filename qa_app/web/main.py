"""Home dashboard."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import func, select

from qa_app.app import get_db, get_settings
from qa_app.db.models import Call
from qa_app.services import accounts, analytics, calls
from qa_app.web.access import ALL_ROLES, allow

bp = Blueprint("main", __name__)


@bp.route("/")
@allow(*ALL_ROLES)
def index():
    db = get_db()
    visible = calls.visible_calls(db, current_user).subquery()
    by_status = dict(db.execute(select(visible.c.status, func.count()).group_by(visible.c.status)).all())
    avg_score = db.scalar(select(func.avg(visible.c.auto_score)))
    recent = list(db.scalars(calls.visible_calls(db, current_user).order_by(Call.started_at.desc()).limit(8)))
    cohorts = None
    if not current_user.is_agent:  # headcount and the largest gaps, linked to the cohort dashboard
        settings = get_settings()
        cohorts = analytics.cohort_headline(
            db,
            analytics.scope_for(db, current_user),
            settings=settings,
            today=datetime.now(ZoneInfo(settings.timezone)).date(),
        )
    agent = accounts.agent_for_user(db, current_user) if current_user.is_agent else None
    return render_template(
        "main/index.html",
        by_status=by_status,
        avg_score=avg_score,
        recent=recent,
        cohorts=cohorts,
        agent=agent,
        new_hire_days=get_settings().new_hire_days,
        criterion_titles=analytics.criterion_titles(db, "en" if str(get_locale()).startswith("en") else "zh")
        if cohorts
        else {},
    )
