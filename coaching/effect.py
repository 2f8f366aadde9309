"""Did the coaching work? Difference-in-differences against similar uncoached agents.

For one closed plan on one criterion::

    DiD = (coached after - coached before) - (comparison after - comparison before)

where each term is a pass rate over the effective verdicts (human over machine, unreliable transcripts
out, N/A left out) in the plan's ``before`` and ``after`` periods, and the comparison group pools the
uncoached agents passed in (see :func:`comparison_agents`). Subtracting the comparison's change removes
what happened to everyone in the same weeks (a new product, a script change, the season).

Interval: Price & Bonett (2004) adjusted Wald for the contrast of the four proportions (each cell gets
half a pass and one call added), 95%. Verdict: ``improved`` when the whole interval is above 0,
``worse`` when it is below 0, ``no_evidence`` when it covers 0 (inconclusive — not "no effect"), and
``not_enough_data`` when any of the four cells has fewer than ``min_sample`` scored verdicts or there
is no comparison agent (then no number is given).

Caveats stated to the user: calls of one agent are not independent, so the interval is somewhat too
narrow; plans sharing comparison agents are not independent in the per-trainer summaries.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from coaching.gaps import DEFAULT_MIN_SAMPLE
from coaching.stats import Interval, adjusted_wald_contrast, z_value
from coaching.verdicts import Key, Verdict, effective

__all__ = [
    "Cell",
    "CoachingPlan",
    "EffectEstimate",
    "EffectSummary",
    "EffectVerdict",
    "Window",
    "comparison_agents",
    "measure_effect",
    "summarize_effects",
]

EffectVerdict = Literal["improved", "no_evidence", "worse", "not_enough_data"]


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open time span ``[start, end)``."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a window must end after it starts")

    def __contains__(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def overlaps(self, other: Window) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class CoachingPlan:
    """A closed plan as the effect measurement needs it.

    Typical windows: ``before`` = the four weeks up to the plan start, ``after`` = plan start to the
    follow-up's close (or the same length after the start).
    """

    plan_id: Key
    trainer_id: Key
    agent_id: Key
    criterion: str
    before: Window
    after: Window

    def __post_init__(self) -> None:
        if self.after.start < self.before.end:
            raise ValueError("the after window must not start before the before window ends")

    @property
    def span(self) -> Window:
        return Window(self.before.start, self.after.end)


@dataclass(frozen=True, slots=True)
class Cell:
    """Scored verdicts and passes of one group in one period."""

    passes: int
    n: int

    @property
    def rate(self) -> float | None:
        return self.passes / self.n if self.n else None


@dataclass(frozen=True, slots=True)
class EffectEstimate:
    """The measured effect of one plan. ``did``/``ci``/``se`` are None when ``not_enough_data``.

    ``did`` is the observed difference-in-differences; ``did_adjusted`` (centre of ``ci``) and ``se``
    come from the Price–Bonett adjustment and feed :func:`summarize_effects`.
    """

    plan_id: Key
    trainer_id: Key
    agent_id: Key
    criterion: str
    coached_before: Cell
    coached_after: Cell
    comparison_before: Cell
    comparison_after: Cell
    comparison_agents: int
    did: float | None
    did_adjusted: float | None
    se: float | None
    ci: Interval | None
    verdict: EffectVerdict
    min_sample: int


@dataclass(frozen=True, slots=True)
class EffectSummary:
    """Coaching effectiveness of one trainer (or on one criterion) over its plans.

    ``pooled_did``/``ci``: DerSimonian–Laird random-effects mean of the measured plans' adjusted DiDs
    (None when no plan could be measured); ``tau2`` is the between-plan variance it allowed for.
    """

    key: Key
    plans: int
    measured: int
    improved: int
    no_evidence: int
    worse: int
    not_enough_data: int
    pooled_did: float | None
    ci: Interval | None
    tau2: float | None


def comparison_agents(
    plan: CoachingPlan,
    cohort_of: Mapping[Key, str],
    plans: Iterable[CoachingPlan],
) -> frozenset[Key]:
    """Similar uncoached agents: the coached agent's cohort, minus everyone with any plan (on any
    criterion, coaching spills over) overlapping this plan's before..after span."""
    cohort = cohort_of.get(plan.agent_id)
    span = plan.span
    coached = {p.agent_id for p in plans if p.span.overlaps(span)} | {plan.agent_id}
    return frozenset(a for a, c in cohort_of.items() if c == cohort and a not in coached)


def _cell(rows: Iterable[Verdict]) -> Cell:
    n = passes = 0
    for v in rows:
        n += 1
        passes += v.passed
    return Cell(passes, n)


def measure_effect(
    plan: CoachingPlan,
    verdicts: Iterable[Verdict],
    comparison: Collection[Key],
    *,
    min_sample: int = DEFAULT_MIN_SAMPLE,
    confidence: float = 0.95,
) -> EffectEstimate:
    """Before/after of the coached agent against the ``comparison`` agents (see the module docstring)."""
    if min_sample < 1:
        raise ValueError(f"min_sample must be at least 1, got {min_sample}")
    others = set(comparison) - {plan.agent_id}
    rows = [v for v in effective(verdicts) if v.criterion == plan.criterion and v.scored]
    mine = [v for v in rows if v.agent_id == plan.agent_id]
    theirs = [v for v in rows if v.agent_id in others]
    c0 = _cell(v for v in mine if v.at in plan.before)
    c1 = _cell(v for v in mine if v.at in plan.after)
    k0 = _cell(v for v in theirs if v.at in plan.before)
    k1 = _cell(v for v in theirs if v.at in plan.after)
    did = did_adj = se = None
    ci = None
    verdict: EffectVerdict = "not_enough_data"
    if others and min(c.n for c in (c0, c1, k0, k1)) >= min_sample:
        did = (c1.passes / c1.n - c0.passes / c0.n) - (k1.passes / k1.n - k0.passes / k0.n)
        did_adj, se, ci = adjusted_wald_contrast(
            [(c1.passes, c1.n), (c0.passes, c0.n), (k1.passes, k1.n), (k0.passes, k0.n)],
            [1, -1, -1, 1],
            confidence,
        )
        verdict = "improved" if ci.low > 0 else "worse" if ci.high < 0 else "no_evidence"
    return EffectEstimate(
        plan_id=plan.plan_id,
        trainer_id=plan.trainer_id,
        agent_id=plan.agent_id,
        criterion=plan.criterion,
        coached_before=c0,
        coached_after=c1,
        comparison_before=k0,
        comparison_after=k1,
        comparison_agents=len(others),
        did=did,
        did_adjusted=did_adj,
        se=se,
        ci=ci,
        verdict=verdict,
        min_sample=min_sample,
    )


def _random_effects(estimates: list[tuple[float, float]], confidence: float) -> tuple[float, Interval, float]:
    """DerSimonian–Laird pooling of ``(estimate, se)`` pairs -> (mean, interval, tau^2)."""
    w = [1 / se**2 for _, se in estimates]
    sw = sum(w)
    fixed = sum(wi * y for wi, (y, _) in zip(w, estimates, strict=True)) / sw
    q = sum(wi * (y - fixed) ** 2 for wi, (y, _) in zip(w, estimates, strict=True))
    k = len(estimates)
    tau2 = max(0.0, (q - (k - 1)) / (sw - sum(wi * wi for wi in w) / sw)) if k > 1 else 0.0
    w_star = [1 / (se**2 + tau2) for _, se in estimates]
    mean = sum(wi * y for wi, (y, _) in zip(w_star, estimates, strict=True)) / sum(w_star)
    half = z_value(confidence) / math.sqrt(sum(w_star))
    return mean, Interval(mean - half, mean + half), tau2


def summarize_effects(
    estimates: Iterable[EffectEstimate],
    *,
    by: Literal["trainer", "criterion"] = "trainer",
    confidence: float = 0.95,
) -> list[EffectSummary]:
    """Coaching effectiveness per trainer (or per criterion): verdict counts and a pooled DiD."""
    if by not in ("trainer", "criterion"):
        raise ValueError(f"by must be 'trainer' or 'criterion', got {by!r}")
    groups: dict[Key, list[EffectEstimate]] = defaultdict(list)
    for e in estimates:
        groups[e.trainer_id if by == "trainer" else e.criterion].append(e)
    out = []
    for key in sorted(groups, key=str):
        es = groups[key]
        measured = [(e.did_adjusted, e.se) for e in es if e.did_adjusted is not None and e.se is not None]
        pooled = ci = tau2 = None
        if measured:
            pooled, ci, tau2 = _random_effects(measured, confidence)
        count = {v: sum(e.verdict == v for e in es) for v in ("improved", "no_evidence", "worse")}
        out.append(
            EffectSummary(
                key=key,
                plans=len(es),
                measured=len(measured),
                improved=count["improved"],
                no_evidence=count["no_evidence"],
                worse=count["worse"],
                not_enough_data=len(es) - len(measured),
                pooled_did=pooled,
                ci=ci,
                tau2=tau2,
            )
        )
    return out
