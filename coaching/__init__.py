"""Coaching statistics (辅导): skill gaps, follow-up, coaching effect, contact-center KPIs.

Pure domain package: never imports flask, sqlalchemy, wtforms or qa_app. Frozen dataclasses in,
frozen dataclasses out; the web shell loads rows, builds these inputs and renders the results.

Public API::

    from coaching import Verdict, effective                                  # coaching.verdicts
    from coaching import criterion_gaps, agent_gaps, time_to_proficiency     # coaching.gaps
    from coaching import FollowUpTarget, check_followup                      # coaching.followup
    from coaching import CoachingPlan, Window, comparison_agents, measure_effect, summarize_effects
    from coaching import CallRecord, KpiConfig, kpi_report, fcr_outcomes     # coaching.kpi
    from coaching.stats import wilson, newcombe_diff                         # the intervals
    from coaching.gap_report import gap_report                               # flask gap-report
"""

from __future__ import annotations

from coaching.effect import (
    CoachingPlan,
    EffectEstimate,
    EffectSummary,
    Window,
    comparison_agents,
    measure_effect,
    summarize_effects,
)
from coaching.followup import FollowUpProgress, FollowUpTarget, check_followup
from coaching.gaps import (
    DEFAULT_MIN_SAMPLE,
    AgentGaps,
    Gap,
    ProficiencyCurve,
    agent_gaps,
    criterion_gaps,
    criterion_gaps_from_counts,
    time_to_proficiency,
)
from coaching.kpi import CallRecord, KpiConfig, KpiRow, Kpis, Measure, compute_kpis, fcr_outcomes, kpi_report
from coaching.stats import Interval
from coaching.verdicts import Verdict, effective

__all__ = [
    "DEFAULT_MIN_SAMPLE",
    "AgentGaps",
    "CallRecord",
    "CoachingPlan",
    "EffectEstimate",
    "EffectSummary",
    "FollowUpProgress",
    "FollowUpTarget",
    "Gap",
    "Interval",
    "KpiConfig",
    "KpiRow",
    "Kpis",
    "Measure",
    "ProficiencyCurve",
    "Verdict",
    "Window",
    "agent_gaps",
    "check_followup",
    "comparison_agents",
    "compute_kpis",
    "criterion_gaps",
    "criterion_gaps_from_counts",
    "effective",
    "fcr_outcomes",
    "kpi_report",
    "measure_effect",
    "summarize_effects",
    "time_to_proficiency",
]
