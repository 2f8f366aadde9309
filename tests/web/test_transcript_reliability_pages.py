"""The transcript-reliability gate on the pages: the call page and the calls list say why (in the reader's
language), the list filters flagged calls, reviewers confirm with a reason (audited), agents cannot
confirm and never see the unreleased machine evaluation of their flagged call."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from qa_app.db.models import AuditEvent, Call, User
from qa_app.services import evaluations as ev_svc
from qa_app.services import processing
from transcription.types import AsrQuality, Segment

import factories
from factories import logged_in_client, post_form
from fakes import lexicon_scorer, make_transcript


def _one_segment():
    seg = Segment(0, 10.0, 11.0, "A", "喂喂", "agent")
    return dataclasses.replace(
        make_transcript(), duration=64.0, segments=(seg,), asr=AsrQuality(50.0, -0.4, 0.1)
    )


@pytest.fixture
def world(app, db, settings):
    admin = factories.create_user(db, "admin")
    ev_svc.set_release_rule(db, "telecom_service", "always", actor=admin)
    db.commit()
    agent = factories.create_agent(db)
    flagged = factories.create_scored_call(db, settings, agent, transcript=_one_segment())
    flagged.duration = 64.0
    processing.score_call(db, flagged, lexicon_scorer())
    fine = factories.create_scored_call(db, settings, agent)
    db.commit()
    assert flagged.transcript_unreliable and not fine.transcript_unreliable
    return agent, db.get(User, agent.user_id), flagged, fine, factories.create_user(db, "qa_reviewer")


def _text(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "badge", "reason", "button"),
    [
        ("zh", "转写不可靠", "64 秒的通话只转写出一段话（2 个字）", "转写可用"),
        (
            "en",
            "transcript unreliable",
            "a 64 s call came out as one segment (2 characters)",
            "Transcript OK",
        ),
    ],
)
def test_call_page_and_list_say_why_in_the_readers_language(app, world, lang, badge, reason, button):
    _agent, _user, flagged, fine, reviewer = world
    client = logged_in_client(app, reviewer.username, lang=None if lang == "zh" else "en")
    page = _text(client.get(f"/calls/{flagged.id}"))
    assert 'id="transcript-reliability"' in page and reason in page and button in page
    assert f"/calls/{flagged.id}/confirm-transcript" in page
    assert 'id="transcript-reliability"' not in _text(client.get(f"/calls/{fine.id}"))
    listing = _text(client.get("/calls/"))
    assert badge in listing and reason in listing  # the badge's title carries the reasons
    only = _text(client.get("/calls/?flag=unreliable_transcript"))
    assert f'href="/calls/{flagged.id}"' in only and f'href="/calls/{fine.id}"' not in only


def test_a_reviewer_confirms_with_a_reason_and_it_is_audited(app, db, world):
    _agent, _user, flagged, _fine, reviewer = world
    client = logged_in_client(app, reviewer.username, lang="en")
    resp = post_form(
        client, f"/calls/{flagged.id}/confirm-transcript", {"reason": ""}, token_from=f"/calls/{flagged.id}"
    )
    assert resp.status_code == 303
    assert "give a reason" in _text(client.get(f"/calls/{flagged.id}"))
    resp = post_form(
        client,
        f"/calls/{flagged.id}/confirm-transcript",
        {"reason": "listened: fine"},
        token_from=f"/calls/{flagged.id}",
    )
    assert resp.status_code == 302
    with app.extensions["qa_sessionmaker"]() as s:
        call = s.get(Call, flagged.id)
        assert not call.transcript_unreliable and call.transcript_confirmed_by_id == reviewer.id
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "transcript_confirmed"))
        assert event.user_id == reviewer.id and event.target == f"call:{flagged.id}"
    page = _text(client.get(f"/calls/{flagged.id}"))
    assert "Transcript confirmed" in page and "listened: fine" in page and "/confirm-transcript" not in page
    assert client.get(f"/calls/{flagged.id}/status.json").get_json()["job"]["kind"] == "score_call"


def test_agents_cannot_confirm_and_never_see_the_unreleased_evaluation(app, db, world):
    agent, user, flagged, fine, _reviewer = world
    client = logged_in_client(app, user.username)
    page = _text(client.get(f"/calls/{flagged.id}"))
    assert "64 秒的通话只转写出一段话" in page  # they are told why their call has no score yet
    assert "/confirm-transcript" not in page
    assert "/ 100" not in page  # no automated scorecard, no released evaluation
    assert "/ 100" in _text(client.get(f"/calls/{fine.id}"))  # the reliable one was released
    resp = post_form(
        client, f"/calls/{flagged.id}/confirm-transcript", {"reason": "我没问题"}, token_from="/calls/"
    )
    assert resp.status_code == 403
    with app.extensions["qa_sessionmaker"]() as s:
        assert s.get(Call, flagged.id).transcript_unreliable
    # another agent never reaches the call, nor its confirmation
    other = logged_in_client(app, db.get(User, factories.create_agent(db).user_id).username)
    assert other.get(f"/calls/{flagged.id}").status_code == 404
    resp = post_form(other, f"/calls/{flagged.id}/confirm-transcript", {"reason": "x"}, token_from="/calls/")
    assert resp.status_code in (403, 404)
