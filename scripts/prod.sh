#!/usr/bin/env bash
# Production profile: gunicorn web workers, job workers and exactly ONE scheduler as separate processes,
# configured by the environment (deploy/production.env.example; README "Production").
#
#   scripts/prod.sh            all roles on this machine: migrate, N job workers, 1 scheduler, gunicorn
#   scripts/prod.sh web        gunicorn only (more machines behind a load balancer)
#   scripts/prod.sh worker     QA_JOB_WORKERS job workers (no scheduler) — any number of machines
#   scripts/prod.sh scheduler  the one scheduler of the deployment (duties fire once per period anyway)
#   scripts/prod.sh migrate    apply the migrations and exit (run once per release, before the others)
#
# Stops everything it started on Ctrl-C / SIGTERM. Expects the install done (scripts/bootstrap.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROLE=${1:-all}

: "${QA_DATABASE_URL:?set QA_DATABASE_URL (postgresql+psycopg://user@host/db)}"
: "${QA_SECRET_KEY:?set QA_SECRET_KEY (e.g. openssl rand -hex 32); every process must share it}"
: "${QA_DATA_DIR:?set QA_DATA_DIR (the audio store; shared storage when web and workers are on different machines)}"
export QA_LOG_FORMAT=${QA_LOG_FORMAT:-json}
export HF_HUB_OFFLINE=1 PYANNOTE_METRICS_ENABLED=0 OMP_WAIT_POLICY=PASSIVE
# Prometheus multiprocess mode: every process of this machine writes its counters here; /metrics adds them
# up. Emptied at start (stale files of dead processes would count twice).
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-${QA_INSTANCE_DIR:-instance}/prometheus}
VENV=${QA_VENV:-.venv}
FLASK="$VENV/bin/flask --app wsgi"

reset_metrics_dir() {
    rm -rf "$PROMETHEUS_MULTIPROC_DIR"
    mkdir -p -m 700 "$PROMETHEUS_MULTIPROC_DIR"
}

PIDS=()
stop_all() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}

start_workers() {
    for _ in $(seq 1 "${QA_JOB_WORKERS:-2}"); do
        $FLASK worker --no-scheduler &
        PIDS+=($!)
    done
}

case "$ROLE" in
    migrate)
        exec $FLASK db-upgrade ;;
    web)
        reset_metrics_dir
        exec "$VENV/bin/gunicorn" -c deploy/gunicorn.conf.py wsgi:app ;;
    scheduler)
        exec $FLASK scheduler ;;
    worker)
        mkdir -p -m 700 "$PROMETHEUS_MULTIPROC_DIR"  # emptied by the web role / "all" only
        trap stop_all EXIT INT TERM
        start_workers
        wait ;;
    all)
        reset_metrics_dir
        $FLASK db-upgrade
        trap stop_all EXIT INT TERM
        start_workers
        $FLASK scheduler &
        PIDS+=($!)
        "$VENV/bin/gunicorn" -c deploy/gunicorn.conf.py wsgi:app &
        PIDS+=($!)
        wait -n  # one role ended: stop the others (a supervisor restarts the whole profile)
        ;;
    *)
        echo "usage: $0 [all|web|worker|scheduler|migrate]" >&2
        exit 2 ;;
esac
