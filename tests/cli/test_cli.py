"""The database-free CLI commands wired into flask: score (fast) and transcribe (slow, real models)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
FIXTURES = REPO / "tests" / "fixtures" / "scoring" / "calls"


def _schema(name: str) -> dict | None:
    path = SHARED / "contracts" / name
    return json.loads(path.read_text()) if path.exists() else None


def test_score_prints_contract_scorecard(runner):
    transcript = sorted(FIXTURES.glob("*.json"))[0]
    result = runner.invoke(args=["score", str(transcript), "--json"])
    assert result.exit_code == 0, result.output
    card = json.loads(result.output)
    assert {"rubric", "criteria", "total"} <= card.keys()
    ids = {c["id"] for c in card["criteria"]}
    assert {
        "greeting",
        "verification",
        "empathy",
        "prohibited_language",
        "closing",
        "complaint_risk",
        "dead_air",
        "overtalk",
        "speech_rate",
        "customer_sentiment",
    } <= ids
    for c in card["criteria"]:
        assert c["result"] in ("pass", "fail", "na")
        assert isinstance(c["evidence"], list)
    schema = _schema("scorecard.schema.json")
    if schema is not None:
        jsonschema = pytest.importorskip("jsonschema")
        jsonschema.validate(card, schema)


def test_score_rejects_a_non_transcript(runner, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"segments": []}')
    result = runner.invoke(args=["score", str(bad), "--json"])
    assert result.exit_code != 0


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_transcribe_writes_contract_json(runner, tmp_path):
    from qa_app.demo.synth import synthesize_text

    wav = tmp_path / "hello.wav"
    synthesize_text(
        "Thank you for calling, this is the support desk. How can I help you today?", "en", "m3", wav
    )
    out = tmp_path / "out.json"
    result = runner.invoke(args=["transcribe", str(wav), "--json", str(out), "--language", "en"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["language"] == "en" and data["duration"] > 1
    text = " ".join(s["text"] for s in data["segments"]).lower()
    assert "thank" in text and "help" in text
    schema = _schema("transcript.schema.json")
    if schema is not None:
        jsonschema = pytest.importorskip("jsonschema")
        jsonschema.validate(data, schema)


def test_rescore_queues_one_logged_range_job(runner, app):
    from sqlalchemy import select

    from qa_app.db.models import AuditEvent, Job

    result = runner.invoke(args=["rescore", "--from", "2026-01-01", "--to", "2026-01-31"])
    assert result.exit_code == 0, result.output
    assert "re-score job" in result.output
    with app.extensions["qa_sessionmaker"]() as s:
        job = s.scalar(select(Job))
        assert job.kind == "rescore_range" and job.payload["from"].startswith("2026-01-01")
        assert s.scalar(select(AuditEvent.action)) == "rescore_requested"
    bad = runner.invoke(args=["rescore", "--from", "2026-02-01", "--to", "2026-01-01"])
    assert bad.exit_code != 0 and "before the start" in bad.output


def test_score_lang_picks_the_note_language(runner):
    import re

    transcript = FIXTURES / "zh02_change_before_verify.json"
    cards = {}
    for lang in ("zh", "en"):
        result = runner.invoke(args=["score", str(transcript), "--json", "--lang", lang])
        assert result.exit_code == 0, result.output
        cards[lang] = json.loads(result.output)
    zh, en = (next(c for c in cards[lang]["criteria"] if c["id"] == "verification") for lang in ("zh", "en"))
    assert zh["note_message"] == en["note_message"] and zh["note_message"]["code"].startswith("ordering.")
    assert re.search(r"[\u4e00-\u9fff]", zh["note"]) and not re.search(r"[\u4e00-\u9fff]", en["note"])
    schema = _schema("scorecard.schema.json")
    if schema is not None:
        jsonschema = pytest.importorskip("jsonschema")
        jsonschema.validate(cards["en"], schema)
