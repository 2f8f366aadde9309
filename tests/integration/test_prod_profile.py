"""The production profile's script refuses to start half-configured, and its gunicorn config loads."""

from __future__ import annotations

import runpy
import subprocess

from qa_app.settings import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "prod.sh"


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_required_configuration_is_named():
    result = _run([], {})
    assert result.returncode != 0
    assert "QA_DATABASE_URL" in result.stderr
    result = _run([], {"QA_DATABASE_URL": "postgresql+psycopg://x@h/db"})
    assert result.returncode != 0 and "QA_SECRET_KEY" in result.stderr
    result = _run([], {"QA_DATABASE_URL": "postgresql+psycopg://x@h/db", "QA_SECRET_KEY": "k"})
    assert result.returncode != 0 and "QA_DATA_DIR" in result.stderr


def test_unknown_role_is_refused(tmp_path):
    env = {"QA_DATABASE_URL": "sqlite://", "QA_SECRET_KEY": "k", "QA_DATA_DIR": str(tmp_path)}
    result = _run(["bogus"], env)
    assert result.returncode == 2 and "usage" in result.stderr


def test_gunicorn_config_reads_the_environment(monkeypatch):
    monkeypatch.setenv("QA_BIND", "0.0.0.0:9001")
    monkeypatch.setenv("QA_WEB_WORKERS", "3")
    conf = runpy.run_path(str(REPO_ROOT / "deploy" / "gunicorn.conf.py"))
    assert conf["bind"] == "0.0.0.0:9001" and conf["workers"] == 3
    assert conf["accesslog"] is None  # the app's own request log replaces it (no query strings)
    assert callable(conf["child_exit"])
