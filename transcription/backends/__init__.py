"""Speech backends (faster-whisper ASR, pyannote diarization, channel split).

Heavy libraries are imported inside the backend modules' functions only, so
``import transcription`` stays cheap.
"""

from __future__ import annotations

import os
import warnings

# Set before torch / CTranslate2 load (this package is imported before either):
# each ships its own libgomp, and with the default active wait policy their idle
# threads spin on the same 2 cores.  Measured on far_3.wav (21.8 s) on a loaded
# machine: diarization 2-11 s -> 1.6-2.2 s per run.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_ENV_READY = False


def ensure_speech_env(offline: bool = True) -> None:
    """Set the environment pyannote / Hugging Face read at import time.

    * ``HF_HUB_OFFLINE=1`` unless a hub model was configured (``offline=False``):
      no run-time downloads on machines without a model hub.
    * ``PYANNOTE_METRICS_ENABLED=0``: pyannote 4 sends usage telemetry by default.
    * torchcodec is absent on CPU installs (see scripts/install_speech.sh); pyannote
      warns about it once at import although we always pass in-memory waveforms.
    """
    global _ENV_READY
    if offline:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "0")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if _ENV_READY:
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"(?s).*torchcodec is not installed correctly")
        warnings.filterwarnings("ignore", category=UserWarning, module=r"pyannote\..*")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        import pyannote.audio.core.io  # noqa: F401  (imports torchaudio, probes torchcodec)
    _ENV_READY = True
