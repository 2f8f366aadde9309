"""Redaction at the storage boundary (issue #11, item 3): a transcript is redacted where it is stored,
whatever produced it — also one from a plug-in speech backend (QA_SPEECH_BACKEND) that does not redact."""

from __future__ import annotations

from sqlalchemy import select

from qa_app.db.models import Call, TranscriptRecord
from qa_app.jobs import worker
from qa_app.jobs.backends import Backends
from qa_app.services import processing, queueing, rubrics
from transcription.pipeline import PipelineResult
from transcription.types import Segment, Transcript

import factories
from fakes import lexicon_scorer

CARD, PHONE, ID = "4111111111111111", "13812345678", "11010519491231002X"
SECRETS = (CARD, PHONE, ID, "4111", "5678", "一三八")


def unredacted() -> Transcript:
    """What a plug-in backend might return: numbers as spoken, split over turns, no word timestamps."""
    turns = (
        ("A", "您好，请问有什么可以帮您？"),
        ("B", f"我的卡号是{CARD}，身份证{ID}"),
        ("A", "好的，留个手机号"),
        ("B", "一三八一二"),
        ("A", "嗯"),
        ("B", "三四五六七八"),
    )
    segs = tuple(
        Segment(i, i * 2.0, i * 2.0 + 1.5, spk, text, "agent" if spk == "A" else "customer")
        for i, (spk, text) in enumerate(turns)
    )
    return Transcript(
        "zh", 12.0, segs, "mono", {"A": "agent", "B": "customer"}, None, {"asr": "plug-in"}, 0.9
    )


def _assert_clean(rec: TranscriptRecord) -> None:
    stored = f"{rec.search_text} {rec.data}"
    for secret in SECRETS:
        assert secret not in stored, secret
    assert rec.data["models"]["redaction"].startswith("digits-")
    assert "*" * 16 in rec.search_text


def test_store_transcript_redacts_whatever_it_is_given(app, db):
    settings = app.extensions["qa_settings"]
    call = factories.create_call(db, settings, factories.create_agent(db))
    processing.store_transcript(db, call, unredacted())
    db.commit()
    rec = db.scalar(select(TranscriptRecord).where(TranscriptRecord.call_id == call.id))
    _assert_clean(rec)
    assert processing.load_transcript(db, call.id).segments[0].text == "您好，请问有什么可以帮您？"


class PlugInSpeech:
    """A speech backend that returns an unredacted transcript and reports no redactions."""

    def run_detailed(
        self, audio_path, channels="mono", layout=None, language=None, progress=None, call_id=None
    ):
        return PipelineResult(unredacted(), [], None, {})


def test_worker_stores_a_plug_in_backends_transcript_redacted(app, db):
    settings = app.extensions["qa_settings"]
    factory = app.extensions["qa_sessionmaker"]
    rubrics.ensure_default(db)
    call = factories.create_call(db, settings, factories.create_agent(db))
    queueing.enqueue_call(db, call, settings=settings)
    db.commit()
    backends = Backends(settings, _speech=PlugInSpeech(), _scorer=lexicon_scorer())
    assert worker.run(factory, settings, backends=backends, once=True) == 1
    with factory() as s:
        assert s.get(Call, call.id).status == "ready"
        _assert_clean(s.scalar(select(TranscriptRecord).where(TranscriptRecord.call_id == call.id)))
