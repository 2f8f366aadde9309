"""The optional contact-center KPI fields at intake: the upload form, POST /api/calls and the CSV
manifest all go through qa_app.services.calls (parse_kpi_fields + ingest), so the same values are
accepted and the same bad values are refused with the field named, leaving nothing behind."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qa_app.db.models import Call, Job
from qa_app.services import calls, importer
from qa_app.services.errors import Invalid
from rubrics.messages import render

import factories
from factories import data_files, dispose, intake_site, make_settings, make_wav

GOOD = {
    "wait_seconds": "12.5",
    "hold_seconds": "0",
    "wrap_seconds": "45",
    "csat": "4",
    "nps": "10",
    "resolved": "yes",
}
STORED = {
    "wait_seconds": 12.5,
    "hold_seconds": 0.0,
    "wrap_seconds": 45.0,
    "csat": 4,
    "nps": 10,
    "resolved": True,
}
# field -> bad text values (each must be refused, naming the field)
BAD = {
    "wait_seconds": ["-1", "abc", "nan", "inf", "86401", "1e9"],
    "hold_seconds": ["-0.5", "12s"],
    "wrap_seconds": ["-3", "一百"],
    "csat": ["0", "6", "4.5", "five", "-1"],
    "nps": ["-1", "11", "7.5", "ten"],
    "resolved": ["maybe", "2", "resolved", "y"],
}
BAD_CASES = [(f, v) for f, vs in BAD.items() for v in vs]


# --- the parser (the one place the rules live) -------------------------------------------------------------


def test_parse_accepts_every_spelling():
    assert calls.parse_kpi_fields(GOOD) == STORED
    assert calls.parse_kpi_fields({}) == {name: None for name in calls.KPI_FIELDS}
    assert calls.parse_kpi_fields({"csat": " 5 ", "nps": "0", "wait_seconds": "20"})["csat"] == 5
    assert calls.parse_kpi_fields({"csat": "4.0"})["csat"] == 4  # as spreadsheets write whole numbers
    for text, value in [
        ("yes", True),
        ("TRUE", True),
        ("1", True),
        ("No", False),
        ("false", False),
        ("0", False),
    ]:
        assert calls.parse_kpi_fields({"resolved": text})["resolved"] is value, text
    assert calls.parse_kpi_fields({"wait_seconds": "86400"})["wait_seconds"] == 86400.0  # the edge is fine


@pytest.mark.parametrize(("field", "value"), BAD_CASES)
def test_parse_refuses_bad_values(field, value):
    with pytest.raises(Invalid) as exc:
        calls.parse_kpi_fields({field: value})
    assert exc.value.field == field
    assert field in render(exc.value.msg, "en") and field in render(exc.value.msg, "zh")
    assert render(exc.value.msg, "en").startswith(field) and value[:40] in render(exc.value.msg, "en")


@pytest.mark.parametrize(
    "meta_kw",
    [
        {"csat": 0},
        {"csat": 6},
        {"nps": 11},
        {"wait_seconds": -1.0},
        {"hold_seconds": float("nan")},
        {"csat": True},
        {"resolved": "yes"},
    ],
)
def test_ingest_checks_typed_values_too(app, db, settings, meta_kw, tmp_path):
    """Callers that build CallMeta themselves (the demo seed, future integrations) get the same ranges."""
    agent = factories.create_agent(db)
    wav = make_wav(tmp_path / "x.wav")
    meta = calls.CallMeta(agent_id=agent.id, started_at=datetime.now(UTC), **meta_kw)
    with wav.open("rb") as fh, pytest.raises(Invalid) as exc:
        calls.ingest(db, settings, fh, filename="x.wav", meta=meta, actor=None)
    assert exc.value.field == next(iter(meta_kw))
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Call)) == 0


# --- upload form and API ----------------------------------------------------------------------------------


@pytest.fixture
def intake(tmp_path: Path, migrated_template: Path):
    it = intake_site(make_settings(tmp_path / "intake"), migrated_template)
    yield it
    dispose(it.app)


@pytest.fixture
def wav(tmp_path: Path) -> bytes:
    return make_wav(tmp_path / "k.wav", freq=512.0).read_bytes()


def _assert_nothing_written(it: factories.Intake) -> None:
    assert it.count(Call) == 0 and it.count(Job) == 0
    assert data_files(it.settings) == []


def test_upload_form_stores_the_kpis_and_the_call_page_shows_them(intake: factories.Intake, wav):
    resp = intake.web([(wav, "a.wav")], fields=GOOD)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    (call,) = intake.calls()
    assert {name: getattr(call, name) for name in calls.KPI_FIELDS} == STORED
    html = intake.client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "wait 12.5 s" in html and "CSAT 4" in html and "NPS answer 10" in html and "resolved" in html


def test_upload_form_fields_are_optional(intake: factories.Intake, wav):
    assert intake.web([(wav, "a.wav")]).status_code == 302
    (call,) = intake.calls()
    assert all(getattr(call, name) is None for name in calls.KPI_FIELDS)
    assert 'id="call-kpis"' not in intake.client.get(f"/calls/{call.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value"), [("wait_seconds", "-1"), ("hold_seconds", "abc"), ("wrap_seconds", "1e9")]
)
def test_upload_form_refuses_bad_seconds_on_the_field(intake: factories.Intake, wav, field, value):
    resp = intake.web([(wav, "a.wav")], fields={field: value})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert f'id="{field}"' in html and "is-invalid" in html
    assert field in html and "invalid-feedback" in html
    _assert_nothing_written(intake)


@pytest.mark.parametrize(("field", "value"), [("csat", "6"), ("nps", "11"), ("resolved", "maybe")])
def test_upload_form_refuses_values_outside_the_choices(intake: factories.Intake, wav, field, value):
    resp = intake.web([(wav, "a.wav")], fields={field: value})
    assert resp.status_code == 400
    assert "invalid-feedback" in resp.get_data(as_text=True)
    _assert_nothing_written(intake)


def test_api_stores_and_returns_the_kpis(intake: factories.Intake, wav):
    resp = intake.api(wav, "a.wav", fields={**GOOD, "resolved": "0"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()["call"]
    assert body["csat"] == 4 and body["nps"] == 10 and body["wait_seconds"] == 12.5
    assert body["resolved"] is False
    got = intake.app.test_client().get(
        f"/api/calls/{body['id']}", headers={"Authorization": f"Bearer {intake.token}"}
    )
    assert got.get_json()["call"]["wrap_seconds"] == 45.0


def test_api_without_kpis_reports_nulls(intake: factories.Intake, wav):
    body = intake.api(wav, "a.wav").get_json()["call"]
    assert all(body[name] is None for name in calls.KPI_FIELDS)


@pytest.mark.parametrize(("field", "value"), BAD_CASES)
def test_api_refuses_bad_values(intake: factories.Intake, wav, field, value):
    resp = intake.api(wav, "a.wav", fields={field: value})
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["error"] == "invalid" and body["field"] == field
    _assert_nothing_written(intake)


# --- CSV manifest --------------------------------------------------------------------------------------------

HEADER = "file,employee_no,started_at,customer_ref,wait_seconds,hold_seconds,wrap_seconds,csat,nps,resolved"


def test_manifest_imports_kpis_and_rejects_bad_rows_by_line(app, db, settings, tmp_path):
    factories.create_agent(db, employee_no="K1001")
    folder = tmp_path / "export"
    folder.mkdir()
    for i in range(1, 6):
        make_wav(folder / f"r{i}.wav", freq=600.0 + i * 13)
    text = "\n".join(
        [
            HEADER,
            "r1.wav,K1001,2026-11-20 09:30:00,C1,8,30,20,5,9,yes",  # 2 ok
            "r2.wav,K1001,2026-11-20 09:40:00,C2,,,,,,",  # 3 ok: every KPI empty
            "r3.wav,K1001,2026-11-20 09:50:00,C3,,,,6,,",  # 4 csat out of range
            "r4.wav,K1001,2026-11-20 10:00:00,C4,-2,,,,,",  # 5 negative wait
            "r5.wav,K1001,2026-11-20 10:10:00,C5,,,,,,perhaps",  # 6 bad disposition
        ]
    )
    report = importer.import_manifest(db, settings, folder, text, actor=None)
    db.commit()
    assert [line for line, _ in report.imported] == [2, 3]
    errors = dict(report.errors)
    assert set(errors) == {4, 5, 6}
    assert "csat" in render(errors[4], "en") and "wait_seconds" in render(errors[5], "en")
    assert "resolved" in render(errors[6], "en")
    first = db.get(Call, report.imported[0][1])
    assert (first.wait_seconds, first.hold_seconds, first.wrap_seconds) == (8.0, 30.0, 20.0)
    assert (first.csat, first.nps, first.resolved) == (5, 9, True)
    second = db.get(Call, report.imported[1][1])
    assert all(getattr(second, name) is None for name in calls.KPI_FIELDS)
    assert db.scalar(select(func.count()).select_from(Call)) == 2


def test_manifest_cli_reports_a_bad_kpi_line(app, runner, db, tmp_path):
    factories.create_agent(db, employee_no="K2002")
    folder = tmp_path / "export"
    folder.mkdir()
    make_wav(folder / "a.wav", freq=701.0)
    make_wav(folder / "b.wav", freq=702.0)
    manifest = tmp_path / "calls.csv"
    manifest.write_text(
        HEADER + "\na.wav,K2002,2026-11-20 09:30:00,,,,,3,,\nb.wav,K2002,2026-11-20 09:31:00,,,,,,12,\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["import-calls", str(folder), "--manifest", str(manifest), "--no-queue"])
    assert result.exit_code == 1, result.output
    assert "line 2: imported as call" in result.output
    assert "line 3: ERROR nps" in result.output
