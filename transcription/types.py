"""Transcript types: the exchange format between speech and scoring.

JSON form follows ``shared/contracts/transcript.schema.json`` (extra fields allowed).
Times are seconds from the start of the call.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

Role = Literal["agent", "customer", "ivr", "unknown"]
ROLES: tuple[str, ...] = ("agent", "customer", "ivr", "unknown")


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word (or Chinese character group) with its timing."""

    start: float
    end: float
    text: str
    probability: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"start": round(self.start, 3), "end": round(self.end, 3), "text": self.text}
        if self.probability is not None:
            d["probability"] = round(self.probability, 4)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Word:
        return cls(float(d["start"]), float(d["end"]), str(d["text"]), d.get("probability"))


@dataclass(frozen=True, slots=True)
class Segment:
    """One speaker turn (or part of one)."""

    id: int
    start: float
    end: float
    speaker: str
    text: str
    role: Role = "unknown"
    words: tuple[Word, ...] = ()

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "speaker": self.speaker,
            "role": self.role,
            "text": self.text,
        }
        if self.words:
            d["words"] = [w.to_dict() for w in self.words]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], index: int = 0) -> Segment:
        role = d.get("role") or "unknown"
        if role not in ROLES:
            raise ValueError(f"segment {index}: unknown role {role!r}")
        return cls(
            id=int(d["id"]) if d.get("id") is not None and str(d.get("id")).isdigit() else index,
            start=float(d["start"]),
            end=float(d["end"]),
            speaker=str(d["speaker"]),
            text=str(d["text"]),
            role=role,
            words=tuple(Word.from_dict(w) for w in d.get("words") or ()),
        )


@dataclass(frozen=True, slots=True)
class AsrQuality:
    """How the recogniser judged its own reading of the call (all channels together).

    ``speech_seconds``: speech the voice-activity detector found (faster-whisper's
    ``duration_after_vad``, summed over channels; the audio's length when VAD is off) — the time the
    transcript's characters should fill. ``avg_logprob`` / ``no_speech_prob``: Whisper's per-segment
    mean token log-probability and no-speech probability, averaged over the kept segments weighted by
    their length (``None`` when no segment was kept). Read by :mod:`scoring.reliability`; transcripts
    made before these were recorded have no ``asr`` entry and are judged on what they have.
    """

    speech_seconds: float
    avg_logprob: float | None = None
    no_speech_prob: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"speech_seconds": round(self.speech_seconds, 3)}
        if self.avg_logprob is not None:
            d["avg_logprob"] = round(self.avg_logprob, 4)
        if self.no_speech_prob is not None:
            d["no_speech_prob"] = round(self.no_speech_prob, 4)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AsrQuality:
        def num(key: str) -> float | None:
            v = d.get(key)
            return None if v is None else float(v)

        return cls(float(d["speech_seconds"]), num("avg_logprob"), num("no_speech_prob"))


@dataclass(frozen=True, slots=True)
class Transcript:
    """A whole call: segments in time order plus what produced them."""

    language: str
    duration: float
    segments: tuple[Segment, ...]
    channels: Literal["mono", "stereo"] = "mono"
    speakers: dict[str, Role] = field(default_factory=dict)
    call_id: str | None = None
    models: dict[str, str] = field(default_factory=dict)
    role_confidence: float | None = None
    asr: AsrQuality | None = None

    def role_of(self, speaker: str) -> Role:
        return self.speakers.get(speaker, "unknown")

    def by_role(self, role: Role) -> tuple[Segment, ...]:
        return tuple(s for s in self.segments if s.role == role)

    def with_roles(self, speakers: dict[str, Role], confidence: float | None = None) -> Transcript:
        """Return a copy whose segments carry the roles of ``speakers``."""
        segs = tuple(
            Segment(s.id, s.start, s.end, s.speaker, s.text, speakers.get(s.speaker, "unknown"), s.words)
            for s in self.segments
        )
        return replace(
            self,
            segments=segs,
            speakers=dict(speakers),
            models=dict(self.models),
            role_confidence=confidence if confidence is not None else self.role_confidence,
        )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "call_id": self.call_id,
            "language": self.language,
            "duration": round(self.duration, 3),
            "channels": self.channels,
            "speakers": dict(self.speakers),
            "segments": [s.to_dict() for s in self.segments],
            "models": dict(self.models),
        }
        if self.role_confidence is not None:
            d["role_confidence"] = round(self.role_confidence, 3)
        if self.asr is not None:
            d["asr"] = self.asr.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Transcript:
        for key in ("language", "duration", "segments"):
            if key not in d:
                raise ValueError(f"transcript is missing required field {key!r}")
        segs = tuple(Segment.from_dict(s, i) for i, s in enumerate(d["segments"]))
        speakers = {str(k): v for k, v in (d.get("speakers") or {}).items()}
        for k, v in speakers.items():
            if v not in ROLES:
                raise ValueError(f"speaker {k!r}: unknown role {v!r}")
        # Segments without a role inherit the speaker map.
        segs = tuple(
            s
            if s.role != "unknown" or s.speaker not in speakers
            else Segment(s.id, s.start, s.end, s.speaker, s.text, speakers[s.speaker], s.words)
            for s in segs
        )
        return cls(
            language=str(d["language"]),
            duration=float(d["duration"]),
            segments=tuple(sorted(segs, key=lambda s: (s.start, s.end))),
            channels=d.get("channels") or "mono",
            speakers=speakers,
            call_id=d.get("call_id"),
            models=dict(d.get("models") or {}),
            role_confidence=d.get("role_confidence"),
            asr=AsrQuality.from_dict(d["asr"]) if isinstance(d.get("asr"), dict) else None,
        )
