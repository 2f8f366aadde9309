"""Rubrics (质检标准): list, preview, YAML import/export/edit, publish, explicit re-score."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from qa_app.app import get_db, get_settings
from qa_app.db.models import Call, Role
from qa_app.services import processing
from qa_app.services import rubrics as rubric_service
from qa_app.services.errors import ServiceError
from qa_app.web.access import STAFF, allow
from qa_app.web.forms import EmptyForm, RubricYamlForm

bp = Blueprint("rubrics", __name__, url_prefix="/rubrics")
EDITORS = (Role.ADMIN, Role.QA_REVIEWER)


@bp.route("/")
@allow(*STAFF)
def index():
    db = get_db()
    rubric_service.ensure_default(db)
    db.commit()
    return render_template("rubrics/index.html", versions=rubric_service.list_versions(db), form=RubricYamlForm(),
                           can_edit=current_user.role in EDITORS)


@bp.route("/<int:version_id>")
@allow(*STAFF)
def detail(version_id: int):
    db = get_db()
    row = rubric_service.get_version(db, version_id)
    return render_template("rubrics/detail.html", row=row, rubric=rubric_service.to_domain(row), form=EmptyForm(),
                           can_edit=current_user.role in EDITORS)


@bp.route("/<int:version_id>/export.yaml")
@allow(*STAFF)
def export(version_id: int):
    row = rubric_service.get_version(get_db(), version_id)
    return Response(row.yaml_text, mimetype="application/x-yaml", headers={
        "Content-Disposition": f"attachment; filename={row.rubric_key}-v{row.version}.yaml"})


@bp.route("/import", methods=["POST"])
@allow(*EDITORS)
def import_yaml():
    form = RubricYamlForm()
    if not form.validate_on_submit():
        flash(_("Choose a YAML file."), "danger")
        return redirect(url_for("rubrics.index"))
    raw = form.yaml_file.data.read(512 * 1024 + 1)
    if len(raw) > 512 * 1024:
        flash(_("The file is too large for a rubric."), "danger")
        return redirect(url_for("rubrics.index"))
    db = get_db()
    try:
        row = rubric_service.save_draft(db, raw.decode("utf-8", errors="strict"), actor=current_user)
    except UnicodeDecodeError:
        flash(_("The file is not UTF-8 text."), "danger")
        return redirect(url_for("rubrics.index"))
    except ServiceError as exc:
        db.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("rubrics.index"))
    db.commit()
    flash(_("Imported as draft v%(v)d.", v=row.version), "success")
    return redirect(url_for("rubrics.detail", version_id=row.id))


@bp.route("/<int:version_id>/edit", methods=["GET", "POST"])
@allow(*EDITORS)
def edit(version_id: int):
    db = get_db()
    row = rubric_service.get_version(db, version_id)
    form = EmptyForm()
    text, status = row.yaml_text, 200
    if form.validate_on_submit():
        text = request.form.get("yaml_text", "")
        lock = request.form.get("lock_version", type=int)
        try:
            saved = rubric_service.save_draft(db, text, actor=current_user, base_version_id=row.id,
                                              expected_lock_version=lock if row.status == "draft" else None)
            db.commit()
            flash(_("Draft v%(v)d saved.", v=saved.version), "success")
            return redirect(url_for("rubrics.detail", version_id=saved.id))
        except ServiceError as exc:
            db.rollback()
            flash(exc.message, "danger")
            status = 409 if exc.code == "conflict" else 400
    return render_template("rubrics/edit.html", row=row, form=form, text=text), status


@bp.route("/<int:version_id>/publish", methods=["POST"])
@allow(*EDITORS)
def publish(version_id: int):
    db = get_db()
    form = EmptyForm()
    if form.validate_on_submit():
        row = rubric_service.publish(db, version_id, actor=current_user,
                                     make_default=request.form.get("make_default") == "1")
        db.commit()
        flash(_("Published v%(v)d. Existing scores were not changed; use re-score to apply it.", v=row.version),
              "success")
    return redirect(url_for("rubrics.detail", version_id=version_id))


@bp.route("/<int:version_id>/rescore", methods=["POST"])
@allow(Role.ADMIN, Role.QA_REVIEWER)
def rescore(version_id: int):
    """Explicit, logged bulk re-score of calls in a date range with this rubric version."""
    db = get_db()
    row = rubric_service.get_version(db, version_id)
    tz = ZoneInfo(get_settings().timezone)
    try:
        start = datetime.fromisoformat(request.form.get("from", "")).replace(tzinfo=tz)
        end = datetime.fromisoformat(request.form.get("to", "")).replace(tzinfo=tz) + timedelta(days=1)
    except ValueError:
        flash(_("Give a valid date range."), "danger")
        return redirect(url_for("rubrics.detail", version_id=version_id))
    if row.status == "draft":
        flash(_("Publish the draft before re-scoring with it."), "danger")
        return redirect(url_for("rubrics.detail", version_id=version_id))
    ids = list(db.scalars(select(Call.id).where(Call.started_at >= start, Call.started_at < end)))
    queued = processing.request_rescore(db, ids, actor=current_user, rubric_version_id=row.id)
    db.commit()
    flash(_("%(n)d calls queued for re-scoring.", n=len(queued)), "success")
    return redirect(url_for("rubrics.detail", version_id=version_id))
