"""Agreement of the engine with the hand-labelled scripted calls (target >= 95%)."""

from __future__ import annotations

import pytest
from scoring_helpers import load_labelled

import rubrics
from scoring import score
from transcription.types import Transcript

labelled = load_labelled()


@pytest.fixture(scope="module")
def default_rubric():
    return rubrics.load_default()


def test_labelled_set_shape():
    labels = labelled.load_labels()
    assert len(labels) >= 40
    assert sum(c.startswith("en") for c in labels) >= 5
    cols = next(iter(labels.values())).keys()
    for cid in cols:  # every criterion both passes and fails somewhere
        results = {row[cid] for row in labels.values()}
        assert {"pass", "fail"} <= results, cid


def test_agreement_at_least_95_percent(default_rubric):
    a = labelled.measure(lambda d: score(Transcript.from_dict(d), default_rubric).results())
    assert a.total >= 40 * 14
    assert a.rate >= 0.95, a.mismatches
    for cid, (good, total) in a.per_criterion.items():
        assert good / total >= 0.85, (cid, a.mismatches)


def test_holdout_agreement_stays_high(default_rubric):
    a = labelled.measure(lambda d: score(Transcript.from_dict(d), default_rubric).results(), holdout=True)
    assert a.total == 24 * 14
    assert a.rate >= 0.9, a.mismatches


def test_holdout4_batch_is_complete(default_rubric):
    """Batch 4 (issue #10): every call has a transcript and a label per default-rubric criterion.

    No agreement floor here on purpose: its first run on main is recorded in holdout4_labels.yaml and
    reported by bench/scoring.py; the batch is never used to tune rules.
    """
    labels = labelled.load_labels(holdout=4)
    assert len(labels) >= 16
    assert all(int(c[1:3]) >= 25 for c in labels)
    assert sum("_en_" in c for c in labels) >= 3
    criteria = [c.id for s in default_rubric.sections for c in s.criteria]
    for call_id, row in labels.items():
        assert list(row) == criteria, call_id
        assert set(row.values()) <= {"pass", "fail", "na"}, call_id
        assert labelled.load_call(call_id, holdout=4)["call_id"] == call_id
    a = labelled.measure(lambda d: score(Transcript.from_dict(d), default_rubric).results(), holdout=4)
    assert a.total == len(labels) * len(criteria)


def test_holdout5_batch_is_complete(default_rubric):
    """Batch 5 (issue #10 item 7): every call has a transcript and a label per default-rubric criterion.

    No agreement floor on purpose: the labels were committed before the engine ran on these calls; the
    first run is recorded in holdout5_labels.yaml and reported by bench/scoring.py; never tune on it.
    """
    labels = labelled.load_labels(holdout=5)
    assert len(labels) == 20
    assert sorted(int(c[1:3]) for c in labels) == list(range(45, 65))
    assert sum("_en_" in c for c in labels) >= 4
    criteria = [c.id for s in default_rubric.sections for c in s.criteria]
    for call_id, row in labels.items():
        assert list(row) == criteria, call_id
        assert set(row.values()) <= {"pass", "fail", "na"}, call_id
        assert labelled.load_call(call_id, holdout=5)["call_id"] == call_id
    a = labelled.measure(lambda d: score(Transcript.from_dict(d), default_rubric).results(), holdout=5)
    assert a.total == len(labels) * len(criteria)
