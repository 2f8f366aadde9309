"""Unreliable transcripts: when a call's automated verdicts should not be trusted without a listen.

The one definition. It runs once, when a call is scored (``qa_app.services.processing`` stores the
result on the call: ``calls.transcript_unreliable`` and the reasons as message codes), and everything
else reads that column: sampling (the ``unreliable_transcript`` rule), the verdicts behind the
coaching statistics and dashboards, the machine-vs-human report, the release of automated evaluations
to agents and the calls list. README "Unreliable transcripts" documents it for users; the thresholds
below were chosen from ``bench/reliability.py`` (figures in docs/MEASUREMENTS.md).

A transcript is **unreliable** when any of these holds (each gives a reason, a message code):

1. ``reliability.no_transcript`` — a call with a recording has no transcript (a call without a
   recording, i.e. demo history, has none by nature and is not judged on it);
2. ``reliability.roles_uncertain`` — role confidence below :data:`MIN_ROLE_CONFIDENCE` (0.5; on the
   labelled JDDC / STC-3 dialogues role accuracy is 1.000 / 0.936 at ≥ 0.5), unless a person
   confirmed the roles (a reviewer's swap stores confidence 1.0 and who did it);
3. on a recording of at least :data:`MIN_SECONDS_FOR_DENSITY` (30 s; a 10-second wrong number may
   legitimately say almost nothing): ``reliability.one_segment`` — the whole call is one transcript
   segment (a conversation has turns; issue #10's demo call 6: 64 s read as one two-character
   segment), or ``reliability.few_turns`` — fewer than :data:`MIN_TURNS_PER_MINUTE` turns a minute;
4. ``reliability.slow_speech`` — with at least :data:`MIN_SPEECH_SECONDS` of *detected speech* (the
   voice-activity detector's speech time, ``Transcript.asr.speech_seconds``, not the recording: holds
   and silences do not count), fewer than :data:`MIN_CHARS_PER_SPEECH_SECOND` characters per second of
   it — speech was heard but hardly any of it became text. A transcript without the detector's figure
   (made before it was recorded, or by a plug-in backend) falls back to ``reliability.little_text``:
   on a recording of 30 s or more, fewer than :data:`MIN_CHARS_PER_SECOND` characters per second of
   recording;
5. ``reliability.low_logprob`` — Whisper's mean token log-probability (length-weighted over the kept
   segments) below :data:`MIN_AVG_LOGPROB`: the recogniser was guessing;
6. ``reliability.no_speech`` — Whisper's mean no-speech probability above :data:`MAX_NO_SPEECH_PROB`:
   the text was read out of what the model itself took for silence or noise.

Signals a transcript does not carry (older transcripts have no ``asr`` entry, an unknown role
confidence) are no evidence either way: such a transcript is judged on what it has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from rubrics.messages import Message, msg
from scoring import messages as _messages  # noqa: F401  (registers the reason templates)
from scoring.model import Scorecard
from transcription.types import Transcript

MIN_ROLE_CONFIDENCE = 0.5
MIN_SECONDS_FOR_DENSITY = 30.0
MIN_TURNS_PER_MINUTE = 1.0
MIN_CHARS_PER_SECOND = 0.5
# Thresholds measured with bench/reliability.py (docs/MEASUREMENTS.md, "Transcript reliability"): on the
# 26 ../shared/eval clips, detected-speech density is 2.26–16.6 characters a second (median 3.31; zh
# 2.3–5.1 — 9.1 for a deliberately fast clip —, en 9.6–16.6 letters and spaces), so 1.0 leaves a factor
# two below the slowest real speech; the demo call it catches (espeak Mandarin) reads 0.82 at CER 0.88.
MIN_CHARS_PER_SPEECH_SECOND = 1.0
# A density needs enough detected speech to divide by (a few words are too few to judge).
MIN_SPEECH_SECONDS = 10.0
# Whisper's own per-segment thresholds (log_prob_threshold -1.0, no_speech_threshold 0.6), here applied to
# the call's length-weighted means: the eval clips read median -0.37 / 0.05; only a Hunan-dialect clip
# (CER 1.00) falls under -1.0 and only a deliberately fast clip (CER 0.43) rises over 0.6.
MIN_AVG_LOGPROB = -1.0
MAX_NO_SPEECH_PROB = 0.6

__all__ = [
    "MAX_NO_SPEECH_PROB",
    "MIN_AVG_LOGPROB",
    "MIN_CHARS_PER_SECOND",
    "MIN_CHARS_PER_SPEECH_SECOND",
    "MIN_ROLE_CONFIDENCE",
    "MIN_SECONDS_FOR_DENSITY",
    "MIN_SPEECH_SECONDS",
    "MIN_TURNS_PER_MINUTE",
    "TranscriptFacts",
    "assess",
    "facts_of",
    "gate",
    "unreliable",
]


@dataclass(frozen=True, slots=True)
class TranscriptFacts:
    """What the rule looks at for one call.

    ``turns`` are transcript segments and ``text_chars`` their characters; both are 0 without a
    transcript. ``speech_seconds`` / ``avg_logprob`` / ``no_speech_prob`` come from the recogniser
    (``Transcript.asr``), ``None`` when the transcript does not carry them.
    """

    duration: float  # seconds of audio (0 when unknown)
    has_transcript: bool = True
    has_recording: bool = True
    role_confidence: float | None = None
    roles_confirmed: bool = False  # a person set the agent/customer roles (roles_swapped_by_id)
    turns: int = 0
    text_chars: int = 0
    speech_seconds: float | None = None
    avg_logprob: float | None = None
    no_speech_prob: float | None = None


def facts_of(
    transcript: Transcript | None,
    duration: float | None = None,
    *,
    has_recording: bool = True,
    roles_confirmed: bool = False,
) -> TranscriptFacts:
    """The facts of a call from its transcript (``None``: no transcript); ``duration`` defaults to the
    transcript's (the call's measured duration is the better one when known)."""
    if transcript is None:
        return TranscriptFacts(float(duration or 0.0), has_transcript=False, has_recording=has_recording)
    asr = transcript.asr
    return TranscriptFacts(
        duration=float(duration if duration else transcript.duration),
        has_recording=has_recording,
        role_confidence=transcript.role_confidence,
        roles_confirmed=roles_confirmed,
        turns=sum(1 for s in transcript.segments if s.text.strip()),
        text_chars=sum(len(s.text.strip()) for s in transcript.segments),
        speech_seconds=asr.speech_seconds if asr else None,
        avg_logprob=asr.avg_logprob if asr else None,
        no_speech_prob=asr.no_speech_prob if asr else None,
    )


def assess(t: TranscriptFacts) -> tuple[Message, ...]:
    """The reasons the transcript should not be trusted without a listen; empty when it is reliable."""
    if not t.has_transcript:
        return (msg("reliability.no_transcript"),) if t.has_recording else ()
    out: list[Message] = []
    if t.role_confidence is not None and t.role_confidence < MIN_ROLE_CONFIDENCE and not t.roles_confirmed:
        out.append(msg("reliability.roles_uncertain", confidence=round(t.role_confidence, 2)))
    if t.duration >= MIN_SECONDS_FOR_DENSITY:
        if t.turns <= 1:
            out.append(msg("reliability.one_segment", seconds=round(t.duration), chars=t.text_chars))
        elif t.turns < MIN_TURNS_PER_MINUTE * t.duration / 60:
            out.append(msg("reliability.few_turns", turns=t.turns, minutes=round(t.duration / 60, 1)))
    if t.speech_seconds is not None:
        # text against the speech the detector heard, not against the recording (holds, silences)
        if (
            t.speech_seconds >= MIN_SPEECH_SECONDS
            and t.text_chars < MIN_CHARS_PER_SPEECH_SECOND * t.speech_seconds
        ):
            out.append(
                msg(
                    "reliability.slow_speech",
                    rate=round(t.text_chars / t.speech_seconds, 2),
                    speech=round(t.speech_seconds),
                    limit=MIN_CHARS_PER_SPEECH_SECOND,
                )
            )
    elif t.duration >= MIN_SECONDS_FOR_DENSITY and t.text_chars < MIN_CHARS_PER_SECOND * t.duration:
        out.append(
            msg(
                "reliability.little_text",
                chars=t.text_chars,
                seconds=round(t.duration),
                limit=MIN_CHARS_PER_SECOND,
            )
        )
    if t.avg_logprob is not None and t.avg_logprob < MIN_AVG_LOGPROB:
        out.append(msg("reliability.low_logprob", value=round(t.avg_logprob, 2), limit=MIN_AVG_LOGPROB))
    if t.no_speech_prob is not None and t.no_speech_prob > MAX_NO_SPEECH_PROB:
        out.append(msg("reliability.no_speech", value=round(t.no_speech_prob, 2), limit=MAX_NO_SPEECH_PROB))
    return tuple(out)


def unreliable(t: TranscriptFacts) -> bool:
    """True when the transcript should not be trusted without a listen (the module docstring's rule)."""
    return bool(assess(t))


def gate(card: Scorecard, reasons: Sequence[Message]) -> Scorecard:
    """The scorecard of a call whose transcript is unreliable: every automated verdict needs review and
    the reasons ride on the card. A card with no reasons is returned as it is."""
    if not reasons:
        return card
    rows = tuple(replace(c, needs_review=True) if c.automated else c for c in card.criteria)
    return replace(
        card,
        criteria=rows,
        needs_review=any(c.needs_review for c in rows),
        transcript_unreliable=tuple(reasons),
    )
