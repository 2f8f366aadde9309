"""What agents see of their evaluations: the evaluation page, acknowledge, dispute; admins' release rules.

An agent reads only their own released reviews at ``/evaluations/<id>`` (anything else is a 404, like
another agent's call). Staff opening that URL are sent to the call's read-only review page
(``/calls/<call>/review/<id>``, ``web/review.py``), the one staff view of an evaluation, with the same
404 for what they may not read (another reviewer's draft, another reviewer's calibration score). The call
page shows the agent's panel through ``evaluations/_agent_panel.html`` (see ``panel_context``). Templates
link to an evaluation with ``evaluation_url(ev)``, which picks the page for the reader's role.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from qa_app.db.models import Call, Evaluation, ReleaseRule, Role, User
from qa_app.services import evaluations, feedback
from qa_app.services.errors import Invalid, NotFound, ServiceError
from qa_app.web.access import ALL_ROLES, allow
from qa_app.web.context import get_db, get_settings
from qa_app.web.forms import choices
from qa_app.web.i18n import text

bp = Blueprint("feedback", __name__)


# --- forms ---------------------------------------------------------------------------------------------------


class DisputeFormBase(FlaskForm):
    note = TextAreaField(_l("Overall note (optional)"), validators=[Optional(), Length(max=4000)])
    back = HiddenField()


def dispute_form(criterion_ids: list[str], **kw) -> FlaskForm:  # noqa: ANN003
    """A form with one checkbox ``pick-<id>`` and one reason ``reason-<id>`` per criterion."""

    class DisputeForm(DisputeFormBase):
        pass

    for cid in criterion_ids:
        setattr(DisputeForm, f"pick-{cid}", BooleanField(cid))
        setattr(
            DisputeForm,
            f"reason-{cid}",
            TextAreaField(_l("Why this verdict is wrong"), validators=[Optional(), Length(max=2000)]),
        )
    return DisputeForm(**kw)


class AcknowledgeForm(FlaskForm):
    back = HiddenField()


RULE_HELP = {
    ReleaseRule.NEVER: (
        _l("Never"),
        _l(
            "Automated scores never reach agents; an agent sees a call's evaluation only after a reviewer "
            "submits one."
        ),
    ),
    ReleaseRule.CLEAN: (
        _l("Clean calls only (default)"),
        _l(
            "An automated evaluation is released to the agent when no critical item failed and no verdict "
            "needs a reviewer's check; every other call waits for a human review."
        ),
    ),
    ReleaseRule.ALWAYS: (
        _l("Always"),
        _l(
            "Every automated evaluation is released to the agent at once, including critical failures and "
            "uncertain verdicts (the agent can dispute them)."
        ),
    ),
}


class ReleaseRuleForm(FlaskForm):
    rubric_key = HiddenField(validators=[DataRequired()])
    auto_release = RadioField(
        _l("Release automated evaluations to agents"),
        choices=choices((r.value, RULE_HELP[r][0]) for r in ReleaseRule),
        validators=[DataRequired()],
    )


# --- shared with the call page -------------------------------------------------------------------------------


def panel_context(ev: Evaluation | None, user: User, *, back: str, form: FlaskForm | None = None) -> dict:
    """What ``evaluations/_panel.html`` needs to show ``ev`` to ``user`` (with the agent's actions)."""
    if ev is None:
        return {"ev": None}
    window = get_settings().dispute_window_days
    rows = feedback.item_rows(ev)
    disputes = feedback.disputes_of(get_db(), ev)
    mine = user.is_agent
    can_dispute = mine and feedback.can_dispute(ev, window)
    return {
        "ev": ev,
        "rows": rows,
        "deadline": feedback.deadline(ev, window),
        "window_days": window,
        "can_ack": mine and ev.state == "released" and not ev.superseded,
        "can_dispute": can_dispute,
        "dispute_form": form
        if form is not None
        else (dispute_form([r.criterion_id for r in rows], back=back) if can_dispute else None),
        "ack_form": AcknowledgeForm(back=back),
        "errors": list(form.form_errors) if form is not None else [],
        "disputes": disputes,
        # criterion id -> "open" | "accepted" | "rejected": what happened to the agent's claim on it
        "claims": {
            c["criterion_id"]: "open"
            if d.state == "open"
            else ("accepted" if d.ruling.get(c["criterion_id"], {}).get("accepted") else "rejected")
            for d in disputes
            for c in d.criteria
        },
        "back": back,
    }


def agent_panel(call: Call, user: User) -> dict:
    """For the call page: the agent's current evaluation of the call (None: nothing released yet)."""
    ev = feedback.current_visible(get_db(), call, user)
    return panel_context(ev, user, back="call")


@bp.app_template_global()
def evaluation_url(ev: Evaluation) -> str:
    """Where the current user reads ``ev``: agents their evaluation page, staff the call's review page."""
    if current_user.is_agent:
        return url_for("feedback.evaluation", evaluation_id=ev.id)
    return url_for("review.view", call_id=ev.call_id, evaluation_id=ev.id)


def _back(ev: Evaluation, back: str | None):  # noqa: ANN202
    if back == "call":
        return redirect(url_for("calls.detail", call_id=ev.call_id))
    return redirect(url_for("feedback.evaluation", evaluation_id=ev.id))


def _render_evaluation(ev: Evaluation, *, form: FlaskForm | None = None, status: int = 200):
    db = get_db()
    older, newer = feedback.lineage(db, ev, current_user)
    return (
        render_template(
            "evaluations/detail.html",
            call=ev.call,
            history=feedback.history_for(db, ev, current_user),
            older=older,
            newer=newer,
            p=panel_context(ev, current_user, back="evaluation", form=form),
        ),
        status,
    )


# --- views ---------------------------------------------------------------------------------------------------


@bp.route("/evaluations/<int:evaluation_id>")
@allow(*ALL_ROLES)
def evaluation(evaluation_id: int):
    ev = feedback.get_readable(get_db(), current_user, evaluation_id)
    if not current_user.is_agent:
        return redirect(evaluation_url(ev))
    return _render_evaluation(ev)


@bp.route("/evaluations/<int:evaluation_id>/acknowledge", methods=["POST"])
@allow(Role.AGENT)
def acknowledge(evaluation_id: int):
    db = get_db()
    ev = feedback.get_readable(db, current_user, evaluation_id)
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Reload the page and try again."), "danger")
        return _back(ev, form.back.data)
    try:
        evaluations.acknowledge(db, ev, agent=current_user)
        db.commit()
    except ServiceError as exc:
        db.rollback()
        flash(text(exc.msg), "danger")
        return _back(ev, form.back.data)
    flash(_("Evaluation acknowledged."), "success")
    return _back(ev, form.back.data)


@bp.route("/evaluations/<int:evaluation_id>/dispute", methods=["POST"])
@allow(Role.AGENT)
def dispute(evaluation_id: int):
    db = get_db()
    ev = feedback.get_readable(db, current_user, evaluation_id)
    cids = list(ev.items)
    form = dispute_form(cids)
    if not form.validate_on_submit():
        return _render_evaluation(ev, form=form, status=400)
    picked = {cid: form[f"reason-{cid}"].data or "" for cid in cids if form[f"pick-{cid}"].data}
    try:
        d = evaluations.dispute(
            db,
            ev,
            agent=current_user,
            criteria=picked,
            reason=form.note.data or "",
            window_days=get_settings().dispute_window_days,
        )
        db.commit()
    except Invalid as exc:
        db.rollback()
        target = form._fields.get(f"reason-{exc.field}") if exc.field else None
        if target is not None:
            target.errors = [*target.errors, text(exc.msg)]
        else:
            form.form_errors.append(text(exc.msg))
        return _render_evaluation(ev, form=form, status=400)
    except ServiceError as exc:
        db.rollback()
        flash(text(exc.msg), "danger")
        return _back(ev, form.back.data)
    flash(_("Dispute sent (%(n)d criteria). A team lead will rule on it.", n=len(d.criteria)), "success")
    return _back(ev, form.back.data)


@bp.route("/admin/release-rules", methods=["GET", "POST"])
@allow(Role.ADMIN)
def release_rules():
    db = get_db()
    form = ReleaseRuleForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                if not feedback.rubric_exists(db, form.rubric_key.data):
                    raise NotFound("evaluations.rubric_not_found")
                evaluations.set_release_rule(
                    db, form.rubric_key.data, form.auto_release.data, actor=current_user
                )
                db.commit()
            except ServiceError as exc:
                db.rollback()
                flash(text(exc.msg), "danger")
                status = 400
            else:
                flash(
                    _(
                        "Release rule of %(key)s set to: %(rule)s.",
                        key=form.rubric_key.data,
                        rule=RULE_HELP[ReleaseRule(form.auto_release.data)][0],
                    ),
                    "success",
                )
                return redirect(url_for("feedback.release_rules"))
        else:
            for errors in form.errors.values():
                for e in errors:
                    flash(e, "danger")
            status = 400
    rows = feedback.release_rules(db)
    forms = {
        r.rubric_key: ReleaseRuleForm(formdata=None, rubric_key=r.rubric_key, auto_release=r.rule)
        for r in rows
    }
    return render_template(
        "evaluations/release_rules.html", rows=rows, forms=forms, rule_help=RULE_HELP, rules=list(ReleaseRule)
    ), status
