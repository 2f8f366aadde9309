"""WTForms of the coaching and knowledge pages (kept apart from forms.py: one area, one module)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from qa_app.web.forms import choices
from qa_app.web.labels import LABELS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (keyboard friendly, no script needed). Submitted
    values are checked by the service (suggestions can change between rendering and submitting)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, **kwargs):  # noqa: ANN002, ANN003
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)


class PlanForm(FlaskForm):
    criteria = CheckboxListField(_l("Criteria to coach"), choices=[])
    target_rate = IntegerField(
        _l("Target pass rate (%)"), default=80, validators=[InputRequired(), NumberRange(min=1, max=100)]
    )
    target_calls = IntegerField(
        _l("Over the next N scored calls"), default=10, validators=[InputRequired(), NumberRange(min=1, max=200)]
    )
    due_date = DateField(_l("Due date"), validators=[InputRequired()])
    goal = TextAreaField(_l("Goal and notes"), validators=[Optional(), Length(max=4000)])
    articles = CheckboxListField(_l("Knowledge articles"), coerce=int, choices=[])
    exemplars = CheckboxListField(_l("Exemplar calls"), choices=[])
    evaluations = CheckboxListField(_l("Evaluations that motivate the plan"), coerce=int, choices=[])
    tasks = TextAreaField(_l("Tasks (one per line)"), validators=[Optional(), Length(max=4000)])
    session_at = DateTimeLocalField(_l("First coaching session"), format=DATETIME_FORMAT, validators=[Optional()])
    session_topic = StringField(_l("Session topic"), validators=[Optional(), Length(max=200)])


class PlanEditForm(FlaskForm):
    goal = TextAreaField(_l("Goal and notes"), validators=[Optional(), Length(max=4000)])
    due_date = DateField(_l("Due date"), validators=[InputRequired()])
    version = HiddenField()


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=4000)])


class ItemForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=choices(LABELS["coaching_item_kind"].items()),
    )
    article_id = SelectField(_l("Knowledge article"), coerce=int, choices=[], validate_choice=False)
    exemplar = SelectField(_l("Exemplar call"), choices=[], validate_choice=False)
    title = StringField(_l("Task"), validators=[Optional(), Length(max=200)])
    note = TextAreaField(_l("Details"), validators=[Optional(), Length(max=4000)])


class SessionForm(FlaskForm):
    scheduled_at = DateTimeLocalField(_l("Date and time"), format=DATETIME_FORMAT, validators=[InputRequired()])
    topic = StringField(_l("Topic"), validators=[Optional(), Length(max=200)])


class SessionRecordForm(FlaskForm):
    held_at = DateTimeLocalField(_l("Held at"), format=DATETIME_FORMAT, validators=[InputRequired()])
    notes = TextAreaField(_l("What was discussed"), validators=[DataRequired(), Length(max=4000)])
    commitments = TextAreaField(_l("The agent’s commitments"), validators=[Optional(), Length(max=4000)])


class ArticleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(
        _l("Body (Markdown: **bold**, lists, links; HTML is shown as text)"),
        validators=[DataRequired(), Length(max=50_000)],
    )
    criteria = CheckboxListField(_l("Rubric criteria"), choices=[])
    tags = StringField(_l("Tags (separated by commas or spaces)"), validators=[Optional(), Length(max=1000)])
    active = BooleanField(_l("Published (visible to agents)"), default=True)
    version = HiddenField()
