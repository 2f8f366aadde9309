"""Telephony export import: a folder of recordings plus a CSV manifest.

Manifest columns (UTF-8, header row required; BOM tolerated):

| column          | required | meaning                                                            |
|-----------------|----------|--------------------------------------------------------------------|
| file            | yes      | recording path relative to the folder                              |
| employee_no     | yes      | the agent's 工号                                                   |
| started_at      | yes      | ISO 8601; without an offset it is read in QA_TIMEZONE              |
| direction       | no       | inbound (default) / outbound                                       |
| queue           | no       | queue or skill group                                               |
| customer_ref    | no       | caller number or customer id (stored only as a keyed hash)         |
| channel_layout  | no       | mono (default) / stereo_agent_left / stereo_agent_right            |
| language        | no       | zh (default) / en / auto                                           |
| external_id     | no       | the telephony system's call id                                     |
| wait_seconds    | no       | time to answer, seconds (0–86400; service level)                   |
| hold_seconds    | no       | time on hold, seconds (0–86400; handle time)                       |
| wrap_seconds    | no       | after-call work, seconds (0–86400; handle time)                    |
| csat            | no       | satisfaction survey score, whole number 1–5                        |
| nps             | no       | likelihood to recommend, whole number 0–10                         |
| resolved        | no       | the agent's disposition: yes/no/true/false/1/0                     |

A bad KPI value rejects the row (with its line number) like any other bad column; an empty cell means
"not known".
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_app.db.models import Agent, User
from qa_app.services import audit, intake, timeparse
from qa_app.services.calls import CallMeta, parse_kpi_fields
from qa_app.services.errors import Invalid, ServiceError
from rubrics.messages import Message, msg

REQUIRED = ("file", "employee_no", "started_at")


@dataclass
class ImportReport:
    imported: list[tuple[int, int]] = field(default_factory=list)  # (line, call id)
    duplicates: list[tuple[int, int]] = field(default_factory=list)  # (line, existing call id)
    errors: list[tuple[int, Message]] = field(default_factory=list)  # (line, reason)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_started_at(value: str, tz: str) -> datetime:
    try:
        return timeparse.parse_datetime(value, tz)
    except Invalid as exc:
        raise ServiceError(exc.msg) from exc


def import_manifest(
    db: Session, settings, folder: Path, manifest_text: str, *, actor: User | None, queue: bool = False
) -> ImportReport:
    """Import every good row (each in its own savepoint), queueing new calls for processing when
    ``queue``; report bad rows with line numbers."""
    report = ImportReport()
    folder = folder.resolve()
    reader = csv.DictReader(io.StringIO(manifest_text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        report.errors.append((1, msg("import.missing_columns", columns=missing)))
        return report
    agents = {a.employee_no: a for a in db.scalars(select(Agent))}
    for row in reader:
        line = reader.line_num
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
        try:
            for col in REQUIRED:
                if not row.get(col):
                    raise ServiceError("import.missing_value", column=col)
            agent = agents.get(row["employee_no"])
            if agent is None:
                raise ServiceError("accounts.unknown_employee_no", employee_no=row["employee_no"])
            path = (folder / row["file"]).resolve()
            if folder not in path.parents:
                raise ServiceError("import.outside_folder", file=row["file"])
            if not path.is_file():
                raise ServiceError("import.file_not_found", file=row["file"])
            meta = CallMeta(
                agent_id=agent.id,
                started_at=parse_started_at(row["started_at"], settings.timezone),
                direction=row.get("direction") or "inbound",
                queue=row.get("queue", ""),
                customer_ref=row.get("customer_ref") or None,
                channel_layout=row.get("channel_layout") or "mono",
                language=row.get("language") or "zh",
                external_id=row.get("external_id") or None,
                **parse_kpi_fields(row),
            )
            with db.begin_nested(), path.open("rb") as fh:
                result = intake.receive(
                    db, settings, fh, filename=path.name, meta=meta, actor=actor, source="import", queue=queue
                )
            (report.imported if result.created else report.duplicates).append((line, result.call.id))
        except ServiceError as exc:
            report.errors.append((line, exc.msg))
    audit.record(
        db,
        "calls_imported",
        user=actor,
        target=str(folder),
        imported=len(report.imported),
        duplicates=len(report.duplicates),
        errors=len(report.errors),
    )
    return report
