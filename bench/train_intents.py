"""Fit the utterance-intent classifier of scoring.intents and write scoring/intents_model.json.

    .venv/bin/python bench/train_intents.py [--check]

Training data (see README "Utterance intents"):
- bench/data/intents_written.tsv: lines written for this project (Mandarin and English, agent and
  customer, formal and colloquial, ASR-like without punctuation, some in traditional characters),
  each with its intents ("-" = none: the negatives);
- bench/data/intents_real.tsv: real utterances of ../shared/eval/cs_dialogue (JDDC, STC-3) labelled by
  hand; only their location and a sha1 prefix are committed, the text is read from ../shared.

Every real utterance that also occurs in the evaluation set bench/data/intent_eval.tsv (its texts joined
from ../shared by bench/intent_eval_sample.py; same text after scoring.text.normalize, or one containing
the other) is dropped before fitting: the evaluation set is never trained on. The fit is deterministic (fixed folds, liblinear), so the same data gives the same file.

--check fits and reports without writing (the committed file stays).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scoring.intents import INTENTS, MODEL_FILE, features  # noqa: E402
from scoring.text import normalize  # noqa: E402

DATA = REPO / "bench" / "data"
SHARED = REPO.parent / "shared" / "eval" / "cs_dialogue"
EVAL_SET = DATA / "intent_eval.tsv"
OUT = REPO / "scoring" / MODEL_FILE
C = 8.0  # inverse L2 strength of each logistic regression
MIN_DF = 2
PLACEHOLDER = re.compile(r"\[[^\[\]]{1,12}x\]")  # JDDC's desensitised [数字x], [订单x] ...


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        lines = [line for line in f if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def _labels(field: str) -> set[str]:
    got = {x.strip() for x in field.split(",") if x.strip() and x.strip() != "-"}
    unknown = got - set(INTENTS)
    if unknown:
        raise SystemExit(f"unknown intent(s) {sorted(unknown)} in training data")
    return got


def written() -> list[tuple[str, set[str], str]]:
    return [(r["text"], _labels(r["intents"]), "written") for r in _rows(DATA / "intents_written.tsv")]


def _real_texts() -> dict[tuple[str, str], str]:
    """(source, location) -> text of the cs_dialogue utterances the labels point at."""
    out: dict[tuple[str, str], str] = {}
    with (SHARED / "jddc_sample" / "chat_0.1per.txt").open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 7:
                out[("jddc", str(n))] = parts[6]
    with (SHARED / "ntcir14_stc3_dch" / "stc3_test_cn_joined.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                for ti, t in enumerate(d["turns"]):
                    for ui, u in enumerate(t["utterances"]):
                        out[("stc3", f"{d['id']}:{ti}:{ui}")] = u
    return out


def _key(text: str) -> str:
    """The form texts are compared in: placeholders dropped, then scoring.text.normalize."""
    return normalize(PLACEHOLDER.sub(" ", text))


def eval_texts() -> list[str]:
    """Comparison keys of the evaluation set's utterances (texts joined from ../shared by
    bench/intent_eval_sample.py, which fails loudly when a row no longer matches its source)."""
    if not EVAL_SET.exists():
        return []
    sys.path.insert(0, str(REPO / "bench"))
    import intent_eval_sample

    return [k for k in (_key(r["text"]) for r in intent_eval_sample.load(EVAL_SET)) if k]


def in_eval(text: str, evals: list[str], eval_set: set[str]) -> bool:
    """Same text, or (4+ characters) one contained in the other: an STC-3 turn joins its utterances."""
    k = _key(text)
    if k in eval_set:
        return True
    return len(k) >= 4 and any((k in e) or (len(e) >= 4 and e in k) for e in evals)


def real(evals: list[str]) -> tuple[list[tuple[str, set[str], str]], int]:
    texts = _real_texts()
    eval_set = set(evals)
    out, dropped = [], 0
    for r in _rows(DATA / "intents_real.tsv"):
        text = texts.get((r["source"], r["line"]))
        if text is None or hashlib.sha1(text.encode()).hexdigest()[:10] != r["sha1"]:
            raise SystemExit(f"cs_dialogue changed: {r['source']} {r['line']} is not the labelled text")
        if in_eval(text, evals, eval_set):
            dropped += 1
            continue
        out.append((PLACEHOLDER.sub(" 0 ", text), _labels(r["intents"]), r["source"]))
    return out, dropped


def fit(texts: list[str], y: np.ndarray) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold

    vec = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=MIN_DF, norm="l2", smooth_idf=True)
    x = vec.fit_transform(texts)
    vocab = vec.get_feature_names_out().tolist()
    coef = np.zeros((len(vocab), len(INTENTS)))
    intercept = np.zeros(len(INTENTS))
    platt_a, platt_b = np.ones(len(INTENTS)), np.zeros(len(INTENTS))
    folds = list(KFold(n_splits=5, shuffle=True, random_state=0).split(texts))
    for k in range(len(INTENTS)):
        yk = y[:, k]
        lr = LogisticRegression(C=C, solver="liblinear", class_weight="balanced")
        lr.fit(x, yk)
        coef[:, k] = lr.coef_[0]
        intercept[k] = lr.intercept_[0]
        # Platt scaling on out-of-fold scores: balanced class weights push raw scores up, the
        # calibration brings p back to "how often a turn scored like this really has the intent".
        z = np.zeros(len(texts))
        for tr, te in folds:
            if yk[tr].min() == yk[tr].max():
                continue
            m = LogisticRegression(C=C, solver="liblinear", class_weight="balanced").fit(x[tr], yk[tr])
            z[te] = m.decision_function(x[te])
        cal = LogisticRegression(C=1e4, solver="lbfgs").fit(z.reshape(-1, 1), yk)
        platt_a[k], platt_b[k] = cal.coef_[0, 0], cal.intercept_[0]
    return {
        "intents": list(INTENTS),
        "vocabulary": vocab,
        "idf": [round(float(v), 5) for v in vec.idf_],
        "coef": [[round(float(v), 5) for v in row] for row in coef],
        "intercept": [round(float(v), 5) for v in intercept],
        "platt_a": [round(float(v), 5) for v in platt_a],
        "platt_b": [round(float(v), 5) for v in platt_b],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fit and report, do not write the model file")
    args = ap.parse_args(argv)
    if not SHARED.exists():
        print(f"error: {SHARED} not found: the real labelled utterances are read from it", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    evals = eval_texts()
    rows = written()
    real_rows, dropped = real(evals)
    rows += real_rows
    texts = [r[0] for r in rows]
    y = np.array([[int(i in r[1]) for i in INTENTS] for r in rows])
    model = fit(texts, y)
    model["meta"] = {
        "trained_on": {
            "written": sum(r[2] == "written" for r in rows),
            "jddc": sum(r[2] == "jddc" for r in rows),
            "stc3": sum(r[2] == "stc3" for r in rows),
            "dropped_in_eval_set": dropped,
            "eval_set_present": EVAL_SET.exists(),
        },
        "positives": {i: int(y[:, k].sum()) for k, i in enumerate(INTENTS)},
        "features": "char_wb 1-4 of scoring.text.normalize, tf-idf (sublinear), l2",
        "classifier": f"one-vs-rest logistic regression (liblinear, C={C}, balanced) + Platt (5-fold)",
    }
    print(json.dumps(model["meta"], ensure_ascii=False, indent=1))
    print(f"vocabulary {len(model['vocabulary'])} features, fitted in {time.perf_counter() - t0:.1f} s")
    if not args.check:
        OUT.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
