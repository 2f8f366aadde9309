#!/usr/bin/env bash
# One command to run the product: install, migrate, seed the demo when the database is empty,
# then serve on http://127.0.0.1:5000 with a background worker. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

export HF_HUB_OFFLINE=1 PYANNOTE_METRICS_ENABLED=0 OMP_WAIT_POLICY=PASSIVE
HOST=${QA_HOST:-127.0.0.1}
PORT=${QA_PORT:-5000}
FLASK=".venv/bin/flask --app wsgi"

$FLASK db-upgrade
SEED_OUT=$($FLASK seed-demo)
echo "$SEED_OUT"
# keep the printed logins from the first run; later runs only say the demo already exists
if grep -q "Logins" <<<"$SEED_OUT"; then echo "$SEED_OUT" >instance/demo-logins.txt; fi

$FLASK worker &
WORKER=$!
trap 'kill $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT INT TERM

cat <<MSG

============================================================
 质检与辅导 is running:  http://$HOST:$PORT
 Log in as admin / Demo#2026qa  (other demo logins: instance/demo-logins.txt)
 The worker transcribes and scores the demo calls in the background.
============================================================
MSG
.venv/bin/gunicorn --workers "${QA_WEB_WORKERS:-2}" --bind "$HOST:$PORT" --timeout 120 wsgi:app  # qa_app logs each request (no query strings)
