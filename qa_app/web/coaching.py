"""Coaching pages: gap overview, plan creation from a gap, plan / session pages, the agent's "My coaching",
exemplar listening, the coaching effect (and its CSV export).

Trainers and admins manage; an agent reaches only their own plans and sessions (404 otherwise) and the
exemplar calls a trainer put into them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from qa_app.app import get_db, get_settings
from qa_app.db.models import Agent, CoachingPlan, PlanState, Role, Team, User
from qa_app.services import coaching, coaching_insights, knowledge, organisation
from qa_app.services.coaching import PlanInput
from qa_app.services.coaching_insights import Context, rubric_info
from qa_app.services.errors import Conflict, Invalid, NotFound
from qa_app.web import exports
from qa_app.web.access import LEADS, allow, can
from qa_app.web.calls import send_audio
from qa_app.web.coaching_forms import (
    CancelForm,
    ItemForm,
    PlanEditForm,
    PlanForm,
    SessionForm,
    SessionRecordForm,
)
from qa_app.web.forms import EmptyForm, choices, submit_form
from qa_app.web.i18n import text, ui_lang
from qa_app.web.labels import label
from qa_app.web.params import int_arg

bp = Blueprint("coaching", __name__, url_prefix="/coaching")
WINDOWS = (30, 60, 90, 180)


# --- helpers ----------------------------------------------------------------------------------------------


def _ctx() -> Context:
    return Context.from_settings(get_settings())


def _tz() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def _aware(value: datetime | None) -> datetime | None:
    """A datetime-local form value, read in the configured time zone."""
    return None if value is None else value.replace(tzinfo=_tz())


def _form_errors(form) -> None:  # noqa: ANN001
    for f in form:
        for e in f.errors:
            flash(f"{f.label.text}: {e}", "danger")


@bp.app_template_filter("pct")
def pct(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


@bp.app_template_filter("pp")
def pp(value: float | None) -> str:
    """A difference of two rates in percentage points, signed."""
    return "—" if value is None else f"{value * 100:+.0f}"


def _exemplar_label(e: coaching_insights.Exemplar) -> str:
    when = e.started_at.astimezone(_tz()).strftime("%Y-%m-%d")
    where = f" · {e.queue}" if e.queue else ""
    quote = f" · “{e.quote[:40]}”" if e.quote else ""
    return f"#{e.call_id} {when}{where} · {e.agent_label}{quote}"


# --- overview ---------------------------------------------------------------------------------------------


@bp.route("/")
@allow(*LEADS)
def index():
    db = get_db()
    ctx = _ctx()
    info = rubric_info(db)
    days = int_arg("days") if int_arg("days") in WINDOWS else coaching_insights.GAP_WINDOW_DAYS
    team_id = int_arg("team")
    rows = coaching_insights.overview(db, ctx, rubric_key=info.key, team_id=team_id, days=days)
    open_sessions = coaching.open_sessions(db)
    overdue = [s for s in open_sessions if s.scheduled_at + coaching.SESSION_GRACE <= ctx.now]
    return render_template(
        "coaching/index.html",
        rows=rows,
        info=info,
        lang=ui_lang(),
        days=days,
        windows=WINDOWS,
        team_id=team_id,
        teams=list(db.scalars(select(Team).where(Team.active).order_by(Team.name))),
        active_plans=db.scalar(
            select(func.count()).select_from(CoachingPlan).where(CoachingPlan.state == PlanState.ACTIVE)
        ),
        open_sessions=len(open_sessions),
        overdue_sessions=len(overdue),
        min_sample=coaching_insights.DEFAULT_MIN_SAMPLE,
    )


# --- creating a plan ---------------------------------------------------------------------------------------


def _plan_input(form: PlanForm, agent_id: int) -> PlanInput:
    refs = []
    for value in form.exemplars.data or []:  # "<call id>:<criterion>"
        call_id, _sep, criterion = value.partition(":")
        if call_id.isdigit() and criterion:
            refs.append((int(call_id), criterion))
    return PlanInput(
        agent_id=agent_id,
        criteria=form.criteria.data or [],
        target_rate=form.target_rate.data / 100,
        target_calls=form.target_calls.data,
        due_date=form.due_date.data,
        goal=form.goal.data or "",
        article_ids=form.articles.data or [],
        exemplars=refs,
        tasks=(form.tasks.data or "").splitlines(),
        evaluation_ids=form.evaluations.data or [],
        first_session_at=_aware(form.session_at.data),
        first_session_topic=form.session_topic.data or "",
    )


@bp.route("/plans/new", methods=["GET", "POST"])
@allow(*LEADS)
def new_plan():
    db = get_db()
    ctx = _ctx()
    info = rubric_info(db)
    lang = ui_lang()
    agent_id = int_arg("agent")
    if agent_id is None:
        agents = list(db.scalars(select(Agent).where(Agent.active).order_by(Agent.employee_no)))
        return render_template("coaching/new_plan.html", agent=None, agents=agents)
    agent = db.get(Agent, agent_id)
    if agent is None or not agent.active:
        raise NotFound("accounts.agent_not_found")
    gaps, suggested = coaching_insights.agent_gap_list(db, ctx, agent, rubric_key=info.key)
    busy = coaching.criteria_in_active_plans(db, agent.id)
    suggested = [c for c in suggested if c not in busy]
    form = PlanForm()
    form.criteria.choices = choices((c, info.title(c, lang)) for c in info.order)
    if request.method == "GET":
        picked = [c for c in request.args.getlist("criteria") if c in info.titles] or suggested
        form.criteria.data = picked
        form.due_date.data = ctx.today + timedelta(days=30)
    else:
        picked = [c for c in (form.criteria.data or []) if c in info.titles]
    queue = coaching_insights.usual_queue(db, agent.id)
    articles = knowledge.for_criteria(db, picked)
    exemplars = {
        c: coaching_insights.exemplars(
            db, ctx, criterion=c, rubric_key=info.key, for_agent_id=agent.id, queue=queue, limit=3
        )
        for c in picked
    }
    evaluations = coaching.candidate_evaluations(db, ctx, agent, picked, rubric_key=info.key)
    if request.method == "GET":
        form.evaluations.data = [r.evaluation_id for r in evaluations[:5]]
    status = 200
    if request.method == "POST" and request.form.get("action") != "refresh":
        status = submit_form(
            form,
            lambda db: coaching.create_plan(db, _plan_input(form, agent.id), trainer=current_user, ctx=ctx),
            lambda _plan: _("Coaching plan created; %(name)s has been notified.", name=agent.name),
            lambda plan: url_for("coaching.plan", plan_id=plan.id),
        )
        if not isinstance(status, int):
            return status
    return render_template(
        "coaching/new_plan.html",
        agent=agent,
        cohort=agent.cohort(ctx.today, ctx.new_hire_days),
        form=form,
        info=info,
        lang=lang,
        gaps={g.criterion: g for g in gaps},
        suggested=suggested,
        busy=busy,
        picked=picked,
        articles=articles,
        exemplars=exemplars,
        exemplar_label=_exemplar_label,
        evaluations=evaluations,
        queue=queue,
        min_sample=coaching_insights.DEFAULT_MIN_SAMPLE,
        window_days=coaching_insights.GAP_WINDOW_DAYS,
    ), status


# --- plans ---------------------------------------------------------------------------------------------------


@bp.route("/plans")
@allow(*LEADS)
def plans():
    db = get_db()
    state = request.args.get("state", "active")
    state = state if state in (*[s.value for s in PlanState], "all") else "active"
    mine = request.args.get("mine") == "1"
    rows = coaching.list_plans(
        db, state=None if state == "all" else state, trainer_id=current_user.id if mine else None,
        agent_id=int_arg("agent"),
    )
    return render_template(
        "coaching/plans.html", plans=rows, state=state, mine=mine, states=[s.value for s in PlanState],
        info=rubric_info(db), lang=ui_lang(), today=_ctx().today,
    )


@bp.route("/plans/<int:plan_id>")
@allow(*LEADS, Role.AGENT)
def plan(plan_id: int):
    db = get_db()
    ctx = _ctx()
    p = coaching.get_plan(db, plan_id, current_user)
    info = rubric_info(db, p.rubric_key)
    lang = ui_lang()
    manager = can("coaching.plan_update")
    item_form = edit_form = session_form = cancel_form = None
    if manager and p.is_active:
        item_form = ItemForm()
        item_form.article_id.choices = choices(
            (a.id, a.title) for a in knowledge.choices_for(db, p.criteria)
            if a.id not in {i.article_id for i in p.items}
        )
        queue = coaching_insights.usual_queue(db, p.agent_id)
        item_form.exemplar.choices = choices(
            (f"{e.call_id}:{c}", f"{info.title(c, lang)} · {_exemplar_label(e)}")
            for c in p.criteria
            for e in coaching_insights.exemplars(
                db, ctx, criterion=c, rubric_key=p.rubric_key, for_agent_id=p.agent_id, queue=queue, limit=5
            )
            if e.call_id not in {i.call_id for i in p.items}
        )
        edit_form = PlanEditForm(data={"goal": p.goal, "due_date": p.due_date, "version": p.version})
        session_form = SessionForm()
        cancel_form = CancelForm()
    return render_template(
        "coaching/plan.html",
        plan=p,
        info=info,
        lang=lang,
        manager=manager,
        is_own=can("coaching.plan_acknowledge"),
        today=ctx.today,
        now=ctx.now,
        evaluations=coaching.motivating_evaluations(db, p),
        item_form=item_form,
        edit_form=edit_form,
        session_form=session_form,
        cancel_form=cancel_form,
        form=EmptyForm(),
    )


def _run(subject, form, action, done: str) -> None:  # noqa: ANN001
    """The POST body of a plan or session button: validate the form, run ``action(db, subject)``, commit and
    flash ``done``; refused input is flashed, nothing is stored."""
    db = get_db()
    if not form.validate_on_submit():
        _form_errors(form)
        return
    try:
        action(db, subject)
        db.commit()
    except (Invalid, Conflict) as exc:
        db.rollback()
        flash(text(exc.msg), "danger")
    else:
        flash(done, "success")


def _plan_action(plan_id: int, form, action, done: str, anchor: str = ""):  # noqa: ANN001, ANN202
    """A plan button (404 for a plan the user may not see), then back to the plan page."""
    _run(coaching.get_plan(get_db(), plan_id, current_user), form, action, done)
    return redirect(url_for("coaching.plan", plan_id=plan_id) + anchor)


@bp.route("/plans/<int:plan_id>/update", methods=["POST"])
@allow(*LEADS)
def plan_update(plan_id: int):
    form = PlanEditForm()
    version = form.version.data
    return _plan_action(
        plan_id,
        form,
        lambda db, p: coaching.update_plan(
            db, p, actor=current_user, ctx=_ctx(), goal=form.goal.data or "", due_date=form.due_date.data,
            expected_version=int(version) if version and version.isdigit() else None,
        ),
        _("Plan saved."),
    )


@bp.route("/plans/<int:plan_id>/recheck", methods=["POST"])
@allow(*LEADS)
def plan_recheck(plan_id: int):
    outcome: dict[str, str] = {}

    def run(db, p):  # noqa: ANN001, ANN202
        outcome["state"] = coaching.recheck(db, p, ctx=_ctx(), actor=current_user)

    resp = _plan_action(plan_id, EmptyForm(), run, _("Target re-checked."), "#target")
    if outcome.get("state") in (PlanState.MET, PlanState.NOT_MET):
        flash(_("The plan is closed: %(state)s.", state=label("coaching_plan_state", outcome["state"])), "info")
    return resp


@bp.route("/plans/<int:plan_id>/cancel", methods=["POST"])
@allow(*LEADS)
def plan_cancel(plan_id: int):
    form = CancelForm()
    return _plan_action(
        plan_id,
        form,
        lambda db, p: coaching.cancel_plan(db, p, actor=current_user, reason=form.reason.data or "", now=_ctx().now),
        _("Plan cancelled."),
    )


@bp.route("/plans/<int:plan_id>/acknowledge", methods=["POST"])
@allow(Role.AGENT)
def plan_acknowledge(plan_id: int):
    return _plan_action(
        plan_id,
        EmptyForm(),
        lambda db, p: coaching.acknowledge_plan(db, p, user=current_user, now=_ctx().now),
        _("Thank you: the plan is acknowledged."),
    )


@bp.route("/plans/<int:plan_id>/items", methods=["POST"])
@allow(*LEADS)
def item_add(plan_id: int):
    form = ItemForm()

    def add(db, p):  # noqa: ANN001, ANN202
        call_id, _sep, criterion = (form.exemplar.data or "").partition(":")
        coaching.add_item(
            db,
            p,
            actor=current_user,
            ctx=_ctx(),
            kind=form.kind.data,
            article_id=form.article_id.data or None,
            call_id=int(call_id) if call_id.isdigit() else None,
            criterion=criterion or None,
            title=form.title.data or "",
            note=form.note.data or "",
        )

    return _plan_action(plan_id, form, add, _("Learning item added."), "#items")


@bp.route("/plans/<int:plan_id>/items/<int:item_id>/remove", methods=["POST"])
@allow(*LEADS)
def item_remove(plan_id: int, item_id: int):
    return _plan_action(
        plan_id,
        EmptyForm(),
        lambda db, p: coaching.remove_item(db, p, coaching.get_item(db, p, item_id), actor=current_user),
        _("Learning item removed."),
        "#items",
    )


@bp.route("/plans/<int:plan_id>/items/<int:item_id>/done", methods=["POST"])
@allow(Role.AGENT)
def item_done(plan_id: int, item_id: int):
    done = request.form.get("done", "1") == "1"
    return _plan_action(
        plan_id,
        EmptyForm(),
        lambda db, p: coaching.set_item_done(
            db, p, coaching.get_item(db, p, item_id), user=current_user, done=done, now=_ctx().now
        ),
        _("Marked as done.") if done else _("Marked as not done."),
        "#items",
    )


@bp.route("/plans/<int:plan_id>/items/<int:item_id>")
@allow(*LEADS, Role.AGENT)
def exemplar(plan_id: int, item_id: int):
    """Listen to an exemplar call, cued at the evidence of the criterion."""
    db = get_db()
    p = coaching.get_plan(db, plan_id, current_user)
    item, call, transcript = coaching.exemplar_item(db, p, item_id)
    info = rubric_info(db, p.rubric_key)
    cue_start, cue_end = item.cue_start, item.cue_end
    return render_template(
        "coaching/exemplar.html",
        plan=p,
        item=item,
        call=call,
        transcript=transcript,
        info=info,
        lang=ui_lang(),
        manager=can("coaching.plan_update"),
        cue_start=cue_start,
        cue_end=cue_end,
        form=EmptyForm(),
    )


@bp.route("/plans/<int:plan_id>/items/<int:item_id>/audio")
@allow(*LEADS, Role.AGENT)
def exemplar_audio(plan_id: int, item_id: int):
    db = get_db()
    p = coaching.get_plan(db, plan_id, current_user)
    _item, call, _t = coaching.exemplar_item(db, p, item_id)
    return send_audio(call, via=f"coaching_plan:{p.id}")


# --- sessions ------------------------------------------------------------------------------------------------


@bp.route("/plans/<int:plan_id>/sessions", methods=["POST"])
@allow(*LEADS)
def session_add(plan_id: int):
    form = SessionForm()
    return _plan_action(
        plan_id,
        form,
        lambda db, p: coaching.schedule_session(
            db, p, actor=current_user, ctx=_ctx(), scheduled_at=_aware(form.scheduled_at.data), topic=form.topic.data or ""
        ),
        _("Session scheduled."),
        "#sessions",
    )


@bp.route("/sessions")
@allow(*LEADS)
def sessions():
    db = get_db()
    ctx = _ctx()
    mine = request.args.get("mine") == "1"
    rows = coaching.open_sessions(db, trainer_id=current_user.id if mine else None)
    return render_template(
        "coaching/sessions.html", sessions=rows, mine=mine, now=ctx.now, grace=coaching.SESSION_GRACE,
        info=rubric_info(db), lang=ui_lang(),
    )


@bp.route("/sessions/<int:session_id>")
@allow(*LEADS, Role.AGENT)
def session(session_id: int):
    db = get_db()
    ctx = _ctx()
    s = coaching.get_session(db, session_id, current_user)
    manager = can("coaching.plan_update")
    record_form = reschedule_form = None
    if manager and s.state == "scheduled":
        held = min(s.scheduled_at, ctx.now)  # a session is recorded after it took place
        record_form = SessionRecordForm(data={"held_at": held.astimezone(_tz()).replace(tzinfo=None)})
        reschedule_form = SessionForm(
            data={"scheduled_at": s.scheduled_at.astimezone(_tz()).replace(tzinfo=None), "topic": s.topic}
        )
    return render_template(
        "coaching/session.html",
        s=s,
        plan=s.plan,
        info=rubric_info(db, s.plan.rubric_key),
        lang=ui_lang(),
        manager=manager,
        is_own=can("coaching.plan_acknowledge"),
        overdue=s.state == "scheduled" and s.scheduled_at + coaching.SESSION_GRACE <= ctx.now,
        record_form=record_form,
        reschedule_form=reschedule_form,
        form=EmptyForm(),
    )


def _session_action(session_id: int, form, action, done: str):  # noqa: ANN001, ANN202
    """A session button (404 for a session the user may not see), then back to the session page."""
    _run(coaching.get_session(get_db(), session_id, current_user), form, action, done)
    return redirect(url_for("coaching.session", session_id=session_id))


@bp.route("/sessions/<int:session_id>/record", methods=["POST"])
@allow(*LEADS)
def session_record(session_id: int):
    form = SessionRecordForm()
    return _session_action(
        session_id,
        form,
        lambda db, s: coaching.record_session(
            db, s, actor=current_user, ctx=_ctx(), held_at=_aware(form.held_at.data),
            notes=form.notes.data or "", commitments=form.commitments.data or "",
        ),
        _("Session recorded; the agent can now acknowledge it."),
    )


@bp.route("/sessions/<int:session_id>/reschedule", methods=["POST"])
@allow(*LEADS)
def session_reschedule(session_id: int):
    form = SessionForm()
    return _session_action(
        session_id,
        form,
        lambda db, s: coaching.reschedule_session(
            db, s, actor=current_user, ctx=_ctx(), scheduled_at=_aware(form.scheduled_at.data), topic=form.topic.data or ""
        ),
        _("Session rescheduled."),
    )


@bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@allow(*LEADS)
def session_cancel(session_id: int):
    return _session_action(
        session_id,
        EmptyForm(),
        lambda db, s: coaching.cancel_session(db, s, actor=current_user, now=_ctx().now),
        _("Session cancelled."),
    )


@bp.route("/sessions/<int:session_id>/acknowledge", methods=["POST"])
@allow(Role.AGENT)
def session_acknowledge(session_id: int):
    return _session_action(
        session_id,
        EmptyForm(),
        lambda db, s: coaching.acknowledge_session(db, s, user=current_user, now=_ctx().now),
        _("Thank you: the session is acknowledged."),
    )


# --- the agent's page --------------------------------------------------------------------------------------


@bp.route("/me")
@allow(Role.AGENT)
def me():
    db = get_db()
    ctx = _ctx()
    agent = organisation.agent_for_user(db, current_user)
    plans = coaching.plans_for_agent(db, agent.id) if agent else []
    return render_template(
        "coaching/me.html",
        agent=agent,
        active=[p for p in plans if p.is_active],
        closed=[p for p in plans if not p.is_active],
        upcoming=coaching.open_sessions(db, agent_id=agent.id) if agent else [],
        to_acknowledge=coaching.sessions_to_acknowledge(db, agent.id) if agent else [],
        info=rubric_info(db),
        lang=ui_lang(),
        now=ctx.now,
        today=ctx.today,
        grace=coaching.SESSION_GRACE,
    )


# --- coaching effect -----------------------------------------------------------------------------------------


def _effect(db):  # noqa: ANN001, ANN202
    ctx = _ctx()
    info = rubric_info(db)
    trainer_id = int_arg("trainer")
    report = coaching_insights.effect_report(db, ctx, rubric_key=info.key, trainer_id=trainer_id)
    return info, report, trainer_id


@bp.route("/effect")
@allow(*LEADS)
def effect():
    db = get_db()
    info, report, trainer_id = _effect(db)
    trainers = {
        u.id: u
        for u in db.scalars(
            select(User).where(User.id.in_(select(CoachingPlan.trainer_id).distinct())).order_by(User.display_name)
        )
    }
    return render_template(
        "coaching/effect.html",
        report=report,
        info=info,
        lang=ui_lang(),
        trainers=trainers,
        trainer_id=trainer_id,
    )


@bp.route("/effect.csv")
@allow(*LEADS)
def effect_csv():
    db = get_db()
    info, report, _t = _effect(db)
    header = (
        "plan_id", "employee_no", "agent", "trainer", "criterion", "criterion_title", "plan_state",
        "before_from", "after_to", "coached_before_passes", "coached_before_n", "coached_after_passes",
        "coached_after_n", "comparison_agents", "comparison_before_passes", "comparison_before_n",
        "comparison_after_passes", "comparison_after_n", "did", "ci_low", "ci_high", "verdict",
    )  # fmt: skip
    rows = []
    for r in report.rows:
        e = r.estimate
        rows.append((
            r.plan.id, r.plan.agent.employee_no, r.plan.agent.name,
            r.plan.trainer.display_name if r.plan.trainer else "", e.criterion, info.title(e.criterion, ui_lang()),
            r.plan.state, r.before.start.isoformat(), r.after.end.isoformat(),
            e.coached_before.passes, e.coached_before.n, e.coached_after.passes, e.coached_after.n,
            e.comparison_agents, e.comparison_before.passes, e.comparison_before.n,
            e.comparison_after.passes, e.comparison_after.n,
            "" if e.did is None else round(e.did, 4),
            "" if e.ci is None else round(e.ci.low, 4), "" if e.ci is None else round(e.ci.high, 4), e.verdict,
        ))  # fmt: skip
    body = exports.csv_bytes(header, rows)  # formula cells escaped; BOM so that Excel reads the Chinese
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=coaching-effect.csv", "Cache-Control": "no-store"},
    )

