"""Sampling and queue pages: plan create/edit with validation, run now and its progress, my queue
(overdue, reasons, links, skip), queue health, the calls list review filters, and who may see what."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from qa_app.db.base import utcnow
from qa_app.db.models import AssignmentState, Job, ReviewAssignment, SamplingPlan, SamplingRun
from qa_app.jobs import worker
from qa_app.jobs.backends import Backends
from qa_app.services import evaluations as ev_svc
from qa_app.services import sampling
from scoring.sampling import Rules

import factories
from factories import csrf_token, logged_in_client, post_form

WEEK = "2026-W47"
IN_WEEK = datetime(2026, 11, 17, 2, 0, tzinfo=UTC)


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _call_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<td><a href="/calls/(\d+)">', html)]


@pytest.fixture
def world(app, db):
    settings = app.extensions["qa_settings"]
    team = factories.create_team(db, "一组")
    agent = factories.create_agent(db, team=team, hire_date=date(2024, 1, 1), employee_no="A100")
    other = factories.create_agent(db, team=team, employee_no="B200")
    reviewer = factories.create_user(db, "qa_reviewer", display_name="质检员甲")
    reviewer2 = factories.create_user(db, "qa_reviewer", display_name="质检员乙")
    trainer = factories.create_user(db, "trainer")
    return settings, team, agent, other, reviewer, reviewer2, trainer


def _plan(db, **kw) -> SamplingPlan:
    base = {"name": "每周抽检", "period": "week", "random_per_agent": 1, "rules": Rules()}
    plan = sampling.create_plan(db, sampling.PlanInput(**{**base, **kw}), actor=None)
    db.commit()
    return plan


def _assign(db, settings, plan, when=None):
    run = sampling.run_now(db, plan, period=WEEK, settings=settings, now=when or utcnow())
    db.commit()
    return run


VALID = {
    "name": "新人加密抽检",
    "period": "week",
    "random_per_agent": "2",
    "new_hire_multiplier": "2",
    "end_sentiment_below": "0.4",
    "due_days": "3",
    "critical_failed": "y",
    "low_score_below": "60",
}


# --- plans ------------------------------------------------------------------------------------------------


def test_trainer_creates_and_edits_a_plan(app, db, world):
    _, team, _, _, reviewer, _, trainer = world
    client = logged_in_client(app, trainer.username, lang="en")
    page = _text(client.get("/sampling/"))
    assert "No sampling plans yet" in page
    assert "还没有抽检计划" in _text(logged_in_client(app, trainer.username).get("/sampling/"))
    form = _text(client.get("/sampling/new"))
    assert 'name="team_ids"' in form and 'name="reviewer_ids"' in form and "质检员甲" in form
    resp = post_form(
        client,
        "/sampling/new",
        {**VALID, "team_ids": str(team.id), "reviewer_ids": str(reviewer.id)},
        token_from="/sampling/new",
    )
    assert resp.status_code == 302
    plan = db.scalar(select(SamplingPlan).where(SamplingPlan.name == "新人加密抽检"))
    assert resp.headers["Location"].endswith(f"/sampling/{plan.id}")
    assert plan.team_ids == [team.id] and plan.reviewer_ids == [reviewer.id]
    assert sampling.plan_rules(plan) == Rules(critical_failed=True, low_score_below=60, new_hire_multiplier=2)
    detail = _text(client.get(f"/sampling/{plan.id}"))
    assert "新人加密抽检" in detail and "质检员甲" in detail and "一组" in detail
    assert "This plan has not run yet" in detail
    edit = _text(client.get(f"/sampling/{plan.id}/edit"))
    assert 'value="新人加密抽检"' in edit and 'value="60"' in edit and 'value="2"' in edit
    assert re.search(rf'value="{team.id}"[^>]*checked|checked[^>]*value="{team.id}"', edit)
    resp = post_form(
        client,
        f"/sampling/{plan.id}/edit",
        {**VALID, "period": "month", "random_per_agent": "0"},
        token_from=f"/sampling/{plan.id}/edit",
    )
    assert resp.status_code == 302
    db.expire_all()
    plan = db.get(SamplingPlan, plan.id)
    assert (plan.period, plan.random_per_agent, plan.active, plan.team_ids) == ("month", 0, False, [])
    listing = _text(client.get("/sampling/"))
    assert "新人加密抽检" in listing


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "This field is required"),
        ({"random_per_agent": "abc"}, "Not a valid integer value"),
        ({"random_per_agent": "101"}, "between 0 and 100"),
        ({"low_score_below": "0"}, "between 1 and 100"),
        ({"due_days": "0"}, "between 1 and 60"),
        ({"new_hire_multiplier": "0.5"}, "between 1 and 10"),
        ({"reviewer_ids": "999999"}, "not a valid choice"),
        ({"random_per_agent": "0", "critical_failed": "", "low_score_below": ""}, "samples nothing"),
    ],
)
def test_plan_form_validation_in_english(app, db, world, change, message):
    trainer = world[6]
    client = logged_in_client(app, trainer.username, lang="en")
    data = {k: v for k, v in {**VALID, **change}.items() if v != ""}
    resp = post_form(client, "/sampling/new", data, token_from="/sampling/new")
    assert resp.status_code == 400
    html = _text(resp)
    assert message in html, html[html.find("invalid-feedback") - 300 :][:900]
    assert "is-invalid" in html
    assert db.scalar(select(SamplingPlan)) is None


def test_duplicate_name_is_shown_on_the_field(app, db, world):
    _plan(db, name="新人加密抽检")
    client = logged_in_client(app, world[6].username, lang="en")
    resp = post_form(client, "/sampling/new", VALID, token_from="/sampling/new")
    assert resp.status_code == 400 and "a sampling plan with this name exists" in _text(resp)


def test_run_now_queues_a_run_and_the_page_shows_its_progress(app, db, world):
    settings, _, agent, _, reviewer, _, trainer = world
    plan = _plan(db)
    current = sampling.current_period(plan, settings)
    last = sampling.last_complete_period(plan, settings)
    start, _ = sampling.period_window(plan, last, settings)
    call = factories.create_scored_call(db, settings, agent, started_at=start + timedelta(hours=10))
    client = logged_in_client(app, trainer.username, lang="en")
    page = _text(client.get(f"/sampling/{plan.id}"))
    assert f'value="{last}"' in page and f'value="{current}"' in page
    resp = post_form(
        client, f"/sampling/{plan.id}/run", {"period": "1999-W01"}, token_from=f"/sampling/{plan.id}"
    )
    assert resp.status_code == 302 and db.scalar(select(SamplingRun)) is None, "only the offered periods"
    resp = post_form(client, f"/sampling/{plan.id}/run", {"period": last}, token_from=f"/sampling/{plan.id}")
    assert resp.status_code == 302
    run = db.scalar(select(SamplingRun))
    assert (run.period, run.trigger, run.state, run.by_user_id) == (last, "manual", "queued", trainer.id)
    page = _text(client.get(f"/sampling/{plan.id}"))
    assert "data-autorefresh" in page and "autorefresh.js" in page
    assert "waiting for a worker" in page
    again = post_form(client, f"/sampling/{plan.id}/run", {"period": last}, token_from=f"/sampling/{plan.id}")
    assert again.status_code == 302
    assert len(db.scalars(select(SamplingRun)).all()) == 1, "one pending run per plan"
    factory = app.extensions["qa_sessionmaker"]
    worker.run(factory, settings, backends=Backends(settings, _speech=object(), _scorer=object()), once=True)
    page = _text(client.get(f"/sampling/{plan.id}"))
    assert "data-autorefresh" not in page
    assert "质检员甲" in page  # per reviewer: 1 (or the second reviewer)
    with factory() as s:
        assert s.scalar(select(ReviewAssignment.call_id)) == call.id


# --- my queue ---------------------------------------------------------------------------------------------


def test_my_queue_lists_open_assignments_with_due_dates_reasons_and_links(app, db, world):
    settings, _, agent, other, reviewer, reviewer2, trainer = world
    calls = [factories.create_scored_call(db, settings, agent, started_at=IN_WEEK) for _ in range(2)]
    plan = _plan(db, random_per_agent=2, reviewer_ids=(reviewer.id,), rules=Rules(needs_review=True))
    _assign(db, settings, plan)
    late = db.scalar(select(ReviewAssignment).where(ReviewAssignment.call_id == calls[0].id))
    late.due_at = utcnow() - timedelta(days=1)
    db.commit()
    client = logged_in_client(app, reviewer.username, lang="en")
    html = _text(client.get("/queue/"))
    for c in calls:
        assert f'href="/calls/{c.id}/review"' in html and f'href="/calls/{c.id}"' in html
    assert "Overdue" in html and "table-danger" in html and "1 overdue" in html
    assert "verdicts to check" in html and "random" in html
    assert html.index(f'href="/calls/{calls[0].id}"') < html.index(f'href="/calls/{calls[1].id}"'), (
        "soonest due first"
    )
    assert "A100" in html
    assert 'href="/queue/health"' not in html and 'href="/sampling/"' not in html, "leads' pages only"
    # another reviewer's queue is empty, and they cannot open this one
    c2 = logged_in_client(app, reviewer2.username, lang="en")
    assert "Nothing to review right now" in _text(c2.get("/queue/"))
    assert c2.get(f"/queue/?reviewer={reviewer.id}").status_code == 404
    # a lead can
    lead = logged_in_client(app, trainer.username)
    theirs = _text(lead.get(f"/queue/?reviewer={reviewer.id}"))
    assert f'href="/calls/{calls[1].id}/review"' in theirs and 'href="/queue/health"' in theirs
    assert lead.get("/queue/?reviewer=999999").status_code == 404
    # the default language is Chinese
    zh = _text(logged_in_client(app, reviewer.username).get("/queue/"))
    assert "我的待评队列" in zh and "已逾期" in zh


def test_skip_takes_the_call_off_the_queue_with_a_reason(app, db, world):
    settings, _, agent, _, reviewer, reviewer2, _ = world
    call = factories.create_scored_call(db, settings, agent, started_at=IN_WEEK)
    plan = _plan(db, reviewer_ids=(reviewer.id,))
    _assign(db, settings, plan)
    a = db.scalar(select(ReviewAssignment))
    other = logged_in_client(app, reviewer2.username)
    assert post_form(other, f"/queue/{a.id}/skip", {"reason": "x"}).status_code == 404
    client = logged_in_client(app, reviewer.username, lang="en")
    resp = post_form(client, f"/queue/{a.id}/skip", {"reason": " "}, follow_redirects=True)
    assert "Give a reason for skipping call" in _text(resp)
    db.refresh(a)
    assert a.state == AssignmentState.OPEN
    resp = post_form(client, f"/queue/{a.id}/skip", {"reason": "录音无声"}, follow_redirects=True)
    html = _text(resp)
    assert f"Call #{call.id} was taken out of the queue" in html
    assert "Nothing to review right now" in html and "录音无声" in html  # under "closed in the last 7 days"
    db.refresh(a)
    assert a.state == AssignmentState.SKIPPED
    # without a CSRF token nothing happens
    assert client.post(f"/queue/{a.id}/skip", data={"reason": "x"}).status_code == 400


def test_submitting_the_review_empties_the_queue(app, db, world):
    settings, _, agent, _, reviewer, _, _ = world
    call = factories.create_scored_call(db, settings, agent, started_at=IN_WEEK)
    _assign(db, settings, _plan(db, reviewer_ids=(reviewer.id,)))
    ev = ev_svc.start_review(db, call, reviewer)
    ev_svc.submit(db, ev, actor=reviewer, expected_version=ev.version)
    db.commit()
    html = _text(logged_in_client(app, reviewer.username, lang="en").get("/queue/"))
    assert f'href="/calls/{call.id}/review"' not in html and "done" in html


# --- health -----------------------------------------------------------------------------------------------


def test_queue_health_for_leads(app, db, world):
    settings, _, agent, _, reviewer, reviewer2, trainer = world
    calls = [factories.create_scored_call(db, settings, agent, started_at=IN_WEEK) for _ in range(3)]
    plan = _plan(db, random_per_agent=3, due_days=1)
    _assign(db, settings, plan, when=utcnow() - timedelta(days=2))
    mine = db.scalars(select(ReviewAssignment).where(ReviewAssignment.reviewer_id == reviewer.id)).all()
    ev = ev_svc.start_review(db, mine[0].call, reviewer)
    ev_svc.submit(db, ev, actor=reviewer, expected_version=ev.version)
    db.commit()
    client = logged_in_client(app, trainer.username, lang="en")
    html = _text(client.get("/queue/health"))
    assert "Queue health" in html and "质检员甲" in html and "质检员乙" in html
    assert f'href="/queue/?reviewer={reviewer.id}"' in html
    assert f'href="/sampling/{plan.id}"' in html
    assert "33%" in html, "one of three assignments done"
    assert len(calls) == 3
    # the Chinese page
    assert "队列状况" in _text(logged_in_client(app, trainer.username).get("/queue/health"))


def test_health_and_plans_with_nothing_yet(app, db, world):
    client = logged_in_client(app, factories.create_user(db, "admin").username, lang="en")
    html = _text(client.get("/queue/health"))
    assert "No sampling plans yet" in html
    assert "质检员甲" in html  # idle reviewers are listed too


@pytest.mark.parametrize("url", ["/sampling/", "/sampling/new", "/queue/health"])
def test_reviewers_may_not_manage_plans_or_see_health(app, db, world, url):
    client = logged_in_client(app, world[4].username)
    assert client.get(url).status_code == 403


def test_agents_get_403_on_every_sampling_and_queue_page(app, db, world):
    settings, _, agent, _, reviewer, _, _ = world
    factories.create_scored_call(db, settings, agent, started_at=IN_WEEK)
    plan = _plan(db)
    _assign(db, settings, plan)
    a = db.scalar(select(ReviewAssignment))
    client = logged_in_client(app, agent.user.username)
    for url in (
        "/sampling/",
        "/sampling/new",
        f"/sampling/{plan.id}",
        f"/sampling/{plan.id}/edit",
        "/queue/",
        f"/queue/?reviewer={reviewer.id}",
        "/queue/health",
    ):
        assert client.get(url).status_code == 403, url
    for url in (
        f"/sampling/{plan.id}/run",
        f"/queue/{a.id}/skip",
        "/sampling/new",
        f"/sampling/{plan.id}/edit",
    ):
        assert client.post(url, data={"csrf_token": csrf_token(client)}).status_code == 403, url
    db.refresh(a)
    assert a.state == AssignmentState.OPEN and db.scalar(select(Job)) is None
    nav = _text(client.get("/"))
    assert "/queue/" not in nav and "/sampling/" not in nav


# --- the calls list ---------------------------------------------------------------------------------------

ANGRY = [
    ("a", "您好，很高兴为您服务，我是工号1021的客服小王，请问有什么可以帮您？"),
    ("c", "我家宽带又断了，太慢了，我很生气。"),
    ("a", "这是公司规定，我也没办法。"),
    ("c", "我要投诉你们。"),
]


def test_calls_list_filters_needs_review_reviewed_critical_and_my_queue(app, db, world):
    from transcription.types import Segment, Transcript

    settings, _, agent, other, reviewer, reviewer2, _ = world
    segs = tuple(
        Segment(i, i * 3.0, i * 3.0 + 2.5, "A" if w == "a" else "B", t, "agent" if w == "a" else "customer")
        for i, (w, t) in enumerate(ANGRY)
    )
    angry_t = Transcript("zh", 14.0, segs, "mono", {"A": "agent", "B": "customer"}, None, {}, 0.9)
    calm = factories.create_scored_call(db, settings, agent, started_at=IN_WEEK)  # 1 verdict to check
    angry = factories.create_scored_call(db, settings, agent, started_at=IN_WEEK, transcript=angry_t)
    reviewed = factories.create_scored_call(db, settings, other, started_at=IN_WEEK)
    unscored = factories.create_call(db, settings, other, started_at=IN_WEEK)
    ev = ev_svc.start_review(db, reviewed, reviewer2)
    ev_svc.submit(db, ev, actor=reviewer2, expected_version=ev.version)
    db.commit()
    _assign(
        db,
        settings,
        _plan(db, random_per_agent=0, rules=Rules(critical_failed=True), reviewer_ids=(reviewer.id,)),
    )

    client = logged_in_client(app, reviewer.username)
    ids = lambda q: set(_call_ids(_text(client.get("/calls/?" + q))))  # noqa: E731
    everything = {calm.id, angry.id, reviewed.id, unscored.id}
    assert ids("") == everything
    assert ids("flag=critical_failed") == {angry.id}
    assert ids("flag=needs_review") == {calm.id, angry.id, reviewed.id}
    assert ids("review=reviewed") == {reviewed.id}
    assert ids("review=not_reviewed") == {calm.id, angry.id, unscored.id}
    assert ids("review=my_queue") == {angry.id}
    assert ids("review=not_reviewed&flag=needs_review") == {calm.id, angry.id}
    assert ids("review=bogus&flag=%00") == everything, "unknown values are ignored"
    html = _text(client.get("/calls/?review=my_queue"))
    assert 'value="my_queue" selected' in html
    assert _call_ids(_text(logged_in_client(app, reviewer2.username).get("/calls/?review=my_queue"))) == []

    # agents: no review filters, and a filter in the URL never widens or narrows their own list
    agent_client = logged_in_client(app, agent.user.username)
    page = _text(agent_client.get("/calls/"))
    assert 'name="review"' not in page and 'name="flag"' not in page
    for q in ("review=my_queue", "review=reviewed", "flag=critical_failed", ""):
        assert set(_call_ids(_text(agent_client.get("/calls/?" + q)))) == {calm.id, angry.id}, q
