"""The review workspace: pre-filled from the machine, overrides need a reason (next to the criterion,
nothing saved otherwise), totals from the service, stale versions never overwrite, submit → read-only
with history, who may open it, escaped transcripts, comments anchored to spans, other scales."""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import func, select

from qa_app.db.models import AuditEvent, EvalState, Evaluation, EvaluationEvent, RaterType
from qa_app.services import evaluations as ev_svc
from qa_app.services import rubrics as rubric_service
from scoring.model import Answer
from scoring.totals import compute

import factories
from factories import logged_in_client
from review_helpers import form_payload, publish_scales_rubric, transcript, visible_text


def _text(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.fixture
def english(app, db):
    """``client, user = english("trainer")``: logged in with the English UI."""

    def _login(role: str):
        user = factories.create_user(db, role)
        return logged_in_client(app, user.username, lang="en"), user

    return _login


@pytest.fixture
def world(app, db, settings):
    agent = factories.create_agent(db)
    call = factories.create_scored_call(db, settings, agent)
    reviewer = factories.create_user(db, "qa_reviewer")
    return call, agent, reviewer, logged_in_client(app, reviewer.username, lang="en")


def _mine(db, call, user) -> Evaluation:
    db.expire_all()
    return db.scalar(select(Evaluation).where(Evaluation.call_id == call.id, Evaluation.rater_id == user.id))


def _machine(db, call) -> Evaluation:
    return db.scalar(
        select(Evaluation).where(Evaluation.call_id == call.id, Evaluation.rater_type == RaterType.MACHINE)
    )


def _open(client, call):
    resp = client.get(f"/calls/{call.id}/review")
    assert resp.status_code == 200, _text(resp)[:2000]
    return _text(resp)


def _post(client, call, data):
    return client.post(f"/calls/{call.id}/review", data=data)


# --- opening -------------------------------------------------------------------------------------------


def test_reviewer_opens_a_scored_call_prefilled_with_the_machine_verdicts(world, db):
    call, _, reviewer, client = world
    page = _open(client, call)
    machine = _machine(db, call)
    payload = form_payload(page)
    for cid, it in machine.items.items():
        assert payload.get(f"result-{cid}") == it["result"], cid  # the automated answer is pre-selected
        assert f'id="crit-{cid}"' in page and f'name="reason-{cid}"' in page
    assert payload["version"] == str(_mine(db, call, reviewer).version)
    # evidence quoted and clickable (seeks the player), stable hooks for browser tests
    greeting = machine.items["greeting"]["evidence"][0]
    assert f'data-start="{greeting["start"]}"' in page
    assert 'id="review-form"' in page and "data-seg-start=" in page and 'id="player"' in page
    assert _mine(db, call, reviewer).state == EvalState.DRAFT
    # opening again is the same draft, not a second one
    _open(client, call)
    assert (
        db.scalar(select(func.count()).select_from(Evaluation).where(Evaluation.rater_id == reviewer.id)) == 1
    )


def test_override_without_reason_is_refused_next_to_the_criterion_and_nothing_is_saved(world, db):
    call, _, reviewer, client = world
    payload = form_payload(_open(client, call))
    before = _mine(db, call, reviewer)
    version, items = before.version, dict(before.items)
    payload.update({"result-greeting": "fail", "action": "save", "comment-greeting": "坐席没报工号"})
    resp = _post(client, call, payload)
    assert resp.status_code == 400
    page = _text(resp)
    err = re.search(r'<div class="criterion-error[^"]*" id="err-greeting">([^<]*)</div>', page)
    assert err and "reason" in err.group(1)
    again = form_payload(page)
    assert again["result-greeting"] == "fail" and again["comment-greeting"] == "坐席没报工号"  # input kept
    after = _mine(db, call, reviewer)
    assert after.version == version and after.items == items


def test_override_with_reason_is_saved_and_the_total_comes_from_the_service(world, db):
    call, _, reviewer, client = world
    payload = form_payload(_open(client, call))
    payload.update({"result-greeting": "fail", "reason-greeting": "问候语缺少工号", "action": "save"})
    resp = _post(client, call, payload)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/calls/{call.id}/review")
    ev = _mine(db, call, reviewer)
    assert ev.items["greeting"]["overridden"] and ev.items["greeting"]["reason"] == "问候语缺少工号"
    rubric = rubric_service.to_domain(ev.rubric_version)
    want = compute(rubric, {c: Answer(i["result"], i.get("points")) for c, i in ev.items.items()})
    assert ev.total == round(want.total, 2) and ev.total < _machine(db, call).total
    page = _open(client, call)
    assert f"{ev.total:.1f}" in page and "问候语缺少工号" in page
    # a client-side total is only a preview: a forged total field changes nothing
    payload = form_payload(page)
    payload.update({"total": "100", "action": "save"})
    assert _post(client, call, payload).status_code == 302
    assert _mine(db, call, reviewer).total == ev.total


def test_a_stale_version_is_a_conflict_and_overwrites_nothing(world, db):
    call, _, reviewer, client = world
    stale = form_payload(_open(client, call))
    # the same reviewer saves from another window first
    other_window = dict(stale, **{"result-closing": "fail", "reason-closing": "没有道别", "action": "save"})
    assert _post(client, call, other_window).status_code == 302
    saved = _mine(db, call, reviewer)
    version, items = saved.version, dict(saved.items)
    stale.update(
        {"result-greeting": "fail", "reason-greeting": "旧窗口的理由", "action": "save", "summary": "旧窗口"}
    )
    resp = _post(client, call, stale)
    assert resp.status_code == 409
    page = _text(resp)
    assert 'id="review-conflict"' in page
    assert _mine(db, call, reviewer).version == version and _mine(db, call, reviewer).items == items
    shown = form_payload(page)
    assert shown["version"] == str(version)  # the page now holds the saved state ...
    assert shown["result-closing"] == "fail" and shown["result-greeting"] == items["greeting"]["result"]
    assert "旧窗口的理由" in page and "旧窗口" in visible_text(page)  # ... and what was just entered
    # a deliberate second save from that page goes through
    shown.update({"action": "save"})
    assert _post(client, call, shown).status_code == 302


def test_concurrent_save_between_check_and_write_is_a_conflict(world, db, app, monkeypatch):
    """The version matched when read, but another session saved before our flush (optimistic lock)."""
    call, _, reviewer, client = world
    payload = form_payload(_open(client, call))
    real_save = ev_svc.save

    def racing_save(session, ev, **kw):
        with app.extensions["qa_sessionmaker"]() as other:
            row = other.get(Evaluation, ev.id)
            row.summary = "另一个会话"
            other.commit()
        return real_save(session, ev, **kw)

    monkeypatch.setattr(ev_svc, "save", racing_save)
    resp = _post(client, call, dict(payload, action="save", summary="我的"))
    assert resp.status_code == 409 and 'id="review-conflict"' in _text(resp)
    assert _mine(db, call, reviewer).summary == "另一个会话"


def test_submit_releases_and_shows_the_read_only_review_with_history(world, db):
    call, agent, reviewer, client = world
    payload = form_payload(_open(client, call))
    payload.update({"action": "submit", "summary": "整体不错"})
    resp = _post(client, call, payload)
    assert resp.status_code == 302
    ev = _mine(db, call, reviewer)
    assert ev.state == EvalState.RELEASED and ev.summary == "整体不错"
    page = _open(client, call)
    assert 'id="review-form"' not in page and 'name="result-greeting"' not in page
    history = page[page.index('id="review-history"') :]
    for action in ("created", "saved", "submitted", "released to the agent"):
        assert action in visible_text(history), action
    actions = [
        e.action for e in db.scalars(select(EvaluationEvent).where(EvaluationEvent.evaluation_id == ev.id))
    ]
    assert actions == ["created", "saved", "submitted", "released"]
    # posting again (an old tab) changes nothing
    payload.update({"result-greeting": "fail", "reason-greeting": "x", "action": "save"})
    assert _post(client, call, payload).status_code == 302
    assert _mine(db, call, reviewer).items["greeting"]["result"] == "pass"
    # other staff read it from the call page
    trainer = logged_in_client(client.application, factories.create_user(db, "trainer").username, lang="en")
    call_page = _text(trainer.get(f"/calls/{call.id}"))
    assert f"/calls/{call.id}/review/{ev.id}" in call_page
    ro = trainer.get(f"/calls/{call.id}/review/{ev.id}")
    assert ro.status_code == 200 and 'id="review-history"' in _text(ro) and "整体不错" in _text(ro)


def test_someone_elses_draft_is_not_readable(world, db, app):
    call, _, reviewer, client = world
    _open(client, call)
    draft = _mine(db, call, reviewer)
    other = logged_in_client(app, factories.create_user(db, "qa_reviewer").username)
    assert other.get(f"/calls/{call.id}/review/{draft.id}").status_code == 404
    assert other.get(f"/evaluations/{draft.id}").status_code == 404
    # the automated evaluation is readable by staff (read-only, as at /evaluations/<id>)
    auto = other.get(f"/calls/{call.id}/review/{_machine(db, call).id}")
    assert auto.status_code == 200 and 'id="review-form"' not in _text(auto)


# --- who may open it ---------------------------------------------------------------------------------------


def test_agents_are_refused_and_the_calls_own_agent_never_reviews(world, db, app, settings):
    call, agent, _, _ = world
    own = logged_in_client(app, agent.user.username)
    assert own.get(f"/calls/{call.id}/review").status_code == 403
    other_agent = factories.create_agent(db)
    other = logged_in_client(app, other_agent.user.username)
    assert other.get(f"/calls/{call.id}/review").status_code == 403
    assert other.get(f"/calls/{call.id}").status_code == 404
    # a trainer who is also the agent of a call cannot review it (and no draft appears)
    trainer = factories.create_user(db, "trainer")
    trainer_agent = factories.create_agent(db, user=trainer)
    own_call = factories.create_scored_call(db, settings, trainer_agent)
    tc = logged_in_client(app, trainer.username, lang="en")
    assert tc.get(f"/calls/{own_call.id}/review").status_code == 403
    assert "Review this call" not in _text(tc.get(f"/calls/{own_call.id}"))
    assert _mine(db, own_call, trainer) is None


# --- what the page shows ---------------------------------------------------------------------------------------


def test_transcript_text_is_escaped(app, db, settings, login_as):
    agent = factories.create_agent(db)
    evil = "<img src=x onerror=alert(1)>"
    call = factories.create_scored_call(db, settings, agent, transcript=transcript(("B", 21.0, 22.0, evil)))
    client, _ = login_as("qa_reviewer")
    for url in (f"/calls/{call.id}/review", f"/calls/{call.id}"):
        page = _text(client.get(url))
        assert evil not in page, url
        assert "&lt;img src=x onerror=alert(1)&gt;" in page, url


def test_searched_turns_are_shown_as_where_we_looked(app, db, settings, login_as):
    agent = factories.create_agent(db)
    # no closing phrases at all: the closing rule cites the turns it searched
    t = transcript()
    t = dataclasses.replace(t, segments=t.segments[:-1])
    call = factories.create_scored_call(db, settings, agent, transcript=t)
    client, _ = login_as("qa_reviewer")
    for url in (f"/calls/{call.id}", f"/calls/{call.id}/review"):
        page = _text(client.get(url))
        row = page[page.index('id="crit-closing"') :]
        row = row[: row.index("</tr>")]
        assert 'class="searched"' in row
        box = row[row.index('class="searched"') :]
        assert 'class="evidence"' in box  # the searched turns are inside the dashed box, still seekable


def test_comments_anchored_to_a_span_and_a_selection(world, db):
    call, _, reviewer, client = world
    payload = form_payload(_open(client, call))
    payload.update(
        {
            "action": "save",
            "comments-0-text": "这里应先致歉",
            "comments-0-start": "0:03.4",
            "comments-0-end": "0:06",
            "comments-0-segment": "1",
            "comments-0-quote": "太慢了",
            "comments-1-text": "好的收尾",
            "comments-1-start": "16.8",
        }
    )
    assert _post(client, call, payload).status_code == 302
    comments = _mine(db, call, reviewer).comments
    assert [(c["text"], c["start"], c["end"], c["segment"], c["quote"]) for c in comments] == [
        ("这里应先致歉", 3.4, 6.0, 1, "太慢了"),
        ("好的收尾", 16.8, 16.8, None, ""),
    ]
    page = _open(client, call)
    again = form_payload(page)
    assert again["comments-0-text"] == "这里应先致歉" and again["comments-0-quote"] == "太慢了"
    # remove one, and a bad time is refused next to the comment with nothing saved
    again.update({"action": "save", "comments-1-remove": "y"})
    assert _post(client, call, again).status_code == 302
    assert [c["text"] for c in _mine(db, call, reviewer).comments] == ["这里应先致歉"]
    bad = form_payload(_open(client, call))
    bad.update({"action": "save", "comments-0-start": "soon"})
    resp = _post(client, call, bad)
    assert resp.status_code == 400 and "1:23" in _text(resp)
    assert _mine(db, call, reviewer).comments[0]["start"] == 3.4


def test_points_and_manual_criteria(app, db, settings, english):
    admin = factories.create_user(db, "admin")
    publish_scales_rubric(db, admin)
    agent = factories.create_agent(db)
    call = factories.create_scored_call(db, settings, agent)
    client, reviewer = english("qa_reviewer")
    page = _open(client, call)
    payload = form_payload(page)
    # the automated points criterion is pre-filled on its scale (a pass is the top), the manual one is blank
    assert payload["points-courtesy"] == "5.0" and 'name="points-tone"' in page
    assert payload.get("points-tone", "") == ""
    assert 'data-machine=""' in page[page.index('id="crit-tone"') :][:400]
    # submitting with the manual criterion unanswered is refused, nothing changes
    resp = _post(client, call, dict(payload, action="submit"))
    assert resp.status_code == 400
    assert "Answer this criterion" in _text(resp)[_text(resp).index('id="crit-tone"') :]
    problem = re.search(r'id="review-problem"[^>]*>([^<]*)<', _text(resp)).group(1)
    assert "1 criteria are not answered" in problem and "tone" not in problem  # no internal ids
    assert _mine(db, call, reviewer).state == EvalState.DRAFT
    # a manual answer needs no reason; lowering the automated points does
    resp = _post(client, call, dict(payload, action="save", **{"points-tone": "4", "points-courtesy": "3"}))
    assert resp.status_code == 400 and 'id="err-courtesy">' in _text(resp)
    assert re.search(r'id="err-tone">\s*</div>', _text(resp))
    resp = _post(
        client, call,
        dict(payload, action="submit", **{"points-tone": "4", "points-courtesy": "3", "reason-courtesy": "只说了一次"}),
    )  # fmt: skip
    assert resp.status_code == 302
    ev = _mine(db, call, reviewer)
    assert ev.state == EvalState.RELEASED
    assert (ev.items["tone"]["result"], ev.items["tone"]["points"], ev.items["tone"]["overridden"]) == (
        "pass",
        4.0,
        False,
    )
    assert ev.items["courtesy"]["points"] == 3.0 and ev.items["courtesy"]["overridden"]
    # out-of-range points are refused by the form
    other_call = factories.create_scored_call(db, settings, agent)
    payload = form_payload(_open(client, other_call))
    resp = _post(client, other_call, dict(payload, action="save", **{"points-tone": "9"}))
    assert resp.status_code == 400 and 'id="err-tone">' in _text(resp)
    assert 'id="err-tone"></div>' not in _text(resp)


def test_an_unscored_call_opens_blank(app, db, settings, english):
    agent = factories.create_agent(db)
    call = factories.create_call(db, settings, agent)
    factories.create_user(db, "admin")
    rubric_service.ensure_default(db)
    db.commit()
    client, _ = english("trainer")
    page = _open(client, call)
    assert "no automated verdicts yet" in page
    assert not any(k.startswith("result-") for k in form_payload(page))


# --- listening: compressed stream and waveform peaks -----------------------------------------------------


def test_compressed_stream_with_ranges_and_the_same_access_as_the_audio(app, db, settings):
    agent = factories.create_agent(db)
    call = factories.create_call(db, settings, agent, seconds=3.0)
    client = logged_in_client(app, agent.user.username)
    before = db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "audio_play"))
    resp = client.get(f"/calls/{call.id}/stream.ogg")
    body = resp.get_data()
    resp.close()
    assert resp.status_code == 200 and resp.mimetype == "audio/ogg" and body[:4] == b"OggS"
    assert resp.headers["Accept-Ranges"] == "bytes" and "no-store" in resp.headers["Cache-Control"]
    assert len(body) < call.audio_bytes  # compressed (the WAV download stays)
    part = client.get(f"/calls/{call.id}/stream.ogg", headers={"Range": "bytes=100-199"})
    part.close()
    assert part.status_code == 206 and part.headers["Content-Range"] == f"bytes 100-199/{len(body)}"
    assert part.get_data() == body[100:200]
    mp3 = client.get(f"/calls/{call.id}/stream.mp3")
    mp3.close()
    assert mp3.status_code == 200 and mp3.mimetype == "audio/mpeg"
    # one audit event per playback session, not one per range or stream the player fetches
    after = db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "audio_play"))
    assert after == before + 1
    # another agent's call looks like no call at all
    other = factories.create_call(db, settings, factories.create_agent(db))
    for url in (f"/calls/{other.id}/stream.ogg", f"/calls/{other.id}/peaks.json", "/calls/999999/stream.ogg"):
        r = client.get(url)
        r.close()
        assert r.status_code == 404, url
    anon = app.test_client().get(f"/calls/{call.id}/stream.ogg")
    assert anon.status_code == 302 and "/login" in anon.headers["Location"]


def test_stream_is_transcoded_once_and_again_when_the_recording_changes(app, db, settings, login_as):
    import os

    from qa_app.services import calls as call_service

    call = factories.create_call(db, settings, factories.create_agent(db), seconds=2.0)
    client, _ = login_as("qa_reviewer")
    client.get(f"/calls/{call.id}/stream.ogg").close()
    copies = sorted((settings.data_dir / "playback").rglob(f"call{call.id}-*.ogg"))
    assert len(copies) == 1 and copies[0].name.startswith(f"call{call.id}-")  # generated name
    mtime = copies[0].stat().st_mtime_ns
    client.get(f"/calls/{call.id}/stream.ogg").close()
    assert copies[0].stat().st_mtime_ns == mtime  # served from the cache
    # the worker rewrites the recording (e.g. muting redacted numbers): the old copy is never served again
    src = call_service.audio_file(settings, call)
    factories.make_wav(src, seconds=2.0, freq=900.0, sample_rate=8000)
    os.utime(src, ns=(mtime + 10**9, mtime + 10**9))
    client.get(f"/calls/{call.id}/stream.ogg").close()
    now = sorted((settings.data_dir / "playback").rglob(f"call{call.id}-*.ogg"))
    assert len(now) == 1 and now != copies


def test_long_calls_are_transcoded_by_a_job_and_play_the_original_meanwhile(app, db, settings, login_as):
    from qa_app.db.models import Job
    from qa_app.jobs import registry
    from qa_app.services import playback

    call = factories.create_call(db, settings, factories.create_agent(db), seconds=2.0)
    call.duration = playback.INLINE_MAX_SECONDS + 1  # pretend: a long recording
    db.commit()
    client, _ = login_as("trainer")
    for fmt in ("ogg", "mp3"):  # the browser falls through the <source>s; one job for both
        resp = client.get(f"/calls/{call.id}/stream.{fmt}")
        assert resp.status_code == 503
    jobs = list(db.scalars(select(Job).where(Job.kind == playback.PREPARE)))
    assert len(jobs) == 1 and (jobs[0].subject_type, jobs[0].subject_id) == (playback.SUBJECT, call.id)
    # the call's own processing status is not disturbed by it
    status = client.get(f"/calls/{call.id}/status.json").get_json()
    assert status["job"] is None or status["job"]["kind"] != playback.PREPARE
    from qa_app.jobs import worker  # the worker path, as `flask worker` runs it

    assert registry.get(playback.PREPARE) is not None
    assert worker.run(app.extensions["qa_sessionmaker"], settings, once=True) == 1
    db.expire_all()
    assert db.get(Job, jobs[0].id).state == "done"
    for fmt in ("ogg", "mp3"):
        resp = client.get(f"/calls/{call.id}/stream.{fmt}")
        resp.close()
        assert resp.status_code == 200, fmt


def test_peaks_for_the_waveform(app, db, settings, login_as):
    call = factories.create_call(db, settings, factories.create_agent(db), seconds=3.0)
    client, _ = login_as("qa_reviewer")
    data = client.get(f"/calls/{call.id}/peaks.json").get_json()
    assert data["duration"] == pytest.approx(3.0, abs=0.05) and data["per_second"] == 20
    assert len(data["peaks"]) == pytest.approx(60, abs=1)
    assert 0.2 < max(data["peaks"]) <= 1.0  # the factory tone has amplitude 0.3
    assert client.get(f"/calls/{call.id}/peaks.json").get_json() == data  # cached


# --- the call page ------------------------------------------------------------------------------------------


def test_call_page_shows_roles_not_raw_speaker_tags(app, db, settings, login_as):
    agent = factories.create_agent(db)
    call = factories.create_scored_call(
        db, settings, agent, transcript=transcript(speakers=("LEFT", "SPEAKER_00"))
    )
    for role in ("qa_reviewer", "agent"):
        client = login_as(role)[0] if role != "agent" else logged_in_client(app, agent.user.username)
        for url in (f"/calls/{call.id}", f"/calls/{call.id}/review"):
            resp = client.get(url)
            if resp.status_code == 403:
                continue
            text = visible_text(_text(resp))
            assert "坐席" in text and "客户" in text, url
            assert "LEFT" not in text and "SPEAKER_00" not in text, (role, url)
            assert 'title="' in _text(resp) and "SPEAKER_00" in _text(resp)  # at most in a tooltip


PRIMITIVE_IDS = ("phrase", "absence", "ordering", "triggered", "dead_air", "overtalk", "speech_rate",
                 "response_latency", "talk_ratio", "sentiment", "complaint_risk")  # fmt: skip


def test_no_internal_ids_on_user_pages(app, db, settings, login_as):
    """Neither automation primitive names (phrase, ordering, triggered ...) nor criterion ids appear as
    text of their own: titles and labels are shown (notes may use the words in sentences)."""
    agent = factories.create_agent(db)
    call = factories.create_scored_call(db, settings, agent)
    client, _ = login_as("qa_reviewer")
    version = rubric_service.default_version(db)
    ids = set(PRIMITIVE_IDS) | set(rubric_service.to_domain(version).criterion_ids)
    for url in (f"/calls/{call.id}", f"/calls/{call.id}/review", f"/rubrics/{version.id}"):
        page = re.sub(r"(?is)<(script|style|template)\b.*?</\1>", " ", _text(client.get(url)))
        texts = {t.strip() for t in re.findall(r">([^<]+)<", page)}
        assert not texts & ids, (url, texts & ids)
    rubric_page = visible_text(_text(client.get(f"/rubrics/{version.id}")))
    assert "required phrases" in rubric_page or "必要话术" in rubric_page


def test_every_primitive_has_a_label():
    from qa_app.web.labels import LABELS
    from rubrics.automation import PRIMITIVES

    assert set(LABELS["primitive"]) == set(PRIMITIVES)


def test_critical_failure_zeroes_without_a_pass_badge_beside_zero(app, db, settings, english):
    agent = factories.create_agent(db)
    bad = transcript(("A", 21.0, 23.0, "这个我不清楚，你自己去查。"))
    call = factories.create_scored_call(db, settings, agent, transcript=bad)
    assert call.auto_score == 0.0
    client, _ = english("qa_reviewer")
    page = _text(client.get(f"/calls/{call.id}"))
    text = visible_text(page)
    assert "the whole call scores 0" in text or "整通评分为 0" in text
    rows = re.findall(r'<tr id="crit-([a-z_]+)".*?</tr>', page, flags=re.S)
    assert rows
    for cid, row in re.findall(r'<tr id="crit-([a-z_]+)"(.*?)</tr>', page, flags=re.S):
        assert not ("text-bg-success" in row and re.search(r">\s*0(\.0)?\s*/", row)), cid
    greeting = re.search(r'<tr id="crit-greeting"(.*?)</tr>', page, flags=re.S).group(1)
    assert "verdict-zeroed" in greeting and "text-bg-success" not in greeting
    assert "critical item failed" in visible_text(greeting)


def test_queued_call_shows_its_queue_position(app, db, settings, english):
    from qa_app.services import queueing

    agent = factories.create_agent(db)
    first = factories.create_call(db, settings, agent)
    second = factories.create_call(db, settings, agent)
    for c in (first, second):
        queueing.enqueue_call(db, c, settings=settings)
    db.commit()
    client, _ = english("trainer")
    assert "position 2" in visible_text(_text(client.get(f"/calls/{second.id}")))
    assert "position 1" in visible_text(_text(client.get(f"/calls/{first.id}")))
    status = client.get(f"/calls/{second.id}/status.json").get_json()
    assert status["job"]["queue_position"] == 2 and "position 2" in status["job"]["label"]
    zh = logged_in_client(app, factories.create_user(db, "qa_reviewer").username)
    assert "排队等候中（第 2 位）" in visible_text(_text(zh.get(f"/calls/{second.id}")))


def test_review_button_for_reviewers(world, db, app):
    call, agent, reviewer, client = world
    page = _text(client.get(f"/calls/{call.id}"))
    assert "Review this call" in page and f'href="/calls/{call.id}/review"' in page
    _open(client, call)
    assert "Continue your draft review" in _text(client.get(f"/calls/{call.id}"))
    agent_page = _text(logged_in_client(app, agent.user.username, lang="en").get(f"/calls/{call.id}"))
    assert f"/calls/{call.id}/review" not in agent_page
