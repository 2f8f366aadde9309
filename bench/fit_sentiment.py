"""Fit the logistic calibration of scoring.sentiment.CalibratedSentiment.

    .venv/bin/python bench/fit_sentiment.py [--n 2500]

Training data (never the ChnSentiCorp dev set used by bench/scoring.py to measure it):
- ../shared/eval/sentiment/sophonplus/waimai_10k.csv and ChnSentiCorp_htl_all.csv (reviews, 0/1),
  a balanced random sample of --n per label per file;
- bench/data/service_dialogue_sentiment.tsv: hand-written service-dialogue lines with labels
  0 (negative), 1 (positive) and 0.5 (neutral: greetings, questions, IDs - where snownlp's review
  model is wrongly negative). The dialogue lines carry as much total weight as the reviews.

Writes scoring/sentiment_calibration.json (coefficients per feature of scoring.sentiment.features).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scoring.sentiment import FEATURES, SnowNLPSentiment, features  # noqa: E402

SHARED = REPO.parent / "shared" / "eval" / "sentiment" / "sophonplus"


def load_reviews(path: Path, n: int, rng: random.Random) -> list[tuple[float, str]]:
    with path.open(encoding="utf-8") as f:
        rows = [(float(r["label"]), r["review"]) for r in csv.DictReader(f) if r.get("review")]
    pos = [r for r in rows if r[0] == 1.0]
    neg = [r for r in rows if r[0] == 0.0]
    return rng.sample(pos, min(n, len(pos))) + rng.sample(neg, min(n, len(neg)))


def load_dialogue() -> list[tuple[float, str]]:
    path = REPO / "bench" / "data" / "service_dialogue_sentiment.tsv"
    with path.open(encoding="utf-8") as f:
        return [(float(r["label"]), r["text"]) for r in csv.DictReader(f, delimiter="\t")]


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 1.0, iters: int = 50) -> np.ndarray:
    """Weighted logistic regression with soft labels (Newton steps, L2 on non-bias terms)."""
    beta = np.zeros(x.shape[1])
    reg = np.full(x.shape[1], l2)
    reg[0] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        grad = x.T @ (w * (p - y)) + reg * beta
        hess = (x * (w * p * (1 - p))[:, None]).T @ x + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1500, help="reviews per label per file")
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args(argv)
    if not SHARED.exists():
        print(f"skip: {SHARED} not found")
        return 0
    rng = random.Random(args.seed)
    reviews = load_reviews(SHARED / "waimai_10k.csv", args.n, rng) + load_reviews(
        SHARED / "ChnSentiCorp_htl_all.csv", args.n, rng
    )
    dialogue = load_dialogue()
    snow = SnowNLPSentiment()
    t0 = time.perf_counter()
    rows = []
    for label, text in reviews + dialogue:
        rows.append((label, features(snow.score(text), text)))
    print(f"snownlp on {len(rows)} texts: {time.perf_counter() - t0:.1f}s")
    x = np.array([r[1] for r in rows])
    y = np.array([r[0] for r in rows])
    w = np.ones(len(rows))
    w[len(reviews) :] = len(reviews) / max(1, len(dialogue))  # dialogue lines weigh as much as reviews
    beta = fit(x, y, w)
    coef = {f: round(float(b), 5) for f, b in zip(FEATURES, beta, strict=True)}
    p = 1.0 / (1.0 + np.exp(-(x @ beta)))
    raw = np.array([1.0 / (1.0 + np.exp(-4.0 * r[1][1])) for r in rows])
    n_r = len(reviews)
    hard = y[:n_r]
    acc_cal = ((p[:n_r] >= 0.5) == hard).mean()
    acc_raw = ((raw[:n_r] >= 0.5) == hard).mean()
    print(f"review accuracy: calibrated {acc_cal:.3f}  raw {acc_raw:.3f}")
    d_y, d_p, d_raw = y[n_r:], p[n_r:], raw[n_r:]
    for lab in (0.0, 0.5, 1.0):
        m = d_y == lab
        print(
            f"dialogue label {lab}: n={m.sum()} mean calibrated {d_p[m].mean():.3f}  mean raw {d_raw[m].mean():.3f}"
        )
    out = REPO / "scoring" / "sentiment_calibration.json"
    out.write_text(
        json.dumps(
            {
                "features": list(FEATURES),
                "coefficients": coef,
                "fitted_on": f"waimai_10k + ChnSentiCorp_htl_all ({len(reviews)} reviews, seed {args.seed}) "
                f"+ {len(dialogue)} hand-written service-dialogue lines (bench/data)",
            },
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print("coefficients:", coef)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
