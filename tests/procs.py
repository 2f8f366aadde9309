"""Real worker processes for tests: environment, start, wait for a condition."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def worker_env(settings, marker: Path, sleep: float, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(
        QA_DATABASE_URL=settings.database_url,
        QA_INSTANCE_DIR=str(settings.instance_dir),
        QA_DATA_DIR=str(settings.data_dir),
        QA_SECRET_KEY=settings.secret_key,
        QA_SPEECH_BACKEND="fakes:fake_speech",
        QA_SCORING_BACKEND="fakes:lexicon_scorer",
        QA_JOB_LEASE_SECONDS="2",
        QA_FAKE_SPEECH_SLEEP=str(sleep),
        QA_FAKE_SPEECH_MARKER=str(marker),
        PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "tests")]),
        **extra,
    )
    return env


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--poll", "0.2"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
