"""End-to-end speech tests on synthetic calls (real Whisper + pyannote models)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from speech.synth import AGENT, CUSTOMER, EN_AGENT, EN_CUSTOMER, REPO, SHARED, dialogue, speak
from transcription.errors import BadAudioError
from transcription.text import to_simplified

pytestmark = pytest.mark.slow

ZH_TURNS = [
    ("agent", "您好，这里是客服中心，很高兴为您服务，请问有什么可以帮您？"),
    ("customer", "你好，我家的宽带断了，一直上不了网。"),
    ("agent", "非常抱歉，请您稍等，我为您查询一下。"),
    ("customer", "好的，谢谢。"),
]


def _cer(ref: str, hyp: str) -> float:
    import jiwer

    keep = lambda s: "".join(c for c in s if c.isalnum())  # noqa: E731
    return jiwer.cer(keep(ref), keep(to_simplified(hyp)) or "∅")


def test_short_mandarin_clip_is_transcribed(pipeline, tmp_path: Path):
    """The small CI check: one 3-second sentence through every stage."""
    wav = speak("您好，请问有什么可以帮您", tmp_path / "short.wav", AGENT)
    stages: list[tuple[str, float]] = []
    t = pipeline.run(wav, language="zh", progress=lambda s, f: stages.append((s, f)))
    text = "".join(s.text for s in t.segments)
    assert t.language == "zh" and t.channels == "mono" and t.segments
    assert _cer("您好请问有什么可以帮您", text) < 0.5, text
    assert {"decode", "asr", "diarize", "merge", "roles", "redact"} <= {s for s, _ in stages}
    assert all(0.0 <= f <= 1.0 for _, f in stages)
    assert t.models["asr"].startswith("faster-whisper:") and "diarization" in t.models
    assert all(s.words and s.start <= s.words[0].start for s in t.segments)


def test_two_speaker_mono_call_diarized_with_roles(pipeline, tmp_path: Path):
    wav, ref = dialogue(ZH_TURNS, tmp_path, {"agent": AGENT, "customer": CUSTOMER})
    result = pipeline.run_detailed(wav, language="zh")
    t = result.transcript
    assert len(set(s.speaker for s in t.segments)) == 2
    # every reference turn's midpoint falls in hypothesis segments of a single speaker per party
    by_party: dict[str, set[str]] = {"agent": set(), "customer": set()}
    for s in t.segments:
        mid = (s.start + s.end) / 2
        who = min(ref, key=lambda r: 0 if r[0] <= mid <= r[1] else min(abs(mid - r[0]), abs(mid - r[1])))[2]
        by_party[who].add(s.speaker)
    assert len(by_party["agent"]) == 1 and len(by_party["customer"]) == 1
    assert by_party["agent"] != by_party["customer"]
    agent_label = next(iter(by_party["agent"]))
    assert t.speakers[agent_label] == "agent"
    assert t.role_confidence is not None and t.role_confidence > 0.5
    assert result.timings["diarize"] > 0 and result.timings["asr"] > 0


def test_stereo_call_is_split_by_channel(pipeline, tmp_path: Path):
    wav, ref = dialogue(ZH_TURNS, tmp_path, {"agent": AGENT, "customer": CUSTOMER}, stereo=True)
    t = pipeline.run(wav, channels="stereo", layout="stereo_agent_left", language="zh")
    assert t.channels == "stereo"
    assert t.speakers == {"LEFT": "agent", "RIGHT": "customer"}
    for s in t.segments:
        mid = (s.start + s.end) / 2
        who = min(ref, key=lambda r: 0 if r[0] <= mid <= r[1] else min(abs(mid - r[0]), abs(mid - r[1])))[2]
        assert (s.speaker == "LEFT") == (who == "agent"), (s, who)
    assert [s.start for s in t.segments] == sorted(s.start for s in t.segments)


def test_english_call(pipeline, tmp_path: Path):
    import jiwer

    turns = [
        ("agent", "Thank you for calling customer support. How can I help you today?"),
        ("customer", "Hi. My internet connection is not working."),
    ]
    wav, _ = dialogue(turns, tmp_path, {"agent": EN_AGENT, "customer": EN_CUSTOMER}, chinese=False)
    t = pipeline.run(wav, language="en")
    hyp = " ".join(s.text for s in t.segments).lower()
    ref = " ".join(x for _, x in turns).lower()
    norm = lambda s: " ".join("".join(c if c.isalnum() or c == " " else " " for c in s).split())  # noqa: E731
    assert jiwer.wer(norm(ref), norm(hyp)) < 0.35, hyp
    agent = [spk for spk, role in t.speakers.items() if role == "agent"]
    assert agent and "thank you for calling" in norm(
        " ".join(s.text for s in t.segments if s.speaker == agent[0]).lower()
    )


def test_spoken_phone_number_is_redacted(pipeline, tmp_path: Path):
    # digits said one by one, with 幺 for 1, as callers do
    wav = speak("我的手机号是幺三八，幺二三四，五六七八", tmp_path / "phone.wav", CUSTOMER)
    result = pipeline.run_detailed(wav, language="zh")
    dumped = json.dumps(result.transcript.to_dict(), ensure_ascii=False)
    texts = "".join(s.text for s in result.transcript.segments)
    digits = sum(c.isdigit() or c in "零一二三四五六七八九幺两" for c in texts)
    if result.redactions:
        assert all(r.kind in ("phone", "long_number", "bank_card") for r in result.redactions)
        assert "*" in dumped
    # whatever the recogniser heard, no 11-digit run survives
    from transcription.redact import find_numbers

    for seg in result.transcript.segments:
        assert not find_numbers(seg.text), seg.text
    assert digits < 11 or result.redactions


def test_cli_writes_contract_json(speech_config, tmp_path: Path):
    wav = speak("您好，工号一零二四，很高兴为您服务", tmp_path / "cli.wav", AGENT)
    out = tmp_path / "out" / "t.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "transcription.cli",
            str(wav),
            "--json",
            str(out),
            "--language",
            "zh",
            "--channels",
            "mono",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["language"] == "zh" and data["segments"] and data["duration"] > 1
    assert set(data["speakers"].values()) <= {"agent", "customer", "ivr", "unknown"}
    schema_path = SHARED / "contracts" / "transcript.schema.json"
    if schema_path.is_file():
        import jsonschema

        jsonschema.validate(data, json.loads(schema_path.read_text(encoding="utf-8")))


def test_cli_reports_bad_audio(tmp_path: Path):
    bogus = tmp_path / "not_audio.wav"
    bogus.write_text("this is not audio")
    proc = subprocess.run(
        [sys.executable, "-m", "transcription.cli", str(bogus)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1 and "error:" in proc.stderr


def test_bad_audio_raises_speech_error(pipeline, tmp_path: Path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(BadAudioError):
        pipeline.run(empty)
    with pytest.raises(BadAudioError):
        pipeline.run(tmp_path / "missing.wav")


def test_model_build_is_idempotent_and_fast(speech_config):
    import time

    from transcription.models_build import main

    t = time.perf_counter()
    assert main(["--out", str(speech_config.model_dir)]) == 0
    assert time.perf_counter() - t < 10


def test_shared_stereo_clip_has_no_speaker_confusion(pipeline, shared_eval: Path):
    t = pipeline.run(
        shared_eval / "diarization" / "fw_stereo_diarization.wav", channels="stereo", language="en"
    )
    left = " ".join(s.text for s in t.segments if s.speaker == "LEFT").lower()
    right = " ".join(s.text for s in t.segments if s.speaker == "RIGHT").lower()
    assert "wizard" in left and "horizon" in right
    assert "wizard" not in right and "horizon" not in left
