"""Speech backends (faster-whisper ASR, pyannote diarization, channel split).

Heavy libraries are imported inside the backend modules' functions only, so
``import transcription`` stays cheap.
"""

from __future__ import annotations

import warnings

from transcription.config import set_runtime_env

# Before torch / CTranslate2 load (this package is imported before either); see set_runtime_env.
set_runtime_env(offline=False)

_ENV_READY = False


def ensure_speech_env(offline: bool = True) -> None:
    """Set the environment pyannote / Hugging Face read at import time (``set_runtime_env``) and
    import pyannote's audio I/O once: torchcodec is absent on CPU installs (see
    scripts/install_speech.sh) and pyannote warns about it at import although we always pass
    in-memory waveforms."""
    global _ENV_READY
    set_runtime_env(offline=offline)
    if _ENV_READY:
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"(?s).*torchcodec is not installed correctly")
        warnings.filterwarnings("ignore", category=UserWarning, module=r"pyannote\..*")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        import pyannote.audio.core.io  # noqa: F401  (imports torchaudio, probes torchcodec)
    _ENV_READY = True
