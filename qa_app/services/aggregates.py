"""Dashboard rollups (issue #12): ``verdict_daily`` and ``score_daily`` kept up to date incrementally.

**What a cell holds** is exactly what the live dashboards computed: the verdicts of :func:`verdicts.load`
(each call's counting evaluation, cohort on the day of the call, reliability from the gate's stored
verdict ``Call.transcript_unreliable``) passed through ``coaching.effective`` (machine verdicts on an
unreliable transcript dropped), counted per local day (``QA_TIMEZONE``), agent, the call's team,
criterion and source; and the total of each call's current evaluation per day, agent and team.

**Incremental**: every flush that adds, changes or deletes an evaluation, a transcript, a call or an
agent's hire date writes ``aggregate_dirty`` rows in the same transaction (``db/models/aggregate.py``).
:func:`refresh` recomputes only the (day, agent) cells those marks touch and deletes the marks it read, in
one transaction: a crash leaves the marks for the next run; running it twice changes nothing. Changes
made with bulk SQL outside the ORM write no marks: run ``flask rebuild-aggregates`` afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, text, tuple_
from sqlalchemy.orm import Session

from coaching import AgentGaps, Gap, criterion_gaps_from_counts, effective
from coaching.periods import Period, local_date, period_start
from qa_app.db.base import utcnow
from qa_app.db.models import AggregateDirty, AggregateState, Call, ScoreDaily, VerdictDaily
from qa_app.services import verdicts
from qa_app.services.analytics import (
    NEW_HIRE,
    VETERAN,
    MeanPoint,
    Scope,
    Trends,
    current_rows,
    totals_select,
    untrusted,
)
from qa_app.settings import Settings

STATE = "dashboards"
_CHUNK = 5000
_REBUILD_DAYS = 7  # days loaded at a time by a full rebuild
_LOCK_KEY = 0x5D8F1C2A  # pg_advisory_xact_lock key of the rollup writers


@dataclass(frozen=True)
class RefreshResult:
    cells: int  # (day, agent) cells recomputed
    marks: int  # dirty marks consumed


def _current_totals(
    db: Session, since: datetime, until: datetime, agent_ids: Collection[int] | None
) -> list[Any]:
    """Each call's current evaluation (as ``analytics.score_trends`` picks it) with its total and the
    transcript-reliability verdict (``analytics.untrusted`` leaves the machine's out, as the live page)."""
    stmt = totals_select(since, until)
    rows: list[Any] = []
    if agent_ids is None:
        rows = list(db.execute(stmt))
    else:
        ids = sorted(agent_ids)
        for i in range(0, len(ids), _CHUNK):
            rows.extend(db.execute(stmt.where(Call.agent_id.in_(ids[i : i + _CHUNK]))))
    return list(current_rows(rows).values())


def _teams(
    db: Session, since: datetime, until: datetime, agent_ids: Collection[int] | None
) -> dict[int, int]:
    stmt = select(Call.id, Call.team_id).where(Call.started_at >= since, Call.started_at < until)
    if agent_ids is None:
        return {k: v for k, v in db.execute(stmt)}
    out: dict[int, int] = {}
    ids = sorted(agent_ids)
    for i in range(0, len(ids), _CHUNK):
        out.update(db.execute(stmt.where(Call.agent_id.in_(ids[i : i + _CHUNK]))).all())
    return out


def _compute(
    db: Session, first: date, last: date, agent_ids: Collection[int] | None, settings: Settings
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rollup rows of the days ``first..last`` (for ``agent_ids``, None: everyone)."""
    tz = settings.timezone
    since, until = verdicts.window(last, (last - first).days + 1, tz)
    teams = _teams(db, since, until, agent_ids)
    rows = effective(
        verdicts.load(
            db, since=since, until=until, agent_ids=agent_ids, new_hire_days=settings.new_hire_days, tz=tz
        )
    )
    cells: dict[tuple[Any, ...], list[Any]] = {}
    for v in rows:
        key = (local_date(v.at, tz), v.agent_id, teams[v.call_id], v.criterion, v.source)
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = [v.cohort, 0, 0, 0, 0.0, 0.0, 0]
        cell[{"pass": 1, "fail": 2, "na": 3}[v.result]] += 1
        if v.points is not None and v.max_points is not None:
            cell[4] += v.points
            cell[5] += v.max_points
            cell[6] += 1
    verdict_rows = [
        dict(
            day=k[0],
            agent_id=k[1],
            team_id=k[2],
            criterion=k[3],
            source=k[4],
            cohort=c[0],
            passes=c[1],
            fails=c[2],
            nas=c[3],
            points_sum=c[4],
            points_max=c[5],
            pointed=c[6],
        )  # fmt: skip
        for k, c in cells.items()
    ]
    scores: dict[tuple[date, int, int], list[float]] = defaultdict(lambda: [0, 0.0])
    for r in _current_totals(db, since, until, agent_ids):
        if r.total is not None and not untrusted(r):
            cell = scores[(local_date(r.started_at, tz), r.agent_id, r.team_id)]
            cell[0] += 1
            cell[1] += r.total
    score_rows = [
        dict(day=k[0], agent_id=k[1], team_id=k[2], calls=int(c[0]), total_sum=c[1])
        for k, c in scores.items()
    ]
    return verdict_rows, score_rows


def _store(db: Session, verdict_rows: list[dict[str, Any]], score_rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(verdict_rows), _CHUNK):
        db.execute(insert(VerdictDaily), verdict_rows[i : i + _CHUNK])
    for i in range(0, len(score_rows), _CHUNK):
        db.execute(insert(ScoreDaily), score_rows[i : i + _CHUNK])


def _stamp(db: Session) -> None:
    state = db.get(AggregateState, STATE)
    if state is None:
        db.add(AggregateState(name=STATE, refreshed_at=utcnow()))
    else:
        state.refreshed_at = utcnow()


def _lock(db: Session) -> None:
    """One refresh or rebuild at a time (PostgreSQL: a transaction-scoped advisory lock; SQLite serialises
    writers anyway), so two runs never delete and insert the same cells at once."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def _consume(db: Session, ids: list[int]) -> None:
    """Delete exactly the marks that were read: a mark committed meanwhile (even with a lower id, ids are
    taken at insert, not at commit) stays for the next run."""
    for i in range(0, len(ids), _CHUNK):
        db.execute(delete(AggregateDirty).where(AggregateDirty.id.in_(ids[i : i + _CHUNK])))


def recompute_cells(db: Session, cells: Iterable[tuple[date, int]], *, settings: Settings) -> int:
    """Replace the rollup rows of the given (local day, agent) cells by freshly computed ones."""
    by_day: dict[date, set[int]] = defaultdict(set)
    for day, agent in cells:
        by_day[day].add(agent)
    for day, agents in sorted(by_day.items()):
        ids = sorted(agents)
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            db.execute(delete(VerdictDaily).where(VerdictDaily.day == day, VerdictDaily.agent_id.in_(chunk)))
            db.execute(delete(ScoreDaily).where(ScoreDaily.day == day, ScoreDaily.agent_id.in_(chunk)))
        _store(db, *_compute(db, day, day, agents, settings))
    return sum(len(a) for a in by_day.values())


def refresh(db: Session, *, settings: Settings) -> RefreshResult:
    """Recompute the cells touched since the last run (the dirty marks up to now) and consume the marks.
    Caller commits (one transaction: all or nothing)."""
    _lock(db)
    marks = db.execute(
        select(AggregateDirty.id, AggregateDirty.call_id, AggregateDirty.agent_id, AggregateDirty.started_at)
    ).all()
    if not marks:
        _stamp(db)
        return RefreshResult(0, 0)
    tz = settings.timezone
    cells: set[tuple[date, int]] = set()
    whole: set[int] = set()
    call_ids = sorted({m.call_id for m in marks if m.call_id is not None})
    for i in range(0, len(call_ids), _CHUNK):
        for agent, started in db.execute(
            select(Call.agent_id, Call.started_at).where(Call.id.in_(call_ids[i : i + _CHUNK]))
        ):
            cells.add((local_date(started, tz), agent))
    for m in marks:
        if m.call_id is None and m.agent_id is not None:
            if m.started_at is None:
                whole.add(m.agent_id)
            else:
                cells.add((local_date(m.started_at, tz), m.agent_id))
    if whole:
        for agent, started in db.execute(
            select(Call.agent_id, Call.started_at).where(Call.agent_id.in_(sorted(whole)))
        ):
            cells.add((local_date(started, tz), agent))
        held = select(VerdictDaily.day, VerdictDaily.agent_id).where(VerdictDaily.agent_id.in_(sorted(whole)))
        cells.update((d, a) for d, a in db.execute(held))
    n = recompute_cells(db, cells, settings=settings)
    _consume(db, [m.id for m in marks])
    _stamp(db)
    return RefreshResult(n, len(marks))


def rebuild(db: Session, *, settings: Settings, progress=None) -> int:  # noqa: ANN001
    """Recompute every rollup row from scratch (a week at a time); returns the number of verdict rows.
    Caller commits."""
    _lock(db)
    seen = list(db.scalars(select(AggregateDirty.id)))
    db.execute(delete(VerdictDaily))
    db.execute(delete(ScoreDaily))
    first_at, last_at = db.execute(select(func.min(Call.started_at), func.max(Call.started_at))).one()
    stored = 0
    if first_at is not None:
        tz = settings.timezone
        day, last = local_date(first_at, tz), local_date(last_at, tz)
        while day <= last:
            end = min(day + timedelta(days=_REBUILD_DAYS - 1), last)
            verdict_rows, score_rows = _compute(db, day, end, None, settings)
            _store(db, verdict_rows, score_rows)
            stored += len(verdict_rows)
            if progress is not None:
                progress(end, stored)
            day = end + timedelta(days=1)
    _consume(db, seen)
    _stamp(db)
    return stored


def refreshed_at(db: Session) -> datetime | None:
    state = db.get(AggregateState, STATE)
    return state.refreshed_at if state is not None else None


def pending(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(AggregateDirty)) or 0


# --- reading the rollups ---------------------------------------------------------------------------------


def _scoped(stmt: Any, model: Any, scope: Scope, first: date, last: date) -> Any:
    """Restrict a rollup statement to the days ``first..last`` and the dashboard scope (analytics.Scope:
    the call's agent and team, as ``Scope.where`` does on calls)."""
    stmt = stmt.where(model.day >= first, model.day <= last)
    if scope.agent_ids is not None:
        stmt = stmt.where(model.agent_id.in_(sorted(scope.agent_ids) or [-1]))
    if scope.team_ids is not None:
        stmt = stmt.where(model.team_id.in_(sorted(scope.team_ids) or [-1]))
    return stmt


def heat_map(db: Session, scope: Scope, first: date, last: date, *, min_sample: int) -> list[AgentGaps]:
    """``analytics.heat_map`` over the rollups: per agent and criterion the scored verdicts, passes and the
    pass rate (None below ``min_sample``); an agent's cohort is the one on their latest day."""
    if scope.empty:
        return []
    stmt = _scoped(
        select(
            VerdictDaily.agent_id,
            VerdictDaily.criterion,
            func.sum(VerdictDaily.passes),
            func.sum(VerdictDaily.fails),
            func.max(VerdictDaily.day),
        ).group_by(VerdictDaily.agent_id, VerdictDaily.criterion),
        VerdictDaily,
        scope,
        first,
        last,
    )
    counts: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    latest: dict[int, date] = {}
    for agent, criterion, passes, fails, day in db.execute(stmt):
        counts[agent][criterion] = (int(passes or 0), int(fails or 0))
        latest[agent] = max(latest.get(agent, day), day)
    cohorts: dict[int, str] = {}
    if latest:
        pairs = sorted(latest.items())
        for i in range(0, len(pairs), _CHUNK):
            chunk = pairs[i : i + _CHUNK]
            cohorts.update(
                db.execute(
                    select(VerdictDaily.agent_id, VerdictDaily.cohort).where(
                        tuple_(VerdictDaily.agent_id, VerdictDaily.day).in_([(a, d) for a, d in chunk])
                    )
                ).all()
            )
    out = []
    for agent in sorted(counts, key=str):
        gaps = []
        for criterion, (passes, fails) in sorted(counts[agent].items()):
            n = passes + fails
            if n == 0:
                continue  # N/A only: named, never scored
            gaps.append(
                Gap(
                    criterion=criterion,
                    group=agent,
                    reference="",
                    metric="pass_rate",
                    n=n,
                    n_reference=0,
                    passes=passes,
                    passes_reference=0,
                    value=passes / n if n >= min_sample else None,
                    reference_value=None,
                    gap=None,
                    ci=None,
                    enough_data=False,
                    min_sample=min_sample,
                )
            )
        out.append(AgentGaps(agent, cohorts.get(agent, ""), tuple(gaps)))
    return out


def score_trends(db: Session, scope: Scope, first: date, last: date, *, period: Period) -> Trends:
    """``analytics.score_trends`` over the rollups (same ``Trends``: mean total by period for the scope,
    each team and each agent)."""
    if scope.empty:
        return Trends([], [], [])
    stmt = _scoped(
        select(
            ScoreDaily.day, ScoreDaily.agent_id, ScoreDaily.team_id, ScoreDaily.calls, ScoreDaily.total_sum
        ),
        ScoreDaily,
        scope,
        first,
        last,
    )
    overall: dict[date, list[float]] = defaultdict(lambda: [0, 0.0])
    teams: dict[tuple[date, int], list[float]] = defaultdict(lambda: [0, 0.0])
    agents: dict[tuple[date, int], list[float]] = defaultdict(lambda: [0, 0.0])
    for day, agent, team, calls, total in db.execute(stmt):
        if not calls:
            continue
        p = period_start(day, period)
        for cell in (overall[p], teams[(p, team)], agents[(p, agent)]):
            cell[0] += calls
            cell[1] += total

    def points(acc: dict[Any, list[float]], keyed: bool) -> list[Any]:
        return [
            MeanPoint(k[0] if keyed else k, k[1] if keyed else None, s / n, int(n))
            for k, (n, s) in sorted(acc.items())
        ]

    return Trends(points(overall, False), points(teams, True), points(agents, True))


def cohort_gaps(db: Session, scope: Scope, first: date, last: date, *, min_sample: int) -> list[Gap]:
    """``analytics.cohort_gaps`` over the rollups: new hires against veterans per criterion (cohort on the
    day of the call), Newcombe intervals from the counts."""
    if scope.empty:
        return []
    stmt = _scoped(
        select(
            VerdictDaily.criterion,
            VerdictDaily.cohort,
            func.sum(VerdictDaily.passes),
            func.sum(VerdictDaily.fails),
        ).group_by(VerdictDaily.criterion, VerdictDaily.cohort),
        VerdictDaily,
        scope,
        first,
        last,
    )
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    criteria: set[str] = set()
    for criterion, cohort, passes, fails in db.execute(stmt):
        criteria.add(criterion)
        p, f = int(passes or 0), int(fails or 0)
        counts[(criterion, cohort)] = (p, p + f)
    return criterion_gaps_from_counts(
        counts, criteria=criteria, reference=VETERAN, cohorts=[NEW_HIRE], min_sample=min_sample
    )
