"""The read side of coaching: skill gaps per agent, a plan's baseline, exemplar calls, coaching effect.

The statistics are ``coaching`` (pure): this module only loads verdicts (``services.verdicts``) and
agents, calls ``coaching.agent_gaps`` / ``measure_effect`` / ``summarize_effects``, and shapes the results
for the pages. Nothing here writes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from coaching import (
    DEFAULT_MIN_SAMPLE,
    AgentGaps,
    EffectEstimate,
    EffectSummary,
    Gap,
    Verdict,
    Window,
    agent_gaps,
    comparison_agents,
    measure_effect,
    summarize_effects,
)
from coaching import CoachingPlan as PlanSpan
from qa_app.db.base import utcnow
from qa_app.db.models import (
    CLOSED_STATES,
    Agent,
    Call,
    CallStatus,
    CoachingPlan,
    PlanState,
    RubricVersion,
)
from qa_app.services import rubrics, verdicts
from qa_app.settings import Settings
from rubrics.messages import join

GAP_WINDOW_DAYS = 90  # verdicts the gap model and a plan's baseline look at
BEFORE_DAYS = 28  # effect measurement: the period before a plan starts
MIN_AFTER_DAYS = 28  # ... and at least this long after it starts (or until it closed, if later)
EXEMPLAR_SCAN = 400  # newest veteran calls examined per query when looking for exemplars


@dataclass(frozen=True)
class Context:
    """Time and cohort settings every coaching use case needs (one object, easy to fake in tests)."""

    now: datetime
    tz: ZoneInfo
    new_hire_days: int

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    @classmethod
    def from_settings(cls, settings: Settings, now: datetime | None = None) -> Context:
        return cls(now or utcnow(), ZoneInfo(settings.timezone), settings.new_hire_days)


@dataclass(frozen=True)
class RubricInfo:
    """The default rubric's key and its criteria in rubric order, with titles (zh/en)."""

    key: str
    order: list[str]
    titles: dict[str, dict[str, str]]

    def title(self, criterion: str, lang: str) -> str:
        t = self.titles.get(criterion)
        if not t:
            return criterion
        return (t.get("en") if lang.startswith("en") else t.get("zh")) or criterion

    def name(self, criterion: str) -> dict[str, str] | str:
        """The criterion's title as a zh/en pair (a message parameter), or its id when unknown."""
        t = self.titles.get(criterion)
        return {"zh": t.get("zh") or criterion, "en": t.get("en") or criterion} if t else criterion

    def titles_of(self, criteria: Sequence[str], lang: str) -> str:
        """Several criteria as one phrase: 开场白、结束语 / Greeting, Closing."""
        return join([self.title(c, lang) for c in criteria], lang)

    def failed_of(self, items: dict, criteria: Sequence[str], lang: str) -> str:
        """The criteria an evaluation's ``items`` fail, as one phrase ("" when none)."""
        return self.titles_of([c for c in criteria if (items.get(c) or {}).get("result") == "fail"], lang)


def rubric_info(db: Session, rubric_key: str | None = None) -> RubricInfo:
    """The default rubric (or the newest published version of ``rubric_key``, for an older plan)."""
    version = rubrics.default_version(db)
    if rubric_key and rubric_key != version.rubric_key:
        other = db.scalar(
            select(RubricVersion)
            .where(RubricVersion.rubric_key == rubric_key, RubricVersion.status.in_(("published", "archived")))
            .order_by(RubricVersion.version.desc())
            .limit(1)
        )
        version = other or version
    titles = rubrics.criterion_titles(version)
    return RubricInfo(version.rubric_key, list(titles), titles)


# --- skill gaps ------------------------------------------------------------------------------------------


@dataclass
class AgentRow:
    """One agent on the coaching overview."""

    agent: Agent
    cohort: str
    scored_calls: int
    gaps: list[Gap]  # with enough data, largest credible gap first
    suggested: list[str]  # criteria the gap model says to coach (credibly behind the veterans)
    active_plans: list[CoachingPlan] = field(default_factory=list)


def suggest(gaps: AgentGaps | None, limit: int = 3) -> list[str]:
    """Criteria on which the agent is credibly behind the veterans (the interval is above 0), in the
    gap model's ranking."""
    if gaps is None:
        return []
    return [g.criterion for g in gaps.gaps if g.behind][:limit]


def load_verdicts(
    db: Session,
    ctx: Context,
    *,
    rubric_key: str,
    since: datetime | None = None,
    until: datetime | None = None,
    agent_ids: Sequence[int] | set[int] | None = None,
    criteria: Sequence[str] | None = None,
) -> list[Verdict]:
    """``verdicts.load`` with the cohort cut-off (everyone's cohort today) and local calendar of ``ctx``."""
    return verdicts.load(
        db,
        rubric_key=rubric_key,
        cohort_on=ctx.today,
        new_hire_days=ctx.new_hire_days,
        tz=ctx.tz,
        since=since,
        until=until,
        agent_ids=agent_ids,
        criteria=criteria,
    )


def _gap_model(
    db: Session, ctx: Context, rubric_key: str, *, days: int, min_sample: int, criteria: Sequence[str] | None = None
) -> tuple[dict[int, AgentGaps], Counter[int]]:
    since, until = verdicts.window(ctx.today, days, ctx.tz)
    rows = load_verdicts(db, ctx, rubric_key=rubric_key, since=since, until=until, criteria=criteria)
    calls: Counter[int] = Counter()
    seen: set[int] = set()
    for v in rows:
        if v.call_id not in seen and (v.source == "human" or v.reliable):
            seen.add(v.call_id)  # type: ignore[arg-type]
            calls[v.agent_id] += 1  # type: ignore[index]
    gaps = agent_gaps(rows, reference="veteran", min_sample=min_sample)
    return {g.agent_id: g for g in gaps}, calls  # type: ignore[misc]


def overview(
    db: Session,
    ctx: Context,
    *,
    rubric_key: str,
    team_id: int | None = None,
    days: int = GAP_WINDOW_DAYS,
    min_sample: int = DEFAULT_MIN_SAMPLE,
    top: int = 3,
) -> list[AgentRow]:
    """Active agents (of a team) with their largest gaps and active plans; agents with the largest
    credible gap first, agents without enough data last."""
    by_agent, calls = _gap_model(db, ctx, rubric_key, days=days, min_sample=min_sample)
    stmt = select(Agent).options(selectinload(Agent.team)).where(Agent.active.is_(True))
    if team_id:
        stmt = stmt.where(Agent.team_id == team_id)
    agents = list(db.scalars(stmt.order_by(Agent.employee_no)))
    plans: dict[int, list[CoachingPlan]] = defaultdict(list)
    for p in db.scalars(
        select(CoachingPlan)
        .where(CoachingPlan.state == PlanState.ACTIVE, CoachingPlan.agent_id.in_([a.id for a in agents]))
        .order_by(CoachingPlan.id)
    ):
        plans[p.agent_id].append(p)
    rows = []
    for a in agents:
        g = by_agent.get(a.id)
        shown = [x for x in (g.gaps if g else ()) if x.enough_data][:top]
        covered = {c for p in plans.get(a.id, []) for c in p.criteria}
        rows.append(
            AgentRow(
                agent=a,
                cohort=verdicts.cohort_of(a.hire_date, ctx.today, ctx.new_hire_days),
                scored_calls=calls.get(a.id, 0),
                gaps=shown,
                suggested=[c for c in suggest(g, limit=10) if c not in covered][:3],
                active_plans=plans.get(a.id, []),
            )
        )

    def order(r: AgentRow) -> tuple:
        lead = r.gaps[0] if r.gaps else None
        credible = lead.ci.low if lead is not None and lead.ci is not None else None
        return (credible is None, -(credible or 0.0), r.agent.employee_no)

    return sorted(rows, key=order)


def agent_gap_list(
    db: Session,
    ctx: Context,
    agent: Agent,
    *,
    rubric_key: str,
    days: int = GAP_WINDOW_DAYS,
    min_sample: int = DEFAULT_MIN_SAMPLE,
) -> tuple[list[Gap], list[str]]:
    """Every criterion gap of one agent (gap-model order) and the suggested criteria."""
    by_agent, _ = _gap_model(db, ctx, rubric_key, days=days, min_sample=min_sample)
    g = by_agent.get(agent.id)
    return (list(g.gaps) if g else []), suggest(g)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def baseline(
    db: Session,
    ctx: Context,
    agent: Agent,
    criteria: Sequence[str],
    *,
    rubric_key: str,
    days: int = GAP_WINDOW_DAYS,
    min_sample: int = DEFAULT_MIN_SAMPLE,
) -> dict:
    """The agent's figures on ``criteria`` today, as stored on a new plan."""
    by_agent, _ = _gap_model(db, ctx, rubric_key, days=days, min_sample=min_sample, criteria=criteria)
    g = by_agent.get(agent.id)
    found = {x.criterion: x for x in (g.gaps if g else ())}
    since, until = verdicts.window(ctx.today, days, ctx.tz)
    out: dict = {"_window": {"from": since.isoformat(), "to": until.isoformat(), "min_sample": min_sample}}
    for c in criteria:
        x = found.get(c)
        if x is None:
            out[c] = {"n": 0, "passes": 0, "rate": None, "reference_rate": None, "gap": None,
                      "ci_low": None, "ci_high": None, "enough_data": False}
            continue
        out[c] = {
            "n": x.n,
            "passes": x.passes,
            "rate": _round(x.passes / x.n) if x.n else None,
            "reference_rate": _round(x.passes_reference / x.n_reference) if x.n_reference else None,
            "gap": _round(x.gap),
            "ci_low": _round(x.ci.low) if x.ci else None,
            "ci_high": _round(x.ci.high) if x.ci else None,
            "enough_data": x.enough_data,
        }
    return out


# --- exemplar calls ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exemplar:
    """A veteran's call that passes ``criterion``, cued at the evidence (None: the pass has no span, e.g.
    "no prohibited words")."""

    call_id: int
    started_at: datetime
    queue: str
    agent_id: int
    agent_label: str
    criterion: str
    cue_start: float | None
    cue_end: float | None
    quote: str
    source: str
    same_queue: bool


def usual_queue(db: Session, agent_id: int) -> str | None:
    """The queue most of the agent's recent calls came from."""
    recent = (
        select(Call.queue).where(Call.agent_id == agent_id, Call.queue != "").order_by(Call.started_at.desc()).limit(200)
    ).subquery()
    row = db.execute(
        select(recent.c.queue, func.count()).group_by(recent.c.queue).order_by(func.count().desc(), recent.c.queue)
    ).first()
    return row[0] if row else None


def _cue(item: dict) -> tuple[float | None, float | None, str]:
    """Where to start listening: the agent's own words when the evidence cites them (empathy cites the
    upset customer first, then the agent's answer), else the first cited span."""
    spans = [e for e in item.get("evidence") or [] if isinstance(e, dict) and isinstance(e.get("start"), int | float)]
    spans.sort(key=lambda e: e.get("role") != "agent")  # stable: agent spans first, in their order
    for e in spans:
        end = e.get("end") if isinstance(e.get("end"), int | float) else e["start"]
        return float(e["start"]), float(end), str(e.get("text") or e.get("quote") or "")[:300]
    return None, None, ""


def _passing(c: verdicts.CurrentEvaluation, criterion: str) -> dict | None:
    item = c.items.get(criterion)
    if not isinstance(item, dict) or item.get("result") != "pass":
        return None
    if c.source == "machine" and not c.reliable:
        return None
    return item


def _exemplar(
    c: verdicts.CurrentEvaluation, criterion: str, agent: Agent | None, *, same_queue: bool
) -> Exemplar | None:
    """The call as an exemplar of ``criterion`` when its counting evaluation passes it, else None."""
    item = _passing(c, criterion)
    if item is None:
        return None
    start, end, quote = _cue(item)
    return Exemplar(
        call_id=c.call_id,
        started_at=c.started_at,
        queue=c.queue,
        agent_id=c.agent_id,
        agent_label=f"{agent.employee_no} {agent.name}" if agent else "",
        criterion=criterion,
        cue_start=start,
        cue_end=end,
        quote=quote,
        source=c.source,
        same_queue=same_queue,
    )


def exemplars(
    db: Session,
    ctx: Context,
    *,
    criterion: str,
    rubric_key: str,
    for_agent_id: int | None = None,
    queue: str | None = None,
    limit: int = 5,
) -> list[Exemplar]:
    """Veteran calls whose counting evaluation passes ``criterion``: same queue first, then calls with an
    evidence span, newest first. The coached agent's own calls are never suggested."""
    cutoff = ctx.today - timedelta(days=ctx.new_hire_days)
    base = (
        select(Call.id)
        .join(Agent, Agent.id == Call.agent_id)
        .where(Agent.hire_date <= cutoff, Call.status == CallStatus.READY)
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(EXEMPLAR_SCAN)
    )
    if for_agent_id is not None:
        base = base.where(Call.agent_id != for_agent_id)
    ids = set(db.scalars(base))
    if queue:
        ids |= set(db.scalars(base.where(Call.queue == queue)))
    if not ids:
        return []
    rows = verdicts.current_evaluations(
        db, rubric_key=rubric_key, call_ids=ids, hired_on_or_before=cutoff
    )
    agents = {a.id: a for a in db.scalars(select(Agent).where(Agent.id.in_({r.agent_id for r in rows})))}
    found = [
        e
        for c in rows
        if (e := _exemplar(c, criterion, agents.get(c.agent_id), same_queue=bool(queue) and c.queue == queue))
    ]
    found.sort(key=lambda e: (not e.same_queue, e.cue_start is None, -e.started_at.timestamp(), -e.call_id))
    return found[:limit]


def exemplar_for_call(
    db: Session, ctx: Context, *, call_id: int, criterion: str, rubric_key: str
) -> Exemplar | None:
    """The call as an exemplar of ``criterion``, or None when it is not a veteran's passing call."""
    cutoff = ctx.today - timedelta(days=ctx.new_hire_days)
    rows = verdicts.current_evaluations(db, rubric_key=rubric_key, call_ids=[call_id], hired_on_or_before=cutoff)
    if not rows:
        return None
    return _exemplar(rows[0], criterion, db.get(Agent, rows[0].agent_id), same_queue=False)


# --- coaching effect --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectRow:
    plan: CoachingPlan
    estimate: EffectEstimate
    before: Window
    after: Window


@dataclass(frozen=True)
class EffectReport:
    rows: list[EffectRow]
    by_trainer: list[EffectSummary]
    by_criterion: list[EffectSummary]
    min_sample: int
    before_days: int
    min_after_days: int


def _spans(plan: CoachingPlan, now: datetime) -> tuple[Window, Window]:
    start = plan.starts_at
    before = Window(start - timedelta(days=BEFORE_DAYS), start)
    if plan.state in CLOSED_STATES and plan.closed_at is not None:
        end = max(plan.closed_at, start + timedelta(days=MIN_AFTER_DAYS))
    elif plan.state == PlanState.CANCELLED and plan.closed_at is not None:
        end = plan.closed_at
    else:
        end = now
    end = min(end, now)
    if end <= start:
        end = start + timedelta(seconds=1)
    return before, Window(start, end)


def effect_report(
    db: Session,
    ctx: Context,
    *,
    rubric_key: str,
    min_sample: int = DEFAULT_MIN_SAMPLE,
    trainer_id: int | None = None,
) -> EffectReport:
    """Difference-in-differences of every closed (met / not met) plan, per criterion, against similar
    uncoached agents (same cohort at the plan's start, no plan of their own overlapping the periods)."""
    plans = list(
        db.scalars(
            select(CoachingPlan)
            .options(selectinload(CoachingPlan.agent), selectinload(CoachingPlan.trainer))
            .where(CoachingPlan.rubric_key == rubric_key)
            .order_by(CoachingPlan.id)
        )
    )
    spans: dict[int, tuple[Window, Window]] = {p.id: _spans(p, ctx.now) for p in plans}
    every = [
        PlanSpan(p.id, p.trainer_id or 0, p.agent_id, c, *spans[p.id]) for p in plans for c in (p.criteria or [])
    ]
    closed = [
        p for p in plans if p.state in CLOSED_STATES and (trainer_id is None or p.trainer_id == trainer_id)
    ]
    if not closed:
        return EffectReport([], [], [], min_sample, BEFORE_DAYS, MIN_AFTER_DAYS)
    since = min(spans[p.id][0].start for p in closed)
    until = max(spans[p.id][1].end for p in closed)
    criteria = sorted({c for p in closed for c in p.criteria or []})
    rows = load_verdicts(db, ctx, rubric_key=rubric_key, since=since, until=until, criteria=criteria)
    by_criterion: dict[str, list] = defaultdict(list)
    for v in rows:
        by_criterion[v.criterion].append(v)
    hire = dict(db.execute(select(Agent.id, Agent.hire_date)).all())
    out: list[EffectRow] = []
    for p in closed:
        before, after = spans[p.id]
        start_day = p.starts_at.astimezone(ctx.tz).date()
        cohorts = {a: verdicts.cohort_of(h, start_day, ctx.new_hire_days) for a, h in hire.items()}
        for c in p.criteria or []:
            span = PlanSpan(p.id, p.trainer_id or 0, p.agent_id, c, before, after)
            others = comparison_agents(span, cohorts, every)
            est = measure_effect(span, by_criterion.get(c, []), others, min_sample=min_sample)
            out.append(EffectRow(p, est, before, after))
    estimates = [r.estimate for r in out]
    return EffectReport(
        out,
        summarize_effects(estimates, by="trainer"),
        summarize_effects(estimates, by="criterion"),
        min_sample,
        BEFORE_DAYS,
        MIN_AFTER_DAYS,
    )
