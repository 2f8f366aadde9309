"""The dashboards' loaders on real rows: calls ingested through the intake path, scored by the real
engine (fake speech, lexicon sentiment), reviewed through services/evaluations — then the KPI formulas of
coaching.kpi checked through the loader: the repeat window's edges (exactly 24 h is a repeat, 24 h + 1 s
is not), pending windows, repeats taken by another team, Shanghai-calendar periods, "no data" for absent
fields, and who sees what."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from coaching import fcr_outcomes
from qa_app.db.models import Evaluation, RaterType
from qa_app.services import analytics, calls, processing, rubrics, timeparse
from qa_app.services import evaluations as ev_svc
from qa_app.services.analytics import Scope

import factories
from fakes import lexicon_scorer, make_transcript

_freq = itertools.count(1000)
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 2026-03-02 10:00 in Shanghai
ALL = Scope()


def ingest(db, settings, agent, started_at, *, customer=None, scored=False, **kpis):
    """A call through calls.ingest (hashed customer ref, KPI fields), optionally transcribed and scored."""
    wav = factories.make_wav(settings.instance_dir / f"c{next(_freq)}.wav", freq=float(next(_freq)))
    meta = calls.CallMeta(agent_id=agent.id, started_at=started_at, customer_ref=customer, **kpis)
    with wav.open("rb") as fh:
        call = calls.ingest(db, settings, fh, filename=wav.name, meta=meta, actor=None).call
    if scored:
        rubrics.ensure_default(db)
        processing.store_transcript(db, call, make_transcript())
        processing.score_call(db, call, lexicon_scorer())
    db.commit()
    return call


def kpis(
    db,
    settings,
    scope=ALL,
    *,
    since=T0 - timedelta(days=30),
    until=T0 + timedelta(days=30),
    by=(),
    period="week",
    as_of=None,
):
    data = analytics.load_kpi_data(db, scope, since, until, settings=settings)
    return analytics.kpi_rows(data, by=by, config=analytics.kpi_config(settings, period), as_of=as_of)


@pytest.fixture
def agent(db):
    return factories.create_agent(db, hire_date=date(2025, 1, 1))


# --- first-call resolution ---------------------------------------------------------------------------------


def test_a_repeat_at_exactly_24_hours_is_a_repeat_and_one_second_later_is_not(db, settings, agent):
    ingest(db, settings, agent, T0, customer="13800000001")
    ingest(db, settings, agent, T0 + timedelta(hours=24), customer="13800000001")  # exactly 24 h later
    ingest(db, settings, agent, T0, customer="13800000002")
    ingest(db, settings, agent, T0 + timedelta(hours=24, seconds=1), customer="138 0000 0002")  # same, spaced
    as_of = T0 + timedelta(days=10)  # every window is over
    data = analytics.load_kpi_data(
        db, Scope(), T0 - timedelta(days=1), T0 + timedelta(days=3), settings=settings
    )
    outcomes = fcr_outcomes(data.records, window=timedelta(hours=24), as_of=as_of)
    by_time = {(r.customer_ref[:6], r.started_at): outcomes[r.call_id] for r in data.records}
    refs = sorted({r.customer_ref for r in data.records})
    assert len(refs) == 2, "the same number spelled with spaces is the same hashed customer"
    assert all(len(r) == 64 and "138" not in r for r in refs), "only the keyed hash is stored"
    [(row,)] = [(r,) for r in kpis(db, settings, as_of=as_of)]
    # 4 calls: the two later ones resolved (no further call), the 24 h one's first call a repeat,
    # the 24 h + 1 s one's first call resolved -> 3 resolved of 4
    assert row.kpis.fcr.n == 4 and row.kpis.fcr.value == pytest.approx(3 / 4)
    assert sorted(by_time.values()) == ["repeat", "resolved", "resolved", "resolved"]


def test_window_setting_moves_the_edge(db, settings, agent, make_app):
    app48 = make_app(fcr_window_hours=48.0)
    s48 = app48.extensions["qa_settings"]
    with app48.extensions["qa_sessionmaker"]() as db48:
        a = factories.create_agent(db48, hire_date=date(2025, 1, 1))
        ingest(db48, s48, a, T0, customer="c-1")
        ingest(db48, s48, a, T0 + timedelta(hours=30), customer="c-1")
        [row] = kpis(db48, s48, as_of=T0 + timedelta(days=10))
        assert row.kpis.fcr.value == pytest.approx(1 / 2)  # 30 h is a repeat within 48 h
    ingest(db, settings, agent, T0, customer="c-1")
    ingest(db, settings, agent, T0 + timedelta(hours=30), customer="c-1")
    [row] = kpis(db, settings, as_of=T0 + timedelta(days=10))
    assert row.kpis.fcr.value == 1.0  # not within the default 24 h


def test_calls_whose_window_is_still_open_are_pending(db, settings, agent):
    ingest(db, settings, agent, T0, customer="c-9")
    ingest(db, settings, agent, T0 + timedelta(hours=20), customer="c-8")
    [row] = kpis(db, settings, as_of=T0 + timedelta(hours=25))
    assert row.kpis.fcr.n == 1 and row.kpis.fcr_pending == 1  # c-8's window ends at T0 + 44 h


def test_a_repeat_taken_by_another_team_counts_against_the_first_call(db, settings, agent):
    other = factories.create_agent(db, hire_date=date(2025, 1, 1))  # another team
    first = ingest(db, settings, agent, T0, customer="c-7")
    ingest(db, settings, other, T0 + timedelta(hours=3), customer="c-7")
    scope = Scope(team_ids=frozenset({agent.team_id}))
    data = analytics.load_kpi_data(
        db, scope, T0 - timedelta(days=1), T0 + timedelta(days=1), settings=settings
    )
    assert [r.call_id for r in data.records] == [first.id]
    assert len(data.context) == 1 and data.context[0].team is None, "context rows carry no group"
    [row] = analytics.kpi_rows(
        data, by=(), config=analytics.kpi_config(settings), as_of=T0 + timedelta(days=5)
    )
    assert row.kpis.calls == 1 and row.kpis.fcr.value == 0.0


def test_a_repeat_just_after_the_range_still_counts(db, settings, agent):
    ingest(db, settings, agent, T0 + timedelta(hours=23), customer="c-5")
    ingest(db, settings, agent, T0 + timedelta(hours=40), customer="c-5")  # after `until`
    data = analytics.load_kpi_data(db, Scope(), T0, T0 + timedelta(hours=24), settings=settings)
    assert len(data.records) == 1 and len(data.context) == 1
    [row] = analytics.kpi_rows(
        data, by=(), config=analytics.kpi_config(settings), as_of=T0 + timedelta(days=5)
    )
    assert row.kpis.fcr.value == 0.0


# --- the other KPIs and periods -------------------------------------------------------------------------------


def test_service_level_aht_csat_dsat_nps_and_no_data(db, settings, agent):
    ingest(
        db,
        settings,
        agent,
        T0,
        wait_seconds=20.0,
        hold_seconds=30.0,
        wrap_seconds=10.0,
        csat=5,
        nps=10,
        resolved=True,
    )
    ingest(db, settings, agent, T0 + timedelta(minutes=5), wait_seconds=20.5, csat=1, nps=3, resolved=False)
    ingest(db, settings, agent, T0 + timedelta(minutes=9), csat=2)
    ingest(db, settings, agent, T0 + timedelta(minutes=12))  # nothing known
    [row] = kpis(db, settings)
    k = row.kpis
    assert k.calls == 4
    assert (k.service_level.value, k.service_level.n) == (0.5, 2)  # exactly 20 s is within 20 s
    assert k.aht_seconds.n == 4  # talk time = recording length, always known
    talk = 1.0  # the factory's recordings last one second
    assert k.aht_seconds.value == pytest.approx((4 * talk + 30 + 10) / 4)
    assert (k.csat.value, k.csat.n) == (pytest.approx(8 / 3), 3)
    assert k.dsat.value == pytest.approx(2 / 3)
    assert (k.nps.value, k.nps.n) == (0.0, 2)  # one promoter, one detractor
    assert (k.resolved.value, k.resolved.n) == (0.5, 2)
    # no scored calls: sentiment and complaint risk are "no data", never 0
    assert k.negative_end.value is None and k.negative_end.n == 0
    assert k.complaint_risk.value is None and k.fcr.value is None


def test_periods_follow_the_shanghai_calendar(db, settings, agent):
    sunday_late = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)  # Sun 23:30 in Shanghai: week of 2026-02-23
    monday_early = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # Mon 00:30 in Shanghai: week of 2026-03-02
    month_edge = datetime(2026, 2, 28, 16, 30, tzinfo=UTC)  # 2026-03-01 00:30 in Shanghai: March
    for t in (sunday_late, monday_early, month_edge):
        ingest(db, settings, agent, t)
    weeks = {r.period: r.kpis.calls for r in kpis(db, settings, by=("period",))}
    assert weeks == {date(2026, 2, 23): 2, date(2026, 3, 2): 1}
    months = {r.period: r.kpis.calls for r in kpis(db, settings, by=("period",), period="month")}
    assert months == {date(2026, 3, 1): 3}
    # and the range itself is read in Shanghai days: 2026-03-02 starts at 2026-03-01 16:00 UTC
    since, until = timeparse.local_days(date(2026, 3, 2), date(2026, 3, 2), settings.timezone)
    assert since == datetime(2026, 3, 1, 16, 0, tzinfo=UTC) and until - since == timedelta(days=1)
    data = analytics.load_kpi_data(db, Scope(), since, until, settings=settings)
    assert [r.started_at for r in data.records] == [monday_early]


def test_cohort_is_the_tenure_on_the_day_of_the_call(db, settings):
    hired = date(2026, 1, 1)
    a = factories.create_agent(db, hire_date=hired)
    ingest(db, settings, a, datetime(2026, 3, 31, 15, 0, tzinfo=UTC))  # 2026-03-31 23:00 local: day 89
    ingest(db, settings, a, datetime(2026, 3, 31, 16, 0, tzinfo=UTC))  # 2026-04-01 00:00 local: day 90
    data = analytics.load_kpi_data(
        db, Scope(), datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC), settings=settings
    )
    assert [r.cohort for r in data.records] == ["new_hire", "veteran"]


def test_end_sentiment_and_complaint_risk_come_from_the_current_evaluation(db, settings, agent):
    call = ingest(db, settings, agent, T0, scored=True)
    [r] = analytics.load_kpi_data(
        db, Scope(), T0 - timedelta(1), T0 + timedelta(1), settings=settings
    ).records
    machine = db.scalar(
        select(Evaluation).where(Evaluation.call_id == call.id, Evaluation.rater_type == "machine")
    )
    assert r.complaint_risk is (machine.items["complaint_risk"]["result"] == "fail")
    assert (
        r.end_sentiment
        == {"fail": "negative", "pass": "neutral"}[machine.items["customer_sentiment"]["result"]]
    )
    # a reviewer flags complaint risk and a negative ending: the human review wins
    reviewer = factories.create_user(db, "qa_reviewer")
    ev = ev_svc.start_review(db, call, reviewer)
    answers = {cid: ev_svc.ItemInput(it["result"], it.get("points")) for cid, it in ev.items.items()}
    answers["complaint_risk"] = ev_svc.ItemInput("fail", reason="客户提到要投诉")
    answers["customer_sentiment"] = ev_svc.ItemInput("fail", reason="结尾仍不满")
    ev_svc.save(db, ev, actor=reviewer, expected_version=ev.version, answers=answers)
    ev_svc.submit(db, ev, actor=reviewer, expected_version=ev.version)
    db.commit()
    [r] = analytics.load_kpi_data(
        db, Scope(), T0 - timedelta(1), T0 + timedelta(1), settings=settings
    ).records
    assert r.complaint_risk is True and r.end_sentiment == "negative"
    [row] = kpis(db, settings)
    assert row.kpis.complaint_risk.value == 1.0 and row.kpis.negative_end.value == 1.0
    risky = analytics.complaint_risk_calls(db, Scope(), T0 - timedelta(1), T0 + timedelta(1))
    assert [c.call_id for c in risky.calls] == [call.id] and risky.calls[0].reviewed


# --- scope ---------------------------------------------------------------------------------------------------


def test_scope_per_role(db):
    lead = factories.create_user(db, "trainer")
    free = factories.create_user(db, "trainer")
    team = factories.create_team(db, lead=lead)
    agent = factories.create_agent(db, team=team)
    assert analytics.scope_for(db, factories.create_user(db, "admin")) == Scope()
    assert analytics.scope_for(db, factories.create_user(db, "qa_reviewer")) == Scope()
    assert analytics.scope_for(db, lead) == Scope(team_ids=frozenset({team.id}))
    assert analytics.scope_for(db, free) == Scope(), "a trainer who leads no team is center-wide"
    own = analytics.scope_for(db, agent.user)
    assert own.agent_ids == frozenset({agent.id}) and own.is_agent
    assert own.narrowed_to_team(agent.team_id) == own, "an agent cannot switch to a team view"
    lonely = analytics.scope_for(db, factories.create_user(db, "agent"))
    assert lonely.empty and lonely.is_agent, "an agent account without an agent record sees nothing"


def test_scoped_loaders_never_return_other_agents(db, settings, agent):
    other = factories.create_agent(db, hire_date=date(2025, 1, 1))
    mine = ingest(db, settings, agent, T0, scored=True)
    ingest(db, settings, other, T0, scored=True)
    scope = analytics.scope_for(db, agent.user)
    window = (T0 - timedelta(days=1), T0 + timedelta(days=1))
    data = analytics.load_kpi_data(db, scope, *window, settings=settings)
    assert [r.call_id for r in data.records] == [mine.id]
    trends = analytics.score_trends(db, scope, *window, period="week", tz=settings.timezone)
    assert {p.key for p in trends.agents} == {agent.id}
    cov = analytics.coverage(db, scope, *window, period="week", tz=settings.timezone)
    assert cov.total.calls == 1 and {r.agent_id for r in cov.by_agent} == {agent.id}
    verdicts = analytics.scope_verdicts(db, scope, *window, settings=settings)
    assert verdicts and {v.agent_id for v in verdicts} == {agent.id}
    n = analytics.names(db, scope)
    assert set(n.agents) == {agent.id} and set(n.teams) == {agent.team_id}


def test_score_trends_use_the_human_total_over_the_machine(db, settings, agent):
    call = ingest(db, settings, agent, T0, scored=True)
    window = (T0 - timedelta(days=1), T0 + timedelta(days=1))
    [p] = analytics.score_trends(db, Scope(), *window, period="week", tz=settings.timezone).overall
    assert p.mean == pytest.approx(call.auto_score) and p.n == 1
    reviewer = factories.create_user(db, "qa_reviewer")
    ev = ev_svc.start_review(db, call, reviewer)
    answers = {cid: ev_svc.ItemInput(it["result"], it.get("points")) for cid, it in ev.items.items()}
    answers["prohibited_language"] = ev_svc.ItemInput("fail", reason="说了不知道")
    ev_svc.save(db, ev, actor=reviewer, expected_version=ev.version, answers=answers)
    ev_svc.submit(db, ev, actor=reviewer, expected_version=ev.version)
    db.commit()
    [p] = analytics.score_trends(db, Scope(), *window, period="week", tz=settings.timezone).overall
    assert p.mean == 0.0, "the critical failure zeroes the reviewer's total, which now counts"
    cov = analytics.coverage(db, Scope(), *window, period="week", tz=settings.timezone)
    assert (cov.total.calls, cov.total.reviewed) == (1, 1)
    assert db.scalar(
        select(Evaluation.superseded).where(
            Evaluation.call_id == call.id, Evaluation.rater_type == RaterType.MACHINE
        )
    )


def test_home_headline_is_cached_until_an_evaluation_changes(db, settings, agent):
    today = date(2026, 3, 3)
    ingest(db, settings, agent, T0, scored=True)
    first = analytics.cohort_headline(db, ALL, settings=settings, today=today)
    assert analytics.cohort_headline(db, ALL, settings=settings, today=today) is first
    ingest(db, settings, agent, T0 + timedelta(hours=1), scored=True)  # a new evaluation
    assert analytics.cohort_headline(db, ALL, settings=settings, today=today) is not first
    assert analytics.cohort_headline(db, ALL, settings=settings, today=today, weeks=4) is not first


def test_data_stamp_changes_with_every_change_the_dashboards_can_see(db, settings):
    """The stamp (index lookups only) moves when an evaluation is added or saved, a call is added or
    deleted (its evaluations go with it) and an agent changes; reading it twice without a change gives
    the same stamp, so remembered dashboards are reused."""
    agent = factories.create_agent(db)
    call = ingest(db, settings, agent, T0, scored=True)
    stamps = [analytics.data_stamp(db)]
    assert analytics.data_stamp(db) == stamps[-1]

    def changed() -> None:
        db.commit()
        stamps.append(analytics.data_stamp(db))
        assert stamps[-1] != stamps[-2]

    other = ingest(db, settings, agent, T0 + timedelta(hours=1))
    changed()  # a call added
    machine = db.scalar(select(Evaluation).where(Evaluation.call_id == call.id))
    machine.updated_at = machine.updated_at + timedelta(seconds=5)
    changed()  # an evaluation saved
    processing.store_transcript(db, other, make_transcript())
    processing.score_call(db, other, lexicon_scorer())
    changed()  # an evaluation added
    agent.hire_date = agent.hire_date - timedelta(days=400)
    changed()  # an agent's tenure
    db.delete(db.get(type(other), other.id))
    changed()  # a call deleted with its evaluations
