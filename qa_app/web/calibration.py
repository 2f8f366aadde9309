"""Calibration (校准): sessions list and set-up, progress, blind scoring, results and outcome, trends.

Staff only: agents get a 403 on every page here (not even their own call's calibration). Which
session a staff member may open, and when the answers of others are shown, is decided by
services.calibration (participants only; blind until the discussion).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    Form,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from qa_app.db.models import Agent, CalibrationState, EvalState, RubricVersion, Team
from qa_app.services import calibration, call_reads, processing, rubrics
from qa_app.services.errors import Conflict, Forbidden, Invalid, ServiceError
from qa_app.services.evaluations import RESULTS, AnswerErrors, ItemInput
from qa_app.web.access import STAFF, allow
from qa_app.web.context import get_db, get_settings
from qa_app.web.errors import status_of
from qa_app.web.forms import EmptyForm, choices, submit_form
from qa_app.web.i18n import text, ui_lang

bp = Blueprint("calibration", __name__, url_prefix="/calibration")


# --- forms --------------------------------------------------------------------------------------------------


class SessionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    rubric_version_id = SelectField(_l("Rubric version"), coerce=int)
    call_ids = SelectMultipleField(_l("Calls"), coerce=int, validate_choice=False)
    rater_ids = SelectMultipleField(_l("Reviewers"), coerce=int, validate_choice=False)
    include_machine = BooleanField(_l("Include the machine as one more rater"))
    expert_user_id = SelectField(_l("Expert reference"), coerce=int, default=0)
    due_date = DateField(_l("Due date"), validators=[Optional()])
    start_now = BooleanField(_l("Ask the reviewers to score now"), default=True)


class CallFilterForm(Form):
    """The call picker's filters (prefix ``f-``); part of the set-up form so ticked calls are kept."""

    team = SelectField(_l("Team"), coerce=int, default=0)
    agent = SelectField(_l("Agent"), coerce=int, default=0)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    max_score = DecimalField(
        _l("Automated score at most"), places=None, validators=[Optional(), NumberRange(min=0, max=100)]
    )
    critical = BooleanField(_l("Critical item failed"))
    queue = StringField(_l("Queue / skill"), validators=[Optional(), Length(max=80)])


class ScoreForm(FlaskForm):
    version = IntegerField(validators=[DataRequired()])
    summary = TextAreaField(_l("Overall comment"), validators=[Optional(), Length(max=4000)])


class OutcomeForm(FlaskForm):
    lock_version = IntegerField(validators=[DataRequired()])
    notes = TextAreaField(_l("Discussion notes"), validators=[Optional(), Length(max=20000)])


class DiscussionForm(FlaskForm):
    allow_missing = BooleanField(_l("Move on although some scores are missing"))


# --- helpers -------------------------------------------------------------------------------------------------


def _tz() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def _today() -> date:
    return datetime.now(_tz()).date()


def _versions() -> list[RubricVersion]:
    return [v for v in rubrics.list_versions(get_db()) if v.status in ("published", "archived")]


def _setup_choices(form: SessionForm) -> None:
    db = get_db()
    lang = ui_lang()
    versions = _versions()
    form.rubric_version_id.choices = choices(
        (v.id, f"{v.title_en if lang == 'en' and v.title_en else v.title_zh} v{v.version}"
         + (" ★" if v.is_default else ""))
        for v in versions
    )  # fmt: skip
    if form.rubric_version_id.data is None:
        form.rubric_version_id.data = rubrics.default_version(db).id
    raters = calibration.eligible_raters(db)
    form.expert_user_id.choices = choices([(0, _("— none —"))] + [(u.id, u.display_name) for u in raters])
    form.rater_ids.choices = choices((u.id, u.display_name) for u in raters)


def _filter_form(source) -> CallFilterForm:  # noqa: ANN001
    db = get_db()
    f = CallFilterForm(source, prefix="f-")
    f.team.choices = choices(
        [(0, _("All"))] + [(t.id, t.name) for t in db.scalars(select(Team).order_by(Team.name))]
    )
    f.agent.choices = choices(
        [(0, _("All"))]
        + [(a.id, f"{a.employee_no} {a.name}") for a in db.scalars(select(Agent).order_by(Agent.employee_no))]
    )
    return f


def _candidates(form: SessionForm, flt: CallFilterForm) -> tuple[list, list]:
    """(selected calls, other matching calls)."""
    db = get_db()
    selected = calibration.calls_by_id(db, form.call_ids.data or [])
    if not flt.validate():
        return selected, []
    tz = _tz()
    search = calibration.CallSearch(
        rubric_version_id=form.rubric_version_id.data or rubrics.default_version(db).id,
        agent_id=flt.agent.data or None,
        team_id=flt.team.data or None,
        date_from=datetime.combine(flt.date_from.data, datetime.min.time(), tz)
        if flt.date_from.data
        else None,
        date_to=datetime.combine(flt.date_to.data + timedelta(days=1), datetime.min.time(), tz)
        if flt.date_to.data and flt.date_to.data < date(9000, 1, 1)
        else None,
        max_score=float(flt.max_score.data) if flt.max_score.data is not None else None,
        critical_failed=bool(flt.critical.data),
        queue=flt.queue.data or "",
    )
    chosen = {c.id for c in selected}
    return selected, [c for c in calibration.candidate_calls(db, search) if c.id not in chosen]


def _input(form: SessionForm) -> calibration.SessionInput:
    return calibration.SessionInput(
        title=form.title.data or "",
        rubric_version_id=form.rubric_version_id.data,
        call_ids=tuple(form.call_ids.data or ()),
        rater_ids=tuple(form.rater_ids.data or ()),
        include_machine=bool(form.include_machine.data),
        expert_user_id=form.expert_user_id.data or None,
        due_date=form.due_date.data,
    )


def _detail_url(s) -> str:  # noqa: ANN001
    return url_for("calibration.detail", calibration_id=s.id)


def _render_setup(template: str, form: SessionForm, flt: CallFilterForm, status: int, **ctx):  # noqa: ANN202
    selected, others = _candidates(form, flt)
    return render_template(
        template,
        form=form,
        flt=flt,
        selected_calls=selected,
        other_calls=others,
        cards=call_reads.default_cards(get_db(), [c.id for c in selected + others]),
        **ctx,
    ), status


# --- list and set-up ---------------------------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
@allow(*STAFF)
def index():
    db = get_db()
    form = SessionForm()
    _setup_choices(form)
    flt = _filter_form(request.form if request.method == "POST" else request.args)
    status = 200
    if request.method == "POST" and request.form.get("action") == "save":

        def create(db):  # noqa: ANN001, ANN202
            s = calibration.create_session(db, _input(form), actor=current_user, today=_today())
            if form.start_now.data:
                calibration.start_scoring(db, s, actor=current_user)
            return s

        status = submit_form(
            form,
            create,
            lambda _s: _("Calibration session created; the reviewers were asked to score.")
            if form.start_now.data
            else _("Calibration session created. Start the scoring when the set-up is right."),
            _detail_url,
        )
        if not isinstance(status, int):
            return status
    elif request.method == "GET":
        form.title.data = form.title.data or _("Calibration %(day)s", day=_today().isoformat())
    return _render_setup(
        "calibration/index.html",
        form,
        flt,
        status,
        sessions=calibration.sessions_for(db, current_user),
        today=_today(),
    )


@bp.route("/<int:calibration_id>/edit", methods=["GET", "POST"])
@allow(*STAFF)
def edit(calibration_id: int):
    db = get_db()
    s = calibration.get_for(db, current_user, calibration_id)
    if not calibration.can_manage(s, current_user):
        raise Forbidden("calibration.lead_only")
    if s.state != CalibrationState.OPEN:
        flash(_("Calls and reviewers are fixed once the scoring has started."), "warning")
        return redirect(url_for("calibration.detail", calibration_id=s.id))
    if request.method == "GET":
        data = calibration.session_input(s)
        form = SessionForm(
            formdata=None,
            title=data.title,
            rubric_version_id=data.rubric_version_id,
            call_ids=list(data.call_ids),
            rater_ids=list(data.rater_ids),
            include_machine=data.include_machine,
            expert_user_id=data.expert_user_id or 0,
            due_date=data.due_date,
        )
    else:
        form = SessionForm()
    _setup_choices(form)
    flt = _filter_form(request.form if request.method == "POST" else request.args)
    status = 200
    if request.method == "POST" and request.form.get("action") == "save":
        status = submit_form(
            form,
            lambda db: calibration.update_session(db, s, _input(form), actor=current_user, today=_today()),
            lambda _s: _("Saved."),
            _detail_url,
        )
        if not isinstance(status, int):
            return status
    return _render_setup("calibration/edit.html", form, flt, status, session=s)


# --- one session -------------------------------------------------------------------------------------------


@bp.route("/<int:calibration_id>")
@allow(*STAFF)
def detail(calibration_id: int):
    db = get_db()
    s = calibration.get_for(db, current_user, calibration_id)
    progress = calibration.progress(db, s)
    return render_template(
        "calibration/detail.html",
        session=s,
        progress=progress,
        mine=next((p for p in progress if p.user.id == current_user.id), None),
        can_manage=calibration.can_manage(s, current_user),
        can_see_results=calibration.can_see_results(db, s, current_user),
        missing=sum(len(s.calls) - p.submitted for p in progress),
        form=EmptyForm(),
        discussion_form=DiscussionForm(),
        today=_today(),
    )


def _state_change(calibration_id: int, action) -> object:  # noqa: ANN001
    db = get_db()
    s = calibration.get_for(db, current_user, calibration_id)
    try:
        action(db, s)
        db.commit()
    except (Invalid, Conflict) as exc:
        db.rollback()
        flash(text(exc.msg), "danger")
        return None
    return s


@bp.route("/<int:calibration_id>/start", methods=["POST"])
@allow(*STAFF)
def start(calibration_id: int):
    if _state_change(calibration_id, lambda db, s: calibration.start_scoring(db, s, actor=current_user)):
        flash(_("Scoring started; the reviewers were notified."), "success")
    return redirect(url_for("calibration.detail", calibration_id=calibration_id))


@bp.route("/<int:calibration_id>/discussion", methods=["POST"])
@allow(*STAFF)
def discussion(calibration_id: int):
    form = DiscussionForm()
    form.validate_on_submit()
    done = _state_change(
        calibration_id,
        lambda db, s: calibration.start_discussion(
            db, s, actor=current_user, allow_missing=bool(form.allow_missing.data)
        ),
    )
    if done:
        flash(_("Scoring is closed; the results are open for the discussion."), "success")
        return redirect(url_for("calibration.results", calibration_id=calibration_id))
    return redirect(url_for("calibration.detail", calibration_id=calibration_id))


# --- blind scoring -----------------------------------------------------------------------------------------


def _posted_answers(rubric) -> tuple[dict[str, ItemInput], dict[str, str]]:  # noqa: ANN001
    answers: dict[str, ItemInput] = {}
    errors: dict[str, str] = {}
    for c in rubric.criteria():
        result = request.form.get(f"result-{c.id}", "")
        raw_points = request.form.get(f"points-{c.id}", "").strip()
        comment = request.form.get(f"comment-{c.id}", "")[:2000]
        if not result:
            if raw_points or comment.strip():
                errors[c.id] = _("Choose pass, fail or N/A.")
            continue
        points = None
        if raw_points:
            try:
                points = float(raw_points)
            except ValueError:
                errors[c.id] = _("The points must be a number.")
                continue
            if points != points or points in (float("inf"), float("-inf")):
                errors[c.id] = _("The points must be a number.")
                continue
        answers[c.id] = ItemInput(result, points, comment=comment)
    return answers, errors


@bp.route("/<int:calibration_id>/calls/<int:call_id>/score", methods=["GET", "POST"])
@allow(*STAFF)
def score(calibration_id: int, call_id: int):
    db = get_db()
    s = calibration.get_for(db, current_user, calibration_id)
    ev = calibration.rater_evaluation(db, s, current_user, call_id)
    rubric = rubrics.to_domain(ev.rubric_version, strict=False)
    form = ScoreForm(data={"version": ev.version, "summary": ev.summary} if request.method == "GET" else None)
    errors: dict[str, str] = {}
    values = {cid: dict(it) for cid, it in ev.items.items()}
    status = 200
    if request.method == "POST":
        answers, errors = _posted_answers(rubric)
        values = {
            cid: {"result": a.result, "points": a.points, "comment": a.comment} for cid, a in answers.items()
        }
        submit = request.form.get("action") == "submit"
        if form.validate_on_submit() and not errors:
            try:
                calibration.save_score(
                    db,
                    s,
                    ev,
                    actor=current_user,
                    expected_version=form.version.data,
                    answers=answers,
                    summary=form.summary.data or "",
                    submit=submit,
                )
                db.commit()
            except ServiceError as exc:
                db.rollback()
                errors = {cid: text(m) for cid, m in exc.errors.items()} if isinstance(exc, AnswerErrors) else {}
                flash(_("Please correct the marked criteria.") if errors else text(exc.msg), "danger")
                status = 409 if isinstance(exc, Conflict) else 400
            else:
                if submit:
                    flash(_("Score submitted for call #%(id)d.", id=call_id), "success")
                    return redirect(_next_call_url(s, call_id))
                flash(_("Draft saved."), "success")
                return redirect(url_for("calibration.score", calibration_id=s.id, call_id=call_id))
        else:
            status = 400
            if errors:
                flash(_("Please correct the marked criteria."), "danger")
    position = [cc.call_id for cc in s.calls]
    return render_template(
        "calibration/score.html",
        session=s,
        call=ev.call,
        ev=ev,
        rubric=rubric,
        form=form,
        values=values,
        errors=errors,
        transcript=processing.load_transcript(db, call_id),
        editable=s.state == CalibrationState.SCORING and ev.state == EvalState.DRAFT,
        index=position.index(call_id) + 1,
        count=len(position),
        results_tuple=RESULTS,
    ), status


def _next_call_url(s, call_id: int) -> str:  # noqa: ANN001
    """The next call this rater has not submitted, else the session page."""
    db = get_db()
    progress = next((p for p in calibration.progress(db, s) if p.user.id == current_user.id), None)
    ids = [cc.call_id for cc in s.calls]
    after = ids[ids.index(call_id) + 1 :] + ids[: ids.index(call_id)]
    for cid in after:
        if progress and progress.by_call.get(cid) != "submitted":
            return url_for("calibration.score", calibration_id=s.id, call_id=cid)
    return url_for("calibration.detail", calibration_id=s.id)


# --- results, discussion, outcome --------------------------------------------------------------------------


def _posted_outcome(res) -> tuple[dict[int, dict[str, ItemInput]], dict[str, str], dict]:  # noqa: ANN001
    agreed: dict[int, dict[str, ItemInput]] = {}
    errors: dict[str, str] = {}
    posted: dict[tuple[int, str], tuple[str, str]] = {}
    for cr in res.calls:
        for row in cr.rows:
            key = f"{cr.call.id}-{row.criterion.id}"
            result = request.form.get(f"agreed-{key}", "")
            raw = request.form.get(f"agreed_points-{key}", "").strip()
            posted[(cr.call.id, row.criterion.id)] = (result, raw)
            if not result:
                continue
            points = None
            if raw:
                try:
                    points = float(raw)
                except ValueError:
                    errors[key] = _("The points must be a number.")
                    continue
            agreed.setdefault(cr.call.id, {})[row.criterion.id] = ItemInput(result, points)
    return agreed, errors, posted


def _render_results(s, form: OutcomeForm, status: int = 200, errors=None, posted=None):  # noqa: ANN001, ANN202
    db = get_db()
    res = calibration.results(db, s)
    return render_template(
        "calibration/results.html",
        session=s,
        res=res,
        form=form,
        errors=errors or {},
        posted=posted,
        can_manage=calibration.can_manage(s, current_user),
        editable=calibration.can_manage(s, current_user) and s.state == CalibrationState.DISCUSSION,
        lang=ui_lang(),
    ), status


@bp.route("/<int:calibration_id>/results")
@allow(*STAFF)
def results(calibration_id: int):
    db = get_db()
    s = calibration.results_for(db, current_user, calibration_id)
    form = OutcomeForm(data={"lock_version": s.lock_version, "notes": s.discussion_notes})
    return _render_results(s, form)


@bp.route("/<int:calibration_id>/outcome", methods=["POST"])
@allow(*STAFF)
def outcome(calibration_id: int):
    db = get_db()
    s = calibration.results_for(db, current_user, calibration_id)
    form = OutcomeForm()
    res = calibration.results(db, s)
    agreed, errors, posted = _posted_outcome(res)
    close = request.form.get("action") == "close"
    if not form.validate_on_submit() or errors:
        if errors:
            flash(_("Please correct the marked answers."), "danger")
        return _render_results(s, form, 400, errors, posted)
    try:
        calibration.save_outcome(
            db,
            s,
            actor=current_user,
            expected_lock_version=form.lock_version.data,
            notes=form.notes.data or "",
            agreed=agreed,
            close=close,
        )
        db.commit()
    except ServiceError as exc:
        db.rollback()
        flash(text(exc.msg), "danger")
        status = status_of(exc)
        bad = {
            field.removeprefix("agreed-"): text(m)
            for field, m in (exc.errors if isinstance(exc, AnswerErrors) else {}).items()
            if field.startswith("agreed-")
        }
        db.refresh(s)
        return _render_results(s, form, status, bad, posted)
    flash(_("Calibration session closed.") if close else _("Outcome saved."), "success")
    return redirect(url_for("calibration.results", calibration_id=s.id))


# --- trends ---------------------------------------------------------------------------------------------------


def sparkline(
    values: list[float | None], *, lo: float = 0.0, hi: float = 1.0, width: int = 120, height: int = 28
):
    """Polyline segments (lists of "x,y" strings) for an inline SVG; None values break the line."""
    n = len(values)
    text = ", ".join("—" if v is None else f"{v:.2f}" for v in values)
    if n == 0:
        return {"segments": [], "dots": [], "width": width, "height": height, "text": text}
    lo = min([lo, *(v for v in values if v is not None)])
    hi = max([hi, *(v for v in values if v is not None)])
    span = (hi - lo) or 1.0
    pad = 3
    segments: list[list[str]] = [[]]
    dots = []
    for i, v in enumerate(values):
        if v is None:
            if segments[-1]:
                segments.append([])
            continue
        x = pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)
        y = pad + (height - 2 * pad) * (1 - (v - lo) / span)
        segments[-1].append(f"{x:.1f},{y:.1f}")
        dots.append((round(x, 1), round(y, 1)))
    return {
        "segments": [s for s in segments if s],
        "dots": dots,
        "width": width,
        "height": height,
        "text": text,
    }


@bp.route("/trends")
@allow(*STAFF)
def trends():
    db = get_db()
    data = calibration.trends(db, current_user)
    return render_template("calibration/trends.html", data=data, sparkline=sparkline, lang=ui_lang())
