#!/usr/bin/env bash
# One command to run every check: install, lint, layering contracts, the whole pytest suite
# (including the slow real-speech tests; pass --fast to skip them). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

# Real-browser tests drive Debian's chromium (Playwright cannot download its own browser here), with a
# Chinese font: the UI is Chinese first, and the navbar test measures real glyph widths.
if ! command -v chromium >/dev/null 2>&1 || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
    echo "== system packages: chromium, fonts-noto-cjk (browser tests)"
    if [[ $(id -u) == 0 ]]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
    elif command -v sudo >/dev/null 2>&1; then
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
    else
        echo "chromium is missing and cannot be installed here: browser tests will be skipped (fail under CI)" >&2
    fi
fi

export HF_HUB_OFFLINE=1 PYANNOTE_METRICS_ENABLED=0 OMP_WAIT_POLICY=PASSIVE
if [[ -z "${QA_TEST_POSTGRES_URL:-}" ]] && .venv/bin/python - <<'PY' 2>/dev/null
import psycopg
psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=3).close()
PY
then
    export QA_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    echo "== PostgreSQL answers: migration/intake tests also run on it"
fi

echo "== ruff"
.venv/bin/ruff check .
echo "== import-linter (layering contracts)"
.venv/bin/lint-imports
echo "== pytest"
if [[ "${1:-}" == "--fast" ]]; then
    shift
    exec .venv/bin/pytest "$@"
fi
exec .venv/bin/pytest -m "slow or not slow" "$@"
