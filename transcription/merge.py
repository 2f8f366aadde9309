"""Combine ASR output with speakers: diarization turns (mono) or channels (stereo).

Pure functions on plain data (no ML imports), so they are unit-tested directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from transcription.text import join_words
from transcription.types import Segment, Word


@dataclass(frozen=True, slots=True)
class SpeakerTurn:
    """A diarization turn (same shape as backends.diarize.Turn, without importing it)."""

    start: float
    end: float
    speaker: str


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def speaker_at(
    start: float, end: float, turns: Sequence[SpeakerTurn], default: str | None = None
) -> str | None:
    """Speaker with the most overlap with [start, end]; nearest turn when none overlaps."""
    if not turns:
        return default
    best, best_ov = None, 0.0
    totals: dict[str, float] = {}
    for t in turns:
        ov = _overlap(start, end, t.start, t.end)
        if ov > 0:
            totals[t.speaker] = totals.get(t.speaker, 0.0) + ov
    if totals:
        best, best_ov = max(totals.items(), key=lambda kv: kv[1])
        return best
    if default is not None:
        return default
    mid = (start + end) / 2
    nearest = min(turns, key=lambda t: min(abs(mid - t.start), abs(mid - t.end)))
    return nearest.speaker


def _smooth(labels: list[str], words: Sequence[Word], max_island: float = 0.35) -> list[str]:
    """A single short word flipped between two runs of the same speaker is noise."""
    out = list(labels)
    for i in range(1, len(out) - 1):
        w = words[i]
        if out[i] != out[i - 1] and out[i - 1] == out[i + 1] and (w.end - w.start) <= max_island:
            out[i] = out[i - 1]
    return out


def assign_speakers(
    segments: Sequence[tuple[float, float, str, Sequence[Word]]],
    turns: Sequence[SpeakerTurn],
    default_speaker: str = "SPEAKER_00",
) -> list[Segment]:
    """Give each ASR segment (start, end, text, words) a speaker; split on speaker change.

    Words go to the turn they overlap most (nearest turn if none), then runs of
    equal speakers become segments.  Segments without words go whole.
    """
    out: list[Segment] = []
    for start, end, text, words in segments:
        if not words:
            spk = speaker_at(start, end, turns) or default_speaker
            out.append(Segment(0, start, end, spk, text))
            continue
        labels = [speaker_at(w.start, w.end, turns) or default_speaker for w in words]
        labels = _smooth(labels, words)
        run: list[Word] = [words[0]]
        for w, lab, prev in zip(words[1:], labels[1:], labels[:-1], strict=True):
            if lab != prev:
                out.append(_segment_from_words(run, prev))
                run = []
            run.append(w)
        out.append(_segment_from_words(run, labels[-1]))
    return renumber(out)


def _segment_from_words(words: Sequence[Word], speaker: str) -> Segment:
    return Segment(
        0, words[0].start, words[-1].end, speaker, join_words([w.text for w in words]), words=tuple(words)
    )


def split_on_pauses(
    segments: Sequence[tuple[float, float, str, Sequence[Word]]], max_gap: float = 1.0
) -> list[tuple[float, float, str, tuple[Word, ...]]]:
    """Split ASR segments where consecutive words are more than ``max_gap`` s apart.

    With VAD on, Whisper segments can span a long silence of this party (e.g. the
    other party talking on the other channel): the turn order of the merged
    transcript needs them cut there.
    """
    out: list[tuple[float, float, str, tuple[Word, ...]]] = []
    for start, end, text, words in segments:
        if len(words) < 2:
            out.append((start, end, text, tuple(words)))
            continue
        run: list[Word] = [words[0]]
        pieces: list[list[Word]] = []
        for prev, w in zip(words[:-1], words[1:], strict=True):
            if w.start - prev.end > max_gap:
                pieces.append(run)
                run = []
            run.append(w)
        pieces.append(run)
        if len(pieces) == 1:
            out.append((start, end, text, tuple(words)))
            continue
        for p in pieces:
            out.append((p[0].start, p[-1].end, join_words([w.text for w in p]), tuple(p)))
    return out


def renumber(segments: Sequence[Segment]) -> list[Segment]:
    """Sort by time and number 0..n-1."""
    ordered = sorted((s for s in segments if s.text.strip()), key=lambda s: (s.start, s.end))
    return [Segment(i, s.start, s.end, s.speaker, s.text, s.role, s.words) for i, s in enumerate(ordered)]


def frame_db(samples: np.ndarray, sample_rate: int = 16000, frame: float = 0.02) -> np.ndarray:
    """Per-frame energy in dB for a 1-D signal."""
    n = max(1, int(sample_rate * frame))
    usable = samples[: samples.size // n * n]
    if usable.size == 0:
        return np.full(1, -120.0)
    rms = np.sqrt(np.mean(usable.reshape(-1, n).astype(np.float64) ** 2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-6))


def is_crosstalk(
    start: float,
    end: float,
    own_db: np.ndarray,
    other_db: np.ndarray,
    frame: float = 0.02,
    margin_db: float = 15.0,
) -> bool:
    """True when, over [start, end], this channel is much quieter than the other one:
    the words were picked up from the other party's leak (echo, crosstalk)."""
    i0, i1 = int(start / frame), max(int(start / frame) + 1, int(end / frame))
    own, other = own_db[i0:i1], other_db[i0:i1]
    if own.size == 0 or other.size == 0:
        return False
    return float(np.median(other) - np.median(own)) > margin_db


def merge_channels(
    per_channel: Sequence[Sequence[tuple[float, float, str, Sequence[Word]]]],
    speakers: Sequence[str],
    samples: np.ndarray | None = None,
    sample_rate: int = 16000,
) -> list[Segment]:
    """Stereo call, one party per channel: label by channel, drop crosstalk, merge by time."""
    dbs = (
        [frame_db(samples[c], sample_rate) for c in range(samples.shape[0])] if samples is not None else None
    )
    out: list[Segment] = []
    for ch, segs in enumerate(per_channel):
        for start, end, text, words in segs:
            # Judged per segment: word timestamps are too imprecise for a per-word energy test.
            if dbs is not None and len(dbs) == 2 and is_crosstalk(start, end, dbs[ch], dbs[1 - ch]):
                continue
            out.append(Segment(0, start, end, speakers[ch], text, words=tuple(words)))
    return renumber(out)
