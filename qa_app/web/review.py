"""The review workspace: a reviewer scores a call beside its audio and transcript.

``GET /calls/<id>/review`` opens the reviewer's evaluation of the call (``evaluations.start_review``
creates the draft, pre-filled with the automated verdicts and their evidence, the first time) — an
editable form while it is a draft, a read-only page with its history once submitted. ``POST`` saves the
draft or submits it. The form carries the evaluation ``version`` it was opened at: when someone (another
tab, another session) saved in between, nothing is overwritten and the page shows the saved answers next
to the ones just entered.

``GET /calls/<id>/review/<evaluation id>`` is the read-only page of any evaluation of the call staff may
read (someone else's review, an automated evaluation, an older version): the one staff view of a finished
review, with the player, history, versions and disputes. Agents read their released evaluations at
``/evaluations/<id>`` (``web/feedback.py``), which sends staff here.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional, ValidationError

from qa_app.db.models import AutoScorecard, Call, EvalState, Evaluation, Purpose, User
from qa_app.services import call_reads, calls, evaluations, feedback, rubrics
from qa_app.services.errors import Conflict, Invalid
from qa_app.services.evaluations import AnswerErrors, CommentInput, ItemInput
from qa_app.web import scorecards
from qa_app.web.access import STAFF, allow
from qa_app.web.calls import time_arg
from qa_app.web.context import get_db, get_settings
from qa_app.web.i18n import text, ui_lang
from rubrics import Criterion, Rubric
from rubrics.messages import Message

bp = Blueprint("review", __name__)
MAX_COMMENTS = 200


# --- parsing -----------------------------------------------------------------------------------------------


def parse_time(text: str | None) -> float | None:
    """'83', '83.5', '1:23', '01:23.5' or '1:02:03' -> seconds; '' -> None; anything else ValueError."""
    text = (text or "").strip()
    if not text:
        return None
    parts = text.split(":")
    if len(parts) > 3 or not all(p.replace(".", "", 1).isdigit() for p in parts):
        raise ValueError(text)
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60 + float(p)
    return seconds


def _time_field(form: Form, field: StringField) -> None:
    try:
        parse_time(field.data)
    except ValueError:
        raise ValidationError(_("Use seconds or minutes:seconds, e.g. 83 or 1:23.")) from None


class CommentForm(Form):
    """One comment anchored to a time span (and, when made from a transcript selection, its words)."""

    text = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])
    start = StringField(_l("Start (m:ss)"), validators=[Optional(), Length(max=16), _time_field])
    end = StringField(_l("End (m:ss)"), validators=[Optional(), Length(max=16), _time_field])
    segment = IntegerField(validators=[Optional(), NumberRange(min=0)])
    quote = StringField(validators=[Optional(), Length(max=500)])
    remove = BooleanField(_l("Remove"))

    def validate_end(self, field: StringField) -> None:
        try:
            start, end = parse_time(self.start.data), parse_time(field.data)
        except ValueError:
            return  # reported on the field itself
        if start is not None and end is not None and end < start:
            raise ValidationError(_("The end is before the start."))


class ReviewFormBase(FlaskForm):
    version = HiddenField(validators=[InputRequired()])
    summary = TextAreaField(_l("Overall comment"), validators=[Optional(), Length(max=4000)])
    comments = FieldList(FormField(CommentForm), max_entries=MAX_COMMENTS)
    action = StringField(validators=[InputRequired(), AnyOf(("save", "submit"))])


@dataclass
class CriterionFields:
    result: StringField
    points: FloatField | None
    reason: TextAreaField
    comment: TextAreaField


def _choices(c: Criterion) -> list[str]:
    if c.scale.kind == "pass_fail":
        return ["pass", "fail", *(["na"] if c.allow_na else [])]
    return ["na"] if c.allow_na else []  # points / 1–5: the number is the answer; N/A a checkbox


def review_form(rubric: Rubric, *, data: dict | None = None) -> ReviewFormBase:
    """The form for this rubric: per criterion ``result-<id>``, ``points-<id>`` (points and 1–5 scales),
    ``reason-<id>`` and ``comment-<id>``. With ``data`` it shows those values (never the posted ones);
    without, it reads the posted form."""
    attrs: dict = {}
    for i, c in enumerate(rubric.criteria()):
        attrs[f"c{i}_result"] = StringField(
            name=f"result-{c.id}",
            validators=[Optional(), AnyOf(_choices(c), message=_l("Choose one of the answers."))],
        )
        if c.scale.kind != "pass_fail":
            attrs[f"c{i}_points"] = FloatField(
                name=f"points-{c.id}",
                validators=[Optional(), NumberRange(c.scale.minimum, c.scale.maximum)],
            )
        attrs[f"c{i}_reason"] = TextAreaField(
            name=f"reason-{c.id}", validators=[Optional(), Length(max=2000)]
        )
        attrs[f"c{i}_comment"] = TextAreaField(
            name=f"comment-{c.id}", validators=[Optional(), Length(max=2000)]
        )
    cls = type("ReviewForm", (ReviewFormBase,), attrs)
    form = cls(formdata=None, data=data) if data is not None else cls()
    form.criteria = {
        c.id: CriterionFields(
            getattr(form, f"c{i}_result"),
            getattr(form, f"c{i}_points", None),
            getattr(form, f"c{i}_reason"),
            getattr(form, f"c{i}_comment"),
        )
        for i, c in enumerate(rubric.criteria())
    }
    return form


def _seconds_text(value: float | None) -> str:
    if value is None:
        return ""
    s = round(float(value), 1)
    m, sec = divmod(s, 60)
    return f"{int(m)}:{sec:04.1f}" if m else f"{sec:g}"


def form_data(ev: Evaluation, rubric: Rubric) -> dict:
    """The form's values from the saved evaluation."""
    data: dict = {
        "version": str(ev.version),
        "summary": ev.summary or "",
        "action": "save",
        "comments": [
            {
                "text": c.get("text", ""),
                "start": _seconds_text(c.get("start")),
                "end": _seconds_text(c.get("end")),
                "segment": c.get("segment"),
                "quote": c.get("quote", ""),
            }
            for c in ev.comments or []
        ],
    }
    for i, c in enumerate(rubric.criteria()):
        it = ev.items.get(c.id) or {}
        result = it.get("result") if it.get("result") in scorecards.RESULTS else None
        if c.scale.kind != "pass_fail":
            data[f"c{i}_result"] = "na" if result == "na" else None
            data[f"c{i}_points"] = it.get("points") if result in ("pass", "fail") else None
        else:
            data[f"c{i}_result"] = result
        data[f"c{i}_reason"] = it.get("reason", "")
        data[f"c{i}_comment"] = it.get("comment", "")
    return data


def answers_from(form: ReviewFormBase, rubric: Rubric) -> dict[str, ItemInput]:
    """What the reviewer answered (criteria left unanswered are not sent to the service)."""
    out: dict[str, ItemInput] = {}
    for c in rubric.criteria():
        f = form.criteria[c.id]
        reason, comment = f.reason.data or "", f.comment.data or ""
        if f.result.data == "na":
            out[c.id] = ItemInput("na", None, comment, reason)
        elif c.scale.kind == "pass_fail":
            if f.result.data in ("pass", "fail"):
                out[c.id] = ItemInput(f.result.data, None, comment, reason)
        elif f.points is not None and f.points.data is not None:
            points = float(f.points.data)
            # on a points / 1–5 scale the bottom of the scale is a fail (what a critical item checks)
            out[c.id] = ItemInput("fail" if points <= c.scale.minimum else "pass", points, comment, reason)
    return out


def comments_from(form: ReviewFormBase) -> list[CommentInput]:
    out = []
    for entry in form.comments.entries:
        sub = entry.form
        if sub.remove.data or not (sub.text.data or "").strip():
            continue
        start, end = parse_time(sub.start.data), parse_time(sub.end.data)
        out.append(
            CommentInput(
                text=sub.text.data,
                start=start,
                end=end if end is not None else start,
                segment=sub.segment.data,
                quote=sub.quote.data or "",
            )
        )
    return out


# --- the page ----------------------------------------------------------------------------------------------


def _card(db: Session, ev: Evaluation) -> AutoScorecard | None:
    return db.get(AutoScorecard, ev.auto_scorecard_id) if ev.auto_scorecard_id else None


def _render(
    db: Session,
    call: Call,
    ev: Evaluation,
    *,
    form: ReviewFormBase | None = None,
    errors: dict[str, str | Message] | None = None,
    unsaved: dict[str, dict] | None = None,
    lost: dict | None = None,
    conflict: str = "",
    problem: str = "",
    status: int = 200,
):
    lang = ui_lang()
    rubric = rubrics.to_domain(ev.rubric_version, strict=False)
    card = _card(db, ev)
    card_data = card.data if card is not None else None
    sheet = scorecards.build(
        rubric, lang, machine=scorecards.machine_from_items(ev.items, card_data), answers=ev.items
    )
    for row in sheet.rows:
        error = (errors or {}).get(row.id)
        row.error = text(error) if error else ""
        row.unsaved = (unsaved or {}).get(row.id)
    editable = (
        ev.state == EvalState.DRAFT
        and ev.purpose == Purpose.REVIEW
        and ev.rater_id == current_user.id
        and not ev.superseded
    )
    if editable and form is None:
        form = review_form(rubric, data=form_data(ev, rubric))
    view = call_reads.call_view(db, call, get_settings())
    author_ids = {c.get("author_id") for c in ev.comments or []} - {None}
    authors = {u.id: u for u in db.scalars(select(User).where(User.id.in_(author_ids)))} if author_ids else {}
    return (
        render_template(
            "review/workspace.html",
            call=call,
            ev=ev,
            rubric=rubric,
            sheet=sheet,
            form=form if editable else None,
            editable=editable,
            view=view,
            history=evaluations.history(db, ev),
            versions=feedback.lineage(db, ev, current_user) if not editable else (None, None),
            disputes=feedback.disputes_of(db, ev) if not editable else [],
            comment_authors=authors,
            conflict=conflict,
            lost=lost or {},
            problem=problem,
            start_at=time_arg(),
            machine_pending=card is None and not any(r.automated for r in sheet.rows),
        ),
        status,
    )


def _unsaved(form: ReviewFormBase, rubric: Rubric, ev: Evaluation) -> dict[str, dict]:
    """After a conflict: the answers just entered that differ from what is saved now."""
    out = {}
    scales = {c.id: c.scale.kind for c in rubric.criteria()}
    for cid, a in answers_from(form, rubric).items():
        it = ev.items.get(cid) or {}
        same = a.result == it.get("result") and (
            scales[cid] == "pass_fail" or a.result == "na" or a.points == it.get("points")
        )
        reason = a.reason.strip()
        if not same or (reason and reason != (it.get("reason") or "")):
            out[cid] = {"result": a.result, "points": a.points, "reason": reason}
    return out


@bp.route("/calls/<int:call_id>/review", methods=["GET", "POST"])
@allow(*STAFF)
def workspace(call_id: int):
    db = get_db()
    call = calls.get_visible_call(db, current_user, call_id)
    ev = evaluations.own_review(db, call, current_user)
    if ev is None:
        ev = evaluations.start_review(db, call, current_user)  # Forbidden for the call's own agent
        db.commit()
    if request.method == "GET":
        return _render(db, call, ev)
    if ev.state != EvalState.DRAFT:
        flash(_("This review was already submitted; it can no longer be changed."), "warning")
        return redirect(url_for("review.workspace", call_id=call.id))

    rubric = rubrics.to_domain(ev.rubric_version, strict=False)
    form = review_form(rubric)
    if not form.validate():
        problem = _("Nothing was saved: fix the marked fields.")
        if form.version.errors or form.action.errors:
            problem = _("Nothing was saved: the form was incomplete. Reload the page and try again.")
        return _render(
            db, call, ev, form=form, errors=_field_errors(form, rubric), problem=problem, status=400
        )
    expected = int(form.version.data) if str(form.version.data).isdigit() else -1
    answers = answers_from(form, rubric)
    if expected != ev.version:
        return _conflict(db, call, ev, form, rubric)
    errors = evaluations.save_errors(ev, answers)
    if errors:
        return _render(
            db,
            call,
            ev,
            form=form,
            errors=errors,
            problem=_("Nothing was saved: fix the marked criteria."),
            status=400,
        )
    try:
        evaluations.save(
            db, ev, actor=current_user, expected_version=expected, answers=answers,
            comments=comments_from(form), summary=form.summary.data or "",
        )  # fmt: skip
        if form.action.data == "submit":
            evaluations.submit(db, ev, actor=current_user, expected_version=ev.version)
    except Conflict:
        db.rollback()
        ev = db.get(Evaluation, ev.id, populate_existing=True)
        return _conflict(db, call, ev, form, rubric)
    except Invalid as exc:
        db.rollback()
        ev = db.get(Evaluation, ev.id, populate_existing=True)
        marks: dict[str, str | Message] = dict(exc.errors) if isinstance(exc, AnswerErrors) else {}
        if form.action.data == "submit" and not marks:
            marks = {
                c.id: _("Answer this criterion before submitting.")
                for c in rubric.criteria()
                if c.id not in answers and (ev.items.get(c.id) or {}).get("result") not in scorecards.RESULTS
            }
        problem = text(exc.msg)
        if marks and not isinstance(exc, AnswerErrors):  # the service lists criterion ids; the page marks the rows instead
            problem = _("Not submitted: %(n)d criteria are not answered yet (marked below).", n=len(marks))
        return _render(db, call, ev, form=form, errors=marks, problem=problem, status=400)
    db.commit()
    if form.action.data == "submit":
        flash(_("Review submitted and released to the agent."), "success")
    else:
        flash(_("Draft saved."), "success")
    return redirect(url_for("review.workspace", call_id=call.id))


def _field_errors(form: ReviewFormBase, rubric: Rubric) -> dict[str, str]:
    out = {}
    for c in rubric.criteria():
        f = form.criteria[c.id]
        msgs = [
            *f.result.errors,
            *(f.points.errors if f.points is not None else []),
            *f.reason.errors,
            *f.comment.errors,
        ]
        if msgs:
            out[c.id] = " ".join(str(m) for m in msgs)
    return out


def _conflict(db: Session, call: Call, ev: Evaluation, posted: ReviewFormBase, rubric: Rubric):
    """Someone saved since this page was opened: show what is saved now (with its new version), and
    beside each criterion what was just entered; nothing is overwritten."""
    who = ev.rater.display_name if ev.rater else ""
    unsaved = _unsaved(posted, rubric, ev)
    fresh = review_form(rubric, data=form_data(ev, rubric))
    message = _(
        "Not saved: this review was changed (by %(who)s, in another window or session) after you opened "
        "it. The saved answers are shown below; your answers that differ are listed beside each criterion. "
        "Re-enter what you want to keep and save again.",
        who=who,
    )
    summary = (posted.summary.data or "").strip()
    saved_texts = {(x.get("text") or "").strip() for x in ev.comments or []}
    lost = {
        "summary": summary if summary != (ev.summary or "").strip() else "",
        "comments": [c.text.strip() for c in _posted_comments(posted) if c.text.strip() not in saved_texts],
    }
    return _render(db, call, ev, form=fresh, unsaved=unsaved, lost=lost, conflict=message, status=409)


def _posted_comments(form: ReviewFormBase) -> list[CommentInput]:
    try:
        return comments_from(form)
    except ValueError:  # a time that does not parse: keep the texts anyway
        return [CommentInput(text=e.form.text.data or "") for e in form.comments.entries if e.form.text.data]


@bp.route("/calls/<int:call_id>/review/<int:evaluation_id>")
@allow(*STAFF)
def view(call_id: int, evaluation_id: int):
    """An evaluation of the call, read-only with its history, versions and disputes: the one page where
    staff read a finished review (``/evaluations/<id>`` sends them here). Which evaluations: the same as
    ``feedback.readable`` (every review, automated ones too, and the reader's own calibration scores);
    a draft is its author's, and its author edits it in the workspace."""
    db = get_db()
    call = calls.get_visible_call(db, current_user, call_id)
    ev = db.scalar(
        feedback.readable(current_user).where(Evaluation.id == evaluation_id, Evaluation.call_id == call.id)
    )
    if ev is None:
        abort(404)
    if ev.state == EvalState.DRAFT and ev.purpose == Purpose.REVIEW and not ev.superseded:
        return redirect(url_for("review.workspace", call_id=call.id))
    return _render(db, call, ev)
