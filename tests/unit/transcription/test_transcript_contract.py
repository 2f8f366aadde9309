import json
from pathlib import Path

import pytest

from transcription.merge import SpeakerTurn, assign_speakers
from transcription.redact import redact_transcript
from transcription.roles import assign_roles
from transcription.types import Transcript, Word

SCHEMA = Path(__file__).resolve().parents[3].parent / "shared" / "contracts" / "transcript.schema.json"


def _pipeline_like_transcript() -> Transcript:
    words = tuple(
        Word(0.1 * i, 0.1 * i + 0.1, ch, 0.9) for i, ch in enumerate("您好工号一零二四请问有什么可以帮您")
    )
    words2 = tuple(
        Word(3 + 0.1 * i, 3.1 + 0.1 * i, ch, 0.8) for i, ch in enumerate("我手机号幺三八一二三四五六七八")
    )
    segs = assign_speakers(
        [(0, 1.7, "", words), (3, 4.5, "", words2)],
        [SpeakerTurn(0, 2, "SPEAKER_00"), SpeakerTurn(2.5, 5, "SPEAKER_01")],
    )
    t = Transcript("zh", 5.0, tuple(segs), models={"asr": "test"})
    t, _ = assign_roles(t)
    t, _ = redact_transcript(t)
    return t


def test_round_trip():
    t = _pipeline_like_transcript()
    again = Transcript.from_dict(json.loads(json.dumps(t.to_dict(), ensure_ascii=False)))
    assert again.to_dict() == t.to_dict()
    assert t.speakers == {"SPEAKER_00": "agent", "SPEAKER_01": "customer"}


@pytest.mark.skipif(not SCHEMA.is_file(), reason="shared contracts not present")
def test_validates_against_shared_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(_pipeline_like_transcript().to_dict(), schema)
