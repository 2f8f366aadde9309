"""flask run-sampling: runs plans at once, a second run for the period assigns nothing, bad input refused."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from qa_app.db.models import ReviewAssignment

import factories


def test_run_sampling_assigns_once_per_period(runner, app, db):
    settings = app.extensions["qa_settings"]
    result = runner.invoke(args=["run-sampling"])
    assert result.exit_code != 0 and "no active sampling plan" in result.output
    agent = factories.create_agent(db)
    factories.create_user(db, "qa_reviewer")
    for _ in range(3):
        factories.create_scored_call(db, settings, agent, started_at=datetime(2026, 11, 18, 3, 0, tzinfo=UTC))
    plan = factories.create_sampling_plan(db, "周抽检", random_per_agent=2)
    factories.create_sampling_plan(db, "停用计划", active=False)

    result = runner.invoke(args=["run-sampling", "--period", "2026-W47"])
    assert result.exit_code == 0, result.output
    assert f"plan {plan.id} 周抽检 2026-W47: 2 assigned of 2 picked from 3 candidates" in result.output
    assert "停用计划" not in result.output
    again = runner.invoke(args=["run-sampling", "--plan", str(plan.id), "--period", "2026-W47"])
    assert again.exit_code == 0 and "0 assigned of 0 picked from 1 candidates" in again.output
    assert db.scalar(select(func.count()).select_from(ReviewAssignment)) == 2

    bad = runner.invoke(args=["run-sampling", "--period", "2026-11"])
    assert bad.exit_code == 1 and "is not a week period" in bad.output
    missing = runner.invoke(args=["run-sampling", "--plan", "999999"])
    assert missing.exit_code != 0 and "sampling plan not found" in missing.output
