"""Evidence that only shows where a rule looked ("searched, not found") is flagged ``searched`` where it is
produced, so the UI can show it as the search scope instead of as a fault; the flag round-trips through
JSON and older scorecards without it still load."""

from __future__ import annotations

import json
from pathlib import Path

from scoring_helpers import make_call, one_criterion

from scoring import score
from scoring.model import Evidence, Scorecard

CONTRACT = Path(__file__).resolve().parents[4] / "shared" / "contracts" / "scorecard.schema.json"


def _row(automation: dict, transcript, **kw):
    card = score(transcript, one_criterion(automation, **kw), sentiment=None)
    (row,) = card.criteria
    return card, row


def test_missing_required_phrase_cites_searched_turns_not_faults():
    spec = {"primitive": "phrase", "party": "agent", "window": {"first_turns": 2}, "any": ["您好"]}
    _, row = _row(spec, make_call(("A", 0, 2, "喂"), ("C", 3, 4, "在吗"), ("A", 5, 7, "请讲")))
    assert row.result == "fail"
    assert row.evidence and all(e.searched for e in row.evidence)
    assert [e.segment for e in row.evidence] == [0, 2]


def test_found_phrases_and_prohibited_hits_are_real_evidence():
    spec = {"primitive": "phrase", "party": "agent", "any": ["您好"]}
    _, ok = _row(spec, make_call(("A", 0, 2, "您好")))
    assert ok.result == "pass" and ok.evidence and not any(e.searched for e in ok.evidence)
    prohibited = {"primitive": "absence", "party": "agent", "any": ["不清楚"]}
    _, bad = _row(prohibited, make_call(("A", 0, 2, "这个我不清楚")))
    assert bad.result == "fail" and not any(e.searched for e in bad.evidence)


def test_unanswered_trigger_keeps_the_trigger_as_evidence_and_the_looked_in_turns_as_searched():
    empathy = {
        "primitive": "triggered",
        "trigger": {"party": "customer", "any": ["太慢"]},
        "response": {"party": "agent", "after_turns": 2, "any": ["抱歉"]},
    }
    t = make_call(("C", 0, 2, "网速太慢了"), ("A", 3, 5, "请提供号码"), ("A", 6, 8, "好的"))
    _, row = _row(empathy, t)
    assert row.result == "fail"
    assert [(e.segment, e.searched) for e in row.evidence] == [(0, False), (1, True), (2, True)]


def test_flag_round_trips_and_old_cards_load():
    e = Evidence(1.0, 2.0, "喂", "检索范围", 3, "SPEAKER_00", "agent", searched=True)
    assert e.to_dict()["searched"] is True and Evidence.from_dict(e.to_dict()) == e
    plain = Evidence(1.0, 2.0, "您好", "命中", 0)
    assert "searched" not in plain.to_dict()  # unchanged output for ordinary evidence
    old = {"start": 1, "end": 2, "text": "x", "note": ""}
    assert Evidence.from_dict(old).searched is False


def test_scorecard_with_the_flag_keeps_the_contract():
    spec = {"primitive": "phrase", "party": "agent", "any": ["您好"]}
    card, _ = _row(spec, make_call(("A", 0, 2, "喂")))
    data = card.to_dict()
    assert any(e.get("searched") for c in data["criteria"] for e in c["evidence"])
    if CONTRACT.exists():  # the shared contract sits beside the repository when available
        import jsonschema

        jsonschema.validate(data, json.loads(CONTRACT.read_text(encoding="utf-8")))
    assert Scorecard.from_dict(json.loads(json.dumps(data))).to_dict() == data
