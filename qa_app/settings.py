"""Settings read from the environment (QA_* variables); nothing else reads os.environ."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from transcription.config import SpeechConfig

REPO_ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _positive(env: dict[str, str], name: str, default: float) -> float:
    """A positive number from the environment; anything else stops start-up with the variable's name."""
    raw = env.get(name, "")
    if raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not (value > 0 and value != float("inf")):
        raise ValueError(f"{name} must be a positive number, got {raw!r}")
    return value


BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps")


def _broker(env: dict[str, str]) -> str:
    """QA_JOB_BROKER: empty = the embedded polling worker; a redis:// or amqp:// URL = the engine."""
    raw = env.get("QA_JOB_BROKER", "").strip()
    if not raw:
        return ""
    scheme, sep, rest = raw.partition("://")
    if not sep or scheme.lower() not in BROKER_SCHEMES or not rest.strip("/"):
        raise ValueError(
            "QA_JOB_BROKER must be empty (embedded worker, no broker), a Redis URL such as "
            "redis://127.0.0.1:6379/0 or a RabbitMQ URL such as amqp://guest:guest@127.0.0.1:5672/; "
            f"got {raw.split('@')[-1]!r}"
        )
    return raw


def _queue_name(env: dict[str, str]) -> str:
    raw = env.get("QA_JOB_QUEUE", "").strip() or "qa_jobs"
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,100}", raw):
        raise ValueError(f"QA_JOB_QUEUE must be 1-100 letters, digits, '_' or '-', got {raw!r}")
    return raw


def _persisted_secret(instance: Path) -> str:
    """Generate the secret key once and keep it under instance/ (mode 0600)."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    data_dir: Path
    instance_dir: Path
    max_upload_mb: int = 200
    max_audio_minutes: float = 120.0
    new_hire_days: int = 90
    service_level_seconds: float = (
        20.0  # KPI: a call answered within this many seconds meets the service level
    )
    fcr_window_hours: float = 24.0  # KPI: a repeat call from the same customer within this window is not FCR
    dispute_window_days: int = 7  # an agent may dispute a released evaluation for this many days
    login_max_failures: int = 5
    login_window_minutes: int = 15
    session_idle_minutes: int = 30  # a login session ends after this long without activity
    session_max_hours: float = 10.0  # ... and this long after the login, whatever the activity
    api_token_days: int = 90  # an API token expires this many days after it is created
    secure_cookies: bool = False
    default_locale: str = "zh"
    job_lease_seconds: int = 120
    job_max_attempts: int = 4
    job_backoff_seconds: int = 30
    job_broker: str = ""  # empty: embedded polling worker; redis://... or amqp://...: the Dramatiq engine
    job_republish_seconds: int = 300  # engine: resend a runnable job whose message is this old (lost)
    job_queue: str = "qa_jobs"  # engine: the broker queue (one per installation sharing a broker)
    job_sweep_seconds: float = (
        30.0  # how often a scheduler requeues expired leases (and, engine: sends lost jobs)
    )
    duty_tick_seconds: float = (
        60.0  # how often a scheduler checks for duties due (each fires once per period)
    )
    page_size: int = 50
    timezone: str = "Asia/Shanghai"
    speech_backend: str = ""  # "module:callable" taking the SpeechConfig; empty = the real pipeline
    scoring_backend: str = ""  # "module:callable" returning a scorer; empty = scoring.engine with snownlp
    mute_redacted_audio: bool = False
    speech: SpeechConfig = field(default_factory=SpeechConfig)  # parsed QA_ASR_* / QA_DIARIZATION_* ...
    testing: bool = False

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = dict(os.environ if env is None else env)
        instance = Path(e.get("QA_INSTANCE_DIR") or REPO_ROOT / "instance")
        data_dir = Path(e.get("QA_DATA_DIR") or instance / "data")
        db_url = e.get("QA_DATABASE_URL") or f"sqlite:///{instance / 'qa.sqlite3'}"
        secret = e.get("QA_SECRET_KEY") or _persisted_secret(instance)
        return cls(
            database_url=db_url,
            secret_key=secret,
            data_dir=data_dir,
            instance_dir=instance,
            max_upload_mb=int(e.get("QA_MAX_UPLOAD_MB", 200)),
            max_audio_minutes=float(e.get("QA_MAX_AUDIO_MINUTES", 120)),
            new_hire_days=int(e.get("QA_NEW_HIRE_DAYS", 90)),
            service_level_seconds=_positive(e, "QA_SERVICE_LEVEL_SECONDS", 20.0),
            fcr_window_hours=_positive(e, "QA_FCR_WINDOW_HOURS", 24.0),
            dispute_window_days=int(e.get("QA_DISPUTE_WINDOW_DAYS", 7)),
            login_max_failures=int(e.get("QA_LOGIN_MAX_FAILURES", 5)),
            login_window_minutes=int(e.get("QA_LOGIN_WINDOW_MINUTES", 15)),
            session_idle_minutes=int(e.get("QA_SESSION_IDLE_MINUTES", 30)),
            session_max_hours=float(e.get("QA_SESSION_MAX_HOURS", 10)),
            api_token_days=int(e.get("QA_API_TOKEN_DAYS", 90)),
            secure_cookies=_bool(e.get("QA_SECURE_COOKIES"), False),
            default_locale=e.get("QA_DEFAULT_LOCALE", "zh"),
            job_lease_seconds=int(e.get("QA_JOB_LEASE_SECONDS", 120)),
            job_max_attempts=int(e.get("QA_JOB_MAX_ATTEMPTS", 4)),
            job_backoff_seconds=int(e.get("QA_JOB_BACKOFF_SECONDS", 30)),
            job_broker=_broker(e),
            job_republish_seconds=int(_positive(e, "QA_JOB_REPUBLISH_SECONDS", 300)),
            job_queue=_queue_name(e),
            job_sweep_seconds=_positive(e, "QA_JOB_SWEEP_SECONDS", 30.0),
            duty_tick_seconds=float(e.get("QA_DUTY_TICK_SECONDS", 60)),
            timezone=e.get("QA_TIMEZONE", "Asia/Shanghai"),
            speech_backend=e.get("QA_SPEECH_BACKEND", ""),
            scoring_backend=e.get("QA_SCORING_BACKEND", ""),
            mute_redacted_audio=_bool(e.get("QA_MUTE_REDACTED_AUDIO"), False),
            speech=SpeechConfig.from_mapping(e),
        )

    @staticmethod
    def prepare_worker_process() -> None:
        """Environment the speech libraries read at import time, set before they load (worker only):
        CTranslate2 and torch each bring an OpenMP runtime whose spinning waiters starve each other;
        no model hub; no pyannote telemetry."""
        for key, value in (
            ("OMP_WAIT_POLICY", "PASSIVE"),
            ("HF_HUB_OFFLINE", "1"),
            ("PYANNOTE_METRICS_ENABLED", "0"),
        ):
            os.environ.setdefault(key, value)

    def with_overrides(self, **kw: object) -> Settings:
        return replace(self, **kw)  # type: ignore[arg-type]

    @property
    def audio_dir(self) -> Path:
        return self.data_dir / "audio"

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"
