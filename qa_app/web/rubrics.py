"""Rubrics (质检标准): list, preview, builder, YAML import/export/edit, publish, explicit re-score."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import rubrics as rubric_domain
from qa_app.db.models import Role
from qa_app.services import queueing, timeparse
from qa_app.services import rubrics as rubric_service
from qa_app.services.errors import Conflict, ServiceError
from qa_app.web.access import STAFF, allow
from qa_app.web.context import get_db, get_settings
from qa_app.web.errors import status_of
from qa_app.web.forms import EmptyForm, RubricYamlForm
from qa_app.web.i18n import text as message_text
from qa_app.web.i18n import ui_lang
from rubrics import RubricValidationError
from rubrics import automation as rubric_automation
from rubrics import io as rubric_io

bp = Blueprint("rubrics", __name__, url_prefix="/rubrics")
EDITORS = (Role.ADMIN, Role.QA_REVIEWER)


def _index(form: RubricYamlForm, import_error: str = "", status: int = 200):  # noqa: ANN202
    db = get_db()
    rubric_service.ensure_default(db)
    db.commit()
    return render_template(
        "rubrics/index.html",
        versions=rubric_service.list_versions(db),
        form=form,
        can_edit=current_user.role in EDITORS,
        import_error=import_error,
    ), status


@bp.route("/")
@allow(*STAFF)
def index():
    return _index(RubricYamlForm())


@bp.route("/<int:version_id>")
@allow(*STAFF)
def detail(version_id: int):
    db = get_db()
    row = rubric_service.get_version(db, version_id)
    try:
        rubric, problems = rubric_service.to_domain(row), []
    except RubricValidationError as exc:  # stored before a stricter check existed: show why, not a 500
        rubric, problems = None, exc.messages(ui_lang())
    return render_template(
        "rubrics/detail.html",
        row=row,
        rubric=rubric,
        problems=problems,
        form=EmptyForm(),
        can_edit=current_user.role in EDITORS,
    )


@bp.route("/<int:version_id>/export.yaml")
@allow(*STAFF)
def export(version_id: int):
    row = rubric_service.get_version(get_db(), version_id)
    return Response(
        row.yaml_text,
        mimetype="application/x-yaml",
        headers={"Content-Disposition": f"attachment; filename={row.rubric_key}-v{row.version}.yaml"},
    )


@bp.route("/import", methods=["POST"])
@allow(*EDITORS)
def import_yaml():
    # Problems are shown on the page they belong to (400), never carried in a flash cookie: a
    # hostile file can have many problems.
    form = RubricYamlForm()
    if not form.validate_on_submit():
        return _index(form, _("Choose a YAML file."), 400)
    raw = form.yaml_file.data.read(MAX_DOCUMENT_BYTES + 1)
    if len(raw) > MAX_DOCUMENT_BYTES:
        return _index(form, _("The file is too large for a rubric."), 400)
    db = get_db()
    try:
        row = rubric_service.save_draft(db, raw.decode("utf-8", errors="strict"), actor=current_user)
    except UnicodeDecodeError:
        return _index(form, _("The file is not UTF-8 text."), 400)
    except ServiceError as exc:
        db.rollback()
        return _index(form, message_text(exc.msg), status_of(exc))
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
            saved = rubric_service.save_draft(
                db,
                text,
                actor=current_user,
                base_version_id=row.id,
                expected_lock_version=lock if row.status == "draft" else None,
            )
            db.commit()
            flash(_("Draft v%(v)d saved.", v=saved.version), "success")
            return redirect(url_for("rubrics.detail", version_id=saved.id))
        except ServiceError as exc:
            db.rollback()
            flash(message_text(exc.msg), "danger")
            status = status_of(exc)
    return render_template("rubrics/edit.html", row=row, form=form, text=text), status


@bp.route("/<int:version_id>/publish", methods=["POST"])
@allow(*EDITORS)
def publish(version_id: int):
    db = get_db()
    form = EmptyForm()
    if form.validate_on_submit():
        row = rubric_service.publish(
            db, version_id, actor=current_user, make_default=request.form.get("make_default") == "1"
        )
        db.commit()
        flash(
            _("Published v%(v)d. Existing scores were not changed; use re-score to apply it.", v=row.version),
            "success",
        )
    return redirect(url_for("rubrics.detail", version_id=version_id))


@bp.route("/<int:version_id>/rescore", methods=["POST"])
@allow(Role.ADMIN, Role.QA_REVIEWER)
def rescore(version_id: int):
    """Explicit, logged bulk re-score of calls in a date range with this rubric version."""
    db = get_db()
    row = rubric_service.get_version(db, version_id)
    try:
        start, end = timeparse.day_range(
            request.form.get("from", ""), request.form.get("to", ""), get_settings().timezone
        )
    except ServiceError:
        flash(_("Give a valid date range."), "danger")
        return redirect(url_for("rubrics.detail", version_id=version_id))
    if row.status == "draft":
        flash(_("Publish the draft before re-scoring with it."), "danger")
        return redirect(url_for("rubrics.detail", version_id=version_id))
    queueing.request_rescore_range(db, start, end, actor=current_user, rubric_version_id=row.id)
    db.commit()
    flash(_("Re-scoring of every call in the range is queued; the job queue shows its progress."), "success")
    return redirect(url_for("rubrics.detail", version_id=version_id))


# --- builder ----------------------------------------------------------------------------------------------

MAX_DOCUMENT_BYTES = 512 * 1024
_ISSUE_PATH = re.compile(r"^sections\[(\d+)\](?:\.criteria\[(\d+)\])?(?:\.(.*))?$")


def _text(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        v = value.get(lang)
        return v if isinstance(v, str) else ""
    return value if isinstance(value, str) else ""


def _num(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _params_text(automation: Any) -> str:
    if not isinstance(automation, dict):
        return ""
    rest = {k: v for k, v in automation.items() if k != "primitive"}
    if not rest:
        return ""
    return yaml.safe_dump(rest, allow_unicode=True, sort_keys=False, default_flow_style=None, width=10_000)


def _form_model(doc: Any) -> dict[str, Any]:
    """A builder document (ours or whatever the browser sent) -> plain strings for the template."""
    doc = doc if isinstance(doc, dict) else {}
    sections = []
    for sd in doc.get("sections") if isinstance(doc.get("sections"), list) else []:
        sd = sd if isinstance(sd, dict) else {}
        criteria = []
        for cd in sd.get("criteria") if isinstance(sd.get("criteria"), list) else []:
            cd = cd if isinstance(cd, dict) else {}
            scale = cd.get("scale")
            scale_type = scale.get("type") if isinstance(scale, dict) else scale
            auto = cd.get("automation")
            primitive = auto.get("primitive") if isinstance(auto, dict) else ""
            params = cd["automation_params"] if "automation_params" in cd else _params_text(auto)
            criteria.append(
                {
                    "id": _num(cd.get("id")),
                    "title_zh": _text(cd.get("title"), "zh"),
                    "title_en": _text(cd.get("title"), "en"),
                    "guidance_zh": _text(cd.get("guidance"), "zh"),
                    "guidance_en": _text(cd.get("guidance"), "en"),
                    "weight": _num(cd.get("weight")),
                    "scale_type": scale_type if isinstance(scale_type, str) else "pass_fail",
                    "scale_max": _num(scale.get("max")) if isinstance(scale, dict) else "",
                    "allow_na": cd.get("allow_na") is True,
                    "critical": cd.get("critical") if isinstance(cd.get("critical"), str) else "",
                    "party": cd.get("party") if isinstance(cd.get("party"), str) else "agent",
                    "primitive": primitive if isinstance(primitive, str) else "",
                    "params": params if isinstance(params, str) else "",
                }
            )
        sections.append(
            {
                "id": _num(sd.get("id")),
                "title_zh": _text(sd.get("title"), "zh"),
                "title_en": _text(sd.get("title"), "en"),
                "criteria": criteria,
            }
        )
    return {
        "title_zh": _text(doc.get("title"), "zh"),
        "title_en": _text(doc.get("title"), "en"),
        "description_zh": _text(doc.get("description"), "zh"),
        "description_en": _text(doc.get("description"), "en"),
        "language": doc.get("language") if isinstance(doc.get("language"), str) else "zh",
        "sections": sections,
    }


def _field_key(rest: str) -> str:
    """``title.zh`` -> ``title_zh``, ``scale.max`` -> ``scale_max``, ``automation.primitive`` -> ``automation``."""
    head, _sep, tail = rest.partition(".")
    if head in ("title", "guidance", "description") and tail in ("zh", "en"):
        return f"{head}_{tail}"
    if head == "scale":
        return "scale_max" if tail == "max" else "scale_type"
    return head


def _issue_index(issues, lang: str) -> dict[str, Any]:
    """Group plain-language messages by where they belong in the builder (issue paths)."""
    out: dict[str, Any] = {"all": [], "top": [], "sections": {}, "criteria": {}, "fields": set()}
    for issue in issues:
        text = issue.text_en if lang == "en" else issue.text_zh
        m = _ISSUE_PATH.match(issue.path or "")
        anchor = ""
        if m is None:
            out["top"].append(text)
            if issue.path:
                key = _field_key(issue.path)
                out["fields"].add(key)
                if key in ("title", "description"):
                    out["fields"].update({f"{key}_zh", f"{key}_en"})
        else:
            si, ci, rest = int(m.group(1)), m.group(2), m.group(3) or ""
            if ci is None:
                out["sections"].setdefault(si, []).append(text)
                prefix, anchor = f"s{si}.", f"rb-s{si}"
            else:
                out["criteria"].setdefault((si, int(ci)), []).append(text)
                prefix, anchor = f"s{si}.c{ci}.", f"rb-s{si}-c{ci}"
            if rest:
                key = _field_key(rest)
                out["fields"].add(prefix + key)
                if key == "title":
                    out["fields"].update({prefix + "title_zh", prefix + "title_en"})
        out["all"].append((text, anchor))
    return out


def _render_builder(row, doc: Any, lock_version: int | None, *, issues=(), conflict: str = "", status=200):
    lang = ui_lang()
    return (
        render_template(
            "rubrics/builder.html",
            row=row,
            model=_form_model(doc),
            lock_version=lock_version,
            errors=_issue_index(issues, lang),
            conflict=conflict,
            form=EmptyForm(),
            scale_choices=[
                ("pass_fail", _("Pass / fail")),
                ("points", _("Points (0 to max)")),
                ("likert", _("Rating 1–5")),
            ],
            critical_choices=[
                ("", _("No"), ""),
                ("section", _("Yes: fails its section"), _("fails section")),
                ("evaluation", _("Yes: fails the whole evaluation"), _("fails evaluation")),
            ],
            party_choices=[("agent", _("Agent")), ("customer", _("Customer")), ("call", _("Whole call"))],
            primitive_choices=_primitive_options(lang),
            intent_choices=_intent_options(lang),
            blank_section=_form_model({"sections": [{"criteria": []}]})["sections"][0],
            blank_criterion=_form_model({"sections": [{"criteria": [{}]}]})["sections"][0]["criteria"][0],
        ),
        status,
    )


def _stored_document(row) -> tuple[Any, tuple]:
    """The builder document of a stored version, and its problems when it no longer passes validation
    (e.g. stricter rules since it was saved): the builder then opens it anyway so it can be fixed."""
    try:
        return rubric_domain.to_dict(rubric_service.to_domain(row)), ()
    except RubricValidationError as exc:
        try:
            doc = rubric_io.safe_load(row.yaml_text)
        except yaml.YAMLError:
            doc = None
        return doc, exc.issues


def _primitive_options(lang: str) -> list[tuple[str, str, str]]:
    """(name, label, allowed parameter keys) for each automation primitive."""
    helps = getattr(rubric_automation, "HELP", {})
    allowed = getattr(rubric_automation, "ALLOWED_KEYS", {})
    out = []
    for p in sorted(rubric_domain.PRIMITIVES):
        zh, en = helps.get(p, ("", ""))
        text = en if lang == "en" else zh
        keys = ", ".join(sorted(set(allowed.get(p, ())) - {"primitive"}))
        out.append((p, f"{p} · {text}" if text else p, keys))
    return out


def _intent_options(lang: str) -> list[tuple[str, str, str]]:
    """(id, label, meaning) of each utterance intent a rule may name beside its phrases."""
    return [
        (i, en_label if lang == "en" else zh_label, en if lang == "en" else zh)
        for i, (zh_label, en_label, zh, en) in rubric_automation.INTENTS.items()
    ]


def _posted_document() -> tuple[Any, str]:
    raw = request.form.get("document", "")
    if not raw.strip():
        return None, _("Nothing was sent. The builder needs JavaScript; without it, use the YAML editor.")
    if len(raw.encode("utf-8")) > MAX_DOCUMENT_BYTES:
        return None, _("The rubric is too large.")
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: [[[[... nested past the parser's stack
        return None, _("The builder sent a document that could not be read. Reload the page and try again.")
    if rubric_io.depth_exceeds(doc):
        return None, _("The rubric is nested too deeply to be a rubric.")
    return doc, ""


@bp.route("/<int:version_id>/builder", methods=["GET", "POST"])
@allow(*EDITORS)
def builder(version_id: int):
    """Edit a rubric with forms: the page posts a JSON document (rubrics.to_dict shape) built by
    static/rubric_builder.js; validation and saving happen in the service (the server is authoritative)."""
    db = get_db()
    row = rubric_service.get_version(db, version_id)
    if request.method == "GET":
        doc, issues = _stored_document(row)
        return _render_builder(row, doc, row.lock_version, issues=issues)
    form = EmptyForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Reload the page and try again."), "danger")
        return redirect(url_for("rubrics.builder", version_id=row.id))
    lock = request.form.get("lock_version", type=int)
    doc, problem = _posted_document()
    if problem:
        flash(problem, "danger")
        return _render_builder(row, _stored_document(row)[0], lock, status=400)
    action = request.form.get("action", "save")
    if action == "edit":  # back from the preview, nothing saved
        return _render_builder(row, doc, lock)
    if action == "preview":
        try:
            rubric = rubric_service.parse_builder_document(
                doc, rubric_key=row.rubric_key, version=row.version
            )
        except rubric_service.RubricInvalid as exc:
            return _render_builder(row, doc, lock, issues=exc.issues, status=400)
        return render_template(
            "rubrics/preview.html",
            row=row,
            rubric=rubric,
            document=json.dumps(doc, ensure_ascii=False),
            lock_version=lock,
            form=EmptyForm(),
        )
    overwrite = request.form.get("overwrite", type=int)
    try:
        saved = rubric_service.save_draft_from_dict(
            db,
            doc,
            actor=current_user,
            base_version_id=row.id,
            expected_lock_version=overwrite if overwrite is not None else lock,
        )
    except rubric_service.RubricInvalid as exc:
        db.rollback()
        return _render_builder(row, doc, lock, issues=exc.issues, status=400)
    except Conflict as exc:
        db.rollback()
        return _render_builder(row, doc, lock, conflict=message_text(exc.msg), status=409)
    except ServiceError as exc:
        db.rollback()
        flash(message_text(exc.msg), "danger")
        return _render_builder(row, doc, lock, status=400)
    db.commit()
    if saved.id != row.id:
        flash(
            _("Saved as a new draft v%(v)d. The published version is unchanged.", v=saved.version), "success"
        )
    else:
        flash(_("Draft v%(v)d saved.", v=saved.version), "success")
    return redirect(url_for("rubrics.builder", version_id=saved.id))


@bp.route("/<int:version_id>/new-draft", methods=["POST"])
@allow(*EDITORS)
def new_draft(version_id: int):
    """Create (or reopen) the draft of a published version, then open it in the builder."""
    db = get_db()
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("rubrics.detail", version_id=version_id))
    try:
        draft, created = rubric_service.new_draft_from_version(db, version_id, actor=current_user)
    except ServiceError as exc:
        db.rollback()
        flash(message_text(exc.msg), "danger")
        return redirect(url_for("rubrics.detail", version_id=version_id))
    db.commit()
    if created:
        flash(_("Draft v%(v)d created from this version.", v=draft.version), "success")
    elif draft.id != version_id:
        flash(_("This rubric already has an unpublished draft v%(v)d; opened it.", v=draft.version), "info")
    return redirect(url_for("rubrics.builder", version_id=draft.id))
