"""Logging set-up: plain text (the one-command dev run) or one JSON object per line (production).

``QA_LOG_FORMAT=json`` makes every record a JSON line with ``time, level, logger, message`` plus the
context of the moment: ``request_id, method, path, status, duration_ms, user_id`` inside a web request
(see ``qa_app/web/ops.py``), ``job_id, job_kind`` inside a job (``qa_app/jobs/worker.py``).

What is never logged: request bodies (passwords, uploaded audio), query strings (search terms are words
from transcripts), headers (tokens, cookies); and as a last line of defence every message has runs of 7
or more digits (phone, ID and card numbers, possibly separated by spaces or dashes) masked.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# Fields of the current request / job, read by both formatters.
_context: ContextVar[dict[str, Any] | None] = ContextVar("qa_log_context", default=None)

CONTEXT_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user_id", "job_id", "job_kind")
# 7+ digits, possibly grouped by single spaces / dashes (138 0013 8000, 6222-0212-3456-7890)
_DIGITS = re.compile(r"\d(?:[ \-]?\d){6,}")
_HANDLER_FLAG = "qa_app_handler"


def mask_numbers(text: str) -> str:
    """Replace every run of 7+ digits (phone, ID, card numbers) by asterisks of the same length."""
    return _DIGITS.sub(lambda m: "*" * len(m.group(0)), text)


def context() -> dict[str, Any]:
    return dict(_context.get() or {})


def bind(**fields: Any) -> object:
    """Add fields to the log context; returns a token for :func:`reset`."""
    return _context.set({**(_context.get() or {}), **fields})


def reset(token: object) -> None:
    _context.reset(token)  # type: ignore[arg-type]


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    token = bind(**fields)
    try:
        yield
    finally:
        reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; context fields that are set are included, others left out."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_numbers(record.getMessage()),
        }
        fields = {**context(), **{k: getattr(record, k) for k in CONTEXT_FIELDS if hasattr(record, k)}}
        for key in CONTEXT_FIELDS:
            if fields.get(key) is not None:
                out[key] = fields[key]
        if record.exc_info:
            out["exc_info"] = mask_numbers(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The familiar one-line format, with the request id / job id when there is one; numbers masked."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(ctx)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ctx = context()
        tag = ctx.get("request_id") or (f"job {ctx['job_id']}" if ctx.get("job_id") else "")
        record.ctx = f" [{tag}]" if tag else ""
        return super().format(record)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        # the message is masked, not the line: the timestamp "2026-11-29 23:07" is digits too
        record.message = mask_numbers(record.message)
        return super().formatMessage(record)

    def formatException(self, ei) -> str:  # noqa: ANN001, N802
        return mask_numbers(super().formatException(ei))


def configure(log_format: str, *, stream: Any = None, level: int = logging.INFO) -> logging.Handler:
    """Install one handler on the root logger (replacing ours from an earlier call). Idempotent."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, _HANDLER_FLAG, False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    setattr(handler, _HANDLER_FLAG, True)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    return handler
