"""Operations endpoints and hooks: /healthz, /readyz (good and bad states), /metrics (content and access),
request id propagation, JSON log lines with their fields, nothing secret in the logs."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import text

from qa_app import logs, metrics
from qa_app.db.base import utcnow
from qa_app.db.models import Job, JobState
from qa_app.jobs import worker as worker_mod
from qa_app.services import jobs

from factories import DEFAULT_PASSWORD, create_user, csrf_token, make_settings

# --- /healthz and /readyz ---------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path):
    """The suite's settings with model directories of their own (readiness must not depend on whether the
    real offline models were built on this machine)."""
    from transcription.config import DIARIZATION_DIRNAME, WHISPER_DIRNAME, SpeechConfig

    models = tmp_path / "models"
    for name in (WHISPER_DIRNAME, DIARIZATION_DIRNAME):
        (models / name).mkdir(parents=True)
        (models / name / "config.json").write_text("{}")
    return make_settings(tmp_path, speech=SpeechConfig(model_dir=models))


def test_healthz_answers_without_touching_the_database(app, client, tmp_path):
    from qa_app.db.session import make_engine

    real = app.extensions["qa_engine"]
    app.extensions["qa_engine"] = make_engine(f"sqlite:///{tmp_path / 'missing' / 'x.sqlite3'}")
    try:
        resp = client.get("/healthz")
        assert client.get("/readyz").status_code == 503  # the same app is not ready
    finally:
        app.extensions["qa_engine"].dispose()
        app.extensions["qa_engine"] = real
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_readyz_ready_lists_every_check(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "audio_store", "models"}
    assert all(c == {"ok": True} for c in body["checks"].values())


def test_readyz_database_not_at_head(app, client):
    with app.extensions["qa_engine"].begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'deadbeef0000'"))
    resp = client.get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == {"ok": False, "error": "not migrated to head"}
    assert body["checks"]["audio_store"]["ok"] is True


def test_readyz_database_unreachable(make_app, tmp_path):
    missing = tmp_path / "no-such-dir" / "qa.sqlite3"
    app = make_app()
    from qa_app.db.session import make_engine

    app.extensions["qa_engine"] = make_engine(f"sqlite:///{missing}")
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["checks"]["database"]["ok"] is False
    assert str(tmp_path) not in resp.get_data(as_text=True)  # no paths in a public answer


def test_readyz_audio_store_not_writable(app, client, settings):
    import shutil

    shutil.rmtree(settings.audio_dir, ignore_errors=True)
    settings.audio_dir.parent.mkdir(parents=True, exist_ok=True)
    settings.audio_dir.write_text("a file where the audio folder should be (root may write anywhere)")
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["checks"]["audio_store"] == {"ok": False, "error": "not writable"}
    assert str(settings.data_dir) not in resp.get_data(as_text=True)


def test_readyz_models_missing(make_app, tmp_path):
    from transcription.config import SpeechConfig

    app = make_app(speech=SpeechConfig(model_dir=tmp_path / "empty-models"))
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["checks"]["models"] == {"ok": False, "error": "model files missing"}


def test_readyz_plugin_speech_backend_needs_no_local_models(make_app, tmp_path):
    from transcription.config import SpeechConfig

    app = make_app(speech=SpeechConfig(model_dir=tmp_path / "empty"), speech_backend="fakes:fake_speech")
    assert app.test_client().get("/readyz").get_json()["checks"]["models"] == {"ok": True}


def test_readyz_broker_check_plugs_in(app, client):
    def down():
        raise ConnectionError("redis://secret@10.0.0.9:6379 refused")

    app.extensions["qa_broker_ping"] = down
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["checks"]["broker"] == {"ok": False, "error": "check failed"}
    assert "secret" not in resp.get_data(as_text=True)
    app.extensions["qa_broker_ping"] = lambda: True
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json()["checks"]["broker"] == {"ok": True}


def test_readyz_configured_broker_that_does_not_answer(make_app):
    app = make_app(job_broker="redis://127.0.0.1:1/0")  # nothing listens on port 1
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["checks"]["broker"] == {"ok": False, "error": "does not answer"}
    assert "6379" not in resp.get_data(as_text=True) and ":1/0" not in resp.get_data(as_text=True)


def test_readyz_without_broker_lists_no_broker_check(client):
    assert "broker" not in client.get("/readyz").get_json()["checks"]


# --- /metrics --------------------------------------------------------------------------------------------


def _sample(body: str, name: str, **labels: str) -> float | None:
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in body.splitlines():
        if line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        if key == (f"{name}{{{want}}}" if labels else name):
            return float(value)
    return None


def test_metrics_localhost_only_without_token(client):
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    resp = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert resp.status_code == 403


def test_metrics_token(make_app):
    app = make_app(metrics_token="s3cret-metrics")
    c = app.test_client()
    assert c.get("/metrics").status_code == 403  # a token is configured: loopback is not enough
    assert c.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    ok = c.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"}, environ_base=remote)
    assert ok.status_code == 200
    assert ok.content_type.startswith("text/plain")


def test_metrics_request_latency_by_route_rule(client, login_as, db):
    c, _user = login_as("admin")
    for call_id in (123456, 654321):
        c.get(f"/calls/{call_id}")  # 404s: the label is the rule's endpoint, not the path
    body = client.get("/metrics").get_data(as_text=True)
    count = _sample(
        body, "qa_http_request_duration_seconds_count", endpoint="calls.detail", method="GET", status="404"
    )
    assert count is not None and count >= 2
    assert "123456" not in body and "654321" not in body


def test_metrics_queue_depth_and_age_from_the_jobs_table(app, client, db):
    now = utcnow()
    a = jobs.enqueue(db, "process_call", subject=("call", 901), max_attempts=3)
    b = jobs.enqueue(db, "process_call", subject=("call", 902), max_attempts=3)
    c = jobs.enqueue(db, "maintenance", max_attempts=3)
    a.run_after = now - timedelta(minutes=10)
    b.run_after = now - timedelta(minutes=2)
    c.state = JobState.DEAD
    db.commit()
    body = client.get("/metrics").get_data(as_text=True)
    assert _sample(body, "qa_jobs_queued", kind="process_call") == 2
    age = _sample(body, "qa_jobs_oldest_queued_age_seconds", kind="process_call")
    assert 590 <= age <= 700
    assert _sample(body, "qa_jobs_dead", kind="maintenance") == 1
    assert _sample(body, "qa_jobs_stats_up") == 1
    db.delete(db.get(Job, a.id))
    db.commit()
    body = client.get("/metrics").get_data(as_text=True)
    assert _sample(body, "qa_jobs_queued", kind="process_call") == 1
    assert 110 <= _sample(body, "qa_jobs_oldest_queued_age_seconds", kind="process_call") <= 200


def test_metrics_job_failures_counted_by_kind(app, client, db, settings):
    before = _sample(
        client.get("/metrics").get_data(as_text=True),
        "qa_job_failures_total",
        kind="no_such_kind",
        outcome="dead",
    )
    job = jobs.enqueue(db, "no_such_kind", max_attempts=3)
    db.commit()
    factory = app.extensions["qa_sessionmaker"]
    with factory() as s:
        claimed = jobs.claim(s, "w1", 60)
        s.commit()
    assert claimed.id == job.id
    state = worker_mod.process_job(factory, job.id, "w1", backends=None, settings=settings)
    assert state == JobState.DEAD
    after = _sample(
        client.get("/metrics").get_data(as_text=True),
        "qa_job_failures_total",
        kind="no_such_kind",
        outcome="dead",
    )
    assert after == (before or 0) + 1


def test_metrics_transcription_rtf_by_stage(client):
    metrics.observe_transcription({"asr": 6.0, "diarize": 3.0, "total": 9.0, "audio_seconds": 60.0})
    metrics.observe_rtf("custom_stage", 0.25)
    metrics.observe_transcription({"asr": 1.0, "audio_seconds": 0})  # no audio length: nothing observed
    body = client.get("/metrics").get_data(as_text=True)
    assert _sample(body, "qa_transcription_rtf_bucket", stage="asr", le="0.1") >= 1
    assert _sample(body, "qa_transcription_rtf_bucket", stage="diarize", le="0.05") >= 1
    assert _sample(body, "qa_transcription_rtf_count", stage="custom_stage") >= 1
    assert "audio_seconds" not in body
    metrics.observe_transcription({"setup": 30.0, "asr": 1.0, "asr_cpu": 1.5, "audio_seconds": 10.0})
    body = client.get("/metrics").get_data(as_text=True)
    assert _sample(body, "qa_transcription_rtf_count", stage="asr_cpu") >= 1
    assert 'stage="setup"' not in body  # model set-up is not per-call work


def test_metrics_multiprocess_mode_adds_up_processes(tmp_path, monkeypatch):
    """With PROMETHEUS_MULTIPROC_DIR, a scrape reads every process's files (here: two other processes)."""
    import subprocess
    import sys

    mp = tmp_path / "prom"
    mp.mkdir()
    code = (
        "from qa_app import metrics\n"
        "metrics.observe_request('calls.index', 'GET', 200, 0.02)\n"
        "metrics.job_failed('process_call', True)\n"
    )
    env = {"PROMETHEUS_MULTIPROC_DIR": str(mp), "PYTHONPATH": ".", "PATH": "/usr/bin:/bin"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(mp))
    body = metrics.render().decode()
    assert _sample(body, "qa_job_failures_total", kind="process_call", outcome="dead") == 2
    count = _sample(
        body, "qa_http_request_duration_seconds_count", endpoint="calls.index", method="GET", status="200"
    )
    assert count == 2


# --- request id and logs ---------------------------------------------------------------------------------


@pytest.fixture
def json_log():
    """Install the production JSON handler into a buffer; yields a function returning the parsed lines."""
    buf = io.StringIO()
    handler = logs.configure("json", stream=buf)
    yield lambda: [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]
    logging.getLogger().removeHandler(handler)


def test_request_id_generated_and_returned(client):
    a = client.get("/healthz").headers["X-Request-ID"]
    b = client.get("/healthz").headers["X-Request-ID"]
    assert a and b and a != b


def test_incoming_request_id_kept_when_valid(client, json_log):
    resp = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42_x"})
    assert resp.headers["X-Request-ID"] == "lb-7f3a.42_x"
    lines = [r for r in json_log() if r["logger"] == "qa_app.request"]
    assert lines[-1]["request_id"] == "lb-7f3a.42_x"


@pytest.mark.parametrize("bad", ["a" * 65, "x y", "<script>", "é"])
def test_invalid_request_id_replaced(client, bad):
    got = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
    assert got != bad
    assert len(got) == 32 and got.isalnum()


def test_json_request_log_fields(app, login_as, json_log):
    c, user = login_as("qa_reviewer")
    resp = c.get("/calls/?q=1", headers={"X-Request-ID": "req-1"})
    assert resp.status_code == 200
    line = next(r for r in json_log() if r.get("request_id") == "req-1" and r["logger"] == "qa_app.request")
    assert set(line) >= {"time", "level", "logger", "message", "request_id", "method", "path", "status"}
    assert line["method"] == "GET"
    assert line["path"] == "/calls/"  # never the query string (search terms are transcript words)
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["user_id"] == user.id
    assert line["level"] == "INFO"


def test_log_lines_inside_a_request_carry_its_id(app, client, json_log):
    @app.get("/probe-log")
    def probe_log():
        logging.getLogger("qa_app.somewhere").warning("inside")
        return "ok"

    probe_log.qa_public = True
    client.get("/probe-log", headers={"X-Request-ID": "abc"})
    inside = next(r for r in json_log() if r["message"] == "inside")
    assert inside["request_id"] == "abc"
    assert inside["path"] == "/probe-log"


def test_worker_log_lines_carry_job_id_and_kind(app, db, settings, json_log):
    job = jobs.enqueue(db, "no_such_kind", max_attempts=3)
    db.commit()
    factory = app.extensions["qa_sessionmaker"]
    with factory() as s:
        jobs.claim(s, "w1", 60)
        s.commit()

    seen: list[dict] = []
    original = worker_mod._record_failure

    def spy(*a, **kw):
        logging.getLogger("qa_app.worker").info("recording failure")
        return original(*a, **kw)

    worker_mod._record_failure = spy
    try:
        worker_mod.process_job(factory, job.id, "w1", backends=None, settings=settings)
    finally:
        worker_mod._record_failure = original
    seen = [r for r in json_log() if r["message"] == "recording failure"]
    assert seen and seen[0]["job_id"] == job.id and seen[0]["job_kind"] == "no_such_kind"
    assert logs.context() == {}  # nothing leaks to the next job


def test_no_password_token_or_phone_number_in_logs(app, db, json_log):
    user = create_user(db, "admin", username="opsadmin")
    c = app.test_client()
    secret_pw = "Wrong-Horse-Battery-991"
    c.post("/login", data={"username": "opsadmin", "password": secret_pw, "csrf_token": csrf_token(c)})
    c.post("/login", data={"username": "opsadmin", "password": DEFAULT_PASSWORD, "csrf_token": csrf_token(c)})
    c.get("/search?q=13800138000", headers={"Authorization": "Bearer tok-very-secret-123"})
    logging.getLogger("qa_app.x").info("customer said 138 0013 8000 and card 6222-0212-3456-7890")
    out = "\n".join(json.dumps(r, ensure_ascii=False) for r in json_log())
    assert user.id  # usernames and ids may appear; secrets may not
    for secret in (
        secret_pw,
        DEFAULT_PASSWORD,
        "tok-very-secret-123",
        "13800138000",
        "138 0013 8000",
        "6222-0212",
    ):
        assert secret not in out, secret
    assert "customer said" in out


def test_mask_numbers():
    assert logs.mask_numbers("call 13800138000 ok") == "call *********** ok"
    assert logs.mask_numbers("job 123456 done") == "job 123456 done"  # ids stay readable


def test_text_format_is_the_dev_default(settings):
    from qa_app.settings import Settings

    assert Settings.from_env({"QA_SECRET_KEY": "x"}).log_format == "text"
    assert Settings.from_env({"QA_SECRET_KEY": "x", "QA_LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(ValueError, match="QA_LOG_FORMAT"):
        Settings.from_env({"QA_SECRET_KEY": "x", "QA_LOG_FORMAT": "xml"})
    buf = io.StringIO()
    handler = logs.configure("text", stream=buf)
    try:
        with logs.bound(request_id="r-9"):
            logging.getLogger("qa_app.t").warning("hello 13912345678")
    finally:
        logging.getLogger().removeHandler(handler)
    line = buf.getvalue()
    assert "[r-9]" in line and "hello ***********" in line
    assert re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", line), line  # the timestamp is not masked
