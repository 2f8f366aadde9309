"""Upload battery: the web form and POST /api/calls.

Bad input is refused with a clear message and leaves nothing behind (no Call / Job row, no file anywhere
under the data dir, tmp/ included); the five supported formats are accepted; duplicates are merged;
stored names are generated; the audio endpoint serves byte ranges and is audited.
"""

from __future__ import annotations

import io
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qa_app.db.models import AuditEvent, Call, Job
from qa_app.demo.synth import tone

import factories
from factories import (
    Intake,
    build_app,
    csrf_token,
    data_files,
    dispose,
    intake_site,
    logged_in_client,
    make_settings,
    post_multipart,
)

MAX_UPLOAD_MB = 1
MAX_AUDIO_MINUTES = 0.05  # 3 s


def _ffmpeg(src: Path, dst: Path, *codec: str) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), *codec, str(dst)], check=True)
    return dst


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small audio files (distinct content each) and broken look-alikes."""
    d = tmp_path_factory.mktemp("samples")
    s: dict[str, Path] = {}
    s["wav"] = tone(1.0, d / "ok.wav", 8000, freq=440.0)
    src = tone(1.2, d / "src.wav", 16000, freq=523.0)
    s["flac"] = _ffmpeg(src, d / "ok.flac", "-c:a", "flac")
    s["mp3"] = _ffmpeg(src, d / "ok.mp3", "-c:a", "libmp3lame", "-b:a", "32k")
    s["ogg"] = _ffmpeg(src, d / "ok.ogg", "-c:a", "libvorbis")
    s["m4a"] = _ffmpeg(src, d / "ok.m4a", "-c:a", "aac", "-b:a", "32k")
    s["wav2"] = tone(1.0, d / "second.wav", 8000, freq=660.0)
    s["stereo"] = tone(1.0, d / "stereo.wav", 8000, freq=770.0, channels=2)

    s["empty"] = d / "empty.wav"
    s["empty"].write_bytes(b"")
    whole = tone(2.0, d / "whole.wav", 8000, freq=880.0).read_bytes()
    s["truncated_wav"] = d / "truncated.wav"
    s["truncated_wav"].write_bytes(whole[: len(whole) // 2])
    long_mp3 = _ffmpeg(tone(2.5, d / "long.wav", 16000, freq=990.0), d / "long.mp3", "-c:a", "libmp3lame")
    data = long_mp3.read_bytes()
    s["truncated_mp3"] = d / "truncated.mp3"
    s["truncated_mp3"].write_bytes(data[: int(len(data) * 0.4)])
    s["text_as_wav"] = d / "notes.wav"
    s["text_as_wav"].write_text("这不是录音 / this is not a recording\n" * 50, encoding="utf-8")
    s["png_as_mp3"] = d / "picture.mp3"
    s["png_as_mp3"].write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(1).randbytes(2000))
    s["random"] = d / "noise.wav"
    s["random"].write_bytes(random.Random(2).randbytes(50_000))
    s["too_big"] = tone(40.0, d / "big.wav", 16000, freq=300.0)  # ~1.3 MB > 1 MB cap
    s["too_long"] = tone(5.0, d / "long.wav", 8000, freq=350.0)  # 5 s > 3 s limit
    return s


@pytest.fixture
def intake(tmp_path: Path, migrated_template: Path):
    settings = make_settings(
        tmp_path / "intake", max_upload_mb=MAX_UPLOAD_MB, max_audio_minutes=MAX_AUDIO_MINUTES
    )
    it = intake_site(settings, migrated_template)
    yield it
    dispose(it.app)


def _assert_nothing_written(it: Intake) -> None:
    assert it.count(Call) == 0
    assert it.count(Job) == 0
    assert data_files(it.settings) == [], "files left under the data dir"


BAD = {
    # case: (sample, layout, expected words in the message)
    "empty": ("empty", "mono", ["empty"]),
    "truncated_wav": ("truncated_wav", "mono", ["truncated"]),
    "truncated_mp3": ("truncated_mp3", "mono", ["MP3"]),
    "text_as_wav": ("text_as_wav", "mono", ["not a supported audio file"]),
    "png_as_mp3": ("png_as_mp3", "mono", ["not a supported audio file"]),
    "random_bytes": ("random", "mono", ["not a supported audio file"]),
    "too_big": ("too_big", "mono", [f"{MAX_UPLOAD_MB} MB"]),
    "too_long": ("too_long", "mono", ["limit"]),
    "stereo_layout_mono_file": ("wav", "stereo_agent_left", ["2-channel"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_web_upload_rejects(intake: Intake, samples, case):
    sample, layout, words = BAD[case]
    path = samples[sample]
    resp = intake.web([(path.read_bytes(), path.name)], layout=layout)
    assert resp.status_code == 400, case
    html = resp.get_data(as_text=True)
    assert "alert-danger" in html, "the problem is shown to the user"
    for w in words:
        assert w in html, (case, w)
    _assert_nothing_written(intake)


@pytest.mark.parametrize("case", sorted(BAD))
def test_api_upload_rejects(intake: Intake, samples, case):
    sample, layout, words = BAD[case]
    path = samples[sample]
    resp = intake.api(path.read_bytes(), path.name, layout=layout)
    assert resp.status_code == 400, (case, resp.get_data(as_text=True))
    body = resp.get_json()
    assert body["error"] == "invalid"
    for w in words:
        assert w in body["message"], (case, w, body)
    _assert_nothing_written(intake)


def test_web_upload_rejects_unknown_agent(intake: Intake, samples):
    resp = intake.web([(samples["wav"].read_bytes(), "a.wav")], agent_id=987654)
    assert resp.status_code == 400
    assert "invalid-feedback" in resp.get_data(as_text=True)
    _assert_nothing_written(intake)


def test_web_upload_rejects_deactivated_agent(intake: Intake, samples):
    with intake.app.extensions["qa_sessionmaker"]() as s:
        s.merge(intake.agent).active = False
        s.commit()
    resp = intake.web([(samples["wav"].read_bytes(), "a.wav")])
    assert resp.status_code == 400
    _assert_nothing_written(intake)


def test_api_upload_rejects_unknown_agent(intake: Intake, samples):
    resp = intake.api(samples["wav"].read_bytes(), "a.wav", employee_no="NOPE-1")
    assert resp.status_code == 400
    assert "unknown employee_no" in resp.get_json()["message"]
    _assert_nothing_written(intake)


@pytest.mark.parametrize("missing", ["audio", "employee_no", "started_at"])
def test_api_upload_missing_fields(intake: Intake, samples, missing):
    data = {
        "audio": (io.BytesIO(samples["wav"].read_bytes()), "a.wav"),
        "employee_no": intake.agent.employee_no,
        "started_at": "2026-11-20T09:30:00",
    }
    del data[missing]
    resp = intake.app.test_client().post(
        "/api/calls", data=data, headers={"Authorization": f"Bearer {intake.token}"}
    )
    assert resp.status_code == 400
    assert resp.get_json()["field"] == missing
    _assert_nothing_written(intake)


def test_api_upload_bad_date(intake: Intake, samples):
    resp = intake.app.test_client().post(
        "/api/calls",
        data={
            "audio": (io.BytesIO(samples["wav"].read_bytes()), "a.wav"),
            "employee_no": intake.agent.employee_no,
            "started_at": "yesterday",
        },
        headers={"Authorization": f"Bearer {intake.token}"},
    )
    assert resp.status_code == 400
    assert resp.get_json()["field"] == "started_at"
    _assert_nothing_written(intake)


def test_web_upload_without_file(intake: Intake):
    resp = intake.web([])
    assert resp.status_code == 400
    _assert_nothing_written(intake)


def test_request_over_flask_limit_is_413(intake: Intake):
    """A body over MAX_CONTENT_LENGTH is refused before any spooling."""
    big = b"\0" * (intake.app.config["MAX_CONTENT_LENGTH"] + 1024)
    resp = intake.api(big, "huge.wav")
    assert resp.status_code == 413
    _assert_nothing_written(intake)


# --- accepted --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "ogg", "m4a"])
def test_web_upload_accepts_format(intake: Intake, samples, fmt):
    path = samples[fmt]
    resp = intake.web([(path.read_bytes(), f"客户来电.{fmt}")])
    assert resp.status_code == 302, resp.get_data(as_text=True)[:1000]
    (call,) = intake.calls()
    assert resp.headers["Location"] == f"/calls/{call.id}"
    assert call.audio_format == fmt
    assert call.original_filename == f"客户来电.{fmt}"
    assert call.status == "queued"
    assert call.queue == "宽带"
    assert 0.9 < call.duration < 1.5
    stored = intake.settings.data_dir / call.audio_path
    assert stored.read_bytes() == path.read_bytes()
    assert data_files(intake.settings) == [stored]
    assert intake.count(Job) == 1


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "ogg", "m4a"])
def test_api_upload_accepts_format(intake: Intake, samples, fmt):
    resp = intake.api(samples[fmt].read_bytes(), f"x.{fmt}")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["created"] is True
    assert body["call"]["agent"] == intake.agent.employee_no
    assert body["call"]["status"] == "queued"
    (call,) = intake.calls()
    assert call.audio_format == fmt
    assert call.source == "api"


def test_stereo_layout_with_stereo_file(intake: Intake, samples):
    resp = intake.web([(samples["stereo"].read_bytes(), "s.wav")], layout="stereo_agent_right")
    assert resp.status_code == 302
    assert intake.calls()[0].channel_layout == "stereo_agent_right"


def test_multiple_files_in_one_post(intake: Intake, samples):
    files = [(samples[k].read_bytes(), f"{k}.{samples[k].suffix[1:]}") for k in ("wav", "wav2", "mp3")]
    resp = intake.web(files)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/calls/"
    calls = intake.calls()
    assert sorted(c.original_filename for c in calls) == ["mp3.mp3", "wav.wav", "wav2.wav"]
    assert len(data_files(intake.settings)) == 3
    assert intake.count(Job) == 3


def test_mixed_good_and_bad_files_keep_only_the_good(intake: Intake, samples):
    files = [(samples["wav"].read_bytes(), "good.wav"), (samples["text_as_wav"].read_bytes(), "bad.wav")]
    resp = intake.web(files)
    assert resp.status_code in (200, 302, 400)
    follow = intake.client.get(resp.headers["Location"]) if resp.status_code == 302 else resp
    assert "bad.wav" in follow.get_data(as_text=True)  # the problem is reported
    (call,) = intake.calls()
    assert call.original_filename == "good.wav"
    assert data_files(intake.settings) == [intake.settings.data_dir / call.audio_path]


def test_same_file_twice_is_one_call(intake: Intake, samples):
    content = samples["wav"].read_bytes()
    first = intake.web([(content, "first.wav")])
    assert first.status_code == 302
    second = intake.web([(content, "renamed-copy.wav")])
    assert second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    api = intake.api(content, "third.wav")
    assert api.status_code == 200
    assert api.get_json()["created"] is False
    (call,) = intake.calls()
    assert call.original_filename == "first.wav"
    assert len(data_files(intake.settings)) == 1
    assert intake.count(Job) == 1


def test_same_file_twice_in_one_post(intake: Intake, samples):
    content = samples["wav"].read_bytes()
    resp = intake.web([(content, "a.wav"), (content, "b.wav")])
    assert resp.status_code == 302
    assert len(intake.calls()) == 1
    assert len(data_files(intake.settings)) == 1


@pytest.mark.parametrize(
    "name",
    ["../../escape.wav", "..\\..\\escape.wav", "/etc/escape.wav", "sub/dir/escape.wav", "escape.wav\0.txt"],
)
def test_stored_name_is_generated(intake: Intake, samples, name, tmp_path):
    resp = intake.web([(samples["wav"].read_bytes(), name)])
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    (call,) = intake.calls()
    stored = intake.settings.data_dir / call.audio_path
    assert stored.is_file()
    assert stored.resolve().is_relative_to((intake.settings.data_dir / "audio").resolve())
    assert "escape" not in call.audio_path
    assert stored.stem != Path(name).stem and len(stored.stem) == 32  # uuid hex
    assert "/" not in call.original_filename and ".." not in call.original_filename.split("/")
    # nothing named after the user's file anywhere near the app's directories
    assert not [p for p in tmp_path.rglob("*escape*")]


# --- audio streaming --------------------------------------------------------------------------------------


def test_audio_range_requests_and_audit(intake: Intake, samples):
    assert intake.web([(samples["wav"].read_bytes(), "r.wav")]).status_code == 302
    (call,) = intake.calls()
    size = call.audio_bytes
    url = f"/calls/{call.id}/audio"

    page = intake.client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert '<audio id="player" controls preload="metadata"' in page
    assert f'<source src="{url}">' in page  # the original, after the compressed streams

    resp = intake.client.get(url, headers={"Range": "bytes=0-99"})
    assert resp.status_code == 206
    assert resp.headers["Content-Range"] == f"bytes 0-99/{size}"
    assert resp.headers["Accept-Ranges"] == "bytes"
    assert resp.headers["Content-Type"].startswith("audio/wav")
    assert len(resp.data) == 100
    assert resp.data == samples["wav"].read_bytes()[:100]
    assert "no-store" in resp.headers["Cache-Control"]
    resp.close()

    resp = intake.client.get(url, headers={"Range": f"bytes=100-{size - 1}"})
    assert resp.status_code == 206
    assert resp.headers["Content-Range"] == f"bytes 100-{size - 1}/{size}"
    resp.close()

    resp = intake.client.get(url, headers={"Range": f"bytes={size + 10}-"})
    assert resp.status_code == 416
    resp.close()

    full = intake.client.get(url)
    assert full.status_code == 200
    assert full.data == samples["wav"].read_bytes()
    full.close()

    dl = intake.client.get(url + "?download=1")
    assert dl.status_code == 200
    assert "attachment" in dl.headers["Content-Disposition"]
    assert f"call-{call.id}.wav" in dl.headers["Content-Disposition"]
    dl.close()

    with intake.app.extensions["qa_sessionmaker"]() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.target == f"call:{call.id}")))
    plays = [e for e in events if e.action == "audio_play"]
    downloads = [e for e in events if e.action == "audio_download"]
    # one playback session: its first response is recorded, the follow-up ranges are not re-logged
    assert len(plays) == 1
    assert len(downloads) == 1
    assert all(e.username for e in plays + downloads)


def test_audio_missing_file_is_404(intake: Intake, samples):
    assert intake.web([(samples["wav"].read_bytes(), "m.wav")]).status_code == 302
    (call,) = intake.calls()
    (intake.settings.data_dir / call.audio_path).unlink()
    assert intake.client.get(f"/calls/{call.id}/audio").status_code == 404


# --- PostgreSQL -------------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_intake_on_postgres(pg_url, tmp_path, samples):
    settings = make_settings(tmp_path / "pg", database_url=pg_url, max_audio_minutes=MAX_AUDIO_MINUTES)
    app = build_app(settings, None)  # runs the migrations on the fresh schema
    try:
        db = app.extensions["qa_sessionmaker"]()
        uploader = factories.create_user(db, "trainer")
        agent = factories.create_agent(db)
        db.close()
        client = logged_in_client(app, uploader.username)
        data = {
            "audio": [(io.BytesIO(samples["wav"].read_bytes()), "pg.wav")],
            "agent_id": str(agent.id),
            "started_at": "2026-11-20T09:30",
            "direction": "inbound",
            "channel_layout": "mono",
            "language": "zh",
            "csrf_token": csrf_token(client),
        }
        resp = client.post("/calls/upload", data=data, content_type="multipart/form-data")
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        again = client.post(
            "/calls/upload",
            data={
                **data,
                "audio": [(io.BytesIO(samples["wav"].read_bytes()), "pg.wav")],
                "csrf_token": csrf_token(client),
            },
            content_type="multipart/form-data",
        )
        assert again.headers["Location"] == resp.headers["Location"]
        bad = client.post(
            "/calls/upload",
            data={
                **data,
                "audio": [(io.BytesIO(samples["truncated_wav"].read_bytes()), "t.wav")],
                "csrf_token": csrf_token(client),
            },
            content_type="multipart/form-data",
        )
        assert bad.status_code == 400
        with app.extensions["qa_sessionmaker"]() as s:
            assert s.scalar(select(func.count()).select_from(Call)) == 1
        assert len(data_files(settings)) == 1
        assert client.get(resp.headers["Location"]).status_code == 200
    finally:
        dispose(app)
        shutil.rmtree(settings.data_dir, ignore_errors=True)


def test_format_comes_from_content_not_name(intake: Intake, samples):
    """A FLAC named .wav is stored and served as FLAC (the name is never trusted)."""
    resp = intake.web([(samples["flac"].read_bytes(), "really-a-flac.wav")])
    assert resp.status_code == 302
    (call,) = intake.calls()
    assert call.audio_format == "flac" and call.audio_path.endswith(".flac")
    audio = intake.client.get(f"/calls/{call.id}/audio")
    assert audio.mimetype == "audio/flac"
    audio.close()


def test_user_supplied_text_is_escaped(intake: Intake, samples):
    """Filename and queue come from the uploader; they must not become markup on the call pages."""
    payload = "<img src=x onerror=alert(1)>"
    data = {
        "agent_id": str(intake.agent.id),
        "started_at": "2026-11-20T09:30",
        "direction": "inbound",
        "channel_layout": "mono",
        "language": "zh",
        "queue": payload,
        "csrf_token": csrf_token(intake.client),
    }
    resp = post_multipart(
        intake.client, "/calls/upload", data, [("audio", samples["wav"].read_bytes(), payload + ".wav")]
    )
    assert resp.status_code == 302
    (call,) = intake.calls()
    for url in (f"/calls/{call.id}", "/calls/", "/"):
        html = intake.client.get(url).get_data(as_text=True)
        assert payload not in html, url
        assert "&lt;img src=x onerror=alert(1)&gt;" in html, url
    # the flash message on a rejected upload echoes the filename too
    bad = intake.web([(b"not audio", payload + ".mp3")])
    assert bad.status_code == 400
    assert payload not in bad.get_data(as_text=True)


def test_concurrent_duplicate_uploads_are_deduplicated(intake: Intake, samples):
    """BUG: two uploads of the same recording at the same time both pass the "already imported?" check in
    qa_app/services/calls.py ingest, and the second INSERT hits the unique audio_sha256 constraint:
    IntegrityError -> 500 instead of "already imported". Fix: insert inside a savepoint and on
    IntegrityError for audio_sha256 roll back the savepoint, delete the moved file, and return
    IntakeResult(existing, created=False)."""
    import threading

    intake.app.config["PROPAGATE_EXCEPTIONS"] = False
    content = samples["m4a"].read_bytes()
    statuses: list[int] = []
    barrier = threading.Barrier(3)

    def upload() -> None:
        barrier.wait()
        resp = intake.api(content, "same.m4a")
        statuses.append(resp.status_code)
        resp.close()

    threads = [threading.Thread(target=upload) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(intake.calls()) == 1
    assert len(data_files(intake.settings)) == 1
    assert sorted(statuses) == [200, 200, 201], statuses
