"""Intake under hostile files, through the web form and the API (issue #11, items 1 and 6): a FLAC whose
header hides its length is refused, the stored duration is the decoded one, and ffmpeg's messages (with
server paths) reach neither the page, the JSON reply nor the session cookie; nor do paths in a failed
job's reason on the call page."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from qa_app.db.models import Agent, Call
from qa_app.jobs import worker
from qa_app.jobs.backends import Backends
from qa_app.services import queueing, rubrics

import factories
from factories import Intake, data_files, dispose, intake_site, logged_in_client, make_settings
from fakes import FakeSpeech, lexicon_scorer
from hostile_audio import declare_samples, quiet_flac


@pytest.fixture
def site(tmp_path: Path, migrated_template: Path):
    it = intake_site(make_settings(tmp_path / "site", max_audio_minutes=0.05), migrated_template)  # 3 s
    yield it
    dispose(it.app)


def _session(app, resp) -> str:
    """The decoded session cookies set by ``resp`` (what the browser would carry)."""
    serializer = app.session_interface.get_signing_serializer(app)
    values = [
        h.split(";", 1)[0].split("=", 1)[1]
        for h in resp.headers.getlist("Set-Cookie")
        if h.startswith("session=")
    ]
    return " ".join(str(serializer.loads(v)) for v in values if v)


def test_hidden_length_flac_is_refused_by_web_and_api(site: Intake, tmp_path):
    flac = declare_samples(quiet_flac(tmp_path / "hidden.flac", 10), 0).read_bytes()
    resp = site.web([(flac, "hidden.flac")])
    assert resp.status_code == 400
    assert "longer than the" in resp.get_data(as_text=True)
    api = site.api(flac, "hidden.flac")
    assert api.status_code == 400
    assert api.get_json()["message_params"]["reason"]["code"] == "audio.longer_than_limit"
    assert site.count(Call) == 0 and data_files(site.settings) == []


def test_stored_duration_is_measured(site: Intake, tmp_path):
    liar = declare_samples(quiet_flac(tmp_path / "liar.flac", 2), 8000 // 2)  # says 0.5 s
    assert site.api(liar.read_bytes(), "liar.flac").status_code == 201
    (call,) = site.calls()
    assert call.duration == pytest.approx(2.0, abs=0.05)


def test_ffmpeg_messages_never_reach_users(site: Intake):
    settings = site.settings
    junk = b"fLaC" + random.Random(5).randbytes(30_000)
    secrets = (str(settings.data_dir), str(settings.tmp_dir), "upload-", ".part", "Invalid data")
    resp = site.web([(junk, "broken.flac")])
    assert resp.status_code == 400
    shown = resp.get_data(as_text=True) + _session(site.app, resp)
    assert "the FLAC file cannot be read" in shown
    for secret in secrets:
        assert secret not in shown, secret
    api = site.api(junk, "broken.flac")
    assert api.status_code == 400
    body = api.get_data(as_text=True)
    assert "cannot be read" in api.get_json()["message"]
    for secret in secrets:
        assert secret not in body, secret


def test_failed_jobs_show_no_server_paths_on_the_call_page(site: Intake):
    app, settings = site.app, site.settings
    factory = app.extensions["qa_sessionmaker"]
    with factory() as db:
        rubrics.ensure_default(db)
        agent = db.get(Agent, site.agent.id)
        agent_username = agent.user.username
        call = factories.create_call(db, settings.with_overrides(max_audio_minutes=1), agent)
        queueing.enqueue_call(db, call, settings=settings)
        db.commit()
        call_id, audio_path = call.id, call.audio_path
    (settings.data_dir / audio_path).unlink()
    worker.run(
        factory,
        settings,
        backends=Backends(settings, _speech=FakeSpeech(), _scorer=lexicon_scorer()),
        once=True,
    )
    with factory() as db:
        reason = db.get(Call, call_id).failure_reason
    assert reason.startswith("FileNotFoundError") and str(settings.data_dir) not in reason
    for viewer in (site.client, logged_in_client(app, agent_username)):
        page = viewer.get(f"/calls/{call_id}").get_data(as_text=True)
        assert "FileNotFoundError" in page and str(settings.data_dir) not in page
