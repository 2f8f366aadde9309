"""Unreliable transcripts: when a call's automated verdicts should not count without a listen.

The one definition, used by sampling (the ``unreliable_transcript`` rule), by the verdicts behind the
coaching statistics and dashboards (``coaching.effective`` drops machine verdicts on an unreliable
transcript and keeps human ones: the reviewer listened) and by the SQL condition that repeats it in the
database (``qa_app.services.verdicts.unreliable_transcript``, built from the constants below). README
"Unreliable transcripts" documents it for users.

A transcript is **unreliable** when any of these holds:

1. **no transcript** for a call that has a recording — the machine read nothing it could quote (a call
   without a recording, i.e. demo history, has no transcript by nature and is not judged on it);
2. **roles are a guess** — ``role_confidence`` below :data:`MIN_ROLE_CONFIDENCE` (0.5; on the labelled
   JDDC / STC-3 dialogues role accuracy is 1.000 / 0.936 at ≥ 0.5, docs/MEASUREMENTS.md), so agent
   criteria may have been scored on the customer's words — unless a person confirmed the roles
   (``roles_swapped_by_id`` is set; the swap also stores confidence 1.0, which passes by itself);
3. **too little speech for the recording** — on a call of at least :data:`MIN_SECONDS_FOR_DENSITY`
   (30 s; a 10-second wrong number may legitimately say almost nothing): fewer than
   :data:`MIN_TURNS_PER_MINUTE` (1) transcript turns a minute, or fewer than
   :data:`MIN_CHARS_PER_SECOND` (0.5) transcribed characters a second (comfortable Mandarin runs at ~4
   a second over both speakers; holds and silences are allowed for) — recognition mostly failed
   (silence, music, noise, a wrong channel or language).

An unknown role confidence (older transcripts) is not evidence of a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_ROLE_CONFIDENCE = 0.5
MIN_SECONDS_FOR_DENSITY = 30.0
MIN_TURNS_PER_MINUTE = 1.0
MIN_CHARS_PER_SECOND = 0.5

__all__ = [
    "MIN_CHARS_PER_SECOND",
    "MIN_ROLE_CONFIDENCE",
    "MIN_SECONDS_FOR_DENSITY",
    "MIN_TURNS_PER_MINUTE",
    "TranscriptFacts",
    "unreliable",
]


@dataclass(frozen=True, slots=True)
class TranscriptFacts:
    """What the rule looks at for one call.

    ``turns`` are transcript segments (lines of the stored search text) and ``text_chars`` their
    characters without the line breaks; both are 0 without a transcript.
    """

    duration: float  # seconds of audio (0 when unknown)
    has_transcript: bool = True
    has_recording: bool = True
    role_confidence: float | None = None
    roles_confirmed: bool = False  # a person set the agent/customer roles (roles_swapped_by_id)
    turns: int = 0
    text_chars: int = 0
    purged_unreliable: bool | None = None  # the transcript was deleted (retention): its verdict then


def unreliable(t: TranscriptFacts) -> bool:
    """True when the transcript should not be trusted without a listen (the module docstring's rule)."""
    if not t.has_transcript:
        return t.purged_unreliable if t.purged_unreliable is not None else t.has_recording
    if t.role_confidence is not None and t.role_confidence < MIN_ROLE_CONFIDENCE and not t.roles_confirmed:
        return True
    if t.duration < MIN_SECONDS_FOR_DENSITY:
        return False
    if t.turns < MIN_TURNS_PER_MINUTE * t.duration / 60:
        return True
    return t.text_chars < MIN_CHARS_PER_SECOND * t.duration
