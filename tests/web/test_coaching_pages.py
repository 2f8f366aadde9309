"""Coaching and knowledge pages as each role sees them: the trainer creates a plan from a gap (criteria
pre-selected, articles and exemplar calls suggested), the agent acknowledges it, ticks items off and
listens to the exemplar cued at the evidence; sessions are scheduled, recorded and acknowledged; the
effect page and its CSV; agents only ever reach their own plan (404 otherwise) and never trainer pages."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from qa_app.db.base import utcnow
from qa_app.db.models import AuditEvent, CoachingPlan, CoachingSession, KnowledgeArticle, PlanState
from qa_app.services import knowledge

import factories
from factories import csrf_token, logged_in_client


class Site:
    def __init__(self, app, db):
        self.app, self.db = app, db
        self.settings = app.extensions["qa_settings"]
        self.team = factories.create_team(db, "一组")
        self.trainer = factories.create_user(db, "trainer", display_name="王教练")
        self.veteran = factories.create_agent(db, team=self.team, name="老李", hire_date=date(2024, 1, 1))
        self.newbie = factories.create_agent(db, team=self.team, name="小张", hire_date=date.today() - timedelta(days=30))
        self.stranger = factories.create_agent(db, team=self.team, name="小王", hire_date=date.today() - timedelta(days=30))
        now = utcnow()
        for day in range(1, 31):
            at = now - timedelta(days=day, hours=2)
            factories.create_evaluated_call(
                db, self.veteran, {"greeting": "pass" if day % 10 else "fail", "closing": "pass"}, started_at=at,
                queue="宽带", evidence={"greeting": (0.4, 2.5, "您好，很高兴为您服务")},
            )
            factories.create_evaluated_call(
                db, self.newbie, {"greeting": "fail" if day % 3 else "pass", "closing": "pass"}, started_at=at,
                queue="宽带",
            )
        # one veteran call with real audio and a transcript: the exemplar to listen to
        self.exemplar = factories.create_scored_call(db, self.settings, self.veteran, queue="宽带",
                                                     started_at=now - timedelta(minutes=30))
        self.article = knowledge.create(
            db, knowledge.ArticleInput("标准开场白", "先问好，再报**工号**。", criteria=["greeting"], tags=["话术"]),
            actor=self.trainer, known_criteria=["greeting"],
        )
        db.commit()

    def client(self, user):
        return logged_in_client(self.app, user.username)


@pytest.fixture
def site(app, db):
    return Site(app, db)


def _post(client, url, data=None, **kw):
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client, "/knowledge/")}, **kw)


def _create_plan(site, trainer_client) -> CoachingPlan:
    page = trainer_client.get(f"/coaching/plans/new?agent={site.newbie.id}&criteria=greeting")
    html = page.get_data(as_text=True)
    value = re.search(r'name="exemplars" value="([^"]+)"', html).group(1)
    ticked = re.findall(r'name="evaluations" value="(\d+)" id="ev-\d+" checked', html)  # as the browser sends
    resp = _post(trainer_client, f"/coaching/plans/new?agent={site.newbie.id}", {
        "evaluations": ticked,
        "action": "create", "criteria": "greeting", "target_rate": "80", "target_calls": "5",
        "due_date": (date.today() + timedelta(days=20)).isoformat(), "goal": "每通电话都完整开场",
        "articles": str(site.article.id), "exemplars": value, "tasks": "跟读开场白\n\n听三通老员工录音",
        "session_at": (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"), "session_topic": "陪听",
    })
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    site.db.expire_all()
    return site.db.scalar(select(CoachingPlan).order_by(CoachingPlan.id.desc()))


def test_trainer_creates_a_plan_from_a_gap_and_the_agent_acknowledges_it(site):
    t = site.client(site.trainer)
    overview = t.get("/coaching/").get_data(as_text=True)
    assert "小张" in overview and "落后" in overview  # the gap, in Chinese by default
    assert f"/coaching/plans/new?agent={site.newbie.id}&amp;criteria=greeting" in overview

    new = t.get(f"/coaching/plans/new?agent={site.newbie.id}&criteria=greeting").get_data(as_text=True)
    assert re.search(r'value="greeting" id="crit-greeting" checked', new)
    assert "标准开场白" in new  # the article tagged with the criterion is suggested
    assert f'value="{site.exemplar.id}:greeting"' in new  # the veteran's passing call with real audio
    assert "?t=" in new  # listened to at the evidence

    plan = _create_plan(site, t)
    assert plan.agent_id == site.newbie.id and plan.criteria == ["greeting"] and plan.target_rate == 0.8
    kinds = sorted(i.kind for i in plan.items)
    assert kinds == ["article", "exemplar_call", "task", "task"]
    assert len(plan.sessions) == 1 and len(plan.evaluation_links) == 5  # five newest failing pre-ticked
    page = t.get(f"/coaching/plans/{plan.id}").get_data(as_text=True)
    assert "每通电话都完整开场" in page and "跟读开场白" in page and "Re-check now" not in page  # zh UI
    assert "重新检查" in page

    a = site.client(site.newbie.user)
    mine = a.get("/coaching/me").get_data(as_text=True)
    assert f"/coaching/plans/{plan.id}" in mine and "陪听" in mine
    page = a.get(f"/coaching/plans/{plan.id}").get_data(as_text=True)
    assert "王教练" in page and "重新检查" not in page and "取消计划" not in page
    assert _post(a, f"/coaching/plans/{plan.id}/acknowledge").status_code == 302
    site.db.refresh(plan)
    assert plan.acknowledged_at is not None
    task = next(i for i in plan.items if i.kind == "task")
    assert _post(a, f"/coaching/plans/{plan.id}/items/{task.id}/done", {"done": "1"}).status_code == 302
    site.db.refresh(task)
    assert task.done_at is not None

    ex = next(i for i in plan.items if i.kind == "exemplar_call")
    assert ex.call_id == site.exemplar.id and ex.cue_start is not None
    listen = a.get(f"/coaching/plans/{plan.id}/items/{ex.id}")
    html = listen.get_data(as_text=True)
    assert listen.status_code == 200 and f'data-start-at="{ex.cue_start}"' in html  # the player starts at the cue
    assert "老李" not in html  # the veteran's name stays with the staff
    audio = a.get(f"/coaching/plans/{plan.id}/items/{ex.id}/audio")
    assert audio.status_code == 200 and audio.data[:4] == b"RIFF"
    audio.close()
    # the agent still cannot open the veteran's call itself
    assert a.get(f"/calls/{site.exemplar.id}").status_code == 404
    plays = site.db.scalars(select(AuditEvent).where(AuditEvent.action == "audio_play")).all()
    assert plays[-1].target == f"call:{site.exemplar.id}" and plays[-1].detail["via"] == f"coaching_plan:{plan.id}"


def test_other_agents_get_404_everywhere_and_agents_403_on_trainer_pages(site):
    t = site.client(site.trainer)
    plan = _create_plan(site, t)
    item = plan.items[0]
    ex = next(i for i in plan.items if i.kind == "exemplar_call")
    s = plan.sessions[0]
    other = site.client(site.stranger.user)
    for url in (
        f"/coaching/plans/{plan.id}", f"/coaching/plans/{plan.id}/items/{ex.id}",
        f"/coaching/plans/{plan.id}/items/{ex.id}/audio", f"/coaching/sessions/{s.id}",
        "/coaching/plans/999999", "/coaching/sessions/999999",
    ):
        resp = other.get(url)
        resp.close()
        assert resp.status_code == 404, url
    for url in (
        f"/coaching/plans/{plan.id}/acknowledge", f"/coaching/plans/{plan.id}/items/{item.id}/done",
        f"/coaching/sessions/{s.id}/acknowledge",
    ):
        assert _post(other, url).status_code == 404, url
    site.db.refresh(plan)
    assert plan.acknowledged_at is None and all(i.done_at is None for i in plan.items)
    # an item id of another plan is a 404 too, also for the plan's own agent
    own = site.client(site.newbie.user)
    assert own.get(f"/coaching/plans/{plan.id}/items/999999").status_code == 404
    article_item = next(i for i in plan.items if i.kind == "article")
    assert own.get(f"/coaching/plans/{plan.id}/items/{article_item.id}").status_code == 404  # not a call
    for url in ("/coaching/", "/coaching/plans", "/coaching/sessions", "/coaching/effect", "/coaching/effect.csv",
                f"/coaching/plans/new?agent={site.newbie.id}", "/knowledge/new", f"/knowledge/{site.article.id}/edit"):
        assert own.get(url).status_code == 403, url
    for url in (f"/coaching/plans/{plan.id}/recheck", f"/coaching/plans/{plan.id}/cancel",
                f"/coaching/sessions/{s.id}/record", f"/coaching/plans/{plan.id}/items"):
        assert _post(own, url, {"reason": "x", "kind": "task", "title": "x"}).status_code == 403, url
    reviewer = site.client(factories.create_user(site.db, "qa_reviewer"))
    assert reviewer.get("/coaching/").status_code == 403
    assert reviewer.get(f"/coaching/plans/{plan.id}").status_code == 403
    assert reviewer.get("/knowledge/").status_code == 200
    trainer_only = site.client(site.trainer)
    assert trainer_only.get("/coaching/me").status_code == 403


def test_sessions_are_scheduled_recorded_and_acknowledged(site):
    t = site.client(site.trainer)
    plan = _create_plan(site, t)
    when = (datetime.now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    assert _post(t, f"/coaching/plans/{plan.id}/sessions", {"scheduled_at": when, "topic": "复盘"}).status_code == 302
    bad = _post(t, f"/coaching/plans/{plan.id}/sessions", {"scheduled_at": "soon"}, follow_redirects=True)
    assert "日期和时间" in bad.get_data(as_text=True)  # the field error is shown, nothing stored
    site.db.expire_all()
    sessions = site.db.scalars(select(CoachingSession).where(CoachingSession.plan_id == plan.id)).all()
    assert sorted(s.topic for s in sessions) == ["复盘", "陪听"]
    s = next(x for x in sessions if x.topic == "陪听")
    listing = t.get("/coaching/sessions").get_data(as_text=True)
    assert f"/coaching/sessions/{s.id}" in listing
    page = t.get(f"/coaching/sessions/{s.id}").get_data(as_text=True)
    assert "记录面谈" in page
    empty = _post(t, f"/coaching/sessions/{s.id}/record", {"held_at": datetime.now().strftime("%Y-%m-%dT%H:%M")},
                  follow_redirects=True)
    assert "面谈内容" in empty.get_data(as_text=True)
    held = datetime.now().strftime("%Y-%m-%dT%H:%M")
    assert _post(t, f"/coaching/sessions/{s.id}/record",
                 {"held_at": held, "notes": "一起听了两通 <b>录音</b>", "commitments": "每通报工号"}).status_code == 302
    a = site.client(site.newbie.user)
    page = a.get(f"/coaching/sessions/{s.id}").get_data(as_text=True)
    assert "&lt;b&gt;录音&lt;/b&gt;" in page and "每通报工号" in page  # escaped
    assert _post(a, f"/coaching/sessions/{s.id}/acknowledge").status_code == 302
    site.db.refresh(s)
    assert s.held_at is not None and s.acknowledged_at is not None
    # recording twice is refused with a message, not a crash
    again = _post(t, f"/coaching/sessions/{s.id}/record", {"held_at": held, "notes": "x"}, follow_redirects=True)
    assert "该面谈已记录" in again.get_data(as_text=True)  # "this session was already recorded", in zh


def test_recheck_and_cancel_from_the_plan_page(site):
    t = site.client(site.trainer)
    plan = _create_plan(site, t)
    for i in range(5):
        factories.create_evaluated_call(site.db, site.newbie, {"greeting": "pass"},
                                        started_at=plan.starts_at + timedelta(minutes=i + 1))
    resp = _post(t, f"/coaching/plans/{plan.id}/recheck", follow_redirects=True)
    assert "已达成" in resp.get_data(as_text=True)
    site.db.refresh(plan)
    assert plan.state == PlanState.MET and plan.followup["greeting"]["passes"] == 4  # 80% of 5 reached early
    # a closed plan cannot be cancelled; the page says so
    resp = _post(t, f"/coaching/plans/{plan.id}/cancel", {"reason": "调岗"}, follow_redirects=True)
    assert "该辅导计划已结束" in resp.get_data(as_text=True)  # "this coaching plan is closed"

    other = _create_plan_for(site, t, site.stranger, "closing")
    resp = _post(t, f"/coaching/plans/{other.id}/cancel", {"reason": ""}, follow_redirects=True)
    site.db.refresh(other)
    assert other.state == PlanState.ACTIVE
    assert _post(t, f"/coaching/plans/{other.id}/cancel", {"reason": "调岗"}).status_code == 302
    site.db.refresh(other)
    assert other.state == PlanState.CANCELLED and other.close_note == "调岗"


def _create_plan_for(site, client, agent, criterion) -> CoachingPlan:
    resp = _post(client, f"/coaching/plans/new?agent={agent.id}", {
        "action": "create", "criteria": criterion, "target_rate": "80", "target_calls": "10",
        "due_date": (date.today() + timedelta(days=20)).isoformat(),
    })
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    site.db.expire_all()
    return site.db.scalar(select(CoachingPlan).order_by(CoachingPlan.id.desc()))


def test_new_plan_form_errors_refresh_and_agent_choice(site):
    t = site.client(site.trainer)
    assert "小张" in t.get("/coaching/plans/new").get_data(as_text=True)  # choose an agent first
    assert t.get("/coaching/plans/new?agent=999999").status_code == 404
    url = f"/coaching/plans/new?agent={site.newbie.id}"
    refreshed = _post(t, url, {"action": "refresh", "criteria": "closing"})
    html = refreshed.get_data(as_text=True)
    assert refreshed.status_code == 200 and re.search(r'value="closing" id="crit-closing" checked', html)
    assert not re.search(r'value="greeting" id="crit-greeting" checked', html)
    bad = _post(t, url, {"action": "create", "criteria": "greeting", "target_rate": "0", "target_calls": "5",
                         "due_date": "2020-01-01"})
    assert bad.status_code == 400
    none = _post(t, url, {"action": "create", "target_rate": "80", "target_calls": "5",
                          "due_date": (date.today() + timedelta(days=3)).isoformat()})
    assert none.status_code == 400 and "请至少选择一个质检项" in none.get_data(as_text=True)
    assert site.db.scalar(select(CoachingPlan)) is None
    _create_plan(site, t)
    dup = _post(t, url, {"action": "create", "criteria": "greeting", "target_rate": "80", "target_calls": "5",
                         "due_date": (date.today() + timedelta(days=3)).isoformat()})
    assert dup.status_code == 400 and "进行中计划：开场白" in dup.get_data(as_text=True)  # "active plan on: Greeting"


def test_effect_page_and_csv(site):
    t = site.client(site.trainer)
    assert "还没有已结束的计划" in t.get("/coaching/effect").get_data(as_text=True)
    plan = _create_plan(site, t)
    plan.state, plan.closed_at = PlanState.NOT_MET, utcnow()
    site.newbie.name = "=HYPERLINK(1)"
    site.db.commit()
    page = t.get("/coaching/effect").get_data(as_text=True)
    assert f"/coaching/plans/{plan.id}" in page and "数据不足" in page
    csv = t.get("/coaching/effect.csv")
    body = csv.get_data(as_text=True)
    assert csv.mimetype == "text/csv" and body.startswith("\ufeffplan_id,")
    assert f"{plan.id}," in body and "'=HYPERLINK(1)" in body and "not_enough_data" in body
    assert t.get(f"/coaching/effect?trainer={site.trainer.id}").status_code == 200


def test_knowledge_pages(site):
    t = site.client(site.trainer)
    a = site.client(site.newbie.user)
    assert "标准开场白" in a.get("/knowledge/?q=工号").get_data(as_text=True)
    assert "标准开场白" not in a.get("/knowledge/?q=退费").get_data(as_text=True)
    page = a.get(f"/knowledge/{site.article.id}").get_data(as_text=True)
    assert "<strong>工号</strong>" in page  # Markdown
    assert "编辑" not in page

    bad = _post(t, "/knowledge/new", {"title": "", "body": ""})
    assert bad.status_code == 400
    resp = _post(t, "/knowledge/new", {
        "title": "禁用语清单", "body": "不要说：<script>alert(1)</script> [x](javascript:alert(1))",
        "criteria": "prohibited_language", "tags": "禁用语，投诉", "active": "",
    })
    assert resp.status_code == 302
    art = site.db.scalar(select(KnowledgeArticle).where(KnowledgeArticle.title == "禁用语清单"))
    assert not art.active and art.free_tags == ["投诉", "禁用语"]
    html = t.get(f"/knowledge/{art.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert a.get(f"/knowledge/{art.id}").status_code == 404  # drafts stay with the editors
    edit = t.get(f"/knowledge/{art.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', edit).group(1)
    data = {"title": "禁用语清单", "body": "更新", "criteria": "prohibited_language", "tags": "", "active": "y",
            "version": version}
    assert _post(t, f"/knowledge/{art.id}/edit", data).status_code == 302
    stale = _post(t, f"/knowledge/{art.id}/edit", data)  # the same (now old) version again
    assert stale.status_code == 400 and "该文章已被修改" in stale.get_data(as_text=True)  # "changed since you opened it"
    assert "禁用语清单" in a.get("/knowledge/?criterion=prohibited_language").get_data(as_text=True)


def test_agent_without_a_linked_agent_sees_a_message(site):
    lonely = factories.create_user(site.db, "agent")
    assert "尚未关联" in site.client(lonely).get("/coaching/me").get_data(as_text=True)


def test_english_pages_render(site):
    t = logged_in_client(site.app, site.trainer.username, lang="en")
    plan = _create_plan(site, t)
    for url in ("/coaching/", "/coaching/plans", "/coaching/sessions", "/coaching/effect",
                f"/coaching/plans/{plan.id}", f"/coaching/sessions/{plan.sessions[0].id}", "/knowledge/"):
        resp = t.get(url)
        assert resp.status_code == 200, url
    assert "Re-check now" in t.get(f"/coaching/plans/{plan.id}").get_data(as_text=True)


def test_coaching_notifications_render_in_both_languages_with_a_link(site):
    """Every kind the coaching area emits (plan created, session due / overdue, plan due / overdue, plan
    closed) has its own text in zh and en on the notifications page, and its Open button leads to the plan
    or session it is about."""
    from qa_app.db.models import Notification
    from qa_app.services import coaching
    from qa_app.services.coaching_insights import Context

    t = site.client(site.trainer)
    plan = _create_plan(site, t)
    plan.sessions[0].scheduled_at = utcnow() + timedelta(hours=3)  # tomorrow's session: both are reminded
    plan.due_date = date.today() + timedelta(days=1)
    site.db.commit()
    late = _create_plan_for(site, t, site.stranger, "closing")
    late.sessions.append(CoachingSession(scheduled_at=utcnow() - timedelta(hours=3), topic="复盘"))
    late.due_date = date.today() - timedelta(days=1)  # overdue: the trainer is told to act
    site.db.commit()
    ctx = Context.from_settings(site.settings)
    assert coaching.send_reminders(site.db, ctx) >= 6
    for i in range(5):
        factories.create_evaluated_call(site.db, site.newbie, {"greeting": "pass"},
                                        started_at=plan.starts_at + timedelta(minutes=i + 1))
    assert coaching.recheck(site.db, plan, ctx=ctx) == PlanState.MET
    site.db.commit()

    expected = {  # (user, kind, overdue) -> (en, zh) fragments
        ("agent", "coaching_plan_created", False): (f"Coaching plan #{plan.id} was created for you", f"已为您制定辅导计划 #{plan.id}"),
        ("agent", "coaching_session_due", False): (f"Coaching session of plan #{plan.id} at", f"辅导计划 #{plan.id} 的面谈时间"),
        ("agent", "coaching_plan_due", False): (f"Coaching plan #{plan.id} is due on", f"辅导计划 #{plan.id} 将于"),
        ("agent", "coaching_plan_closed", False): ("target met", "目标已达成"),
        ("trainer", "coaching_session_due", True): (f"plan #{late.id} at", f"辅导计划 #{late.id} 在"),
        ("trainer", "coaching_plan_due", True): (f"Coaching plan #{late.id} was due on", f"辅导计划 #{late.id} 已于"),
        ("trainer", "coaching_plan_closed", False): (f"Coaching plan #{plan.id} was closed", f"辅导计划 #{plan.id} 已由目标复核结束"),
    }
    users = {"agent": site.newbie.user, "trainer": site.trainer}
    for (who, kind, overdue), (en, zh) in expected.items():
        rows = site.db.scalars(select(Notification).where(
            Notification.user_id == users[who].id, Notification.kind == kind)).all()
        n = next(r for r in rows if bool(r.params.get("overdue")) == overdue)
        for lang, fragment in (("en", en), ("zh", zh)):
            client = logged_in_client(site.app, users[who].username, lang=lang)
            html = client.get("/notifications/").get_data(as_text=True)
            item = html[html.index(f'id="notification-{n.id}"'):]
            item = item[: item.index("</li>")]
            assert fragment in item, (who, kind, lang)
            assert kind not in item, (who, kind, lang)  # a text, not the bare code
            assert f'action="/notifications/{n.id}/open"' in item
        opened = _post(logged_in_client(site.app, users[who].username), f"/notifications/{n.id}/open")
        assert opened.status_code == 302 and opened.headers["Location"] == n.url
        assert n.url.startswith(("/coaching/plans/", "/coaching/sessions/"))
        assert logged_in_client(site.app, users[who].username).get(n.url).status_code == 200, n.url


def test_english_coaching_pages_have_no_chinese_outside_data(site):
    """One language per page: the English coaching, knowledge and notification pages show Chinese only in
    user data (names, articles, goals, topics, quotes, rubric titles)."""
    from test_one_language import stray_chinese, visible

    from qa_app.db.models import TranscriptRecord
    from qa_app.services import rubrics as rubric_service

    t = logged_in_client(site.app, site.trainer.username, lang="en")
    plan = _create_plan(site, t)
    titles = rubric_service.criterion_titles(rubric_service.default_version(site.db))
    data = ["中文", "一组", "王教练", "老李", "小张", "小王", "宽带", "标准开场白", "先问好，再报工号。", "话术",
            "每通电话都完整开场", "跟读开场白", "听三通老员工录音", "陪听", "您好，很高兴为您服务"]
    data += [v for t_ in titles.values() for v in (t_["zh"], t_["section_zh"])]
    transcript = site.db.scalar(select(TranscriptRecord.data).where(TranscriptRecord.call_id == site.exemplar.id))
    data += [seg["text"] for seg in transcript["segments"]]  # the exemplar's quotes
    a = logged_in_client(site.app, site.newbie.user.username, lang="en")
    ex = next(i for i in plan.items if i.kind == "exemplar_call")
    pages = {
        t: ["/coaching/", "/coaching/plans", "/coaching/sessions", "/coaching/effect",
            f"/coaching/plans/new?agent={site.newbie.id}&criteria=greeting", f"/coaching/plans/{plan.id}",
            f"/coaching/sessions/{plan.sessions[0].id}", "/knowledge/", f"/knowledge/{site.article.id}",
            f"/knowledge/{site.article.id}/edit", "/knowledge/new"],
        a: ["/coaching/me", f"/coaching/plans/{plan.id}", f"/coaching/plans/{plan.id}/items/{ex.id}", "/notifications/"],
    }
    for client, urls in pages.items():
        for url in urls:
            page = visible(client.get(url).get_data(as_text=True))
            assert stray_chinese(page, data) == [], url
    refused = _post(t, f"/coaching/plans/new?agent={site.newbie.id}", {
        "action": "create", "criteria": "greeting", "target_rate": "80", "target_calls": "5",
        "due_date": (date.today() + timedelta(days=3)).isoformat(),
    })
    page = visible(refused.get_data(as_text=True))
    assert "the agent already has an active plan on: Greeting" in page and stray_chinese(page, data) == []
