"""Speech pipeline errors; every message is safe to show to a user."""

from __future__ import annotations

INSTALL_HINT = (
    "run scripts/install_speech.sh from the repository root to install the speech stack and build models/"
)


class SpeechError(RuntimeError):
    """Base class of everything the speech pipeline raises on purpose."""

    code = "speech_error"


class BadAudioError(SpeechError):
    """The input cannot be decoded, is empty, or has an unexpected channel layout."""

    code = "bad_audio"


class ModelNotFoundError(SpeechError):
    """A model directory or name could not be loaded."""

    code = "model_missing"


class SpeechStackMissingError(SpeechError):
    """faster-whisper / pyannote / torch are not installed in this environment."""

    code = "stack_missing"


class TranscriptionError(SpeechError):
    """ASR failed at run time."""

    code = "asr_failed"


class DiarizationError(SpeechError):
    """Diarization failed at run time."""

    code = "diarization_failed"
