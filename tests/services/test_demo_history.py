"""The demo history: six months of evaluated calls without audio, clearly marked, deterministic, with KPI
fields and repeat calls, a new-hire gap that shrinks with tenure, an improving coached cohort and the
hook that tells the coaching-plans feature who was coached — so that every dashboard shows something."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from coaching import comparison_agents, measure_effect, summarize_effects
from qa_app.db.models import DEMO_HISTORY, Agent, AutoScorecard, Call, Evaluation, Job, RaterType
from qa_app.services import (
    analytics,
    calibration,
    coaching_insights,
    demo,
    demo_history,
    demo_workflows,
    rubrics,
    sampling,
    timeparse,
)
from qa_app.services.analytics import Scope
from qa_app.services.coaching_insights import Context
from scoring.sampling import Rules

import factories
from factories import build_app, dispose, logged_in_client, make_settings

PAGES = ("trends", "criteria", "cohorts", "proficiency", "coverage", "complaints", "kpis")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path):
    settings = make_settings(tmp_path_factory.mktemp("demo-history"))
    app = build_app(settings, migrated_template)
    db = app.extensions["qa_sessionmaker"]()
    result = demo.seed(db, settings, audio=False)
    db.commit()
    db.close()
    yield app, result
    dispose(app)


@pytest.fixture
def sdb(seeded):
    app, _ = seeded
    with app.extensions["qa_sessionmaker"]() as s:
        yield s


def test_history_is_marked_and_complete(seeded, sdb):
    _, result = seeded
    h = result.history
    assert h.calls > 2000 and h.reviews > 100 and h.agents == 6
    assert h.last_day - h.first_day >= timedelta(days=180)
    assert "Demo history" in result.summary()
    calls = sdb.scalar(select(func.count()).select_from(Call).where(Call.source == DEMO_HISTORY))
    assert calls == h.calls
    assert sdb.scalar(select(func.count()).select_from(Call).where(Call.audio_path.is_not(None))) == 0
    assert sdb.scalar(select(func.count()).select_from(AutoScorecard)) == h.calls
    machine = sdb.scalar(
        select(func.count()).select_from(Evaluation).where(Evaluation.rater_type == RaterType.MACHINE)
    )
    human = sdb.scalar(
        select(func.count()).select_from(Evaluation).where(Evaluation.rater_type == RaterType.HUMAN)
    )
    assert (machine, human) == (h.calls, h.reviews)
    # a reviewed call's machine evaluation is superseded, as a submitted review does
    superseded = sdb.scalar(select(func.count()).select_from(Evaluation).where(Evaluation.superseded))
    assert superseded == h.reviews
    # every criterion of the default rubric, totals as the scorer computes them
    call = sdb.scalar(select(Call).where(Call.source == DEMO_HISTORY).order_by(Call.id).limit(1))
    card = sdb.scalar(select(AutoScorecard).where(AutoScorecard.call_id == call.id))
    assert len(card.data["criteria"]) == 14 and card.total == call.auto_score
    assert (
        call.external_id.startswith("HIST-") and call.customer_ref_hash and len(call.customer_ref_hash) == 64
    )


def test_kpi_fields_repeats_and_dashboards_have_figures(seeded, sdb):
    app, result = seeded
    settings = app.extensions["qa_settings"]
    since, until = timeparse.local_days(result.history.first_day, result.history.last_day, settings.timezone)
    data = analytics.load_kpi_data(sdb, Scope(), since, until, settings=settings)
    [row] = analytics.kpi_rows(data, by=(), config=analytics.kpi_config(settings), as_of=until)
    k = row.kpis
    assert 0.7 < k.service_level.value < 0.9
    assert 0.7 < k.fcr.value < 0.97, "some customers called back within 24 h"
    assert k.csat.n > 0.25 * k.calls and k.nps.n > 0.15 * k.calls and k.dsat.value > 0
    assert 0 < k.complaint_risk.value < 0.2 and 0 < k.negative_end.value < 0.35
    assert k.aht_seconds.value > 200


def test_new_hires_trail_and_the_gap_shrinks_with_tenure(seeded, sdb):
    app, result = seeded
    settings = app.extensions["qa_settings"]
    since, until = timeparse.local_days(result.history.first_day, result.history.last_day, settings.timezone)
    rows = analytics.scope_verdicts(sdb, Scope(), since, until, settings=settings)
    gaps = {g.criterion: g for g in analytics.cohort_gaps(rows)}
    behind = [c for c, g in gaps.items() if g.behind]
    assert {"verification", "empathy", "needs_confirmation"} <= set(behind)
    hires = {a.id: a.hire_date for a in sdb.scalars(select(Agent))}
    curves = analytics.proficiency(
        rows, hires, hired_from=result.history.first_day, criterion=None, tz=settings.timezone
    )
    assert len(curves) >= 3
    reached = [c.weeks_to_proficiency for c in curves if c.weeks_to_proficiency is not None]
    assert reached and all(4 <= w <= 20 for w in reached), reached


def test_coached_plans_hook_and_the_effect_study(seeded, sdb):
    app, result = seeded
    settings = app.extensions["qa_settings"]
    plans = demo_history.coached_plans(sdb)
    assert [(p.employee_no, p.criterion, p.trainer_username) for p in plans] == [
        ("1009", "empathy", "lead_chen"),
        ("1011", "empathy", "lead_chen"),
        ("1013", "empathy", "lead_chen"),
    ]
    agents = {a.id: a for a in sdb.scalars(select(Agent))}
    for p in plans:
        assert p.start == agents[p.agent_id].hire_date + timedelta(days=demo_history.COACHING_START_DAY)
        assert p.after[1] - p.before[0] == timedelta(weeks=8)
    since, until = timeparse.local_days(result.history.first_day, result.history.last_day, settings.timezone)
    rows = analytics.scope_verdicts(sdb, Scope(), since, until, settings=settings, criteria={"empathy"})
    coaching_plans = [p.to_coaching_plan(settings.timezone) for p in plans]
    estimates = []
    for p, cp in zip(plans, coaching_plans, strict=True):
        cohort_of = {a.id: a.cohort(p.start, settings.new_hire_days) for a in agents.values()}
        estimates.append(measure_effect(cp, rows, comparison_agents(cp, cohort_of, coaching_plans)))
    assert all(e.verdict != "not_enough_data" and e.did > 0 for e in estimates)
    [summary] = summarize_effects(estimates, by="criterion")
    assert summary.improved >= 2 and summary.ci.low > 0, summary
    # the seed records them as closed coaching plans: the coaching effect page measures the same study
    report = coaching_insights.effect_report(
        sdb, Context.from_settings(settings), rubric_key=rubrics.default_version(sdb).rubric_key
    )
    assert sorted(r.plan.id for r in report.rows) == sorted(result.coaching_plans)
    assert all(r.plan.state in ("met", "not_met") and r.plan.criteria == ["empathy"] for r in report.rows)
    assert all(r.estimate.verdict == "improved" for r in report.rows)
    [by_criterion] = report.by_criterion
    assert by_criterion.improved == 3 and by_criterion.ci.low > 0, by_criterion


def test_every_dashboard_has_rows_for_staff_and_the_agent_sees_their_history(seeded):
    app, _ = seeded
    admin = logged_in_client(app, "admin", "Demo#2026qa")
    for page in PAGES:
        html = admin.get(f"/dashboards/{page}").get_data(as_text=True)
        assert "demo-history" in html or "演示历史" in html, page
        tables = re.findall(r"<tbody>(.*?)</tbody>", html, re.S)
        assert tables and all("<td" in t for t in tables), page
        assert "此时间范围内没有数据" not in tables[0], page
    home = admin.get("/").get_data(as_text=True)
    assert re.search(r'href="/dashboards/cohorts"[^>]*>4 / 10</a>', home), "4 new hires, 4 + 6 veterans"
    assert "个百分点" in home, "the headline gaps are shown"
    agent = logged_in_client(app, "agent05", "Demo#2026qa")
    html = agent.get("/dashboards/trends").get_data(as_text=True)
    assert "1005" in html and "1001" not in html


def test_demo_history_call_page_has_a_badge_and_no_player(seeded, sdb):
    app, _ = seeded
    call = sdb.scalar(select(Call).where(Call.source == DEMO_HISTORY).order_by(Call.id.desc()).limit(1))
    client = logged_in_client(app, "qa_li", "Demo#2026qa")
    html = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "演示历史" in html and 'id="no-audio"' in html
    assert "<audio" not in html
    assert client.get(f"/calls/{call.id}/audio").status_code == 404
    listing = client.get("/calls/").get_data(as_text=True)
    assert "演示历史" in listing


def test_history_is_never_sampled_nor_calibrated_and_no_audio_queues_no_workflows(seeded, sdb):
    """Nobody can listen to a call without a recording: sampling and the calibration picker skip them;
    without the demo's recorded calls (--no-audio) there is no demo_workflows job to wait for them."""
    app, result = seeded
    settings = app.extensions["qa_settings"]
    plan = sampling.create_plan(
        sdb,
        sampling.PlanInput(name="all of it", period="month", random_per_agent=50, rules=Rules(needs_review=True)),
        actor=None,
    )
    since, until = timeparse.local_days(result.history.first_day, result.history.last_day, settings.timezone)
    assert sampling.candidates(sdb, plan, since, until, new_hire_on=date.today(), new_hire_days=90) == []
    version = rubrics.default_version(sdb)
    assert calibration.candidate_calls(sdb, calibration.CallSearch(version.id)) == []
    assert sdb.scalar(select(func.count()).select_from(Job).where(Job.kind == demo_workflows.JOB_KIND)) == 0
    sdb.rollback()


def test_generation_is_deterministic(make_app):
    """Same seed, same day, same people: the same history (a short one, on two fresh databases)."""

    def run() -> list[tuple]:
        app = make_app()
        settings = app.extensions["qa_settings"]
        with app.extensions["qa_sessionmaker"]() as s:
            teams = [factories.create_team(s, f"T{i}") for i in range(2)]
            agents = {
                f"a{i}": factories.create_agent(
                    s, team=teams[i % 2], employee_no=f"90{i}", name=f"A{i}", hire_date=date(2026, 1, 1)
                )
                for i in range(3)
            }
            reviewer = factories.create_user(s, "qa_reviewer", username="rev")
            demo_history.seed_history(
                s, settings, teams=teams, agents=agents, reviewers=[reviewer], today=date(2026, 3, 2), days=21
            )
            s.commit()
            return [
                (
                    c.external_id,
                    c.agent.employee_no,
                    c.started_at,
                    c.auto_score,
                    c.wait_seconds,
                    c.csat,
                    c.resolved,
                )
                for c in s.scalars(select(Call).order_by(Call.external_id))
            ]

    first = run()
    assert len(first) > 50
    assert run() == first
