"""The speech pipeline: decode -> ASR -> diarize (or split channels) -> merge -> roles -> redact.

Each stage is a public method so a durable job can run and report them one by one;
:meth:`SpeechPipeline.run` chains them.  Models load lazily on first use and stay
cached on the instance; :meth:`release` frees them.

Threads: CTranslate2 and torch each start an OpenMP pool.  On 2 cores, running
pyannote right after faster-whisper in one process was 10x slower (SPEECH.md)
because the pools fight for the cores.  Both are capped at ``config.cpu_threads``
and torch's inter-op pool at 1; bench/speech.py measures the effect.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from transcription.config import SpeechConfig
from transcription.errors import BadAudioError, SpeechError
from transcription.merge import SpeakerTurn, assign_speakers, merge_channels, renumber, split_on_pauses
from transcription.redact import RedactionSpan, redact_transcript
from transcription.roles import LEFT, RIGHT, Layout, RoleDecision, assign_roles
from transcription.types import AsrQuality, Transcript

SAMPLE_RATE = 16000
Progress = Callable[[str, float], None]


@dataclass(slots=True)
class AudioInput:
    """Decoded call audio: float32 (channels, samples) at 16 kHz."""

    samples: np.ndarray
    sample_rate: int
    channels: Literal["mono", "stereo"]
    path: str | None = None

    @property
    def duration(self) -> float:
        return self.samples.shape[-1] / self.sample_rate

    @property
    def mono(self) -> np.ndarray:
        return self.samples.mean(axis=0) if self.samples.shape[0] > 1 else self.samples[0]


@dataclass(slots=True)
class AsrOutput:
    """ASR per channel: one entry (mono) or two (stereo, left then right)."""

    language: str
    channels: list[list[tuple[float, float, str, tuple[Any, ...]]]]
    seconds: float = 0.0
    quality: AsrQuality | None = None


@dataclass(slots=True)
class PipelineResult:
    transcript: Transcript
    redactions: list[RedactionSpan]
    roles: RoleDecision | None
    timings: dict[str, float] = field(default_factory=dict)


def _noop(stage: str, fraction: float) -> None:
    return None


CALL_STAGES = ("decode", "asr", "diarize", "merge", "roles", "redact")
SETUP_STAGES = ("setup_asr", "setup_diarize")


def summarize_timings(laps: dict[str, float], audio_seconds: float) -> dict[str, float]:
    """Per-stage laps -> the transcript's ``timings``: ``total`` / ``total_cpu`` are the call's
    own work (no model set-up), ``setup`` / ``setup_cpu`` the model loading done for it (0 in a
    warm process), ``audio_seconds`` the recording's length."""
    out = dict(laps)
    for suffix in ("", "_cpu"):
        out[f"total{suffix}"] = round(sum(laps.get(s + suffix, 0.0) for s in CALL_STAGES), 3)
        out[f"setup{suffix}"] = round(sum(laps.get(s + suffix, 0.0) for s in SETUP_STAGES), 3)
    out["audio_seconds"] = round(audio_seconds, 3)
    return out


def stage_rtf(timings: dict[str, float]) -> dict[str, float]:
    """Real-time factor (wall and CPU) per stage of a ``timings`` dict, plus ``total``."""
    audio = timings.get("audio_seconds") or 0.0
    if audio <= 0:
        return {}
    return {
        k: round(v / audio, 4)
        for k, v in timings.items()
        if k != "audio_seconds" and not k.startswith("setup")
    }


class SpeechPipeline:
    """Offline call transcription with cached models (one instance per worker process)."""

    def __init__(self, config: SpeechConfig | None = None) -> None:
        self.config = config or SpeechConfig()
        self._asr_model: Any = None
        self._diarizer: Any = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SpeechPipeline:
        """Build from QA_* environment variables (this process's by default)."""
        from transcription.config import from_environ

        return cls(from_environ() if env is None else SpeechConfig.from_mapping(env))

    # -- models ---------------------------------------------------------------
    def _limit_torch_threads(self) -> None:
        import torch

        torch.set_num_threads(self.config.cpu_threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass  # already set once in this process

    @property
    def asr_model(self) -> Any:
        if self._asr_model is None:
            from transcription.backends.asr import load_model

            self._asr_model = load_model(self.config)
        return self._asr_model

    @property
    def diarizer(self) -> Any:
        if self._diarizer is None:
            from transcription.backends.diarize import load_pipeline

            self._limit_torch_threads()
            c = self.config
            self._diarizer = load_pipeline(
                c.diarization_pipeline,
                c.hf_token,
                threads=c.cpu_threads,
                step=c.diarization_step,
                embedding_batch_size=c.diarization_batch_size,
                partial_hop=c.diarization_partial_hop,
            )
        return self._diarizer

    def release(self) -> None:
        """Free the cached models (they reload on next use)."""
        self._asr_model = None
        self._diarizer = None
        gc.collect()

    def model_ids(self) -> dict[str, str]:
        c = self.config
        return {
            "asr": f"faster-whisper:{Path(c.asr_model).name if c.asr_is_local else c.asr_model}"
            f" ({c.compute_type}, beam {c.beam_size})",
            "diarization": f"pyannote:{Path(c.diarization_pipeline).name if c.diarization_is_local else c.diarization_pipeline}",
        }

    # -- stages ---------------------------------------------------------------
    def load_audio(self, path: str | Path, channels: str = "mono") -> AudioInput:
        """Decode ``path`` to 16 kHz float32; ``channels='stereo'`` keeps two channels."""
        from transcription.audio import AudioError, decode

        if channels not in ("mono", "stereo"):
            raise BadAudioError(f"channels must be 'mono' or 'stereo', got {channels!r}")
        p = Path(path)
        if not p.is_file():
            raise BadAudioError(f"audio file not found: {p}")
        try:
            samples = decode(p, SAMPLE_RATE, mono=channels == "mono")
        except AudioError as exc:
            raise BadAudioError(exc.message) from exc
        if samples.size == 0 or samples.shape[-1] < SAMPLE_RATE * 0.1:
            raise BadAudioError("the recording contains no audio")
        if channels == "stereo":
            if samples.shape[0] == 1:
                channels = "mono"  # a mono file cannot be split by channel: diarize it instead
            elif samples.shape[0] > 2:
                samples = samples[:2]
        return AudioInput(np.ascontiguousarray(samples, dtype=np.float32), SAMPLE_RATE, channels, str(p))  # type: ignore[arg-type]

    def asr(self, audio: AudioInput, language: str | None = None, progress: Progress = _noop) -> AsrOutput:
        """Transcribe each channel (stereo) or the downmix (mono)."""
        from transcription.backends.asr import transcribe

        model = self.asr_model
        tracks = [audio.samples[0], audio.samples[1]] if audio.channels == "stereo" else [audio.mono]
        out: list[list[tuple[float, float, str, tuple[Any, ...]]]] = []
        lang = language or self.config.language
        seconds = speech = weight = logprob = no_speech = 0.0
        for k, track in enumerate(tracks):

            def report(f: float, k: int = k) -> None:
                progress("asr", (k + f) / len(tracks))

            res = transcribe(model, track, self.config, language=lang, progress=report)
            seconds += res.seconds
            speech += res.speech_seconds
            if res.avg_logprob is not None and res.no_speech_prob is not None:
                weight += res.decoded_seconds
                logprob += res.decoded_seconds * res.avg_logprob
                no_speech += res.decoded_seconds * res.no_speech_prob
            if lang == "auto" and res.segments:
                lang = res.language  # keep channel 2 in the language detected on channel 1
            out.append([(s.start, s.end, s.text, s.words) for s in res.segments])
        progress("asr", 1.0)
        detected = lang if lang != "auto" else "zh"
        quality = AsrQuality(
            speech, logprob / weight if weight else None, no_speech / weight if weight else None
        )
        return AsrOutput(detected, out, seconds, quality)

    def diarize(self, audio: AudioInput, progress: Progress = _noop) -> list[SpeakerTurn]:
        """Speaker turns for a mono call (stereo calls are split by channel instead)."""
        if audio.channels == "stereo":
            progress("diarize", 1.0)
            return []
        from transcription.backends.diarize import diarize

        progress("diarize", 0.0)
        self._limit_torch_threads()
        c = self.config
        turns = diarize(
            self.diarizer,
            audio.mono,
            audio.sample_rate,
            num_speakers=c.num_speakers,
            min_speakers=c.min_speakers,
            max_speakers=c.max_speakers,
        )
        progress("diarize", 1.0)
        return [SpeakerTurn(t.start, t.end, t.speaker) for t in turns]

    def merge(
        self, audio: AudioInput, asr: AsrOutput, turns: list[SpeakerTurn], call_id: str | None = None
    ) -> Transcript:
        """Attach speakers to the recognised words and build the Transcript."""
        channels = [split_on_pauses(ch) for ch in asr.channels]
        if audio.channels == "stereo":
            segs = merge_channels(channels, (LEFT, RIGHT), audio.samples, audio.sample_rate)
        else:
            segs = assign_speakers(channels[0], turns) if channels else []
        segs = renumber(segs)
        speakers = {s.speaker: "unknown" for s in segs}
        return Transcript(
            language=asr.language,
            duration=audio.duration,
            segments=tuple(segs),
            channels=audio.channels,
            speakers=speakers,  # type: ignore[arg-type]
            call_id=call_id,
            models=self.model_ids() | ({"speakers": "channels"} if audio.channels == "stereo" else {}),
            asr=asr.quality,
        )

    def roles(self, transcript: Transcript, layout: Layout | None = None) -> tuple[Transcript, RoleDecision]:
        """Agent / customer / IVR roles (from the channel layout when known)."""
        if layout == "mono":
            layout = None
        if transcript.channels == "mono" and layout in ("stereo_agent_left", "stereo_agent_right"):
            layout = None  # a layout that does not match the audio is ignored
        return assign_roles(transcript, layout)

    def redact(self, transcript: Transcript) -> tuple[Transcript, list[RedactionSpan]]:
        """Mask card / ID / phone numbers; return the time spans to mute in stored audio."""
        return redact_transcript(transcript)

    # -- all together ----------------------------------------------------------
    def run_detailed(
        self,
        audio_path: str | Path,
        channels: str = "mono",
        layout: Layout | None = None,
        language: str | None = None,
        progress: Progress | None = None,
        call_id: str | None = None,
    ) -> PipelineResult:
        """Run every stage; return the redacted transcript, redaction spans and timings."""
        report = progress or _noop
        timings: dict[str, float] = {}
        t, c = time.perf_counter(), time.process_time()

        def lap(stage: str) -> None:
            """Wall seconds of ``stage`` and, as ``<stage>_cpu``, the process CPU seconds (all
            threads, user + system): far less sensitive than wall time to other load."""
            nonlocal t, c
            now, cpu = time.perf_counter(), time.process_time()
            timings[stage] = round(now - t, 3)
            timings[f"{stage}_cpu"] = round(cpu - c, 3)
            t, c = now, cpu

        try:
            report("decode", 0.0)
            audio = self.load_audio(audio_path, channels)
            lap("decode")
            # Model set-up (first call of a process) is timed apart from the call's own work.
            if self._asr_model is None:
                _ = self.asr_model
                lap("setup_asr")
            report("asr", 0.0)
            asr = self.asr(audio, language, report)
            lap("asr")
            if audio.channels == "mono" and self._diarizer is None:
                _ = self.diarizer
                lap("setup_diarize")
            turns = self.diarize(audio, report)
            lap("diarize")
            report("merge", 0.0)
            transcript = self.merge(audio, asr, turns, call_id)
            lap("merge")
            report("roles", 0.0)
            transcript, decision = self.roles(transcript, layout)
            lap("roles")
            report("redact", 0.0)
            transcript, spans = self.redact(transcript)
            lap("redact")
            report("redact", 1.0)
        except SpeechError:
            raise
        except MemoryError as exc:
            raise SpeechError("out of memory while transcribing (recording too long?)") from exc
        return PipelineResult(transcript, spans, decision, summarize_timings(timings, audio.duration))

    def run(
        self,
        audio_path: str | Path,
        channels: str = "mono",
        layout: Layout | None = None,
        language: str | None = None,
        progress: Progress | None = None,
        call_id: str | None = None,
    ) -> Transcript:
        """Transcribe one call: redacted Transcript with roles and model ids."""
        return self.run_detailed(audio_path, channels, layout, language, progress, call_id).transcript
