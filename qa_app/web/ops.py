"""Operations endpoints and the request hooks behind logs and metrics.

* ``/healthz``: the process answers (no dependency is touched) — 200 ``{"status": "ok"}``.
* ``/readyz``: database answers and is at the migrations' head, audio store writable, model files present
  for the configured speech backend, job broker answers (when the engine has one) — 200 or 503 with
  ``{"status": "ready"|"not ready", "checks": {name: {"ok": true} | {"ok": false, "error": "..."}}}``.
  Errors are fixed short phrases: no paths, URLs or exception texts (the details go to the log).
* ``/metrics``: Prometheus text (``qa_app/metrics.py``). With ``QA_METRICS_TOKEN`` set it needs
  ``Authorization: Bearer <token>`` from anywhere; without it only loopback clients get it (a reverse proxy
  in front makes every client look local: set the token there).

Every request gets an id: a valid incoming ``X-Request-ID`` (1-64 of ``A-Z a-z 0-9 . _ -``) is kept,
anything else replaced by a new one; it is returned in the ``X-Request-ID`` header and is on every log
record written while the request runs (``qa_app/logs.py``).
"""

from __future__ import annotations

import hmac
import logging
import re
import time
import uuid
from collections.abc import Callable

from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, request

from qa_app import logs, metrics
from qa_app.services import health
from qa_app.web.access import public

bp = Blueprint("ops", __name__)
log = logging.getLogger("qa_app.request")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def request_id_from(header: str | None) -> str:
    """The caller's request id when it is safe to log and echo, else a new one."""
    if header and _REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def broker_ping() -> Callable[[], object] | None:
    """The job engine's broker ping (``qa_app.jobs.engine.ping(settings) -> (ok, detail)``) when a broker
    is configured (``QA_JOB_BROKER``); the embedded worker has none to check. The detail (it may name the
    broker's address) goes to the log, never to the public answer."""
    settings = current_app.extensions["qa_settings"]
    if not getattr(settings, "job_broker", ""):
        return None
    from qa_app.jobs import engine

    def ping() -> bool:
        ok, detail = engine.ping(settings)
        if not ok:
            log.warning("readiness: job broker does not answer: %s", detail)
        return bool(ok)

    return ping


def readiness(app: Flask) -> list[health.Check]:
    settings = app.extensions["qa_settings"]
    checks = [
        health.database_check(app.extensions["qa_engine"]),
        health.audio_store_check(settings),
        health.models_check(settings),
    ]
    ping = app.extensions.get("qa_broker_ping", broker_ping())
    if ping is not None:
        checks.append(health.broker_check(ping))
    return checks


@bp.get("/healthz")
@public
def healthz() -> Response:
    resp = jsonify(status="ok")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/readyz")
@public
def readyz() -> tuple[Response, int]:
    checks = readiness(current_app)
    ready = all(c.ok for c in checks)
    resp = jsonify(status="ready" if ready else "not ready", checks={c.name: c.as_dict() for c in checks})
    resp.headers["Cache-Control"] = "no-store"
    return resp, 200 if ready else 503


def _metrics_allowed() -> bool:
    token = current_app.extensions["qa_settings"].metrics_token
    if token:
        given = request.headers.get("Authorization", "")
        return given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip(), token)
    return (request.remote_addr or "") in _LOOPBACK


@bp.get("/metrics")
@public  # access is the token / loopback rule above, checked here
def metrics_view() -> Response:
    if not _metrics_allowed():
        abort(403)
    engine = current_app.extensions["qa_engine"]
    body = metrics.render(lambda: health.queue_stats(engine))
    resp = Response(body, content_type=metrics.CONTENT_TYPE)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def install(app: Flask) -> None:
    """Request id, the request log line and the latency histogram. Registered first: its before-request
    hook runs before every other one, its after-request hook last (it sees the final status)."""

    @app.before_request
    def _start() -> None:
        g.qa_started = time.perf_counter()
        g.qa_request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        g.qa_log_token = logs.bind(request_id=g.qa_request_id, method=request.method, path=request.path)

    @app.after_request
    def _finish(resp: Response) -> Response:
        started = g.get("qa_started")
        if started is None:
            return resp
        seconds = time.perf_counter() - started
        resp.headers[REQUEST_ID_HEADER] = g.qa_request_id
        endpoint = request.url_rule.endpoint if request.url_rule is not None else None
        metrics.observe_request(endpoint, request.method, resp.status_code, seconds)
        user = g.get("_login_user")  # never load the user just to log it
        user_id = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
        level = logging.DEBUG if endpoint == "static" else logging.INFO
        log.log(
            level,
            "%s %s %s",
            request.method,
            request.path,
            resp.status_code,
            extra={"status": resp.status_code, "duration_ms": round(seconds * 1000, 1), "user_id": user_id},
        )
        return resp

    @app.teardown_request
    def _end(_exc: BaseException | None) -> None:
        token = g.pop("qa_log_token", None)
        if token is not None:
            try:
                logs.reset(token)
            except ValueError:  # created in another context (a streamed response): nothing to undo
                pass
