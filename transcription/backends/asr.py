"""ASR with faster-whisper (CTranslate2) from a local directory or a model name."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from transcription.config import SpeechConfig
from transcription.errors import ModelNotFoundError, SpeechStackMissingError, TranscriptionError
from transcription.text import (
    collapse_repeats,
    collapse_word_repeats,
    join_words,
    repeated_run_mask,
    to_simplified,
)
from transcription.types import Word


@dataclass(frozen=True, slots=True)
class AsrSegment:
    """A recognised stretch of speech (no speaker yet)."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True, slots=True)
class AsrResult:
    language: str
    segments: tuple[AsrSegment, ...]
    seconds: float = 0.0
    # What the decoder said of itself (transcription.types.AsrQuality): speech found by VAD, and the
    # kept segments' length-weighted mean log-probability / no-speech probability with their weight.
    speech_seconds: float = 0.0
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    decoded_seconds: float = 0.0


def load_model(config: SpeechConfig) -> Any:
    """Load a faster-whisper ``WhisperModel`` as configured (CPU)."""
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise SpeechStackMissingError(
            "faster-whisper is not installed: run scripts/install_speech.sh"
        ) from exc
    name = config.asr_model
    path = Path(name)
    if config.asr_is_local:
        if not (path / "model.bin").is_file():
            raise ModelNotFoundError(
                f"Whisper model not found at {path}: run scripts/install_speech.sh "
                "(or python -m transcription.models_build) to build the offline models"
            )
        name = str(path)
    try:
        return WhisperModel(
            name,
            device="cpu",
            compute_type=config.compute_type,
            cpu_threads=config.cpu_threads,
            num_workers=1,
            download_root=config.asr_download_root,
            local_files_only=config.asr_is_local,
        )
    except Exception as exc:
        raise ModelNotFoundError(f"cannot load Whisper model {config.asr_model!r}: {exc}") from exc


def _clean_words(raw: list[Any], offset: float) -> tuple[Word, ...]:
    """Simplified Chinese, decoder loops removed (token- and character-level)."""
    texts = [to_simplified(w.word) for w in raw]
    keep = repeated_run_mask(texts)
    raw = [w for w, k in zip(raw, keep, strict=True) if k]
    texts = collapse_word_repeats([t for t, k in zip(texts, keep, strict=True) if k])
    return fix_long_words(
        [
            Word(float(w.start) + offset, float(w.end) + offset, t, float(w.probability))
            for w, t in zip(raw, texts, strict=True)
            if t.strip()
        ]
    )


MAX_WORD_SECONDS = 1.2
CLAMPED_WORD_SECONDS = 0.6


def fix_long_words(words: list[Word]) -> tuple[Word, ...]:
    """Whisper's first word after a pause often starts where the previous word ended
    (the pause is absorbed into it, seconds long with VAD on).  Clamp such words to
    end a short, plausible duration before their end."""
    out = []
    for w in words:
        if w.end - w.start > MAX_WORD_SECONDS:
            w = Word(w.end - CLAMPED_WORD_SECONDS, w.end, w.text, w.probability)
        out.append(w)
    # With VAD on, the first word of a segment is sometimes left at the end of the
    # previous speech chunk, seconds before the rest of its segment: move it next to them.
    if len(out) > 1 and out[1].start - out[0].end > MAX_GAP_AFTER_FIRST_WORD:
        first, nxt = out[0], out[1]
        dur = min(first.end - first.start, CLAMPED_WORD_SECONDS)
        out[0] = Word(nxt.start - dur, nxt.start, first.text, first.probability)
    return tuple(out)


MAX_GAP_AFTER_FIRST_WORD = 1.0


def transcribe(
    model: Any,
    samples: np.ndarray,
    config: SpeechConfig,
    *,
    language: str | None = None,
    offset: float = 0.0,
    progress: Callable[[float], None] | None = None,
) -> AsrResult:
    """Transcribe mono float32 16 kHz ``samples``; times shifted by ``offset``."""
    lang = language or config.language
    if samples.ndim == 2:
        samples = samples.mean(axis=0)
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    duration = samples.size / 16000
    t0 = time.perf_counter()
    if samples.size < 1600:
        return AsrResult(lang if lang != "auto" else "zh", (), 0.0)
    options: dict[str, Any] = {
        "language": None if lang == "auto" else lang,
        "beam_size": config.beam_size,
        # The fallback ladder: a window whose decode looks wrong (compression ratio, log
        # probability) is decoded again at each next temperature, with sampling.  Its length
        # bounds the re-decodes per window (config.max_redecodes); (0.0,) never samples, so
        # the same audio gives the same words.
        "temperature": list(config.temperatures),
        "vad_filter": config.vad,
        # vad_parameters: faster-whisper defaults (Silero, 2 s min silence, 400 ms pad)
        "word_timestamps": True,
        # No initial_prompt: a Chinese prompt made the base model loop (SPEECH.md).
        "condition_on_previous_text": False,
        "compression_ratio_threshold": 2.4,
        "log_prob_threshold": -1.0,
        "no_speech_threshold": 0.6,
        "hallucination_silence_threshold": 2.0,
        "hotwords": " ".join(config.hotwords) or None,
    }
    weight = logprob_sum = no_speech_sum = 0.0
    try:
        if config.asr_batch_size > 0:
            from faster_whisper import BatchedInferencePipeline

            # Batched: VAD chunks of up to 30 s decoded batch_size at a time (no fallback
            # ladder per chunk beyond the one given, no hallucination-silence pass).
            del options["hallucination_silence_threshold"]
            segments, info = BatchedInferencePipeline(model).transcribe(
                samples, batch_size=config.asr_batch_size, **options
            )
        else:
            segments, info = model.transcribe(samples, **options)
        out: list[AsrSegment] = []
        for seg in segments:
            words = _clean_words(list(seg.words or ()), offset)
            if words:
                text = join_words([w.text for w in words])
                start, end = words[0].start, words[-1].end
            else:
                text = collapse_repeats(to_simplified(seg.text.strip()))
                start, end = float(seg.start) + offset, float(seg.end) + offset
            if text:
                out.append(AsrSegment(start, end, text, words))
                lp, ns = getattr(seg, "avg_logprob", None), getattr(seg, "no_speech_prob", None)
                if lp is not None and ns is not None:
                    w = max(0.0, float(seg.end) - float(seg.start))
                    weight += w
                    logprob_sum += w * float(lp)
                    no_speech_sum += w * float(ns)
            if progress and duration > 0:
                progress(min(1.0, float(seg.end) / duration))
    except Exception as exc:
        raise TranscriptionError(f"speech recognition failed: {exc}") from exc
    detected = lang if lang != "auto" else (info.language or "zh")
    speech = getattr(info, "duration_after_vad", None) if config.vad else None
    return AsrResult(
        detected,
        tuple(out),
        time.perf_counter() - t0,
        speech_seconds=float(speech if speech is not None else duration),
        avg_logprob=logprob_sum / weight if weight else None,
        no_speech_prob=no_speech_sum / weight if weight else None,
        decoded_seconds=weight,
    )
