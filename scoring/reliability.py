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
   legitimately say almost nothing):

   * ``reliability.one_segment`` — the whole call is one transcript segment (a conversation has turns);
   * ``reliability.few_turns`` — fewer than :data:`MIN_TURNS_PER_MINUTE` turns a minute;
   * ``reliability.little_text`` — fewer than :data:`MIN_CHARS_PER_SECOND` characters per second of
     recording (holds and silences allowed for);
4. ``reliability.slow_speech`` — with at least :data:`MIN_SPEECH_SECONDS` of *detected speech* (the
   voice-activity detector's speech time, not the recording), fewer than
   :data:`MIN_CHARS_PER_SPEECH_SECOND` characters per second of it: speech was heard but hardly any of
   it became text (not repeated when ``little_text`` already says so);
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
# Characters per second of VAD-detected speech. Clean eval speech reads 3.4–6.7 (zh) and 13–16 (en,
# letters and spaces); the VAD pads each stretch by 0.4 s and keeps pauses under 2 s, so a slow,
# pausing speaker still reads > 2. Under 1.0 most of the speech never became text.
MIN_CHARS_PER_SPEECH_SECOND = 1.0
# Judged only with enough detected speech to divide by (a few words of speech are too few).
MIN_SPEECH_SECONDS = 10.0
# Whisper's own thresholds (log_prob_threshold -1.0, no_speech_threshold 0.6) act per segment and drop
# or re-decode what fails them; a whole call whose kept segments average below these is guesswork.
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
        if t.text_chars < MIN_CHARS_PER_SECOND * t.duration:
            out.append(
                msg(
                    "reliability.little_text",
                    chars=t.text_chars,
                    seconds=round(t.duration),
                    limit=MIN_CHARS_PER_SECOND,
                )
            )
    if (
        not any(m.code == "reliability.little_text" for m in out)
        and t.speech_seconds is not None
        and t.speech_seconds >= MIN_SPEECH_SECONDS
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
