"""Retention (PIPL): a purged call leaves no audio file and no transcript row, only a content-free audit
record; scores stay; the duty is idempotent, batched, and a crash mid-way loses nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from qa_app.db.models import (
    AuditEvent,
    AutoScorecard,
    Call,
    Evaluation,
    Job,
    JobState,
    TranscriptRecord,
    TranscriptSegment,
)
from qa_app.jobs import registry
from qa_app.jobs import worker as worker_mod
from qa_app.services import jobs, retention

from factories import create_agent, create_scored_call, create_user, logged_in_client
from fakes import SCRIPT

OLD = datetime.now(UTC) - timedelta(days=200)
WORDS = "很高兴为您服务"  # said in every fake transcript


@pytest.fixture
def policy(settings):
    return settings.with_overrides(retention_audio_days=180, retention_transcript_days=90)


def _playback_copies(settings, call: Call) -> list[Path]:
    folder = settings.data_dir / "playback" / f"{call.id % 256:02x}"
    folder.mkdir(parents=True, exist_ok=True)
    out = [
        folder / f"call{call.id}-abc.opus",
        folder / f"call{call.id}-abc.peaks.json",
        folder / f".call{call.id}-x.part",
    ]
    for p in out:
        p.write_bytes(b"derived")
    return out


def _everything_said(db, call_id: int) -> str:
    """Every JSON/text column that could hold words of this call, as one string."""
    parts = []
    for card in db.scalars(select(AutoScorecard).where(AutoScorecard.call_id == call_id)):
        parts.append(json.dumps(card.data, ensure_ascii=False))
    for ev in db.scalars(select(Evaluation).where(Evaluation.call_id == call_id)):
        parts.append(json.dumps([ev.items, ev.comments], ensure_ascii=False))
    for (snap,) in db.execute(
        text(
            "SELECT e.snapshot FROM evaluation_events e JOIN evaluations v ON v.id = e.evaluation_id WHERE v.call_id = :c"
        ),
        {"c": call_id},
    ):
        parts.append(str(snap))
    return "\n".join(parts)


def test_purged_call_leaves_no_file_no_transcript_only_an_audit_record(app, db, settings, policy):
    agent = create_agent(db)
    old = create_scored_call(db, settings, agent, started_at=OLD)
    young = create_scored_call(db, settings, agent, started_at=datetime.now(UTC) - timedelta(days=3))
    audio = settings.data_dir / old.audio_path
    copies = _playback_copies(settings, old)
    assert audio.exists() and WORDS in _everything_said(db, old.id)
    total_before = old.auto_score
    evaluations_before = db.scalar(
        select(func.count()).select_from(Evaluation).where(Evaluation.call_id == old.id)
    )

    result = retention.purge_batch(db, policy)
    db.commit()

    assert result.audio_calls == [old.id] and result.transcript_calls == [old.id]
    db.expire_all()
    call = db.get(Call, old.id)
    assert call is not None  # the row stays for the aggregates
    assert (
        call.audio_path is None and call.audio_purged_at is not None and call.transcript_purged_at is not None
    )
    assert not audio.exists() and not any(p.exists() for p in copies)
    assert (
        db.scalar(
            select(func.count()).select_from(TranscriptRecord).where(TranscriptRecord.call_id == old.id)
        )
        == 0
    )
    assert (
        db.scalar(
            select(func.count()).select_from(TranscriptSegment).where(TranscriptSegment.call_id == old.id)
        )
        == 0
    )
    said = _everything_said(db, old.id)
    for _spk, _a, _b, line in SCRIPT:  # no quote of the words survives anywhere
        assert line[:6] not in said
    # scores and evaluations kept
    assert call.auto_score == total_before
    assert (
        db.scalar(select(func.count()).select_from(Evaluation).where(Evaluation.call_id == old.id))
        == evaluations_before
    )
    card = db.scalar(select(AutoScorecard).where(AutoScorecard.call_id == old.id))
    assert any(e.get("start") is not None for c in card.data["criteria"] for e in c.get("evidence", []))
    # one content-free audit record
    events = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "retention_purged")))
    assert [e.target for e in events] == [f"call:{old.id}"]
    detail = json.dumps(events[0].detail, ensure_ascii=False)
    assert WORDS not in detail and agent.employee_no not in detail
    assert events[0].detail["audio"]["files"] == 4 and events[0].detail["transcript"]["segments"] == len(
        SCRIPT
    )
    # the young call is untouched
    db.refresh(young)
    assert young.audio_path and (settings.data_dir / young.audio_path).exists()
    assert db.scalar(select(TranscriptRecord).where(TranscriptRecord.call_id == young.id)) is not None


def test_search_no_longer_finds_purged_words(app, db, settings, policy):
    from qa_app.services import search

    agent = create_agent(db)
    old = create_scored_call(db, settings, agent, started_at=OLD)
    assert WORDS in db.scalar(select(TranscriptRecord.search_text).where(TranscriptRecord.call_id == old.id))
    retention.purge_batch(db, policy)
    db.commit()
    if db.bind.dialect.name == "sqlite":  # the FTS5 index follows the segments (triggers)
        n = db.execute(
            text("SELECT count(*) FROM transcript_segments_fts WHERE transcript_segments_fts MATCH :q"),
            {"q": f'"{WORDS}"'},
        ).scalar()
        assert n == 0
    assert search is not None


def test_separate_periods_per_kind(app, db, settings):
    agent = create_agent(db)
    call = create_scored_call(db, settings, agent, started_at=datetime.now(UTC) - timedelta(days=100))
    only_transcripts = settings.with_overrides(retention_audio_days=0, retention_transcript_days=90)
    retention.purge_batch(db, only_transcripts)
    db.commit()
    db.refresh(call)
    assert call.transcript_purged_at is not None and call.audio_purged_at is None
    assert (settings.data_dir / call.audio_path).exists()  # audio kept: 0 = keep
    nothing = settings.with_overrides(retention_audio_days=0, retention_transcript_days=0)
    assert retention.purge_batch(db, nothing).empty


def test_idempotent_and_batched(app, db, settings, policy):
    agent = create_agent(db)
    made = [create_scored_call(db, settings, agent, started_at=OLD - timedelta(hours=i)) for i in range(5)]
    rounds = []
    while True:
        r = retention.purge_batch(db, policy, batch=2)
        db.commit()
        if r.empty:
            break
        rounds.append(r)
    assert len(rounds) == 3  # 2 + 2 + 1
    assert sorted(i for r in rounds for i in r.audio_calls) == sorted(c.id for c in made)
    assert retention.purge_batch(db, policy).empty  # a re-run finds nothing
    assert (
        db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "retention_purged"))
        == 5
    )


def test_crash_mid_batch_loses_nothing(app, db, settings, policy, monkeypatch):
    agent = create_agent(db)
    a = create_scored_call(db, settings, agent, started_at=OLD)
    b = create_scored_call(db, settings, agent, started_at=OLD + timedelta(hours=1))
    files = [settings.data_dir / a.audio_path, settings.data_dir / b.audio_path]
    real_unlink = Path.unlink
    calls = {"n": 0}

    def crash_on_second(self, missing_ok=False):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk went away")
        return real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", crash_on_second)
    with pytest.raises(OSError):
        retention.purge_batch(db, policy)
    db.rollback()
    monkeypatch.setattr(Path, "unlink", real_unlink)
    db.expire_all()
    for c in (a, b):  # every row as it was: nothing half-purged in the database
        row = db.get(Call, c.id)
        assert row.audio_path and row.audio_purged_at is None and row.transcript_purged_at is None
        assert db.scalar(select(TranscriptRecord).where(TranscriptRecord.call_id == c.id)) is not None
    assert (
        db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "retention_purged"))
        == 0
    )
    # the re-run finishes the job
    r = retention.purge_batch(db, policy)
    db.commit()
    assert sorted(r.audio_calls) == sorted([a.id, b.id])
    assert not any(f.exists() for f in files)


def test_unreliable_verdict_survives_the_purge(app, db, settings, policy):
    agent = create_agent(db)
    call = create_scored_call(db, settings, agent, started_at=OLD)
    call.transcript_unreliable = True  # the gate's verdict, stored when the call was scored
    call.transcript_reasons = [{"code": "reliability.roles_uncertain", "params": {"confidence": 0.2}}]
    db.commit()

    retention.purge_batch(db, policy.with_overrides(retention_audio_days=0))
    db.commit()
    db.refresh(call)
    assert call.transcript_purged_at is not None
    assert db.scalar(select(TranscriptRecord).where(TranscriptRecord.call_id == call.id)) is None
    # still unreliable although the transcript is gone: the statistics keep leaving its machine verdicts out
    assert call.transcript_unreliable is True
    assert call.transcript_reasons[0]["code"] == "reliability.roles_uncertain"


def test_retention_duty_job_runs_through_the_worker(app, db, settings, policy):
    registry.load()
    assert "daily-retention" in registry.duties()
    agent = create_agent(db)
    call = create_scored_call(db, settings, agent, started_at=OLD)
    job = jobs.enqueue(db, "retention", max_attempts=3)
    db.commit()
    factory = app.extensions["qa_sessionmaker"]
    with factory() as s:
        jobs.claim(s, "w1", 60)
        s.commit()
    state = worker_mod.process_job(factory, job.id, "w1", backends=None, settings=policy)
    assert state == JobState.DONE
    db.expire_all()
    assert db.get(Job, job.id).payload["audio_purged"] == 1
    assert db.get(Call, call.id).audio_purged_at is not None


@pytest.mark.parametrize("lang,words", [("zh", "按数据保留策略删除"), ("en", "under the retention policy")])
def test_call_page_says_purged(app, db, settings, policy, lang, words):
    agent = create_agent(db)
    call = create_scored_call(db, settings, agent, started_at=OLD)
    retention.purge_batch(db, policy)
    db.commit()
    admin = create_user(db, "admin")
    client = logged_in_client(app, admin.username, lang=lang)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert 'id="purged-notice"' in page and words in page
    assert "我家宽带又断了" not in page  # the customer's words (the rubric's own examples may stay)


def test_retention_settings_from_env():
    from qa_app.settings import Settings

    s = Settings.from_env(
        {"QA_SECRET_KEY": "x", "QA_RETENTION_AUDIO_DAYS": "180", "QA_RETENTION_TRANSCRIPT_DAYS": ""}
    )
    assert (s.retention_audio_days, s.retention_transcript_days) == (180, 0)
    with pytest.raises(ValueError, match="QA_RETENTION_TRANSCRIPT_DAYS"):
        Settings.from_env({"QA_SECRET_KEY": "x", "QA_RETENTION_TRANSCRIPT_DAYS": "-1"})
