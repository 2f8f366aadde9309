"""Skill-gap model: how far agents and cohorts are behind the veterans, per criterion.

Every comparison is ``reference - group`` (positive = behind the veterans) with a 95% interval, and
is only shown when **both** sides have at least ``min_sample`` scored (non-N/A) verdicts; below that the
side's value, the gap and the interval are ``None`` and ``enough_data`` is False, so three calls never
look like a trend.

Metrics:

* ``pass_rate`` — share of scored verdicts that passed; interval: Newcombe's hybrid score interval for
  a difference of proportions (:func:`coaching.stats.newcombe_diff`).
* ``mean_score`` — mean share of the criterion earned (points / max, pass = 1, fail = 0) for points
  scales; interval: Welch (:func:`coaching.stats.welch_diff`).

Inputs are raw :class:`~coaching.verdicts.Verdict` rows; :func:`~coaching.verdicts.effective` is
applied here (human over machine, unreliable transcripts out), so callers cannot forget it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Literal

from coaching.periods import local_date
from coaching.stats import Interval, mean_and_variance, newcombe_diff, welch_diff, wilson
from coaching.verdicts import Key, Verdict, effective

__all__ = [
    "DEFAULT_MIN_SAMPLE",
    "AgentGaps",
    "CurvePoint",
    "Gap",
    "Metric",
    "ProficiencyCurve",
    "agent_gaps",
    "criterion_gaps",
    "criterion_gaps_from_counts",
    "time_to_proficiency",
]

DEFAULT_MIN_SAMPLE = 10
Metric = Literal["pass_rate", "mean_score"]
METRICS: tuple[str, ...] = ("pass_rate", "mean_score")


@dataclass(frozen=True, slots=True)
class Gap:
    """One group (a cohort, or one agent) against the reference cohort on one criterion.

    ``value``/``reference_value``: pass rate (or mean score) 0..1, None when that side has fewer than
    ``min_sample`` scored verdicts. ``gap = reference_value - value`` and ``ci`` (the interval for the
    gap) are None unless ``enough_data``. ``passes``/``passes_reference`` count passed verdicts.
    """

    criterion: str
    group: Key
    reference: str
    metric: Metric
    n: int
    n_reference: int
    passes: int
    passes_reference: int
    value: float | None
    reference_value: float | None
    gap: float | None
    ci: Interval | None
    enough_data: bool
    min_sample: int

    @property
    def behind(self) -> bool:
        """True when the group is credibly behind the reference (the whole interval above 0)."""
        return self.ci is not None and self.ci.low > 0


@dataclass(frozen=True, slots=True)
class AgentGaps:
    """One agent's gaps, largest credible gap first (see :func:`agent_gaps`)."""

    agent_id: Key
    cohort: str
    gaps: tuple[Gap, ...]


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """A hire-month cohort's pass rate over tenure weeks ``[week - window + 1, week]``."""

    week: int
    n: int
    passes: int
    rate: float | None  # None below min_sample
    ci: Interval | None  # Wilson interval of the rate, None below min_sample


@dataclass(frozen=True, slots=True)
class ProficiencyCurve:
    """Time to proficiency of the agents hired in one month.

    ``benchmark`` is the lower bound of the reference cohort's Wilson interval (None when the reference
    has too few verdicts); ``weeks_to_proficiency`` is the first tenure week whose rolling rate reaches
    it (None: never reached within the data, or no benchmark).
    """

    hire_month: str  # "YYYY-MM"
    agents: int
    benchmark: float | None
    points: tuple[CurvePoint, ...]
    weeks_to_proficiency: int | None


def _check(min_sample: int, metric: str) -> None:
    if min_sample < 1:
        raise ValueError(f"min_sample must be at least 1, got {min_sample}")
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    if metric == "mean_score" and min_sample < 2:
        raise ValueError("the mean_score metric needs min_sample >= 2 (a variance needs two values)")


def _scores(vs: Iterable[Verdict]) -> list[float]:
    return [s for v in vs if (s := v.score) is not None]


def _pass_rate_gap(
    criterion: str,
    group: Key,
    reference: str,
    passes: int,
    n: int,
    passes_ref: int,
    n_ref: int,
    *,
    min_sample: int,
    confidence: float,
) -> Gap:
    """The pass-rate gap from counts of scored verdicts (passes of n on each side)."""
    val = passes / n if n >= min_sample else None
    ref = passes_ref / n_ref if n_ref >= min_sample else None
    gap: float | None = None
    ci: Interval | None = None
    if val is not None and ref is not None:
        gap = ref - val
        ci = newcombe_diff(passes_ref, n_ref, passes, n, confidence)
    return Gap(
        criterion=criterion,
        group=group,
        reference=reference,
        metric="pass_rate",
        n=n,
        n_reference=n_ref,
        passes=passes,
        passes_reference=passes_ref,
        value=val,
        reference_value=ref,
        gap=gap,
        ci=ci,
        enough_data=gap is not None,
        min_sample=min_sample,
    )


def _compare(
    criterion: str,
    group: Key,
    reference: str,
    mine: Sequence[Verdict],
    theirs: Sequence[Verdict],
    *,
    metric: Metric,
    min_sample: int,
    confidence: float,
) -> Gap:
    """The gap between two lists of scored verdicts of one criterion."""
    n, n_ref = len(mine), len(theirs)
    passes = sum(v.passed for v in mine)
    passes_ref = sum(v.passed for v in theirs)
    if metric == "pass_rate":
        return _pass_rate_gap(
            criterion,
            group,
            reference,
            passes,
            n,
            passes_ref,
            n_ref,
            min_sample=min_sample,
            confidence=confidence,
        )
    val = mean_and_variance(_scores(mine))[0] if n >= min_sample else None
    ref = mean_and_variance(_scores(theirs))[0] if n_ref >= min_sample else None
    gap: float | None = None
    ci: Interval | None = None
    if val is not None and ref is not None:
        gap = ref - val
        ci = welch_diff(_scores(theirs), _scores(mine), confidence)
    return Gap(
        criterion=criterion,
        group=group,
        reference=reference,
        metric=metric,
        n=n,
        n_reference=n_ref,
        passes=passes,
        passes_reference=passes_ref,
        value=val,
        reference_value=ref,
        gap=gap,
        ci=ci,
        enough_data=gap is not None,
        min_sample=min_sample,
    )


def _gap_order(g: Gap) -> tuple[bool, float, str, str]:
    """Largest gap first; comparisons without enough data last, by criterion."""
    return (g.gap is None, -(g.gap or 0.0), g.criterion, str(g.group))


def criterion_gaps(
    verdicts: Iterable[Verdict],
    *,
    reference: str = "veteran",
    cohorts: Sequence[str] | None = None,
    metric: Metric = "pass_rate",
    min_sample: int = DEFAULT_MIN_SAMPLE,
    confidence: float = 0.95,
) -> list[Gap]:
    """Cohort view: per criterion, each cohort against the reference cohort, largest gap first.

    ``cohorts`` picks the compared cohorts (default: every non-reference cohort in the data); a
    picked cohort gets a row for every criterion seen in the data, with ``n == 0`` where it has none.
    N/A verdicts name a criterion but never count.
    """
    _check(min_sample, metric)
    rows = effective(verdicts)
    criteria = sorted({v.criterion for v in rows})
    groups = (
        list(cohorts) if cohorts is not None else sorted({v.cohort for v in rows if v.cohort != reference})
    )
    scored: dict[tuple[str, str], list[Verdict]] = defaultdict(list)
    for v in rows:
        if v.scored:
            scored[(v.criterion, v.cohort)].append(v)
    out = [
        _compare(
            c,
            g,
            reference,
            scored.get((c, g), []),
            scored.get((c, reference), []),
            metric=metric,
            min_sample=min_sample,
            confidence=confidence,
        )
        for c in criteria
        for g in groups
    ]
    return sorted(out, key=_gap_order)


def criterion_gaps_from_counts(
    counts: Mapping[tuple[str, str], tuple[int, int]],
    *,
    criteria: Iterable[str],
    reference: str = "veteran",
    cohorts: Sequence[str],
    min_sample: int = DEFAULT_MIN_SAMPLE,
    confidence: float = 0.95,
) -> list[Gap]:
    """:func:`criterion_gaps` (pass-rate metric) from counts of the *effective* scored verdicts:
    ``counts[(criterion, cohort)] = (passes, scored)``; ``criteria`` are those seen in the data (N/A
    included). The same rows in the same order, for precomputed rollups."""
    _check(min_sample, "pass_rate")
    out = []
    for c in sorted(set(criteria)):
        passes_ref, n_ref = counts.get((c, reference), (0, 0))
        for g in cohorts:
            passes, n = counts.get((c, g), (0, 0))
            out.append(
                _pass_rate_gap(
                    c,
                    g,
                    reference,
                    passes,
                    n,
                    passes_ref,
                    n_ref,
                    min_sample=min_sample,
                    confidence=confidence,
                )
            )
    return sorted(out, key=_gap_order)


def agent_gaps(
    verdicts: Iterable[Verdict],
    *,
    reference: str = "veteran",
    metric: Metric = "pass_rate",
    min_sample: int = DEFAULT_MIN_SAMPLE,
    confidence: float = 0.95,
) -> list[AgentGaps]:
    """Each agent against the reference cohort on every criterion they were scored on.

    The reference never includes the agent's own verdicts (a veteran is compared with the *other*
    veterans). An agent's gaps are ranked by the interval's lower bound, largest first: the gap we are
    95% sure of, so a noisy 10-call estimate does not outrank a solid 60-call one. Gaps without enough
    data come last. An agent's cohort is the label on their latest verdict. Agents are listed by id.
    """
    _check(min_sample, metric)
    rows = effective(verdicts)
    latest: dict[Key, Verdict] = {}
    mine: dict[Key, dict[str, list[Verdict]]] = defaultdict(lambda: defaultdict(list))
    ref_by_agent: dict[str, dict[Key, list[Verdict]]] = defaultdict(lambda: defaultdict(list))
    for v in rows:
        held = latest.get(v.agent_id)
        if held is None or v.at >= held.at:
            latest[v.agent_id] = v
        if not v.scored:
            continue
        mine[v.agent_id][v.criterion].append(v)
        if v.cohort == reference:
            ref_by_agent[v.criterion][v.agent_id].append(v)

    out: list[AgentGaps] = []
    for agent in sorted(latest, key=str):
        gaps = []
        for criterion, own in sorted(mine[agent].items()):
            others = [v for a, vs in ref_by_agent[criterion].items() if a != agent for v in vs]
            gaps.append(
                _compare(
                    criterion,
                    agent,
                    reference,
                    own,
                    others,
                    metric=metric,
                    min_sample=min_sample,
                    confidence=confidence,
                )
            )
        gaps.sort(
            key=lambda g: (
                g.ci is None,
                -(g.ci.low if g.ci else 0.0),
                -(g.gap or 0.0),
                g.criterion,
            )
        )
        out.append(AgentGaps(agent, latest[agent].cohort, tuple(gaps)))
    return out


def time_to_proficiency(
    verdicts: Iterable[Verdict],
    hire_dates: Mapping[Key, date],
    *,
    criterion: str | None = None,
    reference: str = "veteran",
    min_sample: int = DEFAULT_MIN_SAMPLE,
    window_weeks: int = 4,
    tz: str | tzinfo | None = None,
    confidence: float = 0.95,
) -> list[ProficiencyCurve]:
    """Pass-rate curves by hire month over tenure weeks, and the weeks until veteran level.

    * Tenure week of a verdict = ``(local date of the call - hire date).days // 7`` (week 0 = the first
      seven days); verdicts before the hire date are ignored. ``tz`` gives the local calendar.
    * Every verdict of an agent listed in ``hire_dates`` counts towards their hire month, whatever its
      cohort label; pass the hire dates of the agents you want curves for (usually the new hires).
    * Rolling rate at week ``w``: pooled over the month's agents and the tenure weeks
      ``w - window_weeks + 1 .. w``; None below ``min_sample``.
    * Benchmark: the Wilson lower bound of the reference cohort's pass rate over all its verdicts.
    * ``criterion=None`` pools every criterion (each verdict one trial).

    Curves run from week 0 to the last week with data, listed by hire month.
    """
    _check(min_sample, "pass_rate")
    if window_weeks < 1:
        raise ValueError(f"window_weeks must be at least 1, got {window_weeks}")
    rows = [v for v in effective(verdicts) if v.scored and (criterion is None or v.criterion == criterion)]
    ref = [v for v in rows if v.cohort == reference]
    benchmark = (
        wilson(sum(v.passed for v in ref), len(ref), confidence).low if len(ref) >= min_sample else None
    )

    weekly: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    agents: dict[str, set[Key]] = defaultdict(set)
    for agent, hired in hire_dates.items():
        agents[f"{hired:%Y-%m}"].add(agent)
    for v in rows:
        hired = hire_dates.get(v.agent_id)
        if hired is None:
            continue
        days = (local_date(v.at, tz) - hired).days
        if days < 0:
            continue
        cell = weekly[f"{hired:%Y-%m}"][days // 7]
        cell[0] += v.passed
        cell[1] += 1

    curves = []
    for month in sorted(agents):
        weeks = weekly.get(month, {})
        points = []
        reached: int | None = None
        for w in range(max(weeks, default=-1) + 1):
            cells = [weeks[k] for k in range(w - window_weeks + 1, w + 1) if k in weeks]
            passes, n = sum(c[0] for c in cells), sum(c[1] for c in cells)
            rate = passes / n if n >= min_sample else None
            ci = wilson(passes, n, confidence) if rate is not None else None
            points.append(CurvePoint(w, n, passes, rate, ci))
            if reached is None and benchmark is not None and rate is not None and rate >= benchmark:
                reached = w
        curves.append(ProficiencyCurve(month, len(agents[month]), benchmark, tuple(points), reached))
    return curves
