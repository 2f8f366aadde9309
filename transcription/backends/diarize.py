"""Speaker diarization with a pyannote.audio pipeline (local directory or hub name)."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from transcription.errors import DiarizationError, ModelNotFoundError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Turn:
    """One stretch of speech by one speaker."""

    start: float
    end: float
    speaker: str


def load_pipeline(
    name: str,
    hf_token: str | None = None,
    threads: int | None = None,
    *,
    step: float | None = None,
    embedding_batch_size: int | None = None,
    partial_hop: float | None = None,
) -> Any:
    """Load ``Pipeline.from_pretrained`` from a local dir (with config.yaml) or a hub name.

    ``step`` (a fraction of the segmentation window, pyannote's ``segmentation_step``) and
    ``embedding_batch_size`` override the pipeline's own values when given: the sliding
    window's step sets how many (chunk, local speaker) embeddings are computed.
    ``partial_hop`` (seconds) is the hop between the 1.6 s partials the offline resemblyzer
    encoder averages (other embedding models are left alone).
    """
    from transcription.backends import ensure_speech_env

    local = Path(name)
    is_local = local.is_dir() or local.is_absolute() or name.startswith(".")
    if is_local and not (local / "config.yaml").is_file():  # before importing pyannote (seconds)
        raise ModelNotFoundError(
            f"diarization pipeline not found at {local}: run scripts/install_speech.sh "
            "(or python -m transcription.models_build) to build the offline models"
        )
    ensure_speech_env(offline=is_local or hf_token is None)
    import torch
    from pyannote.audio import Pipeline

    if threads:
        torch.set_num_threads(threads)
    try:
        pipeline = Pipeline.from_pretrained(local if is_local else name, token=hf_token)
    except Exception as exc:  # pyannote raises many types (hub, yaml, checkpoint)
        raise ModelNotFoundError(f"cannot load diarization pipeline {name!r}: {exc}") from exc
    if pipeline is None:
        raise ModelNotFoundError(f"diarization pipeline {name!r} could not be loaded (gated or offline?)")
    pipeline.to(torch.device("cpu"))
    configure(pipeline, step=step, embedding_batch_size=embedding_batch_size, partial_hop=partial_hop)
    return pipeline


def configure(
    pipeline: Any,
    *,
    step: float | None = None,
    embedding_batch_size: int | None = None,
    partial_hop: float | None = None,
) -> None:
    """Set the segmentation step / embedding batch size of a loaded ``SpeakerDiarization``
    (both are constructor arguments in pyannote; other pipeline classes are left alone)."""
    seg = getattr(pipeline, "_segmentation", None)
    if step is not None and seg is not None and hasattr(pipeline, "segmentation_step"):
        pipeline.segmentation_step = step
        seg.step = step * seg.duration
    if embedding_batch_size is not None and hasattr(pipeline, "embedding_batch_size"):
        pipeline.embedding_batch_size = embedding_batch_size
    encoder = getattr(getattr(pipeline, "_embedding", None), "model_", None)
    if partial_hop is not None and hasattr(encoder, "partial_hop"):
        encoder.partial_hop = max(1, round(partial_hop * 100))  # 10 ms frames


def diarize(
    pipeline: Any,
    samples: np.ndarray,
    sample_rate: int = 16000,
    *,
    num_speakers: int | None = 2,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
) -> list[Turn]:
    """Run ``pipeline`` on mono float32 ``samples``; return turns sorted by start."""
    import torch

    if samples.ndim == 2:
        samples = samples.mean(axis=0)
    if samples.size < sample_rate * 0.5:
        return []
    waveform = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32)).unsqueeze(0)
    kwargs: dict[str, int] = {}
    if num_speakers:
        kwargs["num_speakers"] = num_speakers
    else:
        if min_speakers:
            kwargs["min_speakers"] = min_speakers
        if max_speakers:
            kwargs["max_speakers"] = max_speakers
    try:
        # pyannote warns (not raises) e.g. when it finds fewer speakers than asked for
        # (a one-party clip, a voicemail): expected for calls, logged rather than raised.
        with warnings.catch_warnings(record=True) as caught, torch.inference_mode():
            warnings.simplefilter("always")
            out = pipeline({"waveform": waveform, "sample_rate": sample_rate}, **kwargs)
    except Exception as exc:
        raise DiarizationError(f"diarization failed: {exc}") from exc
    for w in caught:
        log.info("pyannote: %s", str(w.message).strip().replace("\n", " "))
    annotation = getattr(out, "speaker_diarization", out)  # pyannote 4 returns DiarizeOutput
    turns = [
        Turn(float(seg.start), float(seg.end), str(label))
        for seg, _, label in annotation.itertracks(yield_label=True)
    ]
    return relabel(sorted(turns, key=lambda t: (t.start, t.end)))


def relabel(turns: list[Turn]) -> list[Turn]:
    """Name speakers SPEAKER_00, SPEAKER_01... in order of first appearance."""
    names: dict[str, str] = {}
    for t in turns:
        names.setdefault(t.speaker, f"SPEAKER_{len(names):02d}")
    return [Turn(t.start, t.end, names[t.speaker]) for t in turns]
