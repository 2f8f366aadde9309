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
