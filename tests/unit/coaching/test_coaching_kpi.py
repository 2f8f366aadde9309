"""Contact-center KPI formulas: service level, AHT, FCR windows, CSAT/DSAT/NPS, time-zone buckets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from coaching.kpi import CallRecord, KpiConfig, compute_kpis, fcr_outcomes, kpi_report
from coaching.periods import local_date, period_start

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 3, 9, 0, tzinfo=SH)  # a Tuesday morning in Shanghai
H24 = timedelta(hours=24)


def call(call_id, at=T0, **kw) -> CallRecord:
    return CallRecord(call_id, at, **kw)


def kpis(calls, **kw):
    calls = list(calls)
    return compute_kpis(calls, fcr_outcomes(calls, **kw))


def test_service_level_counts_exactly_20_seconds_as_within():
    k = kpis([call(1, wait_seconds=5), call(2, wait_seconds=20.0), call(3, wait_seconds=20.5), call(4)])
    # within 20 s: calls 1 and 2 of the 3 with a wait time; call 4 has none and is left out
    assert (k.service_level.value, k.service_level.n) == (pytest.approx(2 / 3), 3)
    calls = [call(1, wait_seconds=5), call(2, wait_seconds=20.0), call(3, wait_seconds=20.5)]
    k15 = compute_kpis(calls, {}, service_level_seconds=15)
    assert k15.service_level.value == pytest.approx(1 / 3)


def test_average_handle_time_is_talk_plus_hold_plus_wrap():
    k = kpis(
        [
            call(1, talk_seconds=300, hold_seconds=30, wrap_seconds=60),  # 390
            call(2, talk_seconds=200, wrap_seconds=20),  # hold not recorded: 220
            call(3, hold_seconds=50),  # no talk time: left out
        ]
    )
    assert (k.aht_seconds.value, k.aht_seconds.n) == (pytest.approx((390 + 220) / 2), 2)


def test_fcr_repeat_window_edges():
    calls = [
        call(1, T0, customer_ref="x"),
        call(2, T0 + H24, customer_ref="x"),  # exactly 24 h after call 1: a repeat of it
        call(
            3, T0 + 2 * H24 + timedelta(seconds=1), customer_ref="x"
        ),  # 24 h + 1 s after call 2: not a repeat
        call(4, T0 + timedelta(hours=1)),  # no customer reference
    ]
    assert fcr_outcomes(calls, as_of=T0 + 3 * H24 + timedelta(seconds=1)) == {
        1: "repeat",
        2: "resolved",
        3: "resolved",  # its window ended exactly at as_of: known
        4: "no_ref",
    }
    # as_of one second earlier: call 3's window is not over yet
    assert fcr_outcomes(calls, as_of=T0 + 3 * H24)[3] == "pending"
    # default as_of = the latest call: the latest call is always pending
    assert fcr_outcomes(calls)[3] == "pending"
    # a configurable window
    assert fcr_outcomes(calls, window=timedelta(hours=23, minutes=59), as_of=T0 + 9 * H24)[1] == "resolved"


def test_fcr_share_leaves_out_pending_and_unreferenced_calls():
    calls = [
        call(1, T0, customer_ref="x"),
        call(2, T0 + timedelta(hours=2), customer_ref="x"),
        call(3, T0, customer_ref="y"),
        call(4, T0),
        call(5, T0 + 5 * H24, customer_ref="z"),
    ]
    k = kpis(calls, as_of=T0 + 5 * H24)
    # decided: 1 repeat, 2 resolved, 3 resolved -> 2/3; 4 has no reference; 5 is pending
    assert (k.fcr.value, k.fcr.n, k.fcr_pending) == (pytest.approx(2 / 3), 3, 1)


def test_fcr_same_instant_is_not_a_repeat_and_order_of_input_does_not_matter():
    calls = [
        call(2, T0 + H24 / 2, customer_ref="x"),
        call(1, T0, customer_ref="x"),
        call(3, T0, customer_ref="x"),
    ]
    out = fcr_outcomes(calls, as_of=T0 + 9 * H24)
    assert out == {1: "repeat", 3: "repeat", 2: "resolved"}


def test_fcr_counts_a_repeat_taken_by_another_team_against_the_first_team():
    calls = [
        call(1, T0, customer_ref="x", team="T1"),
        call(2, T0 + timedelta(hours=3), customer_ref="x", team="T2"),
    ]
    rows = {r.team: r.kpis for r in kpi_report(calls, by=("team",), as_of=T0 + 9 * H24)}
    assert rows["T1"].fcr.value == 0.0 and rows["T2"].fcr.value == 1.0


def test_satisfaction_scores():
    k = kpis([call(i, csat=s) for i, s in enumerate([5, 4, 2, 1, 3])] + [call(9)])
    # mean (5+4+2+1+3)/5 = 3.0; satisfied (4-5) 2/5; DSAT (1-2) 2/5
    assert (k.csat.value, k.csat.n) == (3.0, 5)
    assert k.csat_satisfied.value == pytest.approx(0.4) and k.dsat.value == pytest.approx(0.4)
    k = kpis([call(i, nps=s) for i, s in enumerate([10, 10, 9, 6])])
    # promoters 3/4, detractors 1/4 -> NPS = 100 * (3 - 1) / 4 = 50
    assert (k.nps.value, k.nps.n) == (50.0, 4)
    k = kpis([call(i, nps=s) for i, s in enumerate([10, 9, 8, 7, 6, 0])])
    # passives (7-8) count in the denominator only: 100 * (2 - 2) / 6 = 0
    assert k.nps.value == 0.0


def test_sentiment_complaint_risk_and_disposition():
    k = kpis(
        [
            call(1, end_sentiment="negative", complaint_risk=True, resolved=False),
            call(2, end_sentiment="neutral", complaint_risk=False, resolved=True),
            call(3, end_sentiment="positive", resolved=True),
            call(4),
        ]
    )
    assert (k.negative_end.value, k.negative_end.n) == (pytest.approx(1 / 3), 3)
    assert (k.complaint_risk.value, k.complaint_risk.n) == (0.5, 2)
    assert (k.resolved.value, k.resolved.n) == (pytest.approx(2 / 3), 3)


def test_kpis_without_data_are_none_not_zero():
    k = kpis([call(1), call(2)])
    assert k.calls == 2
    for m in (k.service_level, k.aht_seconds, k.fcr, k.csat, k.dsat, k.nps, k.negative_end, k.complaint_risk):
        assert (m.value, m.n) == (None, 0)


def test_local_calendar_buckets():
    late = datetime(2026, 2, 28, 23, 30, tzinfo=UTC)  # 2026-03-01 07:30 in Shanghai (a Sunday)
    assert local_date(late, "Asia/Shanghai") == date(2026, 3, 1)
    assert local_date(late, "UTC") == date(2026, 2, 28)
    assert period_start(date(2026, 3, 1), "week") == date(2026, 2, 23)  # weeks start on Monday
    assert period_start(date(2026, 3, 2), "week") == date(2026, 3, 2)
    assert period_start(date(2026, 3, 17), "month") == date(2026, 3, 1)
    with pytest.raises(ValueError):
        period_start(date(2026, 3, 1), "year")  # type: ignore[arg-type]


def test_report_periods_follow_the_center_time_zone():
    calls = [
        call(1, datetime(2026, 2, 28, 23, 30, tzinfo=UTC), wait_seconds=10),  # Shanghai: Sun 1 March
        call(2, datetime(2026, 3, 1, 16, 30, tzinfo=UTC), wait_seconds=30),  # Shanghai: Mon 2 March 00:30
    ]
    by_day = kpi_report(calls, by=("period",), config=KpiConfig(period="day"))
    assert [r.period for r in by_day] == [date(2026, 3, 1), date(2026, 3, 2)]
    by_month = kpi_report(calls, by=("period",), config=KpiConfig(period="month"))
    assert [(r.period, r.kpis.calls) for r in by_month] == [(date(2026, 3, 1), 2)]
    by_month_utc = kpi_report(calls, by=("period",), config=KpiConfig(period="month", tz="UTC"))
    assert [r.period for r in by_month_utc] == [date(2026, 2, 1), date(2026, 3, 1)]
    by_week = kpi_report(calls, by=("period",), config=KpiConfig(period="week"))
    assert [(r.period, r.kpis.service_level.value) for r in by_week] == [
        (date(2026, 2, 23), 1.0),
        (date(2026, 3, 2), 0.0),
    ]


def test_report_groups_by_team_agent_cohort():
    calls = [
        call(1, team="T1", agent_id=7, cohort="new", csat=5),
        call(2, team="T1", agent_id=7, cohort="new", csat=1),
        call(3, team="T1", agent_id=8, cohort="veteran", csat=4),
        call(4, team="T2", agent_id=10, cohort="veteran"),
        call(5, agent_id=9, cohort="new"),  # no team
    ]
    rows = kpi_report(calls, by=("team", "agent"))
    assert [(r.team, r.agent_id, r.cohort, r.period, r.kpis.calls) for r in rows] == [
        ("T1", 7, None, None, 2),
        ("T1", 8, None, None, 1),
        ("T2", 10, None, None, 1),
        (None, 9, None, None, 1),
    ]
    assert rows[0].by == ("team", "agent") and rows[0].kpis.csat.value == 3.0
    by_cohort = {r.cohort: r.kpis.calls for r in kpi_report(calls, by=("cohort",))}
    assert by_cohort == {"new": 3, "veteran": 2}
    (everything,) = kpi_report(calls, by=())
    assert everything.kpis.calls == 5 and everything.kpis.dsat.value == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        kpi_report(calls, by=("region",))  # type: ignore[arg-type]


def test_call_record_validation():
    with pytest.raises(ValueError, match="timezone-aware"):
        CallRecord(1, datetime(2026, 3, 3, 9, 0))
    for bad in (
        {"csat": 0},
        {"csat": 6},
        {"nps": 11},
        {"nps": -1},
        {"wait_seconds": -1},
        {"end_sentiment": "angry"},
    ):
        with pytest.raises(ValueError):
            call(1, **bad)
    with pytest.raises(ValueError):
        KpiConfig(period="year")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        KpiConfig(fcr_window=timedelta(0))
