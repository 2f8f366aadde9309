"""bench/data/intent_eval.tsv (the hand-labelled real-utterance intent set) keeps its documented format.

Format and guidelines: bench/data/INTENT_EVAL.md. The text column is empty on purpose (the sources may
not be redistributed here); when ../shared is present, every row must join to an utterance of the
stated role there.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "bench" / "data" / "intent_eval.tsv"
SHARED_CS = REPO.parent / "shared" / "eval" / "cs_dialogue"

COLUMNS = ["id", "source", "role", "text", "intents"]
INTENTS = {
    "identity_request",
    "identity_confirmed",
    "account_action",
    "problem_statement",
    "dissatisfaction",
    "empathy",
    "hold_announcement",
    "thanks_for_waiting",
    "closing_question",
    "farewell",
}
CUSTOMER_INTENTS = {"problem_statement", "dissatisfaction"}
SOURCE = re.compile(r"^(jddc:[0-9a-f-]+#\d+|stc3:\d+#\d+)$")


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return list(reader.fieldnames or []), list(reader)


def problems(header: list[str], rows: list[dict[str, str]]) -> list[str]:
    """Every format violation of the evaluation file (empty when it is well formed)."""
    out: list[str] = []
    if header != COLUMNS:
        return [f"header {header} != {COLUMNS}"]
    if len(rows) < 400:
        out.append(f"{len(rows)} rows, at least 400 expected")
    ids = [r["id"] for r in rows]
    if len(set(ids)) != len(ids):
        out.append("duplicate ids")
    if len({r["source"] for r in rows}) != len(rows):
        out.append("duplicate sources")
    for r in rows:
        if None in r or any(v is None for v in r.values()):
            out.append(f"{r.get('id')}: wrong number of columns")
            continue
        if not SOURCE.match(r["source"]):
            out.append(f"{r['id']}: source {r['source']!r}")
        if r["role"] not in ("agent", "customer"):
            out.append(f"{r['id']}: role {r['role']!r}")
        labels = [x for x in r["intents"].split(",") if x] if r["intents"] else []
        if r["intents"] and len(labels) != len(r["intents"].split(",")):
            out.append(f"{r['id']}: empty item in {r['intents']!r}")
        if len(set(labels)) != len(labels):
            out.append(f"{r['id']}: repeated intent")
        for label in labels:
            if label not in INTENTS:
                out.append(f"{r['id']}: unknown intent {label!r}")
            elif (label in CUSTOMER_INTENTS) != (r["role"] == "customer"):
                out.append(f"{r['id']}: {label} on a {r['role']} utterance")
    for kind in ("jddc", "stc3"):
        if not any(r["source"].startswith(kind + ":") for r in rows):
            out.append(f"no rows from {kind}")
    for role in ("agent", "customer"):
        if not any(r["role"] == role for r in rows):
            out.append(f"no {role} rows")
    if not any(not r["intents"] for r in rows):
        out.append("no utterances without an intent")
    return out


def test_intent_eval_file_is_well_formed():
    header, rows = read_rows(DATA)
    assert problems(header, rows) == []


def test_the_check_catches_broken_files():
    header, rows = read_rows(DATA)
    bad = [dict(r) for r in rows]
    bad[0]["intents"] = "apology"
    bad[1]["role"] = "server"
    bad[2]["intents"] = "problem_statement" if bad[2]["role"] == "agent" else "farewell"
    found = problems(header, bad)
    assert any("unknown intent 'apology'" in p for p in found)
    assert any("role 'server'" in p for p in found)
    assert any(" on a " in p for p in found)
    assert problems(header, rows[:399])  # too few rows
    assert problems(header, [r for r in rows if r["source"].startswith("jddc")])  # one source only
    assert problems(["id", "source", "role", "intents"], rows)


def test_every_row_joins_to_the_shared_dialogues():
    if not SHARED_CS.is_dir():
        pytest.skip("../shared/eval/cs_dialogue not available")
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import intent_eval_sample
    finally:
        sys.path.remove(str(REPO / "bench"))
    rows = intent_eval_sample.load(DATA)
    assert all(r["text"] for r in rows)
