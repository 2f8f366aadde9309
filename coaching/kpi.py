"""Contact-center KPIs over call records, by team, agent, cohort and period.

Every call field beyond ``call_id`` and ``started_at`` is optional; each KPI is computed over the calls
that carry its data and reports that denominator ``n`` (value None when ``n == 0``):

=================== ==================================================================================
service_level       share of calls with ``wait_seconds <= service_level_seconds`` (20 s; answered
                    *within* 20 s includes exactly 20 s), of calls with a wait time
aht_seconds         mean of talk + hold + wrap seconds, of calls with a talk time (missing hold or
                    wrap counts as 0: centers that do not record them still get a handle time)
fcr                 first-call resolution: share of calls with **no later call from the same
                    customer_ref within the window** (24 h; a repeat at exactly 24 h counts as a
                    repeat, at 24 h + 1 s it does not). Calls without a customer_ref are left out, and
                    so are calls whose window is not over by ``as_of`` (``fcr_pending``): we cannot
                    know yet. Repeats are found across all calls given, whoever took the repeat.
resolved            share of calls the agent marked resolved (disposition), of calls with one
csat                mean CSAT 1..5;  csat_satisfied: share of 4–5;  dsat: share of 1–2
nps                 Net Promoter Score, **-100..100**: % promoters (9–10) minus % detractors (0–6)
negative_end        share of calls ending with negative customer sentiment, of calls with one
complaint_risk      share of calls flagged complaint risk, of calls with the flag computed
=================== ==================================================================================

Periods are the center's local calendar (``tz``, default Asia/Shanghai): a call at 23:30 UTC falls on
the next Shanghai day. Weeks start on Monday.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from coaching.periods import PERIODS, Period, local_date, period_start
from coaching.verdicts import Key

__all__ = [
    "DIMENSIONS",
    "CallRecord",
    "FcrOutcome",
    "KpiConfig",
    "KpiRow",
    "Kpis",
    "Measure",
    "compute_kpis",
    "fcr_outcomes",
    "kpi_report",
]

Sentiment = Literal["negative", "neutral", "positive"]
SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")
FcrOutcome = Literal["resolved", "repeat", "pending", "no_ref"]
Dimension = Literal["team", "agent", "cohort", "period"]
DIMENSIONS: tuple[str, ...] = ("team", "agent", "cohort", "period")


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One call's KPI data. ``started_at`` must be timezone-aware; ``customer_ref`` is the hashed
    customer reference (never the phone number)."""

    call_id: Key
    started_at: datetime
    team: Key | None = None
    agent_id: Key | None = None
    cohort: str | None = None
    customer_ref: str | None = None
    talk_seconds: float | None = None
    wait_seconds: float | None = None
    hold_seconds: float | None = None
    wrap_seconds: float | None = None
    csat: int | None = None
    nps: int | None = None
    resolved: bool | None = None
    end_sentiment: Sentiment | None = None
    complaint_risk: bool | None = None

    def __post_init__(self) -> None:
        if self.started_at.tzinfo is None or self.started_at.utcoffset() is None:
            raise ValueError(f"call {self.call_id}: started_at must be timezone-aware")
        for name in ("talk_seconds", "wait_seconds", "hold_seconds", "wrap_seconds"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"call {self.call_id}: {name} must not be negative")
        if self.csat is not None and not 1 <= self.csat <= 5:
            raise ValueError(f"call {self.call_id}: csat must be 1..5, got {self.csat}")
        if self.nps is not None and not 0 <= self.nps <= 10:
            raise ValueError(f"call {self.call_id}: nps must be 0..10, got {self.nps}")
        if self.end_sentiment is not None and self.end_sentiment not in SENTIMENTS:
            raise ValueError(f"call {self.call_id}: end_sentiment must be one of {SENTIMENTS}")


@dataclass(frozen=True, slots=True)
class KpiConfig:
    service_level_seconds: float = 20.0
    fcr_window: timedelta = timedelta(hours=24)
    tz: str = "Asia/Shanghai"
    period: Period = "week"

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise ValueError(f"period must be one of {PERIODS}, got {self.period!r}")
        if self.fcr_window <= timedelta(0):
            raise ValueError("fcr_window must be positive")


@dataclass(frozen=True, slots=True)
class Measure:
    """A KPI value and the number of calls it is computed over (None when there are none)."""

    value: float | None
    n: int


@dataclass(frozen=True, slots=True)
class Kpis:
    calls: int
    service_level: Measure
    aht_seconds: Measure
    fcr: Measure
    fcr_pending: int
    resolved: Measure
    csat: Measure
    csat_satisfied: Measure
    dsat: Measure
    nps: Measure
    negative_end: Measure
    complaint_risk: Measure


@dataclass(frozen=True, slots=True)
class KpiRow:
    """KPIs of one group. ``by`` names the grouped dimensions; the others are None here."""

    kpis: Kpis
    by: tuple[str, ...]
    team: Key | None = None
    agent_id: Key | None = None
    cohort: str | None = None
    period: date | None = None  # first day of the bucket (the Monday for weeks)


def fcr_outcomes(
    calls: Iterable[CallRecord], *, window: timedelta = timedelta(hours=24), as_of: datetime | None = None
) -> dict[Key, FcrOutcome]:
    """Per call: ``repeat`` (the same customer called again after it, at most ``window`` later),
    ``resolved`` (no such call and the window is over by ``as_of``), ``pending`` (no such call yet,
    window not over) or ``no_ref`` (no customer reference). ``as_of`` defaults to the latest call's
    start: pass the calls up to the end of the period plus the window, and ``as_of=now``."""
    calls = list(calls)
    if as_of is None:
        as_of = max((c.started_at for c in calls), default=None)
    by_customer: dict[str, list[datetime]] = defaultdict(list)
    for c in calls:
        if c.customer_ref:
            by_customer[c.customer_ref].append(c.started_at)
    for times in by_customer.values():
        times.sort()
    out: dict[Key, FcrOutcome] = {}
    for c in calls:
        if not c.customer_ref:
            out[c.call_id] = "no_ref"
            continue
        times = by_customer[c.customer_ref]
        i = bisect.bisect_right(times, c.started_at)  # the first strictly later call
        if i < len(times) and times[i] - c.started_at <= window:
            out[c.call_id] = "repeat"
        elif as_of is not None and c.started_at + window > as_of:
            out[c.call_id] = "pending"
        else:
            out[c.call_id] = "resolved"
    return out


def _share(
    calls: Sequence[CallRecord], known: Callable[[CallRecord], bool], hit: Callable[[CallRecord], bool]
) -> Measure:
    pool = [c for c in calls if known(c)]
    return Measure(sum(1 for c in pool if hit(c)) / len(pool) if pool else None, len(pool))


def _mean(values: Sequence[float]) -> Measure:
    return Measure(sum(values) / len(values) if values else None, len(values))


def compute_kpis(
    calls: Sequence[CallRecord], fcr: Mapping[Key, FcrOutcome], *, service_level_seconds: float = 20.0
) -> Kpis:
    """The KPIs of one group of calls; ``fcr`` comes from :func:`fcr_outcomes` over *all* calls."""
    fcr_known = [fcr.get(c.call_id) for c in calls]
    decided = [o for o in fcr_known if o in ("resolved", "repeat")]
    nps = [c.nps for c in calls if c.nps is not None]
    return Kpis(
        calls=len(calls),
        service_level=_share(
            calls, lambda c: c.wait_seconds is not None, lambda c: c.wait_seconds <= service_level_seconds
        ),
        aht_seconds=_mean(
            [
                c.talk_seconds + (c.hold_seconds or 0) + (c.wrap_seconds or 0)
                for c in calls
                if c.talk_seconds is not None
            ]
        ),
        fcr=Measure(decided.count("resolved") / len(decided) if decided else None, len(decided)),
        fcr_pending=fcr_known.count("pending"),
        resolved=_share(calls, lambda c: c.resolved is not None, lambda c: bool(c.resolved)),
        csat=_mean([c.csat for c in calls if c.csat is not None]),
        csat_satisfied=_share(calls, lambda c: c.csat is not None, lambda c: c.csat >= 4),
        dsat=_share(calls, lambda c: c.csat is not None, lambda c: c.csat <= 2),
        nps=Measure(
            100 * (sum(1 for s in nps if s >= 9) - sum(1 for s in nps if s <= 6)) / len(nps) if nps else None,
            len(nps),
        ),
        negative_end=_share(
            calls, lambda c: c.end_sentiment is not None, lambda c: c.end_sentiment == "negative"
        ),
        complaint_risk=_share(
            calls, lambda c: c.complaint_risk is not None, lambda c: bool(c.complaint_risk)
        ),
    )


def kpi_report(
    calls: Iterable[CallRecord],
    *,
    by: Sequence[Dimension] = ("team", "period"),
    config: KpiConfig = KpiConfig(),  # noqa: B008 - frozen, safe to share
    as_of: datetime | None = None,
) -> list[KpiRow]:
    """KPIs grouped by any of team, agent, cohort and period (``by=()``: one row for all calls).

    FCR outcomes are decided over all ``calls`` before grouping (a repeat taken by another team still
    counts against the first call). Rows are sorted by their group values.
    """
    for d in by:
        if d not in DIMENSIONS:
            raise ValueError(f"cannot group by {d!r}; choose from {DIMENSIONS}")
    calls = list(calls)
    outcomes = fcr_outcomes(calls, window=config.fcr_window, as_of=as_of)

    def group_of(c: CallRecord) -> tuple[Key | None, Key | None, str | None, date | None]:
        return (
            c.team if "team" in by else None,
            c.agent_id if "agent" in by else None,
            c.cohort if "cohort" in by else None,
            period_start(local_date(c.started_at, config.tz), config.period) if "period" in by else None,
        )

    groups: dict[tuple[Key | None, Key | None, str | None, date | None], list[CallRecord]] = defaultdict(list)
    for c in calls:
        groups[group_of(c)].append(c)
    return [
        KpiRow(
            compute_kpis(groups[key], outcomes, service_level_seconds=config.service_level_seconds),
            tuple(by),
            *key,
        )
        for key in sorted(
            groups, key=lambda k: tuple((v is None, type(v).__name__, v if v is not None else 0) for v in k)
        )
    ]
