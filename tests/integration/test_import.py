"""`flask --app wsgi import-calls DIR --manifest calls.csv`: good rows imported, bad rows reported by line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qa_app.db.models import AuditEvent, Call, Job
from qa_app.settings import REPO_ROOT

import factories
from factories import SECRET_KEY, data_files

HEADER = "file,employee_no,started_at,direction,queue,customer_ref,channel_layout,language,external_id"


@pytest.fixture
def export(tmp_path: Path, db, settings):
    """A telephony export folder; returns (folder, agent, write_manifest)."""
    agent = factories.create_agent(db, employee_no="A1001")
    folder = tmp_path / "export"
    (folder / "rec").mkdir(parents=True)
    factories.make_wav(folder / "rec" / "good1.wav", freq=411.0)
    factories.make_wav(folder / "rec" / "good2.wav", freq=422.0)
    factories.make_wav(folder / "rec" / "good3.wav", freq=433.0)
    factories.make_wav(tmp_path / "outside.wav", freq=444.0)  # exists, but outside the folder
    (folder / "rec" / "notes.wav").write_text("not audio at all\n" * 20)

    def write(lines: list[str], name: str = "calls.csv", *, bom: bool = False) -> Path:
        path = tmp_path / name
        path.write_text(("\ufeff" if bom else "") + "\n".join(lines) + "\n", encoding="utf-8")
        return path

    return folder, agent, write


def _invoke(runner, folder: Path, manifest: Path, *extra: str):
    return runner.invoke(args=["import-calls", str(folder), "--manifest", str(manifest), *extra])


def _count(app, model) -> int:
    with app.extensions["qa_sessionmaker"]() as s:
        return s.scalar(select(func.count()).select_from(model))


MIXED = [
    HEADER,
    "rec/good1.wav,A1001,2026-11-20 09:30:00,inbound,宽带,13800138000,mono,zh,EXT-1",  # 2 ok
    "rec/good2.wav,NOBODY,2026-11-20 09:31:00,,,,,,",  # 3 unknown employee_no
    "rec/missing.wav,A1001,2026-11-20 09:32:00,,,,,,",  # 4 missing file
    "rec/good2.wav,A1001,20/11/2026 9am,,,,,,",  # 5 bad date
    "../outside.wav,A1001,2026-11-20 09:33:00,,,,,,",  # 6 path traversal
    "rec/good2.wav,,2026-11-20 09:34:00,,,,,,",  # 7 missing required value
    "rec/notes.wav,A1001,2026-11-20 09:35:00,,,,,,",  # 8 not audio
    "/etc/hostname,A1001,2026-11-20 09:36:00,,,,,,",  # 9 absolute path
    "rec/good2.wav,A1001,2026-11-20T10:00:00+08:00,outbound,,,,en,EXT-2",  # 10 ok
    "rec/good3.wav,A1001,2026-11-20 10:05:00,sideways,,,,,",  # 11 bad direction
]
EXPECTED_ERRORS = {
    3: "unknown employee_no",
    4: "not found",
    5: "ISO 8601",
    6: "outside the import folder",
    7: "missing employee_no",
    8: "not a supported audio file",
    9: "outside the import folder",
    11: "direction",
}


def test_import_good_and_bad_rows(app, runner, export, settings):
    folder, agent, write = export
    manifest = write(MIXED)
    result = _invoke(runner, folder, manifest)
    out = result.output
    assert result.exit_code == 1, out  # errors, but something was imported
    assert "line 2: imported as call" in out
    assert "line 10: imported as call" in out
    for line, reason in EXPECTED_ERRORS.items():
        assert f"line {line}: ERROR" in out, (line, out)
        row = next(x for x in out.splitlines() if x.startswith(f"line {line}: ERROR"))
        assert reason in row, (line, row)
    assert "2 imported, 0 already present, 8 rejected" in out

    with app.extensions["qa_sessionmaker"]() as s:
        calls = list(s.scalars(select(Call).order_by(Call.id)))
        assert [c.external_id for c in calls] == ["EXT-1", "EXT-2"]
        assert {c.agent_id for c in calls} == {agent.id}
        assert {c.source for c in calls} == {"import"}
        assert calls[0].queue == "宽带"
        assert calls[0].customer_ref_hash and "13800138000" not in calls[0].customer_ref_hash
        assert calls[1].direction == "outbound" and calls[1].language == "en"
        assert calls[1].started_at.utcoffset().total_seconds() == 0  # stored as UTC
        assert calls[1].started_at.hour == 2  # 10:00 +08:00
        assert calls[0].started_at.hour == 1  # 09:30 in Asia/Shanghai (the default QA_TIMEZONE)
        assert {c.status for c in calls} == {"queued"}
        assert s.scalar(select(func.count()).select_from(Job)) == 2
        audit = s.scalar(select(AuditEvent).where(AuditEvent.action == "calls_imported"))
        assert audit.detail == {"imported": 2, "duplicates": 0, "errors": 8}
    # only the two good recordings were stored; nothing from the bad rows
    assert len(data_files(settings)) == 2
    assert (folder / "rec" / "good1.wav").exists()  # the source files are left alone


def test_rerun_imports_nothing_twice(app, runner, export):
    folder, _agent, write = export
    manifest = write(MIXED)
    first = _invoke(runner, folder, manifest)
    assert first.exit_code == 1
    second = _invoke(runner, folder, manifest)
    assert "0 imported, 2 already present, 8 rejected" in second.output
    assert "line 2: already imported (call" in second.output
    assert second.exit_code == 2  # errors and nothing new
    assert _count(app, Call) == 2
    assert _count(app, Job) == 2


def test_clean_manifest_exits_zero_with_bom_and_no_queue(app, runner, export):
    folder, _agent, write = export
    manifest = write(
        [
            "file,employee_no,started_at",
            "rec/good1.wav,A1001,2026-11-20 09:30",
            "rec/good3.wav,A1001,2026/11/21 08:00",
        ],
        bom=True,
    )
    result = _invoke(runner, folder, manifest, "--no-queue")
    assert result.exit_code == 0, result.output
    assert "2 imported, 0 already present, 0 rejected" in result.output
    assert _count(app, Call) == 2
    assert _count(app, Job) == 0


@pytest.mark.parametrize(
    "header",
    ["file,employee_no,direction", "recording,employee_no,started_at", "employee_no;file;started_at"],
)
def test_manifest_missing_required_column_is_rejected_entirely(app, runner, export, settings, header):
    folder, _agent, write = export
    manifest = write([header, "rec/good1.wav,A1001,2026-11-20 09:30:00"])
    result = _invoke(runner, folder, manifest)
    assert result.exit_code == 2
    assert "line 1: ERROR header is missing column(s)" in result.output
    assert "0 imported" in result.output
    assert _count(app, Call) == 0
    assert data_files(settings) == []


def test_manifest_not_utf8(runner, export, tmp_path):
    folder, _agent, _write = export
    manifest = tmp_path / "gbk.csv"
    manifest.write_bytes("file,employee_no,started_at\nrec/good1.wav,张三,2026-11-20\n".encode("gbk"))
    result = _invoke(runner, folder, manifest)
    assert result.exit_code != 0
    assert "UTF-8" in result.output


def test_flask_app_wsgi_import_calls_subprocess(app, export, settings, tmp_path):
    """The documented command line, end to end, configured only through QA_* variables."""
    folder, _agent, write = export
    manifest = write(
        ["file,employee_no,started_at", "rec/good1.wav,A1001,2026-11-20 09:30", "x.wav,A1001,2026-1"]
    )
    app.extensions["qa_engine"].dispose()
    env = {
        **os.environ,
        "QA_DATABASE_URL": settings.database_url,
        "QA_INSTANCE_DIR": str(settings.instance_dir),
        "QA_DATA_DIR": str(settings.data_dir),
        "QA_SECRET_KEY": SECRET_KEY,
        "PYTHONWARNINGS": "ignore",
    }
    flask = shutil.which("flask", path=str(Path(sys.executable).parent)) or "flask"
    proc = subprocess.run(
        [flask, "--app", "wsgi", "import-calls", str(folder), "--manifest", str(manifest)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "line 2: imported as call" in proc.stdout
    assert "line 3: ERROR" in proc.stderr
    assert _count(app, Call) == 1


def test_out_of_range_date_is_a_row_error_not_a_crash(app, runner, export):
    """BUG: a started_at the database cannot store (0001-01-01 in Asia/Shanghai overflows the UTC
    conversion in qa_app/db/base.py UTCDateTime) raises OverflowError/StatementError inside ingest; that is
    not a ServiceError, so import_manifest (qa_app/services/importer.py) aborts and the whole transaction,
    good rows included, is lost with a traceback. Fix: validate the year range in parse_started_at (e.g.
    1900..9000) and raise ServiceError."""
    folder, _agent, write = export
    manifest = write(
        [
            "file,employee_no,started_at",
            "rec/good1.wav,A1001,2026-11-20 09:30",
            "rec/good2.wav,A1001,0001-01-01 00:00",
        ]
    )
    result = _invoke(runner, folder, manifest)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "line 3: ERROR" in result.output
    assert "line 2: imported as call" in result.output
    assert result.exit_code == 1
    assert _count(app, Call) == 1
