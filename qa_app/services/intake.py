"""The one intake use case: store a recording (``calls.ingest``: sniffed, decoded, measured, deduplicated
by content) and queue it for transcription and scoring. Web upload, the API, the CSV import and the demo
all come in here."""

from __future__ import annotations

from typing import BinaryIO

from sqlalchemy.orm import Session

from qa_app.db.models import User
from qa_app.services import calls, queueing
from qa_app.services.calls import CallMeta, IntakeResult
from qa_app.settings import Settings


def receive(
    db: Session,
    settings: Settings,
    src: BinaryIO,
    *,
    filename: str,
    meta: CallMeta,
    actor: User | None,
    source: str = "upload",
    queue: bool = True,
) -> IntakeResult:
    """Store the recording and, when it is new and ``queue``, queue its processing (caller commits)."""
    result = calls.ingest(db, settings, src, filename=filename, meta=meta, actor=actor, source=source)
    if result.created and queue:
        queueing.enqueue_call(db, result.call, settings=settings)
    return result
