"""Intake under hostile files, through the web form and the API (issue #11, items 1 and 6): a FLAC whose
header hides its length is refused, the stored duration is the decoded one, and ffmpeg's messages (with
server paths) reach neither the page, the JSON reply nor the session cookie; nor do paths in a failed
job's reason on the call page."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qa_app.db.models import Call
from qa_app.jobs import worker
from qa_app.jobs.backends import Backends
from qa_app.services import accounts, processing, rubrics

import factories
from factories import (
    build_app,
    csrf_token,
    data_files,
    dispose,
    logged_in_client,
    make_settings,
    post_multipart,
)
from fakes import FakeSpeech, lexicon_scorer
from hostile_audio import declare_samples, quiet_flac


@pytest.fixture
def site(tmp_path: Path, migrated_template: Path):
    settings = make_settings(tmp_path / "site", max_audio_minutes=0.05)  # 3 s
    app = build_app(settings, migrated_template)
    db = app.extensions["qa_sessionmaker"]()
    uploader = factories.create_user(db, "qa_reviewer")
    agent = factories.create_agent(db)
    token = accounts.issue_api_token(db, uploader, actor=uploader)
    db.commit()
    client = logged_in_client(app, uploader.username, lang="en")
    yield app, settings, client, token, agent, db
    db.close()
    dispose(app)


def _web(client, agent, content: bytes, name: str):
    data = {
        "agent_id": str(agent.id),
        "started_at": "2026-11-20T09:30",
        "direction": "inbound",
        "channel_layout": "mono",
        "language": "zh",
        "csrf_token": csrf_token(client),
    }
    return post_multipart(client, "/calls/upload", data, [("audio", content, name)])


def _api(app, token, agent, content: bytes, name: str):
    data = {"employee_no": agent.employee_no, "started_at": "2026-11-20T09:30:00+08:00"}
    return post_multipart(
        app.test_client(),
        "/api/calls",
        data,
        [("audio", content, name)],
        headers={"Authorization": f"Bearer {token}"},
    )


def _session(app, resp) -> str:
    """The decoded session cookies set by ``resp`` (what the browser would carry)."""
    serializer = app.session_interface.get_signing_serializer(app)
    values = [
        h.split(";", 1)[0].split("=", 1)[1]
        for h in resp.headers.getlist("Set-Cookie")
        if h.startswith("session=")
    ]
    return " ".join(str(serializer.loads(v)) for v in values if v)


def _calls(db) -> int:
    return db.scalar(select(func.count()).select_from(Call))


def test_hidden_length_flac_is_refused_by_web_and_api(site, tmp_path):
    app, settings, client, token, agent, db = site
    flac = declare_samples(quiet_flac(tmp_path / "hidden.flac", 10), 0).read_bytes()
    resp = _web(client, agent, flac, "hidden.flac")
    assert resp.status_code == 400
    assert "longer than the" in resp.get_data(as_text=True)
    api = _api(app, token, agent, flac, "hidden.flac")
    assert api.status_code == 400
    assert api.get_json()["message_params"]["reason"]["code"] == "audio.longer_than_limit"
    assert _calls(db) == 0 and data_files(settings) == []


def test_stored_duration_is_measured(site, tmp_path):
    app, settings, client, token, agent, db = site
    liar = declare_samples(quiet_flac(tmp_path / "liar.flac", 2), 8000 // 2)  # says 0.5 s
    assert _api(app, token, agent, liar.read_bytes(), "liar.flac").status_code == 201
    assert db.scalar(select(Call.duration)) == pytest.approx(2.0, abs=0.05)


def test_ffmpeg_messages_never_reach_users(site):
    app, settings, client, token, agent, db = site
    junk = b"fLaC" + random.Random(5).randbytes(30_000)
    secrets = (str(settings.data_dir), str(settings.tmp_dir), "upload-", ".part", "Invalid data")
    resp = _web(client, agent, junk, "broken.flac")
    assert resp.status_code == 400
    shown = resp.get_data(as_text=True) + _session(app, resp)
    assert "the FLAC file cannot be read" in shown
    for secret in secrets:
        assert secret not in shown, secret
    api = _api(app, token, agent, junk, "broken.flac")
    assert api.status_code == 400
    body = api.get_data(as_text=True)
    assert "cannot be read" in api.get_json()["message"]
    for secret in secrets:
        assert secret not in body, secret


def test_failed_jobs_show_no_server_paths_on_the_call_page(site):
    app, settings, client, token, agent, db = site
    factory = app.extensions["qa_sessionmaker"]
    rubrics.ensure_default(db)
    call = factories.create_call(db, settings.with_overrides(max_audio_minutes=1), agent)
    processing.enqueue_call(db, call, settings=settings)
    db.commit()
    (settings.data_dir / call.audio_path).unlink()
    worker.run(
        factory,
        settings,
        backends=Backends(settings, _speech=FakeSpeech(), _scorer=lexicon_scorer()),
        once=True,
    )
    db.expire_all()
    reason = db.get(Call, call.id).failure_reason
    assert reason.startswith("FileNotFoundError") and str(settings.data_dir) not in reason
    for viewer in (client, logged_in_client(app, agent.user.username)):
        page = viewer.get(f"/calls/{call.id}").get_data(as_text=True)
        assert "FileNotFoundError" in page and str(settings.data_dir) not in page
