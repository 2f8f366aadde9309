"""Calls: list, upload, call page, audio streaming."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from qa_app.db.models import (
    Agent,
    Call,
    CallStatus,
    EvalState,
    JobState,
    Purpose,
    RaterType,
    Role,
    Team,
    User,
)
from qa_app.services import (
    audit,
    call_reads,
    calls,
    evaluations,
    feedback,
    intake,
    processing,
    queueing,
    reliability,
)
from qa_app.services import rubrics as rubric_service
from qa_app.services.errors import ServiceError
from qa_app.web import feedback as feedback_views
from qa_app.web import scorecards
from qa_app.web.access import ALL_ROLES, STAFF, allow, can
from qa_app.web.context import get_db, get_settings
from qa_app.web.forms import UploadForm, choices, form_error
from qa_app.web.i18n import text, ui_lang
from qa_app.web.labels import label
from qa_app.web.params import date_arg, int_arg

bp = Blueprint("calls", __name__, url_prefix="/calls")


@bp.route("/")
@allow(*ALL_ROLES)
def index():
    db = get_db()
    settings = get_settings()
    tz = ZoneInfo(settings.timezone)
    date_from, date_to = period_args(tz)
    flt = calls.CallFilter(
        agent_id=int_arg("agent"),
        team_id=int_arg("team"),
        status=request.args.get("status") or None,
        date_from=date_from,
        date_to=date_to,
        sort=request.args.get("sort", "started_at")
        if request.args.get("sort") in calls.SORTS
        else "started_at",
        descending=request.args.get("dir", "desc") != "asc",
        review=_choice("review", calls.REVIEW_FILTERS),
        flag=_choice("flag", calls.FLAG_FILTERS),
    )
    if current_user.is_agent and flt.sort == "score":  # an agent never sorts by unreleased automated scores
        flt = replace(flt, sort="started_at")
    page = calls.list_calls(db, current_user, flt, page=int_arg("page") or 1, per_page=settings.page_size)
    agents, teams = filter_pickers(db)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "calls/index.html",
        page=page,
        cards={} if current_user.is_agent else call_reads.default_cards(db, [c.id for c in page.items]),
        scores=feedback.visible_scores(db, current_user, [c.id for c in page.items])
        if current_user.is_agent
        else None,
        flt=flt,
        agents=agents,
        teams=teams,
        statuses=[s.value for s in CallStatus],
        args=args,
    )


def period_args(tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """The ``from`` / ``to`` query parameters of a list of calls, read in ``tz``: [from, the day after to)."""
    date_to = date_arg("to", tz)
    return date_arg("from", tz), (date_to + timedelta(days=1) if date_to else None)


def filter_pickers(db) -> tuple[list[Agent], list[Team]]:  # noqa: ANN001
    """The agents and teams a list of calls can be filtered by; none for agents (their own calls only)."""
    if current_user.is_agent:
        return [], []
    agents = list(db.scalars(select(Agent).order_by(Agent.employee_no)))
    return agents, list(db.scalars(select(Team).order_by(Team.name)))


def _choice(name: str, allowed: tuple[str, ...]) -> str | None:
    """A query parameter restricted to known values; anything else (and any, for agents) is ignored."""
    value = request.args.get(name) or None
    return value if value in allowed and not current_user.is_agent else None


def _agent_choices() -> list:
    agents = get_db().scalars(select(Agent).where(Agent.active).order_by(Agent.employee_no))
    return choices((a.id, f"{a.employee_no} {a.name}") for a in agents)


@bp.route("/upload", methods=["GET", "POST"])
@allow(*STAFF)
def upload():
    form = UploadForm()
    form.agent_id.choices = _agent_choices()
    status = 200
    if form.validate_on_submit():
        db = get_db()
        settings = get_settings()
        files = [f for f in form.audio.data if f and f.filename]
        if not files:
            form.audio.errors.append(_("Choose at least one recording."))
            return render_template("calls/upload.html", form=form), 400
        started = form.started_at.data.replace(tzinfo=ZoneInfo(settings.timezone))
        try:
            kpis = calls.parse_kpi_fields({name: form[name].data for name in calls.KPI_FIELDS})
        except ServiceError as exc:
            form_error(form, exc)
            return render_template("calls/upload.html", form=form), 400
        created, problems = [], []
        for f in files:
            meta = calls.CallMeta(
                agent_id=form.agent_id.data,
                started_at=started,
                direction=form.direction.data,
                queue=form.queue.data or "",
                customer_ref=form.customer_ref.data or None,
                channel_layout=form.channel_layout.data,
                language=form.language.data,
                **kpis,
            )
            try:
                with db.begin_nested():
                    result = intake.receive(
                        db, settings, f.stream, filename=f.filename, meta=meta, actor=current_user
                    )
                created.append(result)
            except ServiceError as exc:
                problems.append(text(exc.msg))
        db.commit()
        for r in created:
            if r.created:
                flash(
                    _("Uploaded %(name)s: queued for transcription.", name=r.call.original_filename),
                    "success",
                )
            else:
                flash(
                    _(
                        "%(name)s was already imported as call #%(id)d.",
                        name=r.call.original_filename,
                        id=r.call.id,
                    ),
                    "info",
                )
        for p in problems:
            flash(p, "danger")
        if problems and not created:
            status = 400
        elif len(created) == 1:
            return redirect(url_for("calls.detail", call_id=created[0].call.id))
        else:
            return redirect(url_for("calls.index"))
    elif request.method == "POST":
        status = 400
    return render_template("calls/upload.html", form=form), status


@bp.route("/<int:call_id>")
@allow(*ALL_ROLES)
def detail(call_id: int):
    db = get_db()
    call = calls.get_visible_call(db, current_user, call_id)
    view = call_reads.call_view(db, call, get_settings())
    status = call_reads.status_dict(db, call)
    panel = None
    if current_user.is_agent:  # the automated scorecard only through a released evaluation
        view = replace(view, scorecard=None, criteria_titles={})
        panel = feedback_views.agent_panel(call, current_user)
    return render_template(
        "calls/detail.html",
        call=call,
        view=view,
        sheet=call_scorecard(view),
        progress_label=progress_label(status["job"]),
        review=review_links(db, call),
        agent_panel=panel,
        start_at=time_arg(),
        can_confirm_transcript=can("calls.confirm_transcript")
        and reliability.may_confirm(current_user, call, evaluations.agent_user_id(db, call)),
        transcript_confirmation=_confirmation(db, call),
    )


def _confirmation(db, call: Call) -> dict | None:  # noqa: ANN001
    """Who confirmed a flagged transcript (for the call page)."""
    if call.transcript_confirmed_by_id is None:
        return None
    user = db.get(User, call.transcript_confirmed_by_id)
    return {"name": user.display_name if user else "—"}


def call_scorecard(view: call_reads.CallView) -> scorecards.Scorecard | None:
    """The automated scorecard as aligned rows of its rubric (titles, evidence, critical zeroing)."""
    if view.scorecard is None:
        return None
    rubric = rubric_service.to_domain(view.scorecard.rubric_version, strict=False)
    return scorecards.build(rubric, ui_lang(), machine=scorecards.machine_rows(view.scorecard.data, rubric))


def review_links(db, call) -> dict | None:  # noqa: ANN001
    """For staff: whether they may review the call, their own review (to continue or read), and the
    completed reviews of others."""
    if not can("review.workspace"):
        return None
    mine = evaluations.own_review(db, call, current_user)
    done = [
        e
        for e in evaluations.for_call(db, call, current_user)
        if e.rater_type == RaterType.HUMAN and e.purpose == Purpose.REVIEW and e.state != EvalState.DRAFT
    ]
    return {
        "allowed": evaluations.agent_user_id(db, call) != current_user.id,
        "mine": mine,
        "done": done,
    }


def time_arg() -> float | None:
    """``?t=<seconds>``: where the player starts."""
    try:
        t = float(request.args.get("t", ""))
    except ValueError:
        return None
    return t if 0 <= t < 24 * 3600 else None


def progress_label(job: dict | None) -> str:
    """What the call's job is doing, in words: queue position, retry, or the current stage."""
    if job is None:
        return ""
    if job["state"] == JobState.QUEUED:
        pos = job.get("queue_position")
        return _("Waiting in the queue (position %(n)d)", n=pos) if pos else _("Waiting in the queue")
    if job["state"] == JobState.FAILED:
        return _(
            "Waiting to retry (attempt %(n)d of %(m)d failed)",
            n=job["attempts"],
            m=job.get("max_attempts") or 0,
        )
    if job["state"] == JobState.RUNNING:
        stage = label("job_stage", job["stage"]) if job["stage"] else _("starting")
        return _("Processing: %(stage)s", stage=stage)
    return label("job_state", job["state"])


# One audit record per playback session: a player fetches a recording in many byte ranges.
AUDIO_AUDIT_SESSION = timedelta(minutes=30)


def record_listen(call: Call, *, download: bool = False, **detail: object) -> None:
    """Audit an audio response (the original recording and the playback copies alike) before it is
    sent, whatever its Range (``bytes=-N`` and ``bytes=1-`` fetch a whole file too): a download, or a
    play — the first of a user's requests for the call within AUDIO_AUDIT_SESSION is recorded, not each
    range the player fetches afterwards. Every route that serves call audio calls this. ``detail`` goes
    into the audit event (e.g. ``via="coaching_plan:7"`` for an exemplar heard from a coaching plan)."""
    db = get_db()
    if audit.record_once(
        db,
        "audio_download" if download else "audio_play",
        user=current_user,
        target=f"call:{call.id}",
        within=AUDIO_AUDIT_SESSION,
        ip=request.remote_addr or "",
        **detail,
    ):
        db.commit()


@bp.route("/<int:call_id>/audio")
@allow(*ALL_ROLES)
def audio(call_id: int):
    call = calls.get_visible_call(get_db(), current_user, call_id)
    return send_audio(call, download=request.args.get("download") == "1")


AUDIO_MIMETYPES = {"wav": "audio/wav", "flac": "audio/flac", "mp3": "audio/mpeg", "ogg": "audio/ogg", "m4a": "audio/mp4"}


def send_audio(call: Call, *, download: bool = False, **detail: object):  # noqa: ANN201
    """The stored recording of a call the user may hear (the caller checked), with Range support, the
    listen audited (``record_listen``)."""
    path = calls.audio_file(get_settings(), call)
    record_listen(call, download=download, **detail)
    resp = send_file(
        path,
        mimetype=AUDIO_MIMETYPES.get(call.audio_format, "application/octet-stream"),
        conditional=True,
        as_attachment=download,
        download_name=f"call-{call.id}.{call.audio_format}",
        max_age=0,
    )
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.route("/<int:call_id>/retry", methods=["POST"])
@allow(Role.ADMIN)
def retry(call_id: int):
    db = get_db()
    call = calls.get_visible_call(db, current_user, call_id)
    queueing.retry_call(db, call, actor=current_user, settings=get_settings())
    db.commit()
    flash(_("Call re-queued."), "success")
    return redirect(url_for("calls.detail", call_id=call.id))


@bp.route("/<int:call_id>/swap-roles", methods=["POST"])
@allow(*STAFF)
def swap_roles(call_id: int):
    db = get_db()
    call = calls.get_visible_call(db, current_user, call_id)
    processing.swap_roles(db, call, actor=current_user, settings=get_settings())
    db.commit()
    flash(_("Agent and customer swapped; re-scoring is queued."), "success")
    return redirect(url_for("calls.detail", call_id=call.id))


@bp.route("/<int:call_id>/confirm-transcript", methods=["POST"])
@allow(*STAFF)
def confirm_transcript(call_id: int):
    """A reviewer listened: the flagged transcript is good enough (audited, with a reason; re-scores)."""
    db = get_db()
    call = calls.get_visible_call(db, current_user, call_id)
    try:
        reliability.confirm(
            db,
            call,
            actor=current_user,
            reason=request.form.get("reason", ""),
            agent_user_id=evaluations.agent_user_id(db, call),
            max_attempts=get_settings().job_max_attempts,
        )
    except ServiceError as exc:
        db.rollback()
        flash(exc.render(ui_lang()), "danger")
        return redirect(url_for("calls.detail", call_id=call_id), code=303)
    db.commit()
    flash(_("Transcript confirmed; re-scoring is queued."), "success")
    return redirect(url_for("calls.detail", call_id=call.id))


@bp.route("/<int:call_id>/rescore", methods=["POST"])
@allow(Role.ADMIN, Role.QA_REVIEWER)
def rescore(call_id: int):
    db = get_db()
    call = calls.get_visible_call(db, current_user, call_id)
    queueing.request_rescore(db, [call.id], actor=current_user)
    db.commit()
    flash(_("Re-scoring queued."), "success")
    return redirect(url_for("calls.detail", call_id=call.id))


@bp.route("/<int:call_id>/status.json")
@allow(*ALL_ROLES)
def status_json(call_id: int):
    db = get_db()
    call = calls.get_visible_call(db, current_user, call_id)
    body = call_reads.status_dict(db, call)
    if body["job"]:
        body["job"]["stage_label"] = label("job_stage", body["job"]["stage"])
        body["job"]["state_label"] = label("job_state", body["job"]["state"])
        body["job"]["label"] = progress_label(body["job"])
    return body
