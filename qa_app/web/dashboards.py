"""Dashboards: score trends, the criterion heat map, new hires vs veterans, time to proficiency, sampling
coverage, complaint-risk calls and the contact-center KPIs.

Each page is a chart (ECharts, static/dashboards.js) over a table with the same numbers; every table
downloads as CSV or XLSX from the same rows (``/dashboards/<page>.csv?table=...`` with the page's
filters). Who sees what is ``analytics.scope_for``: agents only their own calls (no other agent's name
anywhere), trainers the teams they lead, QA reviewers and admins everything. The cohort comparison and
time to proficiency compare groups of agents and are for staff only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, Form, SelectField
from wtforms.validators import Optional as OptionalValidator

from coaching import DEFAULT_MIN_SAMPLE
from qa_app.db.base import utcnow
from qa_app.services import aggregates, analytics, timeparse
from qa_app.services.analytics import NEW_HIRE, VETERAN, Scope
from qa_app.web.access import ALL_ROLES, STAFF, allow, can
from qa_app.web.context import get_db, get_settings
from qa_app.web.exports import FORMATS, Column, Table, filename, send
from qa_app.web.forms import choices

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")

MAX_RANGE_DAYS = 731  # two years: enough for any trend, bounded work per request
DEFAULT_WEEKS = 13
ROLLUP_PAGES = frozenset({"cohorts", "criteria", "trends"})  # read the precomputed rollups (services.aggregates)
EXT = "<any(csv, xlsx):ext>"  # a download of the page's table: /dashboards/<page>.csv or .xlsx

# page key (= the endpoint dashboards.<key>, whose @allow says who may open it) -> (title, description)
PAGES: dict[str, tuple[Any, Any]] = {
    "trends": (
        _l("Score trends"),
        _l(
            "Average score of each call's current evaluation (a reviewer's over the machine's) by team and agent."
        ),
    ),
    "criteria": (
        _l("Criteria heat map"),
        _l("Pass rate of each agent on each criterion; grey where there are too few scored calls."),
    ),
    "cohorts": (
        _l("New hires vs veterans"),
        _l("Pass-rate gap per criterion with its interval (95%): where new hires trail the veterans."),
    ),
    "proficiency": (
        _l("Time to proficiency"),
        _l("Pass rate over tenure weeks by hire month, against the veterans' level."),
    ),
    "coverage": (
        _l("Sampling coverage"),
        _l("Share of calls with a completed human review, by team, agent and period."),
    ),
    "complaints": (
        _l("Complaint risk"),
        _l("Calls flagged for complaint risk: negative endings and the lowest scores first."),
    ),
    "kpis": (
        _l("Contact-center KPIs"),
        _l(
            "Service level, handle time, first-call resolution, CSAT, DSAT, NPS, negative endings, complaint risk."
        ),
    ),
}


# --- filters -----------------------------------------------------------------------------------------------


def _optional_int(value: object) -> int | None:
    if value in (None, ""):
        return None
    return int(value)  # type: ignore[arg-type]


class FilterForm(Form):
    """The query-string filters shared by the pages (GET, so no CSRF token)."""

    start = DateField(_l("From"), validators=[OptionalValidator()])
    end = DateField(_l("To"), validators=[OptionalValidator()])
    period = SelectField(
        _l("Period"), choices=choices([("week", _l("Week")), ("month", _l("Month"))]), default="week"
    )
    team = SelectField(_l("Team"), coerce=_optional_int, choices=[], default=None)
    by = SelectField(_l("Group by"), choices=[], default="team")
    criterion = SelectField(_l("Criterion"), choices=[], default="")


@dataclass
class Ctx:
    """Everything a page builder needs."""

    page: str
    form: FilterForm
    start: date
    end: date
    since: datetime
    until: datetime
    period: str
    scope: Scope
    names: analytics.Names
    lang: str
    tz: str
    titles: dict[str, str] = field(default_factory=dict)  # criterion id -> title, rubric order

    def title(self, criterion: str) -> str:
        return self.titles.get(criterion, criterion)


@dataclass
class PageData:
    tables: list[Table] = field(default_factory=list)
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def _context(page: str) -> tuple[Ctx, list[str]]:
    """Parse and check the filters; returns the context and the errors (the page shows them, 400)."""
    settings = get_settings()
    db = get_db()
    lang = "en" if str(get_locale()).startswith("en") else "zh"
    scope = analytics.scope_for(db, current_user)
    names = analytics.names(db, scope)
    form = FilterForm(request.args, by="period" if scope.is_agent else "team")
    form.team.choices = choices([(None, _("All teams")), *names.teams.items()])
    form.by.choices = choices(
        [("period", _("Period")), ("cohort", _("Cohort"))]
        if scope.is_agent
        else [("team", _("Team")), ("agent", _("Agent")), ("cohort", _("Cohort")), ("period", _("Period"))]
    )
    titles = analytics.criterion_titles(db, lang)
    form.criterion.choices = choices([("", _("All criteria")), *titles.items()])
    valid = form.validate()
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    weeks = 26 if page == "proficiency" else DEFAULT_WEEKS
    end = form.end.data or today
    start = form.start.data or end - timedelta(days=weeks * 7 - 1)
    if valid and start > end:
        form.end.errors.append(_("The start date is after the end date."))
    elif valid and (end - start).days >= MAX_RANGE_DAYS:
        form.start.errors.append(_("Choose at most two years."))
    errors = [f"{f.label.text}: {e}" for f in form for e in f.errors]
    if errors:  # the page shows the errors and no figures; the form keeps what was typed
        start, end = today - timedelta(days=weeks * 7 - 1), today
    else:  # show the range in effect in the date inputs
        form.start.data, form.end.data = start, end
    since, until = timeparse.local_days(start, end, settings.timezone)
    ctx = Ctx(
        page=page,
        form=form,
        start=start,
        end=end,
        since=since,
        until=until,
        period=form.period.data if form.period.data in ("week", "month") else "week",
        scope=scope.narrowed_to_team(None if errors else form.team.data),
        names=names,
        lang=lang,
        tz=settings.timezone,
        titles=titles,
    )
    return ctx, errors


def _serve(page: str, build: Callable[[Ctx], PageData], fmt: str | None):
    """Render the page, or with ``fmt`` download one of its tables (``?table=``, default the first)."""
    ctx, errors = _context(page)
    if errors:
        if fmt:
            abort(400, description="; ".join(errors))
        return _render(ctx, PageData(), errors), 400
    key = (
        page,
        ctx.scope,
        ctx.start,
        ctx.end,
        ctx.period,
        ctx.form.by.data,
        ctx.form.criterion.data,
        ctx.lang,
    )
    data = analytics.remember(get_db(), key, lambda: build(ctx))
    if fmt:
        wanted = request.args.get("table") or (data.tables[0].key if data.tables else "")
        table = next((t for t in data.tables if t.key == wanted), None)
        if table is None:
            abort(404)
        return send(table, fmt, filename(page, table.key, ctx.start, ctx.end))
    return _render(ctx, data, [])


def _render(ctx: Ctx, data: PageData, errors: list[str]):
    db = get_db()
    args = {k: v for k, v in request.args.items() if k not in ("table", "ext")}
    return render_template(
        f"dashboards/{ctx.page}.html",
        ctx=ctx,
        page=ctx.page,
        pages=[(k, t) for k, (t, _d) in PAGES.items() if can(f"dashboards.{k}")],
        page_title=PAGES[ctx.page][0],
        page_description=PAGES[ctx.page][1],
        form=ctx.form,
        errors=errors,
        data=data,
        args=args,
        scope_label=_scope_label(ctx),
        demo_calls=analytics.demo_history_calls(db, ctx.scope, ctx.since, ctx.until) if not errors else 0,
        min_sample=DEFAULT_MIN_SAMPLE,
        as_of=aggregates.refreshed_at(db) if ctx.page in ROLLUP_PAGES else None,
        rollup_pages=ROLLUP_PAGES,
        export_url=lambda table, fmt: url_for(f"dashboards.{ctx.page}", ext=fmt, table=table, **args),
    )


def _scope_label(ctx: Ctx) -> str:
    if ctx.scope.is_agent:
        return _("Your own calls only.")
    if ctx.scope.team_ids is not None:
        teams = [ctx.names.teams[t] for t in sorted(ctx.scope.team_ids) if t in ctx.names.teams]
        return _("Teams: %(teams)s", teams=", ".join(teams)) if teams else _("No team selected.")
    return _("All teams.")


# --- small formatting helpers ----------------------------------------------------------------------------------


def pct(x: float | None) -> float | None:
    return None if x is None else round(100 * x, 1)


def num(x: float | None, digits: int = 1) -> float | None:
    return None if x is None else round(x, digits)


def _period_label(d: date | None, period: str) -> str:
    if d is None:
        return ""
    return f"{d:%Y-%m}" if period == "month" else d.isoformat()


def _period_column(period: str) -> Column:
    return Column("period", _("Month") if period == "month" else _("Week of"), "text")


def _cohort_label(c: str | None) -> str:
    return {NEW_HIRE: _("New hires"), VETERAN: _("Veterans")}.get(c or "", c or "")


def _agent(ctx: Ctx, agent_id: int | None) -> str:
    return ctx.names.agents.get(agent_id, "") if agent_id is not None else ""


def _team(ctx: Ctx, team_id: int | None) -> str:
    return ctx.names.teams.get(team_id, "") if team_id is not None else ""


def _yes(flag: bool) -> str:
    return _("yes") if flag else _("no")


def _lines(x: list[str], series: dict[str, dict[str, float | None]], **opts: Any) -> dict[str, Any]:
    return {
        "kind": "lines",
        "x": x,
        "series": [{"name": name, "data": [points.get(p) for p in x]} for name, points in series.items()],
        **opts,
    }


# --- pages -----------------------------------------------------------------------------------------------------


@bp.route("/")
@allow(*ALL_ROLES)
def index():
    return render_template(
        "dashboards/index.html",
        pages=[(k, t, d) for k, (t, d) in PAGES.items() if can(f"dashboards.{k}")],
    )


def _trends(ctx: Ctx) -> PageData:
    db = get_db()
    tr = aggregates.score_trends(db, ctx.scope, ctx.start, ctx.end, period=ctx.period)  # type: ignore[arg-type]
    x = [_period_label(p.period, ctx.period) for p in tr.overall]
    out = PageData()
    avg, n = _("Average score"), _("Scored calls")
    if not ctx.scope.is_agent:
        series: dict[str, dict[str, float | None]] = {}
        if len(ctx.names.teams) > 1 and (ctx.scope.team_ids is None or len(ctx.scope.team_ids) > 1):
            series[_("All teams")] = {_period_label(p.period, ctx.period): num(p.mean) for p in tr.overall}
        rows = []
        for p in tr.teams:
            label = _period_label(p.period, ctx.period)
            series.setdefault(_team(ctx, p.key), {})[label] = num(p.mean)
            rows.append((label, _team(ctx, p.key), num(p.mean), p.n))
        title = _("Average score by team")
        cols = (
            _period_column(ctx.period),
            Column("team", _("Team")),
            Column("avg", avg, "num"),
            Column("n", n, "int"),
        )
        out.tables.append(Table("teams", title, cols, rows))
        out.charts["teams"] = _lines(x, series, y_name=avg, y_max=100, title=title)
    agent_series: dict[str, dict[str, float | None]] = {}
    rows = []
    for p in tr.agents:
        label = _period_label(p.period, ctx.period)
        agent_series.setdefault(_agent(ctx, p.key), {})[label] = num(p.mean)
        rows.append(
            (label, _agent(ctx, p.key), _team(ctx, ctx.names.agent_team.get(p.key)), num(p.mean), p.n)
        )
    title = _("Your average score") if ctx.scope.is_agent else _("Average score by agent")
    cols = (
        _period_column(ctx.period),
        Column("agent", _("Agent")),
        Column("team", _("Team")),
        Column("avg", avg, "num"),
        Column("n", n, "int"),
    )
    out.tables.append(Table("agents", title, cols, rows))
    out.charts["agents"] = _lines(x, agent_series, y_name=avg, y_max=100, title=title)
    return out


@bp.route("/trends")
@bp.route(f"/trends.{EXT}")
@allow(*ALL_ROLES)
def trends(ext: str | None = None):
    return _serve("trends", _trends, ext)


def _heatmap(ctx: Ctx) -> PageData:
    db = get_db()
    per_agent = aggregates.heat_map(db, ctx.scope, ctx.start, ctx.end, min_sample=DEFAULT_MIN_SAMPLE)
    seen = {g.criterion for a in per_agent for g in a.gaps}
    criteria = [c for c in ctx.titles if c in seen] + sorted(seen - set(ctx.titles))
    order = {a: i for i, a in enumerate(ctx.names.agents)}  # by employee no.
    agents = sorted((a for a in per_agent if a.agent_id in order), key=lambda a: order[a.agent_id])
    cells, rows = [], []
    for yi, a in enumerate(agents):
        by_crit = {g.criterion: g for g in a.gaps}
        for xi, c in enumerate(criteria):
            g = by_crit.get(c)
            if g is None:
                continue
            cells.append([xi, yi, pct(g.value), g.n])
            rows.append((_agent(ctx, a.agent_id), ctx.title(c), pct(g.value), g.passes, g.n))
    rate = _("Pass rate (%)")
    table = Table(
        "heatmap",
        _("Pass rate by agent and criterion"),
        (
            Column("agent", _("Agent")),
            Column("criterion", _("Criterion")),
            Column("rate", rate, "pct"),
            Column("passes", _("Passed"), "int"),
            Column("n", _("Scored calls"), "int"),
        ),
        rows,
        note=_("No rate is shown below %(n)d scored calls (N/A answers do not count).", n=DEFAULT_MIN_SAMPLE),
    )
    chart = {
        "kind": "heatmap",
        "x": [ctx.title(c) for c in criteria],
        "y": [_agent(ctx, a.agent_id) for a in agents],
        "cells": cells,
        "min_sample": DEFAULT_MIN_SAMPLE,
        # colour scale from just under the lowest rate shown, so that 80% and 95% look different
        "min": min((10 * int((c[2] - 5) // 10) for c in cells if c[2] is not None), default=0),
        "labels": {"rate": rate, "n": _("Scored calls"), "few": _("too few calls")},
        "title": table.title,
    }
    return PageData([table], {"heatmap": chart})


@bp.route("/criteria")
@bp.route(f"/criteria.{EXT}")
@allow(*ALL_ROLES)
def criteria(ext: str | None = None):
    return _serve("criteria", _heatmap, ext)


def _cohorts(ctx: Ctx) -> PageData:
    db = get_db()
    settings = get_settings()
    gaps = aggregates.cohort_gaps(db, ctx.scope, ctx.start, ctx.end, min_sample=DEFAULT_MIN_SAMPLE)
    rows = []
    for g in gaps:
        verdict = (
            _("not enough data")
            if not g.enough_data
            else _("new hires behind")
            if g.behind
            else _("new hires ahead")
            if g.ci and g.ci.high < 0
            else _("no clear difference")
        )
        rows.append(
            (
                ctx.title(g.criterion),
                pct(g.value),
                g.n,
                pct(g.reference_value),
                g.n_reference,
                pct(g.gap),
                pct(g.ci.low) if g.ci else None,
                pct(g.ci.high) if g.ci else None,
                verdict,
            )
        )
    table = Table(
        "gaps",
        _("New hires vs veterans by criterion"),
        (
            Column("criterion", _("Criterion")),
            Column("new", _("New hires: pass rate (%)"), "pct"),
            Column("n_new", _("New hires: scored calls"), "int"),
            Column("vet", _("Veterans: pass rate (%)"), "pct"),
            Column("n_vet", _("Veterans: scored calls"), "int"),
            Column("gap", _("Gap (percentage points)"), "pp"),
            Column("low", _("Interval from (95%)"), "pp"),
            Column("high", _("Interval to (95%)"), "pp"),
            Column("verdict", _("Reading")),
        ),
        rows,
        note=_(
            "Gap = veterans minus new hires (positive: new hires trail). Newcombe 95%% interval; no figure "
            "below %(n)d scored calls per cohort. Cohort = the agent's tenure on the day of the call "
            "(new hire under %(days)d days).",
            n=DEFAULT_MIN_SAMPLE,
            days=settings.new_hire_days,
        ),
    )
    shown = [g for g in gaps if g.enough_data]
    chart = {
        "kind": "gaps",
        "categories": [ctx.title(g.criterion) for g in shown],
        "gap": [pct(g.gap) for g in shown],
        "low": [pct(g.ci.low) if g.ci else None for g in shown],
        "high": [pct(g.ci.high) if g.ci else None for g in shown],
        "labels": {"gap": _("Gap (percentage points)"), "ci": _("Interval (95%)")},
        "title": table.title,
    }
    headcount = analytics.headcount(db, ctx.scope, today=ctx.end, new_hire_days=settings.new_hire_days)
    return PageData([table], {"gaps": chart}, {"headcount": headcount})


@bp.route("/cohorts")
@bp.route(f"/cohorts.{EXT}")
@allow(*STAFF)
def cohorts(ext: str | None = None):
    return _serve("cohorts", _cohorts, ext)


def _proficiency(ctx: Ctx) -> PageData:
    db = get_db()
    criterion = ctx.form.criterion.data or None
    verdicts = analytics.scope_verdicts(
        db,
        ctx.scope,
        ctx.since,
        ctx.until,
        settings=get_settings(),
        criteria={criterion} if criterion else None,
    )
    curves = analytics.proficiency(
        verdicts, ctx.names.hire_dates, hired_from=ctx.start, criterion=criterion, tz=ctx.tz
    )
    months, points = [], []
    series: dict[str, dict[str, float | None]] = {}
    weeks = max((len(c.points) for c in curves), default=0)
    x = [str(w) for w in range(weeks)]
    for c in curves:
        weeks_to = c.weeks_to_proficiency if c.weeks_to_proficiency is not None else _("not reached yet")
        months.append((c.hire_month, c.agents, weeks_to, pct(c.benchmark)))
        for p in c.points:
            series.setdefault(c.hire_month, {})[str(p.week)] = pct(p.rate)
            points.append(
                (
                    c.hire_month,
                    p.week,
                    pct(p.rate),
                    p.n,
                    pct(p.ci.low) if p.ci else None,
                    pct(p.ci.high) if p.ci else None,
                )
            )
    benchmark = next((c.benchmark for c in curves if c.benchmark is not None), None)
    what = ctx.title(criterion) if criterion else _("all criteria")
    tables = [
        Table(
            "months",
            _("Weeks to the veterans' level by hire month (%(what)s)", what=what),
            (
                Column("month", _("Hire month")),
                Column("agents", _("Agents"), "int"),
                Column("weeks", _("Weeks to veteran level"), "int"),
                Column("benchmark", _("Veteran level (%)"), "pct"),
            ),
            months,
            note=_(
                "Agents hired on or after %(start)s (their whole tenure is in the range). Rolling 4-week pass "
                "rate; the veteran level is the lower end of the veterans' 95%% interval.",
                start=ctx.start.isoformat(),
            ),
        ),
        Table(
            "curves",
            _("Pass rate by tenure week"),
            (
                Column("month", _("Hire month")),
                Column("week", _("Tenure week"), "int"),
                Column("rate", _("Pass rate (%)"), "pct"),
                Column("n", _("Scored verdicts"), "int"),
                Column("low", _("Interval from (95%)"), "pct"),
                Column("high", _("Interval to (95%)"), "pct"),
            ),
            points,
        ),
    ]
    chart = _lines(
        x,
        series,
        y_name=_("Pass rate (%)"),
        y_max=100,
        x_name=_("Tenure week"),
        benchmark=pct(benchmark),
        benchmark_label=_("Veteran level"),
        title=tables[0].title,
    )
    return PageData(tables, {"curves": chart})


@bp.route("/proficiency")
@bp.route(f"/proficiency.{EXT}")
@allow(*STAFF)
def proficiency(ext: str | None = None):
    return _serve("proficiency", _proficiency, ext)


def _coverage(ctx: Ctx) -> PageData:
    cov = analytics.coverage(get_db(), ctx.scope, ctx.since, ctx.until, period=ctx.period, tz=ctx.tz)  # type: ignore[arg-type]
    calls_c, rev_c, share_c = (
        Column("calls", _("Calls"), "int"),
        Column("reviewed", _("Reviewed by a person"), "int"),
        Column("share", _("Coverage (%)"), "pct"),
    )
    x = [_period_label(r.period, ctx.period) for r in cov.by_period]
    series: dict[str, dict[str, float | None]] = {}
    if ctx.scope.is_agent:
        series[_("Your calls")] = {_period_label(r.period, ctx.period): pct(r.share) for r in cov.by_period}
    else:
        for r in cov.by_team_period:
            series.setdefault(_team(ctx, r.team_id), {})[_period_label(r.period, ctx.period)] = pct(r.share)
    tables = [
        Table(
            "periods",
            _("Coverage by period"),
            (_period_column(ctx.period), calls_c, rev_c, share_c),
            [(_period_label(r.period, ctx.period), r.calls, r.reviewed, pct(r.share)) for r in cov.by_period],
        ),
    ]
    if not ctx.scope.is_agent:
        tables.append(
            Table(
                "teams",
                _("Coverage by team"),
                (Column("team", _("Team")), calls_c, rev_c, share_c),
                [(_team(ctx, r.team_id), r.calls, r.reviewed, pct(r.share)) for r in cov.by_team],
            )
        )
        tables.append(
            Table(
                "agents",
                _("Coverage by agent"),
                (Column("agent", _("Agent")), Column("team", _("Team")), calls_c, rev_c, share_c),
                [
                    (
                        _agent(ctx, r.agent_id),
                        _team(ctx, ctx.names.agent_team.get(r.agent_id)),
                        r.calls,
                        r.reviewed,
                        pct(r.share),
                    )
                    for r in cov.by_agent
                ],
            )
        )
    chart = _lines(x, series, y_name=_("Coverage (%)"), y_max=100, title=_("Coverage by period"))
    return PageData(tables, {"coverage": chart}, {"total": cov.total})


@bp.route("/coverage")
@bp.route(f"/coverage.{EXT}")
@allow(*ALL_ROLES)
def coverage(ext: str | None = None):
    return _serve("coverage", _coverage, ext)


def _complaints(ctx: Ctx) -> PageData:
    risky = analytics.complaint_risk_calls(get_db(), ctx.scope, ctx.since, ctx.until, limit=20)
    zone = ZoneInfo(ctx.tz)
    rows = [
        (
            c.call_id,
            c.started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            _agent(ctx, c.agent_id),
            _team(ctx, c.team_id),
            num(c.total),
            _yes(c.negative_end),
            _yes(c.reviewed),
            _("demo history") if c.demo_history else "",
        )
        for c in risky.calls
    ]
    table = Table(
        "calls",
        _("Top complaint-risk calls"),
        (
            Column("call", _("Call"), "call"),
            Column("start", _("Start")),
            Column("agent", _("Agent")),
            Column("team", _("Team")),
            Column("score", _("Score"), "num"),
            Column("negative", _("Customer ended negative")),
            Column("reviewed", _("Flag confirmed by a reviewer")),
            Column("note", _("Note")),
        ),
        rows,
        note=_("%(n)d flagged calls in the range; the first %(k)d are listed.", n=risky.flagged, k=len(rows)),
    )
    return PageData([table], {}, {"flagged": risky.flagged})


@bp.route("/complaints")
@bp.route(f"/complaints.{EXT}")
@allow(*ALL_ROLES)
def complaints(ext: str | None = None):
    return _serve("complaints", _complaints, ext)


def _kpis(ctx: Ctx) -> PageData:
    settings = get_settings()
    by = ctx.form.by.data
    data = analytics.load_kpi_data(get_db(), ctx.scope, ctx.since, ctx.until, settings=settings)
    rows_k = analytics.kpi_rows(
        data, by=(by,), config=analytics.kpi_config(settings, ctx.period), as_of=utcnow()
    )  # type: ignore[arg-type]

    def group(r: Any) -> str:
        return {
            "team": lambda: _team(ctx, r.team),
            "agent": lambda: _agent(ctx, r.agent_id),
            "cohort": lambda: _cohort_label(r.cohort),
            "period": lambda: _period_label(r.period, ctx.period),
        }[by]()

    group_col = {
        "team": Column("group", _("Team")),
        "agent": Column("group", _("Agent")),
        "cohort": Column("group", _("Cohort")),
        "period": _period_column(ctx.period),
    }[by]
    sl = (
        int(settings.service_level_seconds)
        if settings.service_level_seconds.is_integer()
        else settings.service_level_seconds
    )
    cols = (
        group_col,
        Column("calls", _("Calls"), "int"),
        Column("sl", _("Service level ≤ %(s)s s (%%)", s=sl), "pct"),
        Column("sl_n", _("Calls with a wait time"), "int"),
        Column("aht", _("Average handle time (s)"), "seconds"),
        Column("fcr", _("First-call resolution (%)"), "pct"),
        Column("fcr_n", _("Calls decided"), "int"),
        Column("fcr_pending", _("Window still open"), "int"),
        Column("resolved", _("Marked resolved (%)"), "pct"),
        Column("csat", _("CSAT (1–5)"), "num"),
        Column("dsat", _("DSAT (%)"), "pct"),
        Column("csat_n", _("Survey answers"), "int"),
        Column("nps", _("NPS"), "num"),
        Column("nps_n", _("NPS answers"), "int"),
        Column("neg", _("Negative ending (%)"), "pct"),
        Column("risk", _("Complaint risk (%)"), "pct"),
        Column("scored", _("Scored calls"), "int"),
    )
    rows = []
    for r in rows_k:
        k = r.kpis
        rows.append(
            (
                group(r),
                k.calls,
                pct(k.service_level.value),
                k.service_level.n,
                num(k.aht_seconds.value, 0),
                pct(k.fcr.value),
                k.fcr.n,
                k.fcr_pending,
                pct(k.resolved.value),
                num(k.csat.value, 2),
                pct(k.dsat.value),
                k.csat.n,
                num(k.nps.value),
                k.nps.n,
                pct(k.negative_end.value),
                pct(k.complaint_risk.value),
                max(k.negative_end.n, k.complaint_risk.n),
            )
        )
    hours = settings.fcr_window_hours
    table = Table(
        "kpis",
        _("KPIs by %(dim)s", dim=group_col.label.lower() if ctx.lang == "en" else group_col.label),
        cols,
        rows,
        note=_(
            "No data: no call in the group carries that field (an empty cell in the downloads). FCR: no call "
            "from the same customer within "
            "%(h)s h (calls without a customer reference are left out; calls whose window is still open are "
            "counted apart). Handle time = talk + hold + after-call work.",
            h=int(hours) if float(hours).is_integer() else hours,
        ),
    )
    shares = [
        ("sl", _("Service level")),
        ("fcr", _("First-call resolution")),
        ("dsat", _("DSAT")),
        ("neg", _("Negative ending")),
        ("risk", _("Complaint risk")),
    ]
    keys = [c.key for c in cols]
    labels = [row[0] for row in rows]
    series = {name: {labels[i]: rows[i][keys.index(key)] for i in range(len(rows))} for key, name in shares}
    kind = "lines" if by == "period" else "bars"
    chart = _lines(labels, series, y_name="%", y_max=100, title=_("Shares (%)"))
    chart["kind"] = kind
    return PageData([table], {"kpis": chart})


@bp.route("/kpis")
@bp.route(f"/kpis.{EXT}")
@allow(*ALL_ROLES)
def kpis(ext: str | None = None):
    return _serve("kpis", _kpis, ext)


__all__ = ["FORMATS", "PAGES", "bp"]
