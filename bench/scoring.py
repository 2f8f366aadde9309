"""Scoring benchmark: throughput, labelled-set agreement, sentiment accuracy, satisfaction correlation.

    .venv/bin/python bench/scoring.py [--quick]

(a) scorecards/s on one core for a 5-minute, 80-turn call with sentiment and intents precomputed per
    segment, and without intents (the phrase-only engine); the sentiment and intent costs per call are
    reported separately (median and worst of repeated runs);
(b) criterion-level agreement with the hand labels of tests/fixtures/scoring (lexicon and
    calibrated sentiment), per-criterion accuracy and the worst criteria, on the labelled set and on
    each held-out batch (h01-h08, h09-h16, h17-h24; batch 4 = holdout4_*.yaml, h25-h44; batch 5 =
    holdout5_*.yaml, h45-h64), with intents and phrase-only in the same run;
(e) per-intent precision, recall and F1 of scoring.intents on bench/data/intent_eval.tsv (real
    utterances labelled by hand, never trained on; texts joined from ../shared by
    bench/intent_eval_sample.py), on all rows and on the uniformly drawn r-rows, and the macro average;
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
from scoring import intents as intents_mod  # noqa: E402
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
    model = intents_mod.default_model()
    intent_ms = []
    for _ in range(21):
        t0 = time.perf_counter()
        ints = intents_mod.precompute(call, model)
        intent_ms.append((time.perf_counter() - t0) * 1000)
    score(call, rubric, sentiment=sent, intents=ints)  # warm caches (compiled rubric)

    def rate(intents: dict, secs: float) -> tuple[float, float]:
        n, t0, c0 = 0, time.perf_counter(), time.process_time()
        while time.perf_counter() - t0 < secs:
            score(call, rubric, sentiment=sent, intents=intents)
            n += 1
        return n / (time.perf_counter() - t0), n / max(1e-9, time.process_time() - c0)

    per_s, per_cpu_s = rate(ints, seconds)
    phrase_only_s, phrase_only_cpu_s = rate({}, seconds / 2)
    n2, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds / 2:
        score(call, rubric, sentiment=sent, intents=ints).to_dict()
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
        "phrase_only_scorecards_per_second": round(phrase_only_s, 1),
        "phrase_only_scorecards_per_cpu_second": round(phrase_only_cpu_s, 1),
        "intents_ms_per_call_median": round(statistics.median(intent_ms), 2),
        "intents_ms_per_call_worst": round(max(intent_ms), 2),
        "intents_turns_scored": len(ints),
        "target_per_second": 500,
    }


def batch_of(call_id: str) -> str:
    """Batches of holdout_labels.yaml: h01-h08, h09-h16, h17-h24 (three earlier rounds); h25-h44 (batch 4)
    and h45-h64 (batch 5) have their own files and figures."""
    n = int("".join(ch for ch in call_id.split("_")[0] if ch.isdigit()) or 0)
    return f"batch{min(4, (n - 1) // 8 + 1)}"


def per_batch(mismatches: list, labels: dict) -> dict:
    out: dict[str, dict] = {}
    for call_id, row in labels.items():
        b = out.setdefault(batch_of(call_id), {"calls": 0, "verdicts": 0, "agree": 0})
        b["calls"] += 1
        b["verdicts"] += len(row)
        b["agree"] += len(row)
    for m in mismatches:
        out[batch_of(m[0])]["agree"] -= 1
    for b in out.values():
        b["agreement"] = round(b["agree"] / b["verdicts"], 4) if b["verdicts"] else None
    return dict(sorted(out.items()))


def bench_agreement() -> dict:
    import labelled

    rubric = rubrics.load_default()
    out = {}
    holdout_labels = labelled.load_labels(holdout=True)
    for name, analyzer, ints in (
        ("lexicon", LexiconSentiment(), None),
        ("calibrated", CalibratedSentiment(), None),
        ("calibrated_phrase_only", CalibratedSentiment(), {}),
    ):
        a = labelled.measure(
            lambda d, an=analyzer, i=ints: score(
                Transcript.from_dict(d), rubric, sentiment=an, intents=i
            ).results()
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
            lambda d, an=analyzer, i=ints: score(
                Transcript.from_dict(d), rubric, sentiment=an, intents=i
            ).results(),
            holdout=True,
        )
        out[name]["holdout_batches"] = per_batch([list(m) for m in h.mismatches], holdout_labels)
        out[name]["holdout_agreement"] = round(h.rate, 4)
        out[name]["holdout_verdicts"] = h.total
        out[name]["holdout_mismatches"] = [list(m) for m in h.mismatches]
        per_h = {k: round(g / t, 4) for k, (g, t) in h.per_criterion.items()}
        out[name]["holdout_worst"] = sorted(per_h.items(), key=lambda kv: kv[1])[:3]
        # Batch 4 (issue #10): its own figure; never tune rules on it (see holdout4_labels.yaml).
        h4 = labelled.measure(
            lambda d, an=analyzer, i=ints: score(
                Transcript.from_dict(d), rubric, sentiment=an, intents=i
            ).results(),
            holdout=4,
        )
        out[name]["holdout4_agreement"] = round(h4.rate, 4)
        out[name]["holdout4_verdicts"] = h4.total
        out[name]["holdout4_per_criterion"] = {k: list(v) for k, v in h4.per_criterion.items()}
        out[name]["holdout4_mismatches"] = [list(m) for m in h4.mismatches]
        # Batch 5 (issue #10 item 7): labelled before any engine ran on it; never tune on it.
        h5 = labelled.measure(
            lambda d, an=analyzer, i=ints: score(
                Transcript.from_dict(d), rubric, sentiment=an, intents=i
            ).results(),
            holdout=5,
        )
        out[name]["holdout5_agreement"] = round(h5.rate, 4)
        out[name]["holdout5_verdicts"] = h5.total
        out[name]["holdout5_per_criterion"] = {k: list(v) for k, v in h5.per_criterion.items()}
        out[name]["holdout5_mismatches"] = [list(m) for m in h5.mismatches]
    out["target"] = 0.95
    # First runs, before the rules were changed in response (see holdout_labels.yaml): the honest
    # estimate of agreement on calls the rules were not written for.
    out["holdout_first_runs"] = {
        "batch1_8_calls": {"lexicon": 0.8482, "calibrated": 0.875},
        "batch2_8_calls": {"lexicon": 0.9375, "calibrated": 0.9375},
        "batch3_8_calls_no_changes_after": {"lexicon": 0.9464, "calibrated": 0.9464},
        "batch4_20_calls_main_5fda13c": {"lexicon": 0.8357, "calibrated": 0.8357},
        # intents branch (c52eee7: the model refitted with the evaluation set excluded), one run after
        # merging batch 4, nothing changed in response: with intents / the same run's phrase-only engine
        "batch4_20_calls_intents_c52eee7": {"lexicon": 0.9214, "calibrated": 0.9214, "phrase_only": 0.8357},
        # batch 5 (holdout5_*.yaml), labelled and committed (0b8c84e) before any engine ran on it; one run
        # of the engine of main@9152ef3 (with intents) and the same run's phrase-only engine
        "batch5_20_calls_main_9152ef3": {"lexicon": 0.9036, "calibrated": 0.9, "phrase_only": 0.8643},
    }
    return out


def load_intent_eval() -> list[tuple[str, str, set[str]]]:
    """(id, text, intents) rows of bench/data/intent_eval.tsv, texts joined from ../shared."""
    sys.path.insert(0, str(REPO / "bench"))
    import intent_eval_sample

    return [
        (r["id"], r["text"], {x.strip() for x in (r.get("intents") or "").split(",") if x.strip()})
        for r in intent_eval_sample.load()
    ]


def intent_scores(rows: list[tuple[str, set[str]]], preds: list[dict[str, float]], threshold: float) -> dict:
    """Per-intent precision / recall / F1 at ``threshold`` and their macro averages (intents with support)."""
    per: dict[str, dict] = {}
    for intent in intents_mod.INTENTS:
        tp = fp = fn = 0
        for (_t, y), p in zip(rows, preds, strict=True):
            hit = p[intent] >= threshold
            tp += hit and intent in y
            fp += hit and intent not in y
            fn += (not hit) and intent in y
        prec = tp / (tp + fp) if tp + fp else None
        rec = tp / (tp + fn) if tp + fn else None
        f1 = None if prec is None or rec is None else (2 * prec * rec / (prec + rec) if prec + rec else 0.0)
        per[intent] = {
            "support": tp + fn,
            "predicted": tp + fp,
            "precision": None if prec is None else round(prec, 4),
            "recall": None if rec is None else round(rec, 4),
            "f1": None if f1 is None else round(f1, 4),
        }

    def macro(key: str) -> float | None:
        vals = [v[key] if v[key] is not None else 0.0 for v in per.values() if v["support"]]
        return round(statistics.fmean(vals), 4) if vals else None

    return {
        "n": len(rows),
        "with_any_intent": sum(1 for _t, y in rows if y),
        "per_intent": per,
        "macro_precision": macro("precision"),
        "macro_recall": macro("recall"),
        "macro_f1": macro("f1"),
    }


def bench_intents() -> dict:
    """Per-intent precision / recall / F1 on bench/data/intent_eval.tsv at the rules' default threshold
    (all rows, and the uniformly drawn r-rows: the cue-drawn e-rows favour phrase-like models)."""
    from rubrics.automation import INTENT_LOW

    if not (REPO / "bench" / "data" / "intent_eval.tsv").exists():
        return {"skipped": "bench/data/intent_eval.tsv not found"}
    rows = load_intent_eval()
    model = intents_mod.default_model()
    t0 = time.perf_counter()
    preds = model.predict(t for _i, t, _y in rows)
    ms = (time.perf_counter() - t0) * 1000 / max(1, len(rows))
    every = [(t, y) for _i, t, y in rows]
    uniform = [(k, (t, y)) for k, (i, t, y) in enumerate(rows) if i.startswith("r")]
    out = intent_scores(every, preds, INTENT_LOW)
    out["uniform_rows"] = intent_scores([r for _k, r in uniform], [preds[k] for k, _r in uniform], INTENT_LOW)
    out["threshold"] = INTENT_LOW
    out["ms_per_utterance"] = round(ms, 3)
    out["trained_on"] = model.meta.get("trained_on")
    return out


def labelled_holdout4() -> dict[str, dict[str, str]]:
    import labelled

    return labelled.load_labels(holdout=4)


def labelled_holdout5() -> dict[str, dict[str, str]]:
    import labelled

    return labelled.load_labels(holdout=5)


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


def labelled_holdout_ids() -> list[str]:
    import labelled

    return sorted(labelled.load_labels(holdout=True))


def intent_rows(it: dict) -> list[tuple[str, str, str]]:
    if "skipped" in it:
        return [("intents on bench/data/intent_eval.tsv", it["skipped"], "")]

    def f(x: float | None) -> str:
        return "-" if x is None else f"{x:.2f}"

    u = it["uniform_rows"]
    rows = [
        (
            f"intents, real utterances, p >= {it['threshold']}: P / R / F1, all (n={it['n']}) | r-rows (n={u['n']})",
            f"macro {f(it['macro_precision'])} / {f(it['macro_recall'])} / {f(it['macro_f1'])}"
            f" | {f(u['macro_precision'])} / {f(u['macro_recall'])} / {f(u['macro_f1'])}",
            "",
        )
    ]
    for name, v in it["per_intent"].items():
        w = u["per_intent"][name]
        rows.append(
            (
                f"  {name} (support {v['support']} | {w['support']})",
                f"{f(v['precision'])} / {f(v['recall'])} / {f(v['f1'])}"
                f" | {f(w['precision'])} / {f(w['recall'])} / {f(w['f1'])}",
                "",
            )
        )
    return rows


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
        "intents": bench_intents(),
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
            "  phrase-only engine (no intents), wall / CPU",
            f"{tp['phrase_only_scorecards_per_second']}/s / {tp['phrase_only_scorecards_per_cpu_second']}/s",
            "",
        ),
        (
            "  intents per call (80 turns), median / worst",
            f"{tp['intents_ms_per_call_median']} / {tp['intents_ms_per_call_worst']} ms ({tp['intents_turns_scored']} turns)",
            "separate",
        ),
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
            "agreement, calibrated, phrase-only (no intents)",
            f"{ag['calibrated_phrase_only']['agreement']:.2%} of {ag['calibrated_phrase_only']['verdicts']}",
            "",
        ),
        (
            f"holdout calls ({len(labelled_holdout_ids())}), lexicon / calibrated / phrase-only",
            f"{ag['lexicon']['holdout_agreement']:.2%} / {ag['calibrated']['holdout_agreement']:.2%}"
            f" / {ag['calibrated_phrase_only']['holdout_agreement']:.2%}",
            "first runs: 84.8/87.5, 93.8/93.8, 94.6/94.6%",
        ),
        *[
            (
                f"  {b} ({v['calls']} calls), calibrated / phrase-only",
                f"{v['agreement']:.2%} / {ag['calibrated_phrase_only']['holdout_batches'][b]['agreement']:.2%}",
                ">= 95%" if b == "batch4" else "",
            )
            for b, v in ag["calibrated"]["holdout_batches"].items()
        ],
        (
            f"holdout batch 4 ({len(labelled_holdout4())} calls), lexicon / calibrated / phrase-only",
            f"{ag['lexicon']['holdout4_agreement']:.2%} / {ag['calibrated']['holdout4_agreement']:.2%}"
            f" / {ag['calibrated_phrase_only']['holdout4_agreement']:.2%}"
            f" of {ag['calibrated']['holdout4_verdicts']}",
            ">= 95% (first runs: main 83.6%, intents 92.1%)",
        ),
        *[
            (
                f"  batch 4 {k}, calibrated / phrase-only (agree of n)",
                f"{v[0]}/{v[1]} / {ag['calibrated_phrase_only']['holdout4_per_criterion'][k][0]}/{v[1]}",
                "",
            )
            for k, v in ag["calibrated"]["holdout4_per_criterion"].items()
            if v[0] < v[1] or ag["calibrated_phrase_only"]["holdout4_per_criterion"][k][0] < v[1]
        ],
        (
            f"holdout batch 5 ({len(labelled_holdout5())} calls), lexicon / calibrated / phrase-only",
            f"{ag['lexicon']['holdout5_agreement']:.2%} / {ag['calibrated']['holdout5_agreement']:.2%}"
            f" / {ag['calibrated_phrase_only']['holdout5_agreement']:.2%}"
            f" of {ag['calibrated']['holdout5_verdicts']}",
            ">= 95% (first run: main 90.4/90.0%, phrase-only 86.4%)",
        ),
        *[
            (
                f"  batch 5 {k}, calibrated / phrase-only (agree of n)",
                f"{v[0]}/{v[1]} / {ag['calibrated_phrase_only']['holdout5_per_criterion'][k][0]}/{v[1]}",
                "",
            )
            for k, v in ag["calibrated"]["holdout5_per_criterion"].items()
            if v[0] < v[1] or ag["calibrated_phrase_only"]["holdout5_per_criterion"][k][0] < v[1]
        ],
        (
            "  worst criteria (calibrated; main / holdout)",
            ", ".join(f"{k} {v:.0%}" for k, v in ag["calibrated"]["worst"][:2])
            + " / "
            + ", ".join(f"{k} {v:.0%}" for k, v in ag["calibrated"]["holdout_worst"][:2]),
            "",
        ),
        *intent_rows(res["intents"]),
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
    for name in ("lexicon", "calibrated", "calibrated_phrase_only"):
        for m in (
            ag[name]["mismatches"]
            + ag[name]["holdout_mismatches"]
            + ag[name]["holdout4_mismatches"]
            + ag[name]["holdout5_mismatches"]
        ):
            print(f"  mismatch [{name}] {m[0]} {m[1]}: expected {m[2]}, got {m[3]}")
    out = REPO / "bench" / "results" / "scoring.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out} ({res['wall_seconds']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
