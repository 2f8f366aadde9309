"""Sampling plans (抽检计划) for leads: list, create, edit, run now, runs and their progress."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, FloatField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from qa_app.app import get_db, get_settings
from qa_app.db.models import SamplingPlan, Team
from qa_app.services import assignments, sampling
from qa_app.services.errors import ServiceError
from qa_app.web.access import LEADS, allow
from qa_app.web.forms import choices, form_error
from qa_app.web.labels import LABELS, label
from scoring.sampling import REASONS, Rules, RulesError

bp = Blueprint("sampling", __name__, url_prefix="/sampling")



class NumberField(FloatField):
    """A float shown without a trailing .0 (60, 1.5)."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data:g}"


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PlanForm(FlaskForm):
    name = StringField(_l("Plan name"), validators=[DataRequired(), Length(max=80)])
    active = BooleanField(_l("Active: runs on its schedule"), default=True)
    period = SelectField(_l("Period"), choices=choices(LABELS["sampling_period"].items()), default="week")
    random_per_agent = IntegerField(
        _l("Random calls per agent per period"), validators=[InputRequired(), NumberRange(0, 100)], default=2
    )
    new_hire_multiplier = NumberField(
        _l("New hires: times the random rate"), validators=[InputRequired(), NumberRange(1, 10)], default=2.0
    )
    low_score_below = NumberField(
        _l("Automated score below"), validators=[Optional(), NumberRange(1, 100)], default=None
    )
    critical_failed = BooleanField(_l("A critical item failed"))
    complaint_risk = BooleanField(_l("Complaint risk (complaint, 12315, regulator, media, lawyer …)"))
    negative_sentiment = BooleanField(_l("Customer ends the call negative"))
    end_sentiment_below = NumberField(
        _l("Negative: customer sentiment over the last turns below (0–1)"),
        validators=[InputRequired(), NumberRange(0.01, 1)],
        default=0.4,
    )
    long_call_seconds = IntegerField(
        _l("Long calls: at least (seconds)"), validators=[Optional(), NumberRange(1, 86400)], default=None
    )
    unreliable_transcript = BooleanField(_l("Unreliable transcript"))
    needs_review = BooleanField(_l("Automated verdicts flagged for a reviewer"))
    team_ids = MultiCheckboxField(_l("Teams (none ticked: every team)"), coerce=int, choices=[])
    reviewer_ids = MultiCheckboxField(
        _l("Reviewers (none ticked: every active QA reviewer)"), coerce=int, choices=[]
    )
    due_days = IntegerField(
        _l("Due within (days)"), validators=[InputRequired(), NumberRange(1, 60)], default=3
    )
    max_per_reviewer = IntegerField(
        _l("At most per reviewer per period (empty: no cap)"),
        validators=[Optional(), NumberRange(1, 1000)],
        default=None,
    )

    RULE_FIELDS = (
        "low_score_below",
        "critical_failed",
        "complaint_risk",
        "negative_sentiment",
        "end_sentiment_below",
        "long_call_seconds",
        "unreliable_transcript",
        "needs_review",
        "new_hire_multiplier",
    )

    def to_input(self) -> sampling.PlanInput:
        rules = Rules(**{f: getattr(self, f).data for f in self.RULE_FIELDS})
        return sampling.PlanInput(
            name=self.name.data or "",
            period=self.period.data,
            random_per_agent=self.random_per_agent.data,
            rules=rules,
            active=self.active.data,
            team_ids=tuple(self.team_ids.data or ()),
            reviewer_ids=tuple(self.reviewer_ids.data or ()),
            due_days=self.due_days.data,
            max_per_reviewer=self.max_per_reviewer.data,
        )

    @classmethod
    def data_of(cls, plan: SamplingPlan) -> dict:
        rules = sampling.plan_rules(plan).to_dict()
        if rules["long_call_seconds"] is not None:
            rules["long_call_seconds"] = int(rules["long_call_seconds"])
        return {
            "name": plan.name,
            "active": plan.active,
            "period": plan.period,
            "random_per_agent": plan.random_per_agent,
            "team_ids": list(plan.team_ids),
            "reviewer_ids": list(plan.reviewer_ids),
            "due_days": plan.due_days,
            "max_per_reviewer": plan.max_per_reviewer,
            **rules,
        }


class RunForm(FlaskForm):
    period = SelectField(_l("Period to sample"), choices=[])


def _plan_form(plan: SamplingPlan | None) -> PlanForm:
    db = get_db()
    form = PlanForm(data=PlanForm.data_of(plan) if plan is not None and request.method == "GET" else None)
    teams = db.scalars(select(Team).order_by(Team.active.desc(), Team.name))
    form.team_ids.choices = choices(
        (t.id, t.name if t.active else f"{t.name} ({_('inactive')})") for t in teams
    )
    form.reviewer_ids.choices = choices(
        (u.id, f"{u.display_name} · {label('role', u.role)}") for u in sampling.eligible_reviewers(db)
    )
    return form


def _run_form(plan: SamplingPlan) -> RunForm:
    settings = get_settings()
    last = sampling.last_complete_period(plan, settings)
    current = sampling.current_period(plan, settings)
    names = {
        "day": (_("Yesterday (%(p)s)", p=last), _("Today so far (%(p)s)", p=current)),
        "week": (_("Last week (%(p)s)", p=last), _("This week so far (%(p)s)", p=current)),
        "month": (_("Last month (%(p)s)", p=last), _("This month so far (%(p)s)", p=current)),
    }[plan.period]
    form = RunForm()
    form.period.choices = choices([(last, names[0]), (current, names[1])])
    return form


def _save(form: PlanForm, action) -> tuple[SamplingPlan | None, int]:  # noqa: ANN001
    """Validate and run ``action(db, input)``; on a ServiceError the message goes onto its field."""
    if not form.validate_on_submit():
        return None, 400 if request.method == "POST" else 200
    db = get_db()
    try:
        try:
            data = form.to_input()
        except RulesError as exc:
            raise sampling.rules_error(exc) from exc
        plan = action(db, data)
        db.commit()
    except ServiceError as exc:
        db.rollback()
        form_error(form, exc)
        return None, 400
    return plan, 200


@bp.route("/")
@allow(*LEADS)
def index():
    db = get_db()
    plans = sampling.list_plans(db)
    teams = {t.id: t.name for t in db.scalars(select(Team))}
    return render_template(
        "sampling/index.html",
        plans=plans,
        rules={p.id: sampling.plan_rules(p) for p in plans},
        last_runs=sampling.last_runs(db),
        backlog=assignments.open_by_plan(db),
        team_names={p.id: [teams.get(tid, f"#{tid}") for tid in p.team_ids] for p in plans},
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(*LEADS)
def create():
    form = _plan_form(None)
    plan, status = _save(form, lambda db, data: sampling.create_plan(db, data, actor=current_user))
    if plan is not None:
        flash(_("Sampling plan %(name)s created.", name=plan.name), "success")
        return redirect(url_for("sampling.detail", plan_id=plan.id))
    return render_template(
        "sampling/edit.html", form=form, plan=None, new_hire_days=get_settings().new_hire_days
    ), status


@bp.route("/<int:plan_id>/edit", methods=["GET", "POST"])
@allow(*LEADS)
def edit(plan_id: int):
    plan = sampling.get_plan(get_db(), plan_id)
    form = _plan_form(plan)
    saved, status = _save(form, lambda db, data: sampling.update_plan(db, plan, data, actor=current_user))
    if saved is not None:
        flash(_("Saved."), "success")
        return redirect(url_for("sampling.detail", plan_id=plan.id))
    return render_template(
        "sampling/edit.html", form=form, plan=plan, new_hire_days=get_settings().new_hire_days
    ), status


@bp.route("/<int:plan_id>")
@allow(*LEADS)
def detail(plan_id: int):
    db = get_db()
    plan = sampling.get_plan(db, plan_id)
    runs = sampling.runs_of(db, plan)
    teams = (
        list(db.scalars(select(Team).where(Team.id.in_(plan.team_ids)).order_by(Team.name)))
        if plan.team_ids
        else []
    )
    return render_template(
        "sampling/detail.html",
        reason_order=REASONS,
        plan=plan,
        rules=sampling.plan_rules(plan),
        runs=runs,
        jobs=sampling.jobs_of(db, runs),
        teams=teams,
        pool=sampling.reviewer_pool(db, plan),
        run_form=_run_form(plan),
        pending=any(r.pending for r in runs),
        users=assignments.user_names(
            db, [int(u) for r in runs for u in (r.counts or {}).get("per_reviewer", {})]
        ),
    )


@bp.route("/<int:plan_id>/run", methods=["POST"])
@allow(*LEADS)
def run(plan_id: int):
    db = get_db()
    plan = sampling.get_plan(db, plan_id)
    form = _run_form(plan)
    if not form.validate_on_submit():
        flash(_("Choose the period to sample."), "danger")
        return redirect(url_for("sampling.detail", plan_id=plan.id))
    queued, created = sampling.request_run(
        db, plan, period=form.period.data, actor=current_user, settings=get_settings()
    )
    db.commit()
    if created:
        flash(_("Sampling run queued for %(p)s; this page shows its progress.", p=queued.period), "success")
    else:
        flash(_("A run of this plan is already queued or running."), "info")
    return redirect(url_for("sampling.detail", plan_id=plan.id))
