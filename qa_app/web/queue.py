"""Review queues: "My queue" for reviewers (leads may open anyone's) and queue health for leads."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from qa_app.db.base import utcnow
from qa_app.db.models import User
from qa_app.services import assignments, call_reads
from qa_app.services.errors import NotFound, ServiceError
from qa_app.web.access import LEADS, STAFF, allow
from qa_app.web.context import get_db
from qa_app.web.i18n import text
from qa_app.web.params import int_arg

bp = Blueprint("queue", __name__, url_prefix="/queue")


class SkipForm(FlaskForm):
    reason = StringField(_l("Why skip this call?"), validators=[DataRequired(), Length(max=1000)])


@bp.route("/")
@allow(*STAFF)
def mine():
    db = get_db()
    owner = current_user
    wanted = int_arg("reviewer")
    if wanted is not None and wanted != current_user.id:
        other = db.get(User, wanted) if current_user.role in LEADS else None
        if other is None:
            raise NotFound("accounts.user_not_found")
        owner = other
    rows = assignments.queue_for(db, owner)
    return render_template(
        "queue/mine.html",
        owner=owner,
        own=owner.id == current_user.id,
        rows=rows,
        closed=assignments.recently_closed(db, owner),
        cards=call_reads.default_cards(db, [a.call_id for a in rows]),
        now=utcnow(),
        skip_form=SkipForm(formdata=None),
    )


@bp.route("/<int:assignment_id>/skip", methods=["POST"])
@allow(*STAFF)
def skip(assignment_id: int):
    db = get_db()
    a = assignments.get_for(db, assignment_id, current_user)
    form = SkipForm()
    back = url_for("queue.mine", reviewer=a.reviewer_id if a.reviewer_id != current_user.id else None)
    if not form.validate_on_submit():
        flash(_("Give a reason for skipping call #%(id)d.", id=a.call_id), "danger")
        return redirect(back)
    try:
        assignments.skip(db, a, actor=current_user, reason=form.reason.data)
        db.commit()
    except ServiceError as exc:
        db.rollback()
        flash(text(exc.msg), "danger")
        return redirect(back)
    flash(_("Call #%(id)d was taken out of the queue.", id=a.call_id), "success")
    return redirect(back)


@bp.route("/health")
@allow(*LEADS)
def health():
    db = get_db()
    return render_template("queue/health.html", h=assignments.health(db), now=utcnow())
