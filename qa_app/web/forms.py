"""WTForms shared by the web views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import BooleanField, DateField, DateTimeLocalField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from qa_app.services.errors import ServiceError
from qa_app.web.context import get_db
from qa_app.web.i18n import text


def choices(pairs) -> list[SelectChoice]:  # noqa: ANN001
    """(value, label) pairs as WTForms SelectChoice objects (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


def form_error(form, exc: ServiceError) -> None:  # noqa: ANN001
    """Show a service error on the form field it names, else as a flashed message."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, text(exc.msg)]
    else:
        flash(text(exc.msg), "danger")


def submit_form(form, action, message, target: str | Callable[[Any], str]):  # noqa: ANN001, ANN201
    """Run ``action(db)`` for a valid POST: commit, flash ``message(result)``, redirect to ``target`` (an
    endpoint, or a function of the result giving the URL). A ServiceError is rolled back and shown on the
    form. Returns a redirect, or the status code with which the caller re-renders the page (400 for a
    refused POST)."""
    if not form.validate_on_submit():
        return 400 if request.method == "POST" else 200
    db = get_db()
    try:
        result = action(db)
        db.commit()
    except ServiceError as exc:
        db.rollback()
        form_error(form, exc)
        return 400
    flash(message(result), "success")
    return redirect(target(result) if callable(target) else url_for(target))


LAYOUT_CHOICES = choices(
    [
        ("mono", _l("Mono (speakers mixed)")),
        ("stereo_agent_left", _l("Stereo, agent on the left channel")),
        ("stereo_agent_right", _l("Stereo, agent on the right channel")),
    ]
)
LANGUAGE_CHOICES = choices([("zh", _l("Mandarin")), ("en", _l("English")), ("auto", _l("Detect"))])
DIRECTION_CHOICES = choices([("inbound", _l("Inbound")), ("outbound", _l("Outbound"))])


class CallMetaMixin:
    agent_id = SelectField(_l("Agent"), coerce=int, validators=[DataRequired()])
    started_at = DateTimeLocalField(_l("Call start"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    direction = SelectField(_l("Direction"), choices=DIRECTION_CHOICES, default="inbound")
    queue = StringField(_l("Queue / skill"), validators=[Optional(), Length(max=80)])
    customer_ref = StringField(_l("Customer reference"), validators=[Optional(), Length(max=120)])
    channel_layout = SelectField(_l("Channel layout"), choices=LAYOUT_CHOICES, default="mono")
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="zh")


class CallKpiMixin:
    """The optional KPI fields (checked by qa_app.services.calls.parse_kpi_fields, like the API and the
    manifest): free text for the seconds, a choice for the survey scores and the disposition."""

    wait_seconds = StringField(
        _l("Wait before answer (s)"),
        validators=[Optional(), Length(max=20)],
        render_kw={"inputmode": "decimal"},
    )
    hold_seconds = StringField(
        _l("Hold (s)"), validators=[Optional(), Length(max=20)], render_kw={"inputmode": "decimal"}
    )
    wrap_seconds = StringField(
        _l("After-call work (s)"), validators=[Optional(), Length(max=20)], render_kw={"inputmode": "decimal"}
    )
    csat = SelectField(
        _l("CSAT (1–5)"),
        choices=choices([("", _l("not known")), *((str(i), str(i)) for i in range(1, 6))]),
        default="",
    )
    nps = SelectField(
        _l("NPS answer (0–10)"),
        choices=choices([("", _l("not known")), *((str(i), str(i)) for i in range(11))]),
        default="",
    )
    resolved = SelectField(
        _l("Resolved (agent disposition)"),
        choices=choices([("", _l("not known")), ("yes", _l("Yes")), ("no", _l("No"))]),
        default="",
    )


class UploadForm(CallMetaMixin, CallKpiMixin, FlaskForm):
    audio = MultipleFileField(_l("Recordings"), validators=[DataRequired()])


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=3, max=64)])
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=[])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=256)])


class UserEditForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=[])
    active = BooleanField(_l("Active"))
    password = PasswordField(
        _l("New password (leave empty to keep)"), validators=[Optional(), Length(min=10, max=256)]
    )


class TeamForm(FlaskForm):
    name = StringField(_l("Team name"), validators=[DataRequired(), Length(max=80)])
    lead_user_id = SelectField(_l("Team lead"), coerce=int, choices=[])


class AgentForm(FlaskForm):
    employee_no = StringField(_l("Employee no."), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    team_id = SelectField(_l("Team"), coerce=int, validators=[DataRequired()])
    hire_date = DateField(_l("Hire date"), validators=[InputRequired()])
    user_id = SelectField(_l("Login account"), coerce=int, choices=[])


class EmptyForm(FlaskForm):
    """CSRF-only form for buttons that change state."""


class RubricYamlForm(FlaskForm):
    yaml_file = FileField(_l("Rubric YAML"), validators=[FileRequired()])
