"""Every audio response is audited whatever its Range (issue #11, item 5): ``bytes=-N`` and ``bytes=1-``
used to download whole recordings without an audit record. One record per playback session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from qa_app.db.models import AuditEvent

import factories


def _events(db, call, action):
    db.expire_all()
    return list(
        db.scalars(
            select(AuditEvent).where(AuditEvent.target == f"call:{call.id}", AuditEvent.action == action)
        )
    )


@pytest.fixture
def call(app, db):
    return factories.create_call(db, app.extensions["qa_settings"], factories.create_agent(db), seconds=2.0)


@pytest.mark.parametrize("rng", ["bytes=-100", "bytes=1-", "bytes=44-", "bytes=10-20", "bytes=-1"])
def test_any_range_is_audited(login_as, db, call, rng):
    client, user = login_as("qa_reviewer")
    resp = client.get(f"/calls/{call.id}/audio", headers={"Range": rng})
    assert resp.status_code == 206
    resp.close()
    (event,) = _events(db, call, "audio_play")
    assert event.user_id == user.id and event.ip == "127.0.0.1"


def test_suffix_range_fetches_the_whole_file_and_is_audited(login_as, db, call):
    client, _user = login_as("trainer")
    resp = client.get(f"/calls/{call.id}/audio", headers={"Range": f"bytes=-{call.audio_bytes}"})
    assert resp.status_code == 206 and len(resp.data) == call.audio_bytes
    resp.close()
    assert len(_events(db, call, "audio_play")) == 1


def test_download_with_a_range_is_audited_as_a_download(login_as, db, call):
    client, _user = login_as("admin")
    resp = client.get(f"/calls/{call.id}/audio?download=1", headers={"Range": "bytes=1-"})
    assert resp.status_code == 206
    resp.close()
    assert len(_events(db, call, "audio_download")) == 1
    assert _events(db, call, "audio_play") == []


def test_one_record_per_playback_session_then_a_new_one(login_as, db, call):
    client, user = login_as("qa_reviewer")
    for rng in ("bytes=0-99", "bytes=100-", "bytes=-10", None):
        resp = client.get(f"/calls/{call.id}/audio", headers={"Range": rng} if rng else {})
        assert resp.status_code in (200, 206)
        resp.close()
    assert len(_events(db, call, "audio_play")) == 1
    other, _ = login_as("qa_reviewer")  # another user's playback is their own record
    other.get(f"/calls/{call.id}/audio", headers={"Range": "bytes=5-"}).close()
    assert len(_events(db, call, "audio_play")) == 2
    # half an hour later the same user's next request starts a new session
    for event in _events(db, call, "audio_play"):
        event.at -= timedelta(minutes=31)
    db.commit()
    client.get(f"/calls/{call.id}/audio", headers={"Range": "bytes=-10"}).close()
    assert len([e for e in _events(db, call, "audio_play") if e.user_id == user.id]) == 2


def test_agent_playing_their_own_call_is_audited_and_others_are_404(app, db):
    settings = app.extensions["qa_settings"]
    mine = factories.create_agent(db)
    own = factories.create_call(db, settings, mine)
    other = factories.create_call(db, settings, factories.create_agent(db))
    client = factories.logged_in_client(app, mine.user.username)
    client.get(f"/calls/{own.id}/audio", headers={"Range": "bytes=-1"}).close()
    assert len(_events(db, own, "audio_play")) == 1
    assert client.get(f"/calls/{other.id}/audio", headers={"Range": "bytes=-1"}).status_code == 404
    assert _events(db, other, "audio_play") == []


@pytest.mark.parametrize("fmt", ["ogg", "mp3"])
def test_playback_copy_served_from_a_range_is_audited_once(login_as, db, call, fmt):
    client, user = login_as("qa_reviewer")
    for rng in ("bytes=-100", "bytes=10-"):
        resp = client.get(f"/calls/{call.id}/stream.{fmt}", headers={"Range": rng})
        assert resp.status_code == 206
        resp.close()
    (event,) = _events(db, call, "audio_play")
    assert event.user_id == user.id
    client.get(f"/calls/{call.id}/audio", headers={"Range": "bytes=-10"}).close()  # the original: same listen
    assert len(_events(db, call, "audio_play")) == 1
