"""The dashboards' loaders and the demo-history bulk inserts on PostgreSQL: JSON paths (#>>), multi-row
INSERT ... RETURNING, the correlated 'reviewed' subquery and time zones behave as on SQLite."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from qa_app.services import analytics, demo_history, timeparse, verdicts
from qa_app.services.analytics import Scope

import factories
from factories import build_app, dispose, make_settings

pytestmark = pytest.mark.postgres


def test_loaders_and_demo_history_on_postgres(pg_url, tmp_path):
    settings = make_settings(tmp_path / "pg", database_url=pg_url)
    app = build_app(settings, None)
    try:
        with app.extensions["qa_sessionmaker"]() as db:
            teams = [factories.create_team(db, f"PG{i}") for i in range(2)]
            agents = {
                f"a{i}": factories.create_agent(
                    db, team=teams[i % 2], employee_no=f"80{i}", hire_date=date(2026, 1, 5)
                )
                for i in range(3)
            }
            reviewer = factories.create_user(db, "qa_reviewer")
            result = demo_history.seed_history(
                db,
                settings,
                teams=teams,
                agents=agents,
                reviewers=[reviewer],
                today=date(2026, 3, 2),
                days=35,
            )
            db.commit()
            assert result.calls > 100

            since, until = timeparse.local_days(result.first_day, result.last_day, settings.timezone)
            rows = verdicts.load(db, since=since, until=until, new_hire_days=90, tz=settings.timezone)
            assert len(rows) > 10 * result.calls
            assert {v.source for v in rows} == {"machine", "human"}
            data = analytics.load_kpi_data(db, Scope(), since, until, settings=settings)
            assert len(data.records) == result.calls
            assert any(r.complaint_risk for r in data.records) and any(r.end_sentiment for r in data.records)
            [row] = analytics.kpi_rows(data, by=(), config=analytics.kpi_config(settings), as_of=until)
            assert row.kpis.fcr.value is not None and row.kpis.service_level.value is not None
            team_scope = Scope(team_ids=frozenset({teams[0].id}))
            scoped = analytics.load_kpi_data(db, team_scope, since, until, settings=settings)
            assert {r.team for r in scoped.records} == {teams[0].id}
            cov = analytics.coverage(db, Scope(), since, until, period="week", tz=settings.timezone)
            assert cov.total.calls == result.calls and cov.total.reviewed == result.reviews
            trends = analytics.score_trends(db, Scope(), since, until, period="week", tz=settings.timezone)
            assert trends.overall and all(0 <= p.mean <= 100 for p in trends.overall)
            risky = analytics.complaint_risk_calls(db, Scope(), since, until)
            assert risky.flagged > 0 and risky.calls
            assert analytics.demo_history_calls(db, Scope(), since, until) == result.calls
            assert analytics.cohort_gaps(rows)
            late = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)  # Sunday 23:30 in Shanghai
            assert timeparse.local_days(date(2026, 3, 1), date(2026, 3, 1), settings.timezone)[0] < late
            plans = demo_history.coached_plans(db)
            assert [p.employee_no for p in plans] == ["1009", "1011", "1013"]
            assert all(p.trainer_username is None for p in plans), "these teams have no lead"
            assert until - since == timedelta(days=35)
    finally:
        dispose(app)
