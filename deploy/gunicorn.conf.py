"""gunicorn settings of the production profile (scripts/prod.sh web); every value from the environment."""

import os

bind = os.environ.get("QA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("QA_WEB_WORKERS", "4"))  # ~2 per core; the web workers never load speech models
threads = int(os.environ.get("QA_WEB_THREADS", "1"))
timeout = int(os.environ.get("QA_WEB_TIMEOUT", "120"))  # uploads of long recordings are decoded in the request
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then (memory fragmentation of long-lived processes)
max_requests_jitter = 200
accesslog = None  # qa_app's own request log line (JSON, with the request id) replaces gunicorn's
errorlog = "-"
forwarded_allow_ips = os.environ.get("QA_FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):  # noqa: ANN001, ARG001
    """A web worker ended: drop its live gauge files (Prometheus multiprocess mode)."""
    from qa_app import metrics

    metrics.mark_process_dead(worker.pid)
