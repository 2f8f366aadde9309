"""One language per page (issue #7): scorecards, validation errors and service errors render in the
reader's language. The English UI shows no Chinese outside transcript quotes and user data (names,
rubric phrases), and the Chinese UI shows none of the English wording of those messages.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from qa_app.services import processing
from qa_app.services import rubrics as rubric_service
from rubrics.messages import CATALOGUE
from scoring.engine import score
from transcription.types import Transcript

import factories
from factories import logged_in_client, post_form, post_multipart

CALLS = Path(__file__).resolve().parents[1] / "fixtures" / "scoring" / "calls"
# Chinese characters and CJK / full-width punctuation (、。「」（）：；)
CJK_RUN = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
# words of the English templates of the messages (verdict notes, service errors) and of the UI
ENGLISH_WORDS = re.compile(r"[A-Za-z][a-z]{2,}(?:[ '-][a-z]{2,})*")


class _Visible(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):  # noqa: ANN001
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):  # noqa: ANN001
        if not self._skip:
            self.parts.append(data)


def visible(html: str, start: str | None = None) -> str:
    if start is not None:
        html = html[html.index(start) :]
    p = _Visible()
    p.feed(html)
    return "\n".join(s.strip() for s in p.parts if s.strip())


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def stray_chinese(text: str, data: list[str]) -> list[str]:
    """Runs of Chinese that are not part of a quote or user data."""
    return [run for run in CJK_RUN.findall(text) if not any(run in d for d in data)]


def stray_english(text: str, data: list[str]) -> list[str]:
    """English wording from the message templates that is not part of a quote or user data."""
    template_words = {
        w.lower()
        for t in CATALOGUE.values()
        for w in re.findall(r"[A-Za-z]{3,}", re.sub(r"\{[^}]*\}", " ", t["en"]))
    }
    found = []
    for phrase in ENGLISH_WORDS.findall(text):
        if any(phrase.lower() in d.lower() for d in data):
            continue
        if any(w.lower() in template_words for w in re.findall(r"[A-Za-z]{3,}", phrase)):
            found.append(phrase)
    return found


@pytest.fixture
def scored(app, db, settings):
    """Fixture calls with many kinds of verdicts (passes, fails, silences, overtalk, an English call),
    scored with the default rubric."""
    rubric = rubric_service.ensure_default(db)
    db.commit()
    agent = factories.create_agent(db)
    data = [agent.name, agent.team.name, "中文"]  # the language switch names its language in it
    data += _strings(yaml.safe_load(rubric.yaml_text))  # the rubric: titles, phrases
    ids = []
    for name in ("zh02_change_before_verify", "zh05_hold_impolite", "zh06_dead_air", "zh07_agent_interrupts",
                 "zh16_escalation_threat", "en02_rude_agent"):  # fmt: skip
        path = CALLS / f"{name}.json"
        transcript = Transcript.from_dict(json.loads(path.read_text(encoding="utf-8")))
        call = factories.create_call(db, settings, agent)
        processing.store_transcript(db, call, transcript)
        processing.score_call(db, call, lambda t, r: score(t, r, sentiment={}))
        call.status = "ready"
        db.commit()
        data += [s.text for s in transcript.segments]
        ids.append(call.id)
    return ids, data


def test_scorecard_in_english_has_no_chinese_outside_quotes_and_data(app, db, scored):
    ids, data = scored
    client = logged_in_client(app, factories.create_user(db, "qa_reviewer").username, lang="en")
    for call_id in ids:
        html = client.get(f"/calls/{call_id}").get_data(as_text=True)
        page = visible(html)
        assert "Automated scorecard" in page
        assert stray_chinese(page, data) == [], call_id
    card = visible(html, "Automated scorecard")
    assert "verification" in card or "required phrases" in card  # notes are rendered, not dropped


def test_every_page_in_english_has_no_chinese_outside_data(app, db, scored):
    ids, data = scored
    admin = factories.create_user(db, "admin")
    client = logged_in_client(app, admin.username, lang="en")
    rid = rubric_service.ensure_default(db).id
    urls = ["/", "/calls/", "/calls/upload", "/rubrics/", f"/rubrics/{rid}", f"/rubrics/{rid}/builder"]
    urls += ["/admin/users", f"/admin/users/{admin.id}", "/admin/teams", "/admin/agents", "/admin/jobs"]
    urls += ["/admin/audit", "/no-such-page"]
    for url in urls:
        page = visible(client.get(url).get_data(as_text=True))
        assert stray_chinese(page, data) == [], url


def test_scorecard_in_chinese_has_no_english_wording_of_the_notes(app, db, scored):
    ids, data = scored
    client = logged_in_client(app, factories.create_user(db, "qa_reviewer").username)
    for call_id in ids:
        html = client.get(f"/calls/{call_id}").get_data(as_text=True)
        card = visible(html, '<table class="table table-sm scorecard-table')
        assert "检索" in card or "找到" in card or "核实" in card
        assert stray_english(card, data) == [], call_id


def test_review_workspace_in_one_language(app, db, scored):
    """The reviewer's workspace (machine notes and evidence beside the answers): in English no Chinese
    outside quotes and data, in Chinese none of the English wording of the notes."""
    ids, data = scored
    en = logged_in_client(app, factories.create_user(db, "qa_reviewer").username, lang="en")
    zh = logged_in_client(app, factories.create_user(db, "qa_reviewer").username)
    for call_id in ids:
        page = visible(en.get(f"/calls/{call_id}/review").get_data(as_text=True))
        assert "Automated verdict and evidence" in page
        assert stray_chinese(page, data) == [], call_id
        html = zh.get(f"/calls/{call_id}/review").get_data(as_text=True)
        card = visible(html, '<table class="table table-sm scorecard-table')
        assert stray_english(card, data) == [], call_id


def test_old_scorecards_with_bilingual_notes_still_show_their_text(app, db, settings):
    from qa_app.db.models import AutoScorecard

    call = factories.create_call(db, settings, factories.create_agent(db))
    rubric = rubric_service.ensure_default(db)
    db.add(
        AutoScorecard(
            call_id=call.id,
            rubric_version_id=rubric.id,
            total=50.0,
            critical_failed=False,
            needs_review=0,
            data={
                "rubric": {"id": rubric.rubric_key, "version": 1},
                "total": 50.0,
                "criteria": [
                    {
                        "id": "greeting",
                        "result": "pass",
                        "evidence": [
                            {"start": 0, "end": 1, "text": "您好", "note": "命中「您好」/ matched '您好'"}
                        ],
                        "note": "在前2句坐席话语中找到要求的用语 / required phrases found in the first 2 agent turns",
                    }
                ],
            },
        )
    )
    db.commit()
    client = logged_in_client(app, factories.create_user(db, "qa_reviewer").username, lang="en")
    page = visible(client.get(f"/calls/{call.id}").get_data(as_text=True))
    assert "required phrases found in the first 2 agent turns" in page and "matched '您好'" in page


def _import(client, content: bytes):
    token = factories.csrf_token(client, "/rubrics/")
    resp = post_multipart(
        client, "/rubrics/import", {"csrf_token": token}, [("yaml_file", content, "r.yaml")]
    )
    assert resp.status_code == 400
    return visible(resp.get_data(as_text=True))


def test_rubric_validation_error_in_one_language(app, db):
    rubric = rubric_service.ensure_default(db)
    db.commit()
    bad = rubric.yaml_text.replace("weight: 6", "weight: -6", 1)
    bad = bad.replace(f"id: {rubric.rubric_key}", "id: other_rubric", 1).encode()
    en = logged_in_client(app, factories.create_user(db, "qa_reviewer").username, lang="en")
    page = _import(en, bad)
    assert "weight must be positive" in page and "权重必须是正数" not in page
    assert stray_chinese(page, ["中文"]) == []
    zh = logged_in_client(app, factories.create_user(db, "qa_reviewer").username)
    page = _import(zh, bad)
    assert "权重必须是正数" in page and "weight must be positive" not in page
    # the builder shows each problem beside its field, in one language too
    doc = {"title": {"zh": "标准", "en": "Standard"}, "sections": []}
    for client, want, unwanted in (
        (en, "at least one section", "至少需要一个小节"),
        (zh, "至少需要一个小节", "at least one section"),
    ):
        url = f"/rubrics/{rubric.id}/builder"
        resp = post_form(client, url, {"document": json.dumps(doc), "action": "preview"}, token_from=url)
        assert resp.status_code == 400
        page = visible(resp.get_data(as_text=True))
        assert want in page and unwanted not in page


def test_service_errors_in_one_language(app, db):
    factories.create_user(db, "agent", username="taken")
    rubric = rubric_service.ensure_default(db)
    db.commit()
    form = {"username": "taken", "display_name": "X", "role": "agent", "password": "Good-passw0rd"}
    cases = [
        ("en", "username already taken", "用户名已存在"),
        (None, "用户名已存在", "username already taken"),
    ]
    for lang, want, unwanted in cases:
        client = logged_in_client(app, factories.create_user(db, "admin").username, lang=lang)
        page = visible(
            post_form(client, "/admin/users", form, token_from="/admin/users").get_data(as_text=True)
        )
        assert want in page and unwanted not in page
        # an error page: publishing a version that is not a draft (409)
        resp = post_form(client, f"/rubrics/{rubric.id}/publish", token_from=f"/rubrics/{rubric.id}")
        assert resp.status_code == 409
        page = visible(resp.get_data(as_text=True))
        if lang == "en":
            assert "only drafts can be published" in page and stray_chinese(page, ["中文"]) == []
            assert "conflict" not in page.lower().split()
        else:
            assert "只能发布草稿" in page and "only drafts" not in page and "conflict" not in page


def test_api_errors_follow_accept_language(app, db):
    from qa_app.services import authentication

    user = factories.create_user(db, "qa_reviewer")
    token = authentication.issue_api_token(db, user, actor=user)
    db.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    body = client.post("/api/calls", data={}, headers=headers).get_json()
    assert body["message"] == "missing file field 'audio'" and body["message_code"] == "api.missing_file"
    body = client.post(
        "/api/calls", data={}, headers={**headers, "Accept-Language": "zh-CN,zh;q=0.9"}
    ).get_json()
    assert body["message"] == "缺少文件字段 “audio”" and body["field"] == "audio"


def test_login_redirect_message_is_translated(app):
    client = app.test_client()
    page = visible(client.get("/calls/", follow_redirects=True).get_data(as_text=True))
    assert "请先登录再查看此页面。" in page and "Please log in" not in page
    en = app.test_client()
    post_form(en, "/lang/en")
    page = visible(en.get("/calls/", follow_redirects=True).get_data(as_text=True))
    assert "Please log in to see this page." in page and stray_chinese(page, ["中文"]) == []


def test_sampling_and_queue_pages_in_one_language(app, db, settings):
    """Plans, runs, queues, queue health and the reviewer's notification: English pages show Chinese only
    in user data (plan, team and people's names); a refused plan speaks the reader's language."""
    from datetime import timedelta

    from qa_app.services import sampling
    from scoring.sampling import Rules

    team, team2 = factories.create_team(db, "一组"), factories.create_team(db, "二组")
    agents = [factories.create_agent(db, team=team), factories.create_agent(db, team=team2)]
    reviewer = factories.create_user(db, "qa_reviewer", display_name="质检员甲")
    reviewer2 = factories.create_user(db, "qa_reviewer", display_name="质检员丙")
    trainer = factories.create_user(db, "trainer", display_name="培训师乙")
    plan = sampling.create_plan(
        db,
        sampling.PlanInput(
            name="每周抽检",
            period="week",
            random_per_agent=2,
            rules=Rules(critical_failed=True, low_score_below=60, long_call_seconds=300),
            team_ids=(team.id, team2.id),
            reviewer_ids=(reviewer.id, reviewer2.id),
        ),
        actor=trainer,
    )
    db.commit()
    start, _ = sampling.period_window(plan, "2026-W47", settings)
    for agent in agents:
        for hours in (10, 11):
            factories.create_scored_call(db, settings, agent, started_at=start + timedelta(hours=hours))
    sampling.run_now(db, plan, period="2026-W47", settings=settings)
    db.commit()
    people = [reviewer.display_name, reviewer2.display_name, trainer.display_name]
    data = ["中文", plan.name, team.name, team2.name, *(a.name for a in agents), *people]

    lead = logged_in_client(app, trainer.username, lang="en")
    for url in ("/sampling/", "/sampling/new", f"/sampling/{plan.id}", f"/sampling/{plan.id}/edit",
                "/queue/health", f"/queue/?reviewer={reviewer.id}"):  # fmt: skip
        page = visible(lead.get(url).get_data(as_text=True))
        assert stray_chinese(page, data) == [], url
    detail = visible(lead.get(f"/sampling/{plan.id}").get_data(as_text=True))
    assert "一组, 二组" in detail and "质检员甲, 质检员丙" in detail
    zh_lead = logged_in_client(app, trainer.username)
    assert "一组、二组" in visible(zh_lead.get(f"/sampling/{plan.id}").get_data(as_text=True))
    en = logged_in_client(app, reviewer.username, lang="en")
    for url in ("/queue/", "/calls/?review=my_queue", "/notifications/"):
        page = visible(en.get(url).get_data(as_text=True))
        assert stray_chinese(page, data) == [], url
    assert "2 calls were assigned to you for review." in page  # the run's notification
    zh = visible(logged_in_client(app, reviewer.username).get("/notifications/").get_data(as_text=True))
    assert "已为您分配 2 个待质检的通话。" in zh and "assigned to you" not in zh

    # a refused plan: the service's message in the reader's language, beside its field
    form = {"name": plan.name, "period": "week", "random_per_agent": "1", "new_hire_multiplier": "1",
            "end_sentiment_below": "0.4", "due_days": "3"}  # fmt: skip
    for lang, want, unwanted in (
        ("en", "a sampling plan with this name exists", "已有同名的抽检计划"),
        (None, "已有同名的抽检计划", "a sampling plan with this name exists"),
    ):
        client = logged_in_client(app, trainer.username, lang=lang)
        resp = post_form(client, "/sampling/new", form, token_from="/sampling/new")
        page = visible(resp.get_data(as_text=True))
        assert resp.status_code == 400 and want in page and unwanted not in page
        if lang == "en":
            assert stray_chinese(page, data) == []
def test_calibration_and_machine_report_pages_in_one_language(app, db, scored):
    from sqlalchemy import select

    from qa_app.db.models import Evaluation
    from qa_app.services import calibration

    ids, data = scored
    lead = factories.create_user(db, "trainer")
    raters = [factories.create_user(db, "qa_reviewer") for _ in range(3)]
    made = calibration.seed_demo(
        db, lead=lead, raters=raters, expert=raters[-1], sessions=2, calls_per_session=3
    )
    db.commit()
    assert len(made) == 2
    data += [u.display_name for u in (lead, *raters)] + [s.title for s in made] + [made[0].discussion_notes]
    scores = db.scalars(select(Evaluation).where(Evaluation.calibration_session_id.is_not(None))).all()
    data += [it["comment"] for ev in scores for it in ev.items.values() if it.get("comment")]  # reviewers'
    s = made[-1]
    urls = ["/calibration/", "/calibration/trends", f"/calibration/{s.id}", f"/calibration/{s.id}/results"]
    urls += [f"/calibration/{made[0].id}/results"]
    urls += ["/reports/machine-vs-human", "/reports/machine-vs-human/overrides?criterion=greeting"]
    en = logged_in_client(app, lead.username, lang="en")
    zh = logged_in_client(app, lead.username)
    score_url = f"/calibration/{s.id}/calls/{s.calls[0].call_id}/score"
    rater_en = logged_in_client(app, raters[0].username, lang="en")
    rater_zh = logged_in_client(app, raters[0].username)
    for client_en, client_zh, url in [(en, zh, u) for u in urls] + [(rater_en, rater_zh, score_url)]:
        resp = client_en.get(url)
        assert resp.status_code == 200, url
        assert stray_chinese(visible(resp.get_data(as_text=True)), data) == [], url
        page = visible(client_zh.get(url).get_data(as_text=True))
        assert stray_english(page, data) == [], url
    # a service error on a calibration page, in the reader's language
    resp = post_form(en, f"/calibration/{s.id}/discussion", token_from=f"/calibration/{s.id}")
    page = visible(en.get(resp.headers["Location"]).get_data(as_text=True))
    assert "only a session being scored can move to discussion" in page and stray_chinese(page, data) == []
    resp = post_form(zh, f"/calibration/{s.id}/discussion", token_from=f"/calibration/{s.id}")
    page = visible(zh.get(resp.headers["Location"]).get_data(as_text=True))
    assert "只有评分中的校准可以进入讨论" in page and "only a session" not in page
