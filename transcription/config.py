"""Speech pipeline configuration (frozen; built from an env-like mapping)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL_DIR = REPO_ROOT / "models"
WHISPER_DIRNAME = "whisper-base-ct2"
DIARIZATION_DIRNAME = "pyannote-diarization-offline"

Language = Literal["zh", "en", "auto"]
LANGUAGES: tuple[str, ...] = ("zh", "en", "auto")
COMPUTE_TYPES: tuple[str, ...] = ("int8", "int8_float32", "float32", "int16", "float16", "int8_float16")


# faster-whisper's default temperature fallback ladder (the "before" of issue #13).
FULL_LADDER: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


# Defaults after issue #13 (bench/speech.py --calls measures them against BEFORE_13).
DEFAULT_TEMPERATURES: tuple[float, ...] = (0.0,)
DEFAULT_DIARIZATION_STEP = 0.25
DEFAULT_DIARIZATION_BATCH_SIZE = 32
DEFAULT_DIARIZATION_PARTIAL_HOP = 1.6


class ConfigError(ValueError):
    """A configuration value is invalid (message names the key)."""


def _int(env: Mapping[str, str], key: str, default: int | None) -> int | None:
    raw = (env.get(key) or "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{key} must be an integer, got {raw!r}") from None


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = (env.get(key) or "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{key} must be a number, got {raw!r}") from None


def _floats(env: Mapping[str, str], key: str, default: tuple[float, ...]) -> tuple[float, ...]:
    raw = (env.get(key) or "").strip()
    if not raw:
        return default
    try:
        return tuple(float(x) for x in raw.replace("，", ",").split(",") if x.strip())
    except ValueError:
        raise ConfigError(f"{key} must be comma-separated numbers, got {raw!r}") from None


def _bool(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = (env.get(key) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{key} must be a boolean (1/0, true/false), got {raw!r}")


@dataclass(frozen=True, slots=True)
class SpeechConfig:
    """Everything the speech pipeline needs to know; defaults are the offline models.

    ``asr_model`` is a local CTranslate2 Whisper directory or a faster-whisper model
    name (then downloaded into ``asr_download_root``).  ``diarization_pipeline`` is a
    local pyannote pipeline directory (with config.yaml) or a hub name (+ ``hf_token``).
    """

    model_dir: Path = DEFAULT_MODEL_DIR
    asr_model: str = ""
    asr_download_root: str | None = None
    compute_type: str = "int8"
    beam_size: int = 5
    language: Language = "zh"
    cpu_threads: int = 2
    vad: bool = True
    hotwords: tuple[str, ...] = ()
    temperatures: tuple[float, ...] = DEFAULT_TEMPERATURES
    asr_batch_size: int = 0
    diarization_pipeline: str = ""
    hf_token: str | None = field(default=None, repr=False)
    num_speakers: int | None = 2
    min_speakers: int | None = None
    max_speakers: int | None = None
    diarization_step: float = DEFAULT_DIARIZATION_STEP
    diarization_batch_size: int = DEFAULT_DIARIZATION_BATCH_SIZE
    diarization_partial_hop: float = DEFAULT_DIARIZATION_PARTIAL_HOP

    def __post_init__(self) -> None:
        object.__setattr__(self, "model_dir", Path(self.model_dir))
        if not self.asr_model:
            object.__setattr__(self, "asr_model", str(self.model_dir / WHISPER_DIRNAME))
        if not self.diarization_pipeline:
            object.__setattr__(self, "diarization_pipeline", str(self.model_dir / DIARIZATION_DIRNAME))
        object.__setattr__(self, "hotwords", tuple(h.strip() for h in self.hotwords if h and h.strip()))
        if self.language not in LANGUAGES:
            raise ConfigError(f"language must be one of {', '.join(LANGUAGES)}, got {self.language!r}")
        if self.compute_type not in COMPUTE_TYPES:
            raise ConfigError(f"QA_ASR_COMPUTE_TYPE must be one of {', '.join(COMPUTE_TYPES)}")
        if self.beam_size < 1:
            raise ConfigError("QA_ASR_BEAM_SIZE must be >= 1")
        if self.cpu_threads < 1:
            raise ConfigError("QA_ASR_THREADS must be >= 1")
        temps = tuple(float(t) for t in self.temperatures)
        object.__setattr__(self, "temperatures", temps)
        if not temps or any(not 0.0 <= t <= 1.0 for t in temps) or list(temps) != sorted(temps):
            raise ConfigError("QA_ASR_TEMPERATURES must be increasing numbers between 0 and 1")
        if self.asr_batch_size < 0:
            raise ConfigError("QA_ASR_BATCH_SIZE must be >= 0 (0: sequential decoding)")
        if not 0.0 < self.diarization_step <= 1.0:
            raise ConfigError("QA_DIARIZATION_STEP must be in (0, 1] (a fraction of the 10 s window)")
        if self.diarization_batch_size < 1:
            raise ConfigError("QA_DIARIZATION_BATCH_SIZE must be >= 1")
        if not 0.1 <= self.diarization_partial_hop <= 1.6:
            raise ConfigError("QA_DIARIZATION_PARTIAL_HOP must be between 0.1 and 1.6 (seconds)")
        for name in ("num_speakers", "min_speakers", "max_speakers"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise ConfigError(f"{name} must be >= 1")
        if self.min_speakers and self.max_speakers and self.min_speakers > self.max_speakers:
            raise ConfigError("QA_MIN_SPEAKERS must not exceed QA_MAX_SPEAKERS")

    @property
    def max_redecodes(self) -> int:
        """How many times one 30 s window can be decoded again (the ladder after 0.0)."""
        return len(self.temperatures) - 1

    @property
    def asr_is_local(self) -> bool:
        return Path(self.asr_model).is_dir() or "/" in self.asr_model or self.asr_model.startswith(".")

    @property
    def diarization_is_local(self) -> bool:
        p = Path(self.diarization_pipeline)
        return p.is_dir() or p.is_absolute() or self.diarization_pipeline.startswith(".")

    def with_overrides(self, **changes: object) -> SpeechConfig:
        """Copy with some fields changed (validated again)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_mapping(cls, env: Mapping[str, str] | None = None) -> SpeechConfig:
        """Read QA_* keys (see README of the speech package); missing keys keep defaults."""
        env = env or {}
        model_dir = Path(env.get("QA_MODEL_DIR") or DEFAULT_MODEL_DIR).expanduser()
        hotwords = tuple(h for h in (env.get("QA_ASR_HOTWORDS") or "").replace("，", ",").split(","))
        num = _int(env, "QA_NUM_SPEAKERS", 2)
        min_s = _int(env, "QA_MIN_SPEAKERS", None)
        max_s = _int(env, "QA_MAX_SPEAKERS", None)
        if (min_s or max_s) and not (env.get("QA_NUM_SPEAKERS") or "").strip():
            num = None  # a range was asked for: let the clustering choose within it
        if num == 0:
            num = None
        return cls(
            model_dir=model_dir,
            asr_model=(env.get("QA_ASR_MODEL") or "").strip(),
            asr_download_root=(env.get("QA_ASR_DOWNLOAD_ROOT") or "").strip() or None,
            compute_type=(env.get("QA_ASR_COMPUTE_TYPE") or "int8").strip(),
            beam_size=_int(env, "QA_ASR_BEAM_SIZE", 5) or 5,
            language=(env.get("QA_ASR_LANGUAGE") or "zh").strip().lower(),  # type: ignore[arg-type]
            cpu_threads=_int(env, "QA_ASR_THREADS", 2) or 2,
            vad=_bool(env, "QA_ASR_VAD", True),
            hotwords=hotwords,
            temperatures=_floats(env, "QA_ASR_TEMPERATURES", DEFAULT_TEMPERATURES),
            asr_batch_size=_int(env, "QA_ASR_BATCH_SIZE", 0) or 0,
            diarization_pipeline=(env.get("QA_DIARIZATION_PIPELINE") or "").strip(),
            hf_token=(env.get("QA_HF_TOKEN") or "").strip() or None,
            num_speakers=num,
            min_speakers=min_s,
            max_speakers=max_s,
            diarization_step=_float(env, "QA_DIARIZATION_STEP", DEFAULT_DIARIZATION_STEP),
            diarization_batch_size=_int(env, "QA_DIARIZATION_BATCH_SIZE", DEFAULT_DIARIZATION_BATCH_SIZE)
            or DEFAULT_DIARIZATION_BATCH_SIZE,
            diarization_partial_hop=_float(
                env, "QA_DIARIZATION_PARTIAL_HOP", DEFAULT_DIARIZATION_PARTIAL_HOP
            ),
        )


# The settings before issue #13 (bench/speech.py --calls runs them beside the defaults).
BEFORE_13: dict[str, object] = {
    "temperatures": FULL_LADDER,
    "asr_batch_size": 0,
    "diarization_step": 0.1,
    "diarization_batch_size": 16,
    "diarization_partial_hop": 0.8,
}


def from_environ() -> SpeechConfig:
    """The configuration from this process's QA_* environment variables (standalone tools)."""
    return SpeechConfig.from_mapping(dict(os.environ))


def default_model_dir() -> Path:
    """QA_MODEL_DIR, or models/ in the repository."""
    return Path(os.environ.get("QA_MODEL_DIR") or DEFAULT_MODEL_DIR)


def set_runtime_env(*, offline: bool = True) -> None:
    """Environment the speech libraries read at import time (set before they load):

    * ``OMP_WAIT_POLICY=PASSIVE``: torch and CTranslate2 each ship a libgomp; with the default active
      wait their idle threads spin on the same 2 cores (far_3.wav, 21.8 s, on a loaded machine:
      diarization 2-11 s -> 1.6-2.2 s per run);
    * ``HF_HUB_OFFLINE=1`` unless a hub model was configured: no run-time downloads;
    * ``PYANNOTE_METRICS_ENABLED=0``: pyannote 4 sends usage telemetry by default;
    * ``TOKENIZERS_PARALLELISM=false``.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if offline:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "0")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
