"""Admin: users, teams, agents, API tokens, audit log, job queue."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.app import get_db, get_settings
from qa_app.db.base import utcnow
from qa_app.db.models import Agent, Role, Team, User
from qa_app.services import audit, authentication, organisation
from qa_app.services import jobs as jobs_service
from qa_app.services import users as user_service
from qa_app.services.errors import NotFound, ServiceError
from qa_app.web.access import allow
from qa_app.web.forms import AgentForm, EmptyForm, TeamForm, UserEditForm, UserForm, choices, submit_form
from qa_app.web.i18n import text
from qa_app.web.labels import LABELS
from qa_app.web.params import int_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_CHOICES = choices(list(LABELS["role"].items()))


@bp.route("/users", methods=["GET", "POST"])
@allow(Role.ADMIN)
def users():
    db = get_db()
    form = UserForm()
    form.role.choices = ROLE_CHOICES
    status = submit_form(
        form,
        lambda db: user_service.create_user(
            db,
            username=form.username.data.strip(),
            display_name=form.display_name.data,
            password=form.password.data,
            role=form.role.data,
            actor=current_user,
        ),
        lambda user: _("User %(u)s created.", u=user.username),
        "admin.users",
    )
    if not isinstance(status, int):
        return status
    rows = user_service.list_users(db)
    settings = get_settings()
    limits = {"max_failures": settings.login_max_failures, "window_minutes": settings.login_window_minutes}
    return render_template(
        "admin/users.html",
        users=rows,
        form=form,
        roles=LABELS["role"],
        throttles=authentication.login_throttles(db, **limits),
        failures=authentication.recent_login_failures(db, window_minutes=settings.login_window_minutes),
        window_minutes=settings.login_window_minutes,
        now=utcnow(),
    ), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def user_edit(user_id: int):
    db = get_db()
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("accounts.user_not_found")
    form = UserEditForm(obj=user if request.method == "GET" else None)
    form.role.choices = ROLE_CHOICES
    status = submit_form(
        form,
        lambda db: user_service.update_user(
            db,
            user,
            actor=current_user,
            display_name=form.display_name.data,
            role=form.role.data,
            active=form.active.data,
            password=form.password.data or None,
        ),
        lambda _user: _("Saved."),
        "admin.users",
    )
    if not isinstance(status, int):
        return status
    return render_template(
        "admin/user_edit.html", user=user, form=form, token_form=EmptyForm(), now=utcnow()
    ), status


@bp.route("/users/<int:user_id>/token", methods=["POST"])
@allow(Role.ADMIN)
def user_token(user_id: int):
    db = get_db()
    user = db.get(User, user_id)
    if user is None or not EmptyForm().validate_on_submit():
        raise NotFound("accounts.user_not_found")
    token = authentication.issue_api_token(db, user, actor=current_user, days=get_settings().api_token_days)
    db.commit()
    resp = make_response(render_template("admin/token.html", user=user, token=token))
    resp.headers["Cache-Control"] = "no-store"  # the token is shown once: never from a cache
    resp.headers["Pragma"] = "no-cache"
    return resp


@bp.route("/teams", methods=["GET", "POST"])
@allow(Role.ADMIN)
def teams():
    db = get_db()
    form = TeamForm()
    leads = organisation.lead_candidates(db)
    form.lead_user_id.choices = choices([(0, "—")] + [(u.id, u.display_name) for u in leads])
    status = submit_form(
        form,
        lambda db: organisation.create_team(
            db, name=form.name.data, lead_user_id=form.lead_user_id.data or None, actor=current_user
        ),
        lambda _team: _("Team created."),
        "admin.teams",
    )
    if not isinstance(status, int):
        return status
    rows, counts = organisation.teams_with_agent_counts(db)
    return render_template(
        "admin/teams.html", teams=rows, counts=counts, form=form, toggle_form=EmptyForm()
    ), status


def _toggle_active(model, obj_id: int, setter, back: str, missing: str):  # noqa: ANN001, ANN202
    """POST handler body shared by the activate/deactivate buttons (team, agent)."""
    db = get_db()
    obj = db.get(model, obj_id)
    if obj is None:
        raise NotFound(missing)
    if EmptyForm().validate_on_submit():
        try:
            setter(db, obj, request.form.get("active") == "1", actor=current_user)
            db.commit()
        except ServiceError as exc:
            db.rollback()
            flash(text(exc.msg), "danger")
    return redirect(url_for(back))


@bp.route("/teams/<int:team_id>/active", methods=["POST"])
@allow(Role.ADMIN)
def team_active(team_id: int):
    return _toggle_active(Team, team_id, organisation.set_team_active, "admin.teams", "accounts.team_not_found")


@bp.route("/agents", methods=["GET", "POST"])
@allow(Role.ADMIN)
def agents():
    db = get_db()
    settings = get_settings()
    form = AgentForm()
    form.team_id.choices = choices((t.id, t.name) for t in organisation.active_teams(db))
    free_users = organisation.unlinked_agent_logins(db)
    form.user_id.choices = choices(
        [(0, "—")] + [(u.id, f"{u.username} ({u.display_name})") for u in free_users]
    )
    status = submit_form(
        form,
        lambda db: organisation.create_agent(
            db,
            employee_no=form.employee_no.data,
            name=form.name.data,
            team_id=form.team_id.data,
            hire_date=form.hire_date.data,
            user_id=form.user_id.data or None,
            actor=current_user,
        ),
        lambda _agent: _("Agent created."),
        "admin.agents",
    )
    if not isinstance(status, int):
        return status
    rows = organisation.list_agents(db)
    return render_template(
        "admin/agents.html",
        agents=rows,
        form=form,
        today=date.today(),
        new_hire_days=settings.new_hire_days,
        toggle_form=EmptyForm(),
    ), status


@bp.route("/agents/<int:agent_id>/active", methods=["POST"])
@allow(Role.ADMIN)
def agent_active(agent_id: int):
    return _toggle_active(
        Agent, agent_id, organisation.set_agent_active, "admin.agents", "accounts.agent_not_found"
    )


@bp.route("/audit")
@allow(Role.ADMIN)
def audit_log():
    db = get_db()
    page = int_arg("page", maximum=100_000) or 1
    stmt = audit.query(action=request.args.get("action") or None, username=request.args.get("user") or None)
    rows = list(db.scalars(stmt.offset((page - 1) * 100).limit(101)))
    return render_template(
        "admin/audit.html",
        events=rows[:100],
        has_next=len(rows) > 100,
        page=page,
        actions=audit.ACTIONS,
        args=request.args,
    )


@bp.route("/jobs")
@allow(Role.ADMIN)
def jobs():
    db = get_db()
    state = request.args.get("state") or None
    rows, counts = jobs_service.job_page(db, state)
    return render_template("admin/jobs.html", jobs=rows, counts=counts, state=state, form=EmptyForm())
