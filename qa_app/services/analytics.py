"""Read models of the dashboards: who sees what (scope), KPI call records, score trends, sampling
coverage, complaint-risk calls, and the coaching statistics fed with loaded verdicts.

Every statistic comes from ``coaching`` (kpi, gaps, stats); this module only loads rows — few queries,
only the columns needed, periods bucketed in the center's time zone — and hands them over.

Scope (decided here, documented in README "Dashboards"):

* QA reviewers and admins: every team and agent.
* Trainers / team leads: the teams they lead (``Team.lead_user_id``); a trainer who leads no team is a
  center-wide trainer and sees every team (the same trainers already read every call).
* Agents: only their own calls (an agent account without an agent record sees nothing).

Cohort of a call = the agent's cohort on the day of the call (``Agent.cohort(call day, new_hire_days)``),
as in :mod:`qa_app.services.verdicts`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import fmean
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from coaching import (
    DEFAULT_MIN_SAMPLE,
    AgentGaps,
    CallRecord,
    Gap,
    KpiConfig,
    KpiRow,
    ProficiencyCurve,
    Verdict,
    agent_gaps,
    compute_kpis,
    criterion_gaps,
    fcr_outcomes,
    time_to_proficiency,
)
from coaching.periods import Period, local_date, period_start
from qa_app.db.models import DEMO_HISTORY, Agent, Call, Evaluation, RaterType, Role, RubricVersion, Team, User
from qa_app.services import evaluations, rubrics, verdicts
from qa_app.settings import Settings

T = TypeVar("T")
NEW_HIRE, VETERAN = "new_hire", "veteran"
SENTIMENT_PRIMITIVE, COMPLAINT_PRIMITIVE = "sentiment", "complaint_risk"
_CHUNK = 5000


# --- scope -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The calls a user's dashboards cover. ``None`` = not restricted on that axis; an empty set = nothing."""

    agent_ids: frozenset[int] | None = None
    team_ids: frozenset[int] | None = None
    own_agent_id: int | None = None
    is_agent: bool = False  # an agent looking at their own data (pages then show no team-level views)

    @property
    def empty(self) -> bool:
        return (self.agent_ids is not None and not self.agent_ids) or (
            self.team_ids is not None and not self.team_ids
        )

    def narrowed_to_team(self, team_id: int | None) -> Scope:
        """The scope within one team (a filter on the page); a team outside the scope gives nothing."""
        if team_id is None or self.is_agent:
            return self
        teams = frozenset({team_id}) if self.team_ids is None else self.team_ids & {team_id}
        return Scope(self.agent_ids, teams, self.own_agent_id)

    def where(self, stmt: Select[Any]) -> Select[Any]:
        """Restrict a statement over ``Call`` to the scope."""
        if self.agent_ids is not None:
            stmt = stmt.where(Call.agent_id.in_(sorted(self.agent_ids) or [-1]))
        if self.team_ids is not None:
            stmt = stmt.where(Call.team_id.in_(sorted(self.team_ids) or [-1]))
        return stmt


def scope_for(db: Session, user: User) -> Scope:
    """What ``user`` may see on the dashboards (see the module docstring)."""
    if user.role in (Role.ADMIN, Role.QA_REVIEWER):
        return Scope()
    if user.role == Role.TRAINER:
        led = frozenset(db.scalars(select(Team.id).where(Team.lead_user_id == user.id)))
        return Scope(team_ids=led) if led else Scope()
    agent_id = db.scalar(select(Agent.id).where(Agent.user_id == user.id))
    return Scope(
        agent_ids=frozenset() if agent_id is None else frozenset({agent_id}),
        own_agent_id=agent_id,
        is_agent=True,
    )


@dataclass(frozen=True)
class Names:
    teams: dict[int, str]
    agents: dict[int, str]  # "工号 姓名"
    agent_team: dict[int, int]
    hire_dates: dict[int, date]


def names(db: Session, scope: Scope) -> Names:
    """Display names of the teams and agents inside the scope only (never anyone else's)."""
    stmt = select(Agent.id, Agent.employee_no, Agent.name, Agent.team_id, Agent.hire_date)
    if scope.agent_ids is not None:
        stmt = stmt.where(Agent.id.in_(sorted(scope.agent_ids) or [-1]))
    if scope.team_ids is not None:
        stmt = stmt.where(Agent.team_id.in_(sorted(scope.team_ids) or [-1]))
    agents = db.execute(stmt.order_by(Agent.employee_no)).all()
    team_stmt = select(Team.id, Team.name).order_by(Team.name)
    if scope.team_ids is not None:
        team_stmt = team_stmt.where(Team.id.in_(sorted(scope.team_ids) or [-1]))
    elif scope.agent_ids is not None:
        team_stmt = team_stmt.where(Team.id.in_(sorted({a.team_id for a in agents}) or [-1]))
    return Names(
        teams={t.id: t.name for t in db.execute(team_stmt)},
        agents={a.id: f"{a.employee_no} {a.name}" for a in agents},
        agent_team={a.id: a.team_id for a in agents},
        hire_dates={a.id: a.hire_date for a in agents},
    )


# --- current evaluation per call -----------------------------------------------------------------------------


def current_rows(rows: Iterable[Any]) -> dict[int, Any]:
    """One row per call (``row.id``): the row of its counting evaluation (``verdicts.rank``; rows without
    an evaluation, ``ev_id`` None, only when the call has none)."""
    best: dict[int, Any] = {}
    for row in rows:
        held = best.get(row.id)
        if held is None or (
            row.ev_id is not None
            and (
                held.ev_id is None
                or verdicts.rank(row.rater_type, row.rubric_version_id, row.ev_id)
                > verdicts.rank(held.rater_type, held.rubric_version_id, held.ev_id)
            )
        ):
            best[row.id] = row
    return best


def totals_select(since: datetime, until: datetime) -> Select[Any]:
    """Calls started in ``[since, until)`` with their candidate counting evaluations (total, rater, the
    transcript-reliability verdict); :func:`current_rows` keeps each call's counting one and
    :func:`untrusted` says whether its total may count."""
    return (
        select(
            Call.id,
            Call.team_id,
            Call.agent_id,
            Call.started_at,
            Evaluation.id.label("ev_id"),
            Evaluation.rater_type,
            Evaluation.rubric_version_id,
            Evaluation.total,
            Call.transcript_unreliable,
        )
        .join(Evaluation, (Evaluation.call_id == Call.id) & verdicts.current_evaluation_condition())
        .where(Call.started_at >= since, Call.started_at < until)
    )


def untrusted(row: Any) -> bool:
    """The row's counting evaluation is the machine's on an unreliable transcript (README "Unreliable
    transcripts"): left out of averages and KPI shares until a reviewer confirms or reviews the call."""
    return row.rater_type == RaterType.MACHINE and bool(row.transcript_unreliable)


def _agents(db: Session, agent_ids: Iterable[int]) -> dict[int, Agent]:
    ids = sorted(set(agent_ids))
    out: dict[int, Agent] = {}
    for i in range(0, len(ids), _CHUNK):
        out.update((a.id, a) for a in db.scalars(select(Agent).where(Agent.id.in_(ids[i : i + _CHUNK]))))
    return out


def _criterion_ids(db: Session, primitive: str) -> list[str]:
    """Ids of the criteria automated by ``primitive`` in any stored rubric version (the default rubric:
    ``customer_sentiment`` and ``complaint_risk``)."""
    ids: list[str] = []
    for version in db.scalars(select(RubricVersion).order_by(RubricVersion.id)):
        for c in rubrics.to_domain(version, strict=False).criteria():
            if c.primitive == primitive and c.id not in ids:
                ids.append(c.id)
    return ids


def _first_result(values: Sequence[str | None]) -> str | None:
    return next((v for v in values if v in ("pass", "fail", "na")), None)


def _result_of(row: Any, prefix: str, n: int) -> str | None:
    """The first answered result among a row's labelled columns ``<prefix>0 .. <prefix>n-1`` (the
    criteria of one kind, e.g. customer sentiment ``s`` or complaint risk ``r``, across rubrics)."""
    return _first_result([getattr(row, f"{prefix}{i}") for i in range(n)])


# --- KPIs --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiData:
    """The scope's calls as KPI records, and other calls that only serve as possible repeat contacts
    (another team's or agent's call, or a call in the window after the range)."""

    records: list[CallRecord]
    context: list[CallRecord]


def kpi_config(settings: Settings, period: Period = "week") -> KpiConfig:
    return KpiConfig(
        service_level_seconds=settings.service_level_seconds,
        fcr_window=timedelta(hours=settings.fcr_window_hours),
        tz=settings.timezone,
        period=period,
    )


def load_kpi_data(
    db: Session, scope: Scope, since: datetime, until: datetime, *, settings: Settings
) -> KpiData:
    """Two queries of a few columns each (one row per call and current evaluation) for the range."""
    if scope.empty:
        return KpiData([], [])
    sent_ids = _criterion_ids(db, SENTIMENT_PRIMITIVE)
    risk_ids = _criterion_ids(db, COMPLAINT_PRIMITIVE)
    stmt = scope.where(
        select(
            Call.id,
            Call.started_at,
            Call.team_id,
            Call.agent_id,
            Call.customer_ref_hash,
            Call.duration,
            Call.wait_seconds,
            Call.hold_seconds,
            Call.wrap_seconds,
            Call.csat,
            Call.nps,
            Call.resolved,
            Call.transcript_unreliable,
            Evaluation.id.label("ev_id"),
            Evaluation.rater_type,
            Evaluation.rubric_version_id,
            *[Evaluation.items[(cid, "result")].as_string().label(f"s{i}") for i, cid in enumerate(sent_ids)],
            *[Evaluation.items[(cid, "result")].as_string().label(f"r{i}") for i, cid in enumerate(risk_ids)],
        )
        .outerjoin(
            Evaluation,
            (Evaluation.call_id == Call.id) & verdicts.current_evaluation_condition(),
        )
        .where(Call.started_at >= since, Call.started_at < until)
    )
    best = current_rows(db.execute(stmt))
    agents = _agents(db, {r.agent_id for r in best.values()})
    tz = settings.timezone
    records = []
    for r in sorted(best.values(), key=lambda r: (r.started_at, r.id)):
        sentiment = _result_of(r, "s", len(sent_ids))
        risk = _result_of(r, "r", len(risk_ids))
        if untrusted(r):
            sentiment = risk = None  # the machine read an unreliable transcript: no data, not a verdict
        records.append(
            CallRecord(
                call_id=r.id,
                started_at=r.started_at,
                team=r.team_id,
                agent_id=r.agent_id,
                cohort=agents[r.agent_id].cohort(local_date(r.started_at, tz), settings.new_hire_days),
                customer_ref=r.customer_ref_hash,
                talk_seconds=r.duration,
                wait_seconds=r.wait_seconds,
                hold_seconds=r.hold_seconds,
                wrap_seconds=r.wrap_seconds,
                csat=r.csat,
                nps=r.nps,
                resolved=r.resolved,
                # the criterion tells a negative ending from a not-negative one (pass), nothing finer
                end_sentiment={"fail": "negative", "pass": "neutral"}.get(sentiment or ""),
                complaint_risk={"fail": True, "pass": False}.get(risk or ""),
            )
        )
    # possible repeats of these customers: any call in [since, until + window] not loaded above
    window = timedelta(hours=settings.fcr_window_hours)
    refs = {r.customer_ref for r in records if r.customer_ref}
    context: list[CallRecord] = []
    if refs:
        mine = {r.call_id for r in records}
        ctx = select(Call.id, Call.started_at, Call.customer_ref_hash).where(
            Call.customer_ref_hash.is_not(None), Call.started_at <= until + window
        )
        # an unrestricted scope already holds every call of the range: only the window after it is new
        ctx = ctx.where(Call.started_at >= (until if scope == Scope() else since))
        for cid, started, ref in db.execute(ctx):
            if ref in refs and cid not in mine:
                context.append(CallRecord(call_id=cid, started_at=started, customer_ref=ref))
    return KpiData(records, context)


def kpi_rows(
    data: KpiData, *, by: Sequence[str], config: KpiConfig, as_of: datetime | None = None
) -> list[KpiRow]:
    """``coaching.kpi`` by the given dimensions over the scope's calls; first-call resolution is decided
    over the scope's calls *and* the context calls (a repeat taken by someone else still counts), and
    calls whose window is not over by ``as_of`` are pending."""
    outcomes = fcr_outcomes([*data.records, *data.context], window=config.fcr_window, as_of=as_of)

    def key(c: CallRecord) -> tuple[Any, ...]:
        return (
            c.team if "team" in by else None,
            c.agent_id if "agent" in by else None,
            c.cohort if "cohort" in by else None,
            period_start(local_date(c.started_at, config.tz), config.period) if "period" in by else None,
        )

    groups: dict[tuple[Any, ...], list[CallRecord]] = defaultdict(list)
    for c in data.records:
        groups[key(c)].append(c)
    order = sorted(
        groups, key=lambda k: tuple((v is None, str(type(v)), v if v is not None else 0) for v in k)
    )
    return [
        KpiRow(
            compute_kpis(groups[k], outcomes, service_level_seconds=config.service_level_seconds),
            tuple(by),
            *k,
        )
        for k in order
    ]


# --- score trends and sampling coverage -----------------------------------------------------------------------


@dataclass(frozen=True)
class MeanPoint:
    period: date
    key: int | None  # team or agent id; None for the whole scope
    mean: float
    n: int


@dataclass(frozen=True)
class Trends:
    overall: list[MeanPoint]
    teams: list[MeanPoint]
    agents: list[MeanPoint]


def score_trends(
    db: Session, scope: Scope, since: datetime, until: datetime, *, period: Period, tz: str
) -> Trends:
    """Average total of each call's current evaluation (human review over machine) by period, for the
    scope, each team and each agent. Calls without a scored evaluation, and machine evaluations of
    unreliable transcripts, are left out."""
    if scope.empty:
        return Trends([], [], [])
    best = current_rows(db.execute(scope.where(totals_select(since, until))))
    overall: dict[date, list[float]] = defaultdict(list)
    teams: dict[tuple[date, int], list[float]] = defaultdict(list)
    agents: dict[tuple[date, int], list[float]] = defaultdict(list)
    for r in best.values():
        if r.total is None or untrusted(r):
            continue
        p = period_start(local_date(r.started_at, tz), period)
        overall[p].append(r.total)
        teams[(p, r.team_id)].append(r.total)
        agents[(p, r.agent_id)].append(r.total)
    return Trends(
        overall=[MeanPoint(p, None, fmean(v), len(v)) for p, v in sorted(overall.items())],
        teams=[MeanPoint(p, k, fmean(v), len(v)) for (p, k), v in sorted(teams.items())],
        agents=[MeanPoint(p, k, fmean(v), len(v)) for (p, k), v in sorted(agents.items())],
    )


@dataclass(frozen=True)
class CoverageRow:
    calls: int
    reviewed: int
    period: date | None = None
    team_id: int | None = None
    agent_id: int | None = None

    @property
    def share(self) -> float | None:
        return self.reviewed / self.calls if self.calls else None


@dataclass(frozen=True)
class Coverage:
    by_period: list[CoverageRow]
    by_team: list[CoverageRow]
    by_agent: list[CoverageRow]
    by_team_period: list[CoverageRow]
    total: CoverageRow


def coverage(
    db: Session, scope: Scope, since: datetime, until: datetime, *, period: Period, tz: str
) -> Coverage:
    """Sampling coverage: the share of calls with a completed human review
    (``evaluations.reviewed_condition``), by period, team, agent and team x period."""
    rows = []
    if not scope.empty:
        stmt = scope.where(
            select(
                Call.team_id,
                Call.agent_id,
                Call.started_at,
                evaluations.reviewed_condition().label("reviewed"),
            )
        ).where(Call.started_at >= since, Call.started_at < until)
        rows = db.execute(stmt).all()
    acc: dict[tuple[str, Any], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        p = period_start(local_date(r.started_at, tz), period)
        for key in (("p", p), ("t", r.team_id), ("a", r.agent_id), ("tp", (r.team_id, p)), ("all", None)):
            cell = acc[key]
            cell[0] += 1
            cell[1] += bool(r.reviewed)

    def pick(kind: str) -> list[tuple[Any, list[int]]]:
        return sorted(((k[1], v) for k, v in acc.items() if k[0] == kind), key=lambda kv: kv[0])

    total = acc.get(("all", None), [0, 0])
    return Coverage(
        by_period=[CoverageRow(c, r, period=p) for p, (c, r) in pick("p")],
        by_team=[CoverageRow(c, r, team_id=t) for t, (c, r) in pick("t")],
        by_agent=[CoverageRow(c, r, agent_id=a) for a, (c, r) in pick("a")],
        by_team_period=[CoverageRow(c, r, period=tp[1], team_id=tp[0]) for tp, (c, r) in pick("tp")],
        total=CoverageRow(total[0], total[1]),
    )


# --- complaint-risk calls ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskCall:
    call_id: int
    started_at: datetime
    agent_id: int
    team_id: int
    total: float | None
    negative_end: bool
    reviewed: bool  # the flag is a reviewer's (a completed human review), not only the machine's
    demo_history: bool


@dataclass(frozen=True)
class RiskCalls:
    calls: list[RiskCall]  # the top ``limit``
    flagged: int  # all flagged calls in the range


def complaint_risk_calls(
    db: Session, scope: Scope, since: datetime, until: datetime, *, limit: int = 20
) -> RiskCalls:
    """Calls whose current evaluation flags complaint risk: those that also ended with a negative
    customer, then the lowest scores, then the latest first."""
    if scope.empty:
        return RiskCalls([], 0)
    risk_ids = _criterion_ids(db, COMPLAINT_PRIMITIVE)
    sent_ids = _criterion_ids(db, SENTIMENT_PRIMITIVE)
    if not risk_ids:
        return RiskCalls([], 0)
    flagged_anywhere = select(Evaluation.call_id).where(
        verdicts.current_evaluation_condition(),
        func.coalesce(*[Evaluation.items[(cid, "result")].as_string() for cid in risk_ids], "") == "fail",
    )
    stmt = scope.where(
        select(
            Call.id,
            Call.started_at,
            Call.agent_id,
            Call.team_id,
            Call.source,
            Evaluation.id.label("ev_id"),
            Evaluation.rater_type,
            Evaluation.rubric_version_id,
            Evaluation.total,
            *[Evaluation.items[(cid, "result")].as_string().label(f"r{i}") for i, cid in enumerate(risk_ids)],
            *[Evaluation.items[(cid, "result")].as_string().label(f"s{i}") for i, cid in enumerate(sent_ids)],
        )
        .join(Evaluation, (Evaluation.call_id == Call.id) & verdicts.current_evaluation_condition())
        .where(Call.started_at >= since, Call.started_at < until, Call.id.in_(flagged_anywhere))
    )
    best = current_rows(db.execute(stmt))
    out = []
    for r in best.values():
        if _result_of(r, "r", len(risk_ids)) != "fail":
            continue  # a reviewer cleared the machine's flag
        sentiment = _result_of(r, "s", len(sent_ids))
        out.append(
            RiskCall(
                call_id=r.id,
                started_at=r.started_at,
                agent_id=r.agent_id,
                team_id=r.team_id,
                total=r.total,
                negative_end=sentiment == "fail",
                reviewed=r.rater_type == RaterType.HUMAN,
                demo_history=r.source == DEMO_HISTORY,
            )
        )
    out.sort(
        key=lambda c: (
            not c.negative_end,
            c.total if c.total is not None else 101.0,
            -c.started_at.timestamp(),
        )
    )
    return RiskCalls(out[:limit], len(out))


# --- coaching statistics on loaded verdicts -------------------------------------------------------------------------


def scope_verdicts(
    db: Session, scope: Scope, since: datetime, until: datetime, *, settings: Settings, criteria=None
) -> list[Verdict]:
    if scope.empty:
        return []
    return verdicts.load(
        db,
        since=since,
        until=until,
        agent_ids=scope.agent_ids,
        team_ids=scope.team_ids,
        criteria=criteria,
        new_hire_days=settings.new_hire_days,
        tz=settings.timezone,
    )


_NO_REFERENCE = "\0no-reference"  # a cohort label no verdict carries


def heat_map(rows: Iterable[Verdict], *, min_sample: int = DEFAULT_MIN_SAMPLE) -> list[AgentGaps]:
    """Per agent and criterion: scored verdicts, passes and the pass rate (None below ``min_sample``),
    as ``coaching.agent_gaps`` computes them. The heat map shows no comparison, so the reference is a
    cohort nobody is in: agent_gaps then skips pooling every other veteran for each agent and criterion
    (quadratic in the number of verdicts — half a minute for a quarter of a 100k-call center)."""
    return agent_gaps(rows, reference=_NO_REFERENCE, min_sample=min_sample)


def cohort_gaps(rows: Iterable[Verdict], *, min_sample: int = DEFAULT_MIN_SAMPLE) -> list[Gap]:
    """New hires against veterans on every criterion, with Newcombe intervals (``coaching.gaps``)."""
    return criterion_gaps(rows, reference=VETERAN, cohorts=[NEW_HIRE], min_sample=min_sample)


def proficiency(
    rows: Sequence[Verdict],
    hire_dates: dict[int, date],
    *,
    hired_from: date,
    criterion: str | None,
    tz: str,
    min_sample: int = DEFAULT_MIN_SAMPLE,
) -> list[ProficiencyCurve]:
    """Time to proficiency of the agents hired on or after ``hired_from`` (their whole tenure is in the
    data), against the veterans' benchmark, by hire month."""
    hires = {a: d for a, d in hire_dates.items() if d >= hired_from}
    return time_to_proficiency(
        rows, hires, criterion=criterion, reference=VETERAN, min_sample=min_sample, tz=tz
    )


@dataclass(frozen=True)
class CohortHeadline:
    """The home page's cohort card: headcount and the largest credible gaps."""

    new_hires: int
    veterans: int
    top_gaps: list[Gap] = field(default_factory=list)
    weeks: int = 8


def cohort_headline(
    db: Session, scope: Scope, *, settings: Settings, today: date, weeks: int = 8, top: int = 3
) -> CohortHeadline:
    """Active agents in the scope by cohort today, and the ``top`` largest new-hire gaps of the last
    ``weeks`` weeks that have enough data (largest first).

    Shown on every visit of the home page: remembered (:func:`remember`) until the data changes."""
    key = ("headline", scope, today, weeks, top, settings.new_hire_days)
    return remember(
        db, key, lambda: _headline(db, scope, settings=settings, today=today, weeks=weeks, top=top)
    )


def _headline(
    db: Session, scope: Scope, *, settings: Settings, today: date, weeks: int, top: int
) -> CohortHeadline:
    counts = headcount(db, scope, today=today, new_hire_days=settings.new_hire_days)
    since, until = verdicts.window(today, 7 * weeks, settings.timezone)
    rows = scope_verdicts(db, scope, since, until, settings=settings)
    gaps = [g for g in cohort_gaps(rows) if g.enough_data]
    return CohortHeadline(counts[NEW_HIRE], counts[VETERAN], gaps[:top], weeks)


# --- a short-lived memory of computed results --------------------------------------------------------------


CACHE_SECONDS = 600.0
_CACHE: dict[tuple[Any, ...], tuple[float, Any]] = {}


def data_stamp(db: Session) -> tuple[Any, ...]:
    """Changes whenever a call, an evaluation or an agent changes in a way the dashboards can see.

    Index lookups only (a count of 1M evaluations costs a scan on every dashboard request): an
    evaluation is added (max id) or saved (max ``updated_at``, indexed); evaluations are only ever
    deleted with their call, which the count of calls (an index-only scan) sees."""
    ev = db.execute(select(func.max(Evaluation.updated_at), func.max(Evaluation.id))).one()
    calls = db.execute(select(func.max(Call.id), func.count(Call.id))).one()
    agents = db.execute(
        select(func.count(Agent.id), func.max(Agent.hire_date), func.sum(Agent.team_id)).where(Agent.active)
    ).one()
    return (*ev, *calls, *agents)


def remember(db: Session, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()``, or its result from the last ten minutes for the same key and unchanged data.

    The statistics pages read hundreds of thousands of verdicts on a large center; viewing a page and
    then downloading its table, or going back to it, should not do that twice. Per process, a few
    hundred small results at most; the key includes the database and :func:`data_stamp`."""
    full = (str(db.get_bind().url), data_stamp(db), *key)
    now = time.monotonic()
    hit = _CACHE.get(full)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = compute()
    for k in [k for k, (t, _) in _CACHE.items() if now - t >= CACHE_SECONDS]:
        del _CACHE[k]
    if len(_CACHE) < 256:
        _CACHE[full] = (now, value)
    return value


def headcount(db: Session, scope: Scope, *, today: date, new_hire_days: int) -> dict[str, int]:
    """Active agents of the scope by cohort on ``today``."""
    cutoff = today - timedelta(days=new_hire_days)
    is_new = Agent.hire_date > cutoff
    stmt = select(is_new, func.count()).where(Agent.active).group_by(is_new)
    if scope.agent_ids is not None:
        stmt = stmt.where(Agent.id.in_(sorted(scope.agent_ids) or [-1]))
    if scope.team_ids is not None:
        stmt = stmt.where(Agent.team_id.in_(sorted(scope.team_ids) or [-1]))
    counts = {bool(k): n for k, n in db.execute(stmt)}
    return {NEW_HIRE: counts.get(True, 0), VETERAN: counts.get(False, 0)}


def criterion_titles(db: Session, lang: str) -> dict[str, str]:
    """Criterion id -> title in ``lang`` (zh / en): the default rubric's criteria in its order first, then
    those only found in other stored versions."""
    out: dict[str, str] = {}
    default = rubrics.default_version(db)
    others = db.scalars(
        select(RubricVersion).where(RubricVersion.id != default.id).order_by(RubricVersion.id)
    )
    for version in [default, *others]:
        for cid, t in rubrics.criterion_titles(version).items():
            out.setdefault(cid, t["en" if lang == "en" else "zh"] or cid)
    return out


def demo_history_calls(db: Session, scope: Scope, since: datetime, until: datetime) -> int:
    """How many generated demo-history calls the range holds (the pages say so)."""
    if scope.empty:
        return 0
    stmt = scope.where(select(func.count()).select_from(Call)).where(
        Call.source == DEMO_HISTORY, Call.started_at >= since, Call.started_at < until
    )
    return db.scalar(stmt) or 0
