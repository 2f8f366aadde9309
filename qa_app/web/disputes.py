"""Disputes (申诉): the leads' list and ruling page; agents read their own disputes.

A lead (trainer, admin, QA reviewer) rules on each disputed criterion — accept with the new verdict, or
reject — and gives a reason. The reviewer who made the disputed evaluation never rules on it: the service
refuses and the page shows why instead of the form.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import FloatField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from qa_app.app import get_db, get_settings
from qa_app.db.models import Dispute, Evaluation
from qa_app.services import evaluations, feedback
from qa_app.services.errors import Invalid, ServiceError
from qa_app.services.evaluations import AnswerErrors, ItemInput
from qa_app.services.feedback import ItemRow
from qa_app.web.access import ALL_ROLES, STAFF, allow
from qa_app.web.forms import choices
from qa_app.web.i18n import text
from qa_app.web.labels import label
from qa_app.web.params import int_arg

bp = Blueprint("disputes", __name__, url_prefix="/disputes")

VERDICTS = (("pass", _l("pass")), ("fail", _l("fail")), ("na", _l("N/A")))


class RulingFormBase(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the ruling"),
        validators=[DataRequired(message=_l("Give a reason for the ruling.")), Length(max=4000)],
    )


def ruling_form(rows: list[ItemRow], allow_na: dict[str, bool], **kw) -> FlaskForm:  # noqa: ANN003
    """Per disputed criterion: ``decision-<id>`` (accept / reject), ``result-<id>``, ``points-<id>``."""

    class RulingForm(RulingFormBase):
        pass

    for r in rows:
        cid = r.criterion_id
        setattr(
            RulingForm,
            f"decision-{cid}",
            RadioField(
                _l("Decision"),
                choices=choices(
                    [("accept", _l("Accept: change the verdict")), ("reject", _l("Reject: keep it"))]
                ),
                validators=[InputRequired(message=_l("Accept or reject this criterion."))],
            ),
        )
        verdicts = [(v, label) for v, label in VERDICTS if v != "na" or allow_na.get(cid, False)]
        setattr(
            RulingForm,
            f"result-{cid}",
            SelectField(_l("New verdict"), choices=choices(verdicts), validators=[Optional()]),
        )
        setattr(RulingForm, f"points-{cid}", FloatField(_l("Points"), validators=[Optional()]))
    return RulingForm(**kw)


def _flipped(result: str | None) -> str:
    return "pass" if result != "pass" else "fail"


def _context(d: Dispute) -> dict:
    """Everything the dispute page shows (for any reader)."""
    db = get_db()
    ev: Evaluation = d.evaluation
    rubric = feedback.rubric_of(ev)
    allow_na = {c.id: c.allow_na for s in rubric.sections for c in s.criteria}
    by_id = {r.criterion_id: r for r in feedback.item_rows(ev, rubric)}
    reasons = {c["criterion_id"]: c.get("reason", "") for c in d.criteria}
    rows = [by_id[cid] for cid in reasons if cid in by_id]
    result = db.get(Evaluation, d.result_evaluation_id) if d.result_evaluation_id else None
    new_rows = {r.criterion_id: r for r in feedback.item_rows(result, rubric)} if result is not None else {}
    return {
        "d": d,
        "ev": ev,
        "call": ev.call,
        "rows": rows,
        "reasons": reasons,
        "allow_na": allow_na,
        "result": result,
        "new_rows": new_rows,
        "history": feedback.history_for(db, ev, current_user),
        "result_history": feedback.history_for(db, result, current_user) if result is not None else [],
        "may_rule": feedback.may_rule(current_user, d),
        "is_rater": ev.rater_id == current_user.id,
    }


def _render(d: Dispute, form: FlaskForm | None = None, status: int = 200):
    ctx = _context(d)
    if form is None and ctx["may_rule"]:
        form = ruling_form(ctx["rows"], ctx["allow_na"])
        for r in ctx["rows"]:
            form[f"result-{r.criterion_id}"].data = _flipped(r.result)
            if r.points is not None:
                form[f"points-{r.criterion_id}"].data = r.points
    return render_template("disputes/detail.html", form=form, **ctx), status


@bp.route("/")
@allow(*ALL_ROLES)
def index():
    db = get_db()
    state = request.args.get("state") or None
    flt = feedback.DisputeFilter(
        state=state if state in feedback.DISPUTE_STATES else None,
        team_id=None if current_user.is_agent else int_arg("team"),
    )
    page = feedback.list_disputes(
        db, current_user, flt, page=int_arg("page") or 1, per_page=get_settings().page_size
    )
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "disputes/index.html",
        page=page,
        flt=flt,
        states=feedback.DISPUTE_STATES,
        teams=[] if current_user.is_agent else feedback.teams(db),
        args=args,
    )


@bp.route("/<int:dispute_id>")
@allow(*ALL_ROLES)
def detail(dispute_id: int):
    d = feedback.get_visible_dispute(get_db(), current_user, dispute_id)
    return _render(d)


@bp.route("/<int:dispute_id>/rule", methods=["POST"])
@allow(*STAFF)
def rule(dispute_id: int):
    db = get_db()
    d = feedback.get_visible_dispute(db, current_user, dispute_id)
    ctx = _context(d)
    form = ruling_form(ctx["rows"], ctx["allow_na"])
    if not form.validate_on_submit():
        return _render(d, form, 400)
    decisions: dict[str, ItemInput | None] = {}
    problems = False
    for r in ctx["rows"]:
        cid = r.criterion_id
        if form[f"decision-{cid}"].data != "accept":
            decisions[cid] = None
            continue
        result = form[f"result-{cid}"].data
        if not result:
            form[f"result-{cid}"].errors = [_("Choose the new verdict.")]
            problems = True
            continue
        decisions[cid] = ItemInput(result, form[f"points-{cid}"].data)
    if problems:
        return _render(d, form, 400)
    try:
        evaluations.rule(db, d, lead=current_user, decisions=decisions, reason=form.reason.data)
        db.commit()
    except Invalid as exc:
        db.rollback()
        per_field = exc.errors if isinstance(exc, AnswerErrors) else {exc.field: exc.msg}
        for name, message in per_field.items():
            field = (form._fields.get(f"result-{name}") if name else None) or (
                form.reason if name == "reason" else None
            )
            if field is not None:
                field.errors = [*field.errors, text(message)]
            else:
                form.form_errors.append(text(message))
        d = feedback.get_visible_dispute(db, current_user, dispute_id)
        return _render(d, form, 400)
    except ServiceError as exc:
        db.rollback()
        flash(text(exc.msg), "danger")
        return redirect(url_for("disputes.detail", dispute_id=dispute_id))
    flash(
        _("Ruling saved: %(outcome)s. The agent has been notified.", outcome=label("dispute_state", d.state)),
        "success",
    )
    return redirect(url_for("disputes.detail", dispute_id=d.id))
