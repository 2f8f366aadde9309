"""Dashboard rollups (services.aggregates): equal to the live computation on a generated dataset (demo
history: machine evaluations, reviews on a sample, new hires and veterans, unreliable transcripts), an
incremental refresh after a new review recomputes exactly the touched cell, re-runs change nothing.
SQLite always; PostgreSQL when QA_TEST_POSTGRES_URL is set."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from coaching import DEFAULT_MIN_SAMPLE
from coaching.periods import local_date
from qa_app.db.models import Agent, Call, EvalState, Evaluation, RaterType, ScoreDaily, VerdictDaily
from qa_app.services import aggregates, analytics, demo_history, timeparse, verdicts
from qa_app.services.analytics import Scope

import factories
from factories import build_app, dispose, make_settings

FIRST, DAYS = date(2026, 3, 2), 35
# a veteran, one who becomes a veteran inside the range (cohort on the day of the call), a new hire
HIRED = [date(2025, 6, 1), date(2025, 11, 20), date(2026, 1, 5), date(2025, 3, 1)]


def _world(settings, template):
    app = build_app(settings, template)
    db = app.extensions["qa_sessionmaker"]()
    teams = [factories.create_team(db, f"AG{i}") for i in range(2)]
    agents = {
        f"a{i}": factories.create_agent(db, team=teams[i % 2], employee_no=f"90{i}", hire_date=HIRED[i])
        for i in range(4)
    }
    reviewer = factories.create_user(db, "qa_reviewer")
    result = demo_history.seed_history(
        db, settings, teams=teams, agents=agents, reviewers=[reviewer], today=FIRST, days=DAYS
    )
    db.commit()
    # unreliable transcripts (low role confidence): their machine verdicts never count, a review's do
    for i, agent in enumerate(agents.values()):
        for k in range(12):
            at = datetime.combine(result.first_day + timedelta(days=k), time(3 + i), UTC)
            factories.create_evaluated_call(
                db,
                agent,
                {"greeting": "fail", "closing": "pass"},
                started_at=at,
                role_confidence=0.2 if k % 2 else 0.9,
                human={"greeting": "pass"} if k % 3 == 0 else None,
            )
    # totals, so the score trends see these calls too: a machine total on an unreliable transcript never
    # counts (live and rolled up alike)
    db.execute(update(Evaluation).where(Evaluation.total.is_(None)).values(total=42.0))
    db.commit()
    return app, db, teams, result


def _snapshot(db):
    v = {
        (r.day, r.agent_id, r.team_id, r.criterion, r.source): (r.cohort, r.passes, r.fails, r.nas)
        for r in db.scalars(select(VerdictDaily))
    }
    s = {
        (r.day, r.agent_id, r.team_id): (r.calls, round(r.total_sum, 6))
        for r in db.scalars(select(ScoreDaily))
    }
    return v, s


def _heat(gaps):
    return {(a.agent_id, g.criterion): (g.n, g.passes, g.value) for a in gaps for g in a.gaps}


def _check_equal_live(db, settings, scope, since, until, first, last):
    live = analytics.heat_map(analytics.scope_verdicts(db, scope, since, until, settings=settings))
    rolled = aggregates.heat_map(db, scope, first, last, min_sample=DEFAULT_MIN_SAMPLE)
    assert _heat(rolled) == _heat(live) and _heat(live)
    assert [a.agent_id for a in rolled] == [a.agent_id for a in live]
    live_gaps = analytics.cohort_gaps(analytics.scope_verdicts(db, scope, since, until, settings=settings))
    assert aggregates.cohort_gaps(db, scope, first, last, min_sample=DEFAULT_MIN_SAMPLE) == live_gaps
    assert any(g.enough_data for g in live_gaps)
    for period in ("week", "month"):
        lt = analytics.score_trends(db, scope, since, until, period=period, tz=settings.timezone)
        rt = aggregates.score_trends(db, scope, first, last, period=period)
        for a, b in ((lt.overall, rt.overall), (lt.teams, rt.teams), (lt.agents, rt.agents)):
            assert [(p.period, p.key, p.n) for p in a] == [(p.period, p.key, p.n) for p in b] and a
            assert [p.mean for p in b] == pytest.approx([p.mean for p in a])


@pytest.fixture(params=["sqlite", "postgres"])
def world(request, tmp_path, migrated_template):
    if request.param == "postgres":
        pg_url = request.getfixturevalue("pg_url")
        settings = make_settings(tmp_path / "pg", database_url=pg_url)
        template = None
    else:
        settings, template = make_settings(tmp_path / "lite"), migrated_template
    app, db, teams, result = _world(settings, template)
    yield settings, db, teams, result
    db.close()
    dispose(app)


def test_rollups_equal_the_live_computation_and_refresh_only_touched_cells(world):
    settings, db, teams, result = world
    aggregates.rebuild(db, settings=settings)
    db.commit()
    first, last = result.first_day, result.last_day
    since, until = timeparse.local_days(first, last, settings.timezone)
    rows = verdicts.load(
        db, since=since, until=until, new_hire_days=settings.new_hire_days, tz=settings.timezone
    )
    assert {v.source for v in rows} == {"machine", "human"}
    assert {v.cohort for v in rows} == {"new_hire", "veteran"}
    assert any(not v.reliable and v.source == "machine" for v in rows)
    assert any(not v.reliable and v.source == "human" for v in rows)
    for scope in (Scope(), Scope(team_ids=frozenset({teams[0].id}))):
        _check_equal_live(db, settings, scope, since, until, first, last)
    # a sub-range: the rollup's day boundaries are the local calendar's
    mid = first + timedelta(days=10)
    s2, u2 = timeparse.local_days(mid, last, settings.timezone)
    _check_equal_live(db, settings, Scope(), s2, u2, mid, last)

    before = _snapshot(db)
    assert aggregates.refresh(db, settings=settings).cells == 0  # nothing touched since the rebuild
    db.commit()
    assert _snapshot(db) == before

    # a reviewer reviews one machine-only call: every criterion flipped to fail
    reviewed = set(db.scalars(select(Evaluation.call_id).where(Evaluation.rater_type == RaterType.HUMAN)))
    call = next(c for c in db.scalars(select(Call).order_by(Call.id)) if c.id not in reviewed)
    machine = db.scalars(select(Evaluation).where(Evaluation.call_id == call.id)).first()
    items = {cid: {**item, "result": "fail"} for cid, item in machine.items.items() if item.get("result")}
    db.add(
        Evaluation(
            call_id=call.id,
            rubric_version_id=machine.rubric_version_id,
            rater_type=RaterType.HUMAN,
            state=EvalState.SUBMITTED,
            items=items,
            total=1.0,
        )
    )
    db.commit()
    done = aggregates.refresh(db, settings=settings)
    db.commit()
    assert (done.cells, done.marks) == (1, 1)
    after = _snapshot(db)
    cell = (local_date(call.started_at, settings.timezone), call.agent_id)
    for b, a in zip(before, after, strict=True):
        changed = {k for k in set(a) | set(b) if a.get(k) != b.get(k)}
        assert changed and {k[:2] for k in changed} == {cell}
    _check_equal_live(db, settings, Scope(), since, until, first, last)

    assert aggregates.refresh(db, settings=settings).cells == 0  # idempotent
    db.commit()
    assert _snapshot(db) == after

    # a corrected hire date changes the agent's cohort on every day: all their cells, nobody else's
    agent = db.get(Agent, call.agent_id)
    agent.hire_date = last - timedelta(days=settings.new_hire_days + 10)  # veteran only on the last days
    db.commit()
    done = aggregates.refresh(db, settings=settings)
    db.commit()
    cohorts_now = _snapshot(db)
    changed = {k for k in cohorts_now[0] if cohorts_now[0][k] != after[0].get(k)}
    assert changed and {k[1] for k in changed} == {agent.id} and done.cells > 1
    _check_equal_live(db, settings, Scope(), since, until, first, last)
    after = cohorts_now
    aggregates.rebuild(db, settings=settings)  # a full rebuild agrees with the incremental result
    db.commit()
    assert _snapshot(db) == after
    assert aggregates.refreshed_at(db) is not None and aggregates.pending(db) == 0
