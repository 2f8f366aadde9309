"""Scoring benchmark: throughput, labelled-set agreement, sentiment accuracy, satisfaction correlation.

    .venv/bin/python bench/scoring.py [--quick]

(a) scorecards/s on one core for a 5-minute, 80-turn call with sentiment precomputed per segment
    (the sentiment cost per call is reported separately);
(b) criterion-level agreement with the hand labels of tests/fixtures/scoring (lexicon and
    calibrated sentiment), per-criterion accuracy and the worst criteria, held-out batches 1-3 and
    batch 4 (holdout4_*.yaml) reported separately;
(c) sentiment accuracy on ../shared/eval/sentiment/chnsenticorp_luge/dev.tsv: calibrated vs raw
    snownlp (the calibration is fitted on other sets, see bench/fit_sentiment.py);
(d) Spearman correlation between predicted customer satisfaction per dialogue and the human
    satisfaction scores (mean_S) of NTCIR-14 STC-3 DCH (../shared/eval/cs_dialogue/ntcir14_stc3_dch).

Prints a table and writes bench/results/scoring.json. Skips cleanly when ../shared is absent.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "fixtures" / "scoring"))

import rubrics  # noqa: E402
from scoring import score  # noqa: E402
from scoring.sentiment import CalibratedSentiment, LexiconSentiment, SnowNLPSentiment, precompute  # noqa: E402
from scoring.text import is_backchannel, normalize  # noqa: E402
from transcription.types import Segment, Transcript  # noqa: E402


def pin_one_core() -> None:
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    except (AttributeError, OSError):
        pass


def five_minute_call() -> Transcript:
    """An 80-turn, ~5-minute call stitched from the labelled dialogues (agent/customer alternating)."""
    import labelled

    texts: dict[str, list[str]] = {"agent": [], "customer": []}
    for call_id in sorted(labelled.load_labels()):
        if not call_id.startswith("zh"):
            continue
        for s in labelled.load_call(call_id)["segments"]:
            if s["role"] in texts:
                texts[s["role"]].append(s["text"])
    segs: list[Segment] = []
    t = 0.8
    for i in range(80):
        role = "agent" if i % 2 == 0 else "customer"
        text = texts[role][(i // 2) % len(texts[role])]
        dur = max(1.0, len(normalize(text)) / 240 * 60)
        if i == 0:
            text = "您好，中国移动客服，工号1234，很高兴为您服务。"
        if i == 78:
            text = "请问还有其他可以帮您的吗？感谢您的来电，再见。"
        segs.append(Segment(i, t, t + dur, "SPEAKER_00" if role == "agent" else "SPEAKER_01", text, role))
        t += dur + 0.7
    scale = 300.0 / t
    segs = [Segment(s.id, s.start * scale, s.end * scale, s.speaker, s.text, s.role) for s in segs]
    return Transcript("zh", 300.0, tuple(segs), speakers={"SPEAKER_00": "agent", "SPEAKER_01": "customer"})


def bench_throughput(seconds: float) -> dict:
    rubric = rubrics.load_default()
    call = five_minute_call()
    cal = CalibratedSentiment()
    cal.score("预热")  # import snownlp outside the timing
    t0 = time.perf_counter()
    sent = precompute(call, cal)
    sent_cost = time.perf_counter() - t0
    score(call, rubric, sentiment=sent)  # warm caches (compiled rubric)
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        score(call, rubric, sentiment=sent)
        n += 1
    per_s = n / (time.perf_counter() - t0)
    per_cpu_s = n / max(1e-9, time.process_time() - c0)
    n2, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds / 2:
        score(call, rubric, sentiment=sent).to_dict()
        n2 += 1
    per_s_json = n2 / (time.perf_counter() - t0)
    customer_turns = sum(1 for s in call.segments if s.role == "customer")
    return {
        "call_turns": len(call.segments),
        "call_seconds": call.duration,
        "scorecards_per_second": round(per_s, 1),
        "ms_per_scorecard": round(1000 / per_s, 3),
        "scorecards_per_cpu_second": round(per_cpu_s, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "scorecards_per_second_with_to_dict": round(per_s_json, 1),
        "sentiment_ms_per_call": round(sent_cost * 1000, 1),
        "sentiment_turns_scored": customer_turns,
        "target_per_second": 500,
    }


def bench_agreement() -> dict:
    import labelled

    rubric = rubrics.load_default()
    out = {}
    for name, analyzer in (("lexicon", LexiconSentiment()), ("calibrated", CalibratedSentiment())):
        a = labelled.measure(
            lambda d, an=analyzer: score(Transcript.from_dict(d), rubric, sentiment=an).results()
        )
        per = {k: round(g / t, 4) for k, (g, t) in a.per_criterion.items()}
        worst = sorted(per.items(), key=lambda kv: kv[1])[:3]
        out[name] = {
            "calls": len(labelled.load_labels()),
            "verdicts": a.total,
            "agreement": round(a.rate, 4),
            "per_criterion": per,
            "worst": worst,
            "mismatches": [list(m) for m in a.mismatches],
        }
        h = labelled.measure(
            lambda d, an=analyzer: score(Transcript.from_dict(d), rubric, sentiment=an).results(),
            holdout=True,
        )
        out[name]["holdout_agreement"] = round(h.rate, 4)
        out[name]["holdout_verdicts"] = h.total
        out[name]["holdout_mismatches"] = [list(m) for m in h.mismatches]
        per_h = {k: round(g / t, 4) for k, (g, t) in h.per_criterion.items()}
        out[name]["holdout_worst"] = sorted(per_h.items(), key=lambda kv: kv[1])[:3]
        # Batch 4 (issue #10): its own figure; never tune rules on it (see holdout4_labels.yaml).
        h4 = labelled.measure(
            lambda d, an=analyzer: score(Transcript.from_dict(d), rubric, sentiment=an).results(),
            holdout=4,
        )
        out[name]["holdout4_agreement"] = round(h4.rate, 4)
        out[name]["holdout4_verdicts"] = h4.total
        out[name]["holdout4_per_criterion"] = {k: list(v) for k, v in h4.per_criterion.items()}
        out[name]["holdout4_mismatches"] = [list(m) for m in h4.mismatches]
    out["target"] = 0.95
    # First runs, before the rules were changed in response (see holdout_labels.yaml): the honest
    # estimate of agreement on calls the rules were not written for.
    out["holdout_first_runs"] = {
        "batch1_8_calls": {"lexicon": 0.8482, "calibrated": 0.875},
        "batch2_8_calls": {"lexicon": 0.9375, "calibrated": 0.9375},
        "batch3_8_calls_no_changes_after": {"lexicon": 0.9464, "calibrated": 0.9464},
        "batch4_20_calls_main_5fda13c": {"lexicon": 0.8357, "calibrated": 0.8357},
    }
    return out


def labelled_holdout4() -> dict[str, dict[str, str]]:
    import labelled

    return labelled.load_labels(holdout=4)


def bench_sentiment_dev(limit: int | None) -> dict:
    path = SHARED / "eval" / "sentiment" / "chnsenticorp_luge" / "dev.tsv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))[:limit]
    y = [int(r["label"]) for r in rows]
    raw_an, simp_an = SnowNLPSentiment(simplify=False), SnowNLPSentiment()
    t0 = time.perf_counter()
    raw = [raw_an.score(r["text_a"]) for r in rows]
    ms = (time.perf_counter() - t0) * 1000 / len(rows)
    simp = {r["text_a"]: simp_an.score(r["text_a"]) for r in rows}

    class Cached:
        name = "cached"

        def score(self, text: str) -> float:
            return simp[text]

    cal = CalibratedSentiment(base=Cached())
    lex = LexiconSentiment()

    def acc(ps: list[float]) -> float:
        return round(sum((p >= 0.5) == bool(label) for p, label in zip(ps, y, strict=True)) / len(y), 4)

    greeting = "您好，这里是客服中心，请问有什么可以帮您？"
    return {
        "n": len(rows),
        "snownlp_raw": acc(raw),
        "calibrated": acc([cal.score(r["text_a"]) for r in rows]),
        "lexicon_only": acc([lex.score(r["text_a"]) for r in rows]),
        "snownlp_ms_per_text": round(ms, 2),
        "greeting_raw": round(raw_an.score(greeting), 3),
        "greeting_calibrated": round(CalibratedSentiment().score(greeting), 3),
        "target": 0.868,
    }


def bench_satisfaction(limit: int | None) -> dict:
    from scipy.stats import spearmanr

    path = SHARED / "eval" / "cs_dialogue" / "ntcir14_stc3_dch" / "stc3_test_cn_joined.jsonl"
    dialogues = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()][
        :limit
    ]
    analyzers = {
        "calibrated": CalibratedSentiment(),
        "snownlp_raw": SnowNLPSentiment(),
        "lexicon": LexiconSentiment(),
    }
    human = [float(d["mean_S"]) for d in dialogues]
    out: dict = {"n": len(dialogues), "human": "mean_S (19 annotators, -2..2)"}
    for name, an in analyzers.items():
        end_scores, mean_scores = [], []
        for d in dialogues:
            turns = [
                " ".join(u for u in t["utterances"] if u) for t in d["turns"] if t["sender"] == "customer"
            ]
            turns = [t for t in turns if t.strip() and not is_backchannel(normalize(t))] or [""]
            s = [an.score(t) for t in turns]
            end_scores.append(statistics.fmean(s[-2:]))  # same as the engine's customer_sentiment_end
            mean_scores.append(statistics.fmean(s))
        out[name] = {
            "spearman_end": round(float(spearmanr(end_scores, human).statistic), 4),
            "spearman_mean": round(float(spearmanr(mean_scores, human).statistic), 4),
        }
    out["primary"] = "calibrated.spearman_end (mean sentiment of the last 2 customer turns)"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter timings and 200-line subsets (smoke run)")
    args = ap.parse_args(argv)
    if not SHARED.exists():
        print(f"skip: shared evaluation data not found at {SHARED}")
        return 0
    pin_one_core()
    limit = 200 if args.quick else None
    t0 = time.perf_counter()
    res = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "throughput": bench_throughput(1.0 if args.quick else 5.0),
        "agreement": bench_agreement(),
        "sentiment_dev": bench_sentiment_dev(limit),
        "satisfaction": bench_satisfaction(limit),
    }
    res["wall_seconds"] = round(time.perf_counter() - t0, 1)
    tp, ag, sd, sa = res["throughput"], res["agreement"], res["sentiment_dev"], res["satisfaction"]
    rows = [
        (
            "throughput (5-min, 80-turn call, 1 core, wall clock)",
            f"{tp['scorecards_per_second']}/s ({tp['ms_per_scorecard']} ms)",
            ">= 500/s",
        ),
        (
            f"  per CPU-second of this process (load avg {tp['load_average_1min']})",
            f"{tp['scorecards_per_cpu_second']}/s",
            ">= 500/s",
        ),
        ("  with Scorecard.to_dict()", f"{tp['scorecards_per_second_with_to_dict']}/s", ""),
        (
            "  sentiment per call (calibrated, customer turns)",
            f"{tp['sentiment_ms_per_call']} ms / {tp['sentiment_turns_scored']} turns",
            "separate",
        ),
        (
            "agreement, lexicon sentiment",
            f"{ag['lexicon']['agreement']:.2%} of {ag['lexicon']['verdicts']}",
            ">= 95%",
        ),
        (
            "agreement, calibrated sentiment",
            f"{ag['calibrated']['agreement']:.2%} of {ag['calibrated']['verdicts']}",
            ">= 95%",
        ),
        (
            "holdout calls (24), lexicon / calibrated",
            f"{ag['lexicon']['holdout_agreement']:.2%} / {ag['calibrated']['holdout_agreement']:.2%}",
            "first runs: 84.8/87.5, 93.8/93.8, 94.6/94.6%",
        ),
        (
            f"holdout batch 4 ({len(labelled_holdout4())} calls), lexicon / calibrated",
            f"{ag['lexicon']['holdout4_agreement']:.2%} / {ag['calibrated']['holdout4_agreement']:.2%}"
            f" of {ag['calibrated']['holdout4_verdicts']}",
            ">= 95% (first run on main: 83.6/83.6%)",
        ),
        (
            "  worst criteria (calibrated; main / holdout)",
            ", ".join(f"{k} {v:.0%}" for k, v in ag["calibrated"]["worst"][:2])
            + " / "
            + ", ".join(f"{k} {v:.0%}" for k, v in ag["calibrated"]["holdout_worst"][:2]),
            "",
        ),
        ("ChnSentiCorp dev accuracy: snownlp raw", f"{sd['snownlp_raw']:.4f} (n={sd['n']})", ""),
        ("ChnSentiCorp dev accuracy: calibrated", f"{sd['calibrated']:.4f}", ">= snownlp (0.868)"),
        ("ChnSentiCorp dev accuracy: lexicon only", f"{sd['lexicon_only']:.4f}", ""),
        (
            "neutral greeting: raw -> calibrated",
            f"{sd['greeting_raw']} -> {sd['greeting_calibrated']}",
            "~0.5",
        ),
        (
            "STC-3 satisfaction Spearman (calibrated, end)",
            f"{sa['calibrated']['spearman_end']} (n={sa['n']})",
            "",
        ),
        ("STC-3 satisfaction Spearman (calibrated, mean)", f"{sa['calibrated']['spearman_mean']}", ""),
        (
            "STC-3 satisfaction Spearman (raw snownlp, end/mean)",
            f"{sa['snownlp_raw']['spearman_end']} / {sa['snownlp_raw']['spearman_mean']}",
            "",
        ),
        (
            "STC-3 satisfaction Spearman (lexicon, end/mean)",
            f"{sa['lexicon']['spearman_end']} / {sa['lexicon']['spearman_mean']}",
            "",
        ),
    ]
    w = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(w)}  {'result':38s}  target")
    for name, val, target in rows:
        print(f"{name.ljust(w)}  {val:38s}  {target}")
    for name in ("lexicon", "calibrated"):
        for m in ag[name]["mismatches"] + ag[name]["holdout_mismatches"] + ag[name]["holdout4_mismatches"]:
            print(f"  mismatch [{name}] {m[0]} {m[1]}: expected {m[2]}, got {m[3]}")
    out = REPO / "bench" / "results" / "scoring.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out} ({res['wall_seconds']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
