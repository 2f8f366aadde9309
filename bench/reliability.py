"""The transcript-reliability gate on real speech: which calls and clips it flags, and why.

    .venv/bin/python bench/reliability.py                 # run the speech pipeline (~10 min on 2 cores)
    .venv/bin/python bench/reliability.py --from-json     # re-judge the signals stored by the last run
    .venv/bin/python bench/reliability.py --only demo     # only the demo calls (or: eval)

Two sets, each through the real offline pipeline (faster-whisper + pyannote / channel split, roles):
* the ``../shared/eval`` clips (zh_asr, en_asr, diarization): clean or at least human-transcribable
  speech, so every flag there is a **false positive** (the gate must stay at ~0 on them);
* the 18 demo calls synthesized with espeak-ng (``qa_app/demo``, as ``seed-demo`` makes them), whose
  Mandarin is largely unreadable to Whisper base: the gate should flag the calls whose transcript is
  implausible for the audio (demo call 6, 64 s, one two-character segment, scored 61.2 in the issue).

Per clip it prints the signals of :mod:`scoring.reliability` (duration, turns, characters, characters
per second of recording and of VAD-detected speech, mean log-probability, no-speech probability, role
confidence), the CER against the reference where there is one, the automated score (demo calls) and
the decision with its reasons. The signals go to bench/results/reliability.json so thresholds can be
re-judged (``--from-json``) without running the recogniser again.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.append(str(REPO / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "0")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from scoring import reliability  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"
RESULTS = REPO / "bench" / "results" / "reliability.json"


def eval_clips() -> list[dict]:
    """(name, path, channels, layout, language, reference text) of every eval clip with speech."""
    out = []
    for sub, lang in (("zh_asr", "zh"), ("en_asr", "en")):
        refs = {
            r["file"]: r.get("reference", "")
            for r in csv.DictReader((EVAL / sub / "refs.tsv").open(encoding="utf-8"), delimiter="\t")
        }
        for f, text in sorted(refs.items()):
            out.append(
                {
                    "set": "eval",
                    "name": f"{sub}/{f}",
                    "path": str(EVAL / sub / f),
                    "channels": "mono",
                    "layout": None,
                    "language": lang,
                    "ref": text,
                }
            )
    d = EVAL / "diarization"
    for name, ch, layout, lang in (
        ("pyannote_sample.wav", "mono", None, "en"),
        ("pyannote_debug/tst00.wav", "mono", None, "en"),
        ("pyannote_debug/tst01.wav", "mono", None, "en"),
        ("fw_stereo_diarization.wav", "stereo", "stereo_agent_left", "en"),
        ("derived_zh_2spk/zh_2spk_aishell.wav", "mono", None, "zh"),
        ("derived_zh_2spk/zh_2spk_aishell_8k.wav", "mono", None, "zh"),
        ("derived_zh_2spk/zh_2spk_aishell_stereo_A-left_B-right.wav", "stereo", None, "zh"),
    ):
        if (d / name).is_file():
            out.append(
                {
                    "set": "eval",
                    "name": f"diarization/{name}",
                    "path": str(d / name),
                    "channels": ch,
                    "layout": layout,
                    "language": lang,
                    "ref": "",
                }
            )
    return out


def run_pipeline(only: str | None) -> list[dict]:
    from demo_calls import error_rate

    import rubrics
    from qa_app.demo import DEMO_SCRIPTS, synthesize
    from scoring import sentiment
    from scoring.engine import score
    from transcription.pipeline import SpeechPipeline

    pipe = SpeechPipeline.from_env(dict(os.environ))
    rubric = rubrics.load_default()
    analyzer = sentiment.create("calibrated")
    rows: list[dict] = []
    jobs = []
    if only in (None, "eval"):
        jobs += eval_clips() if EVAL.is_dir() else []
    tmp = tempfile.TemporaryDirectory()
    if only in (None, "demo"):
        for i, s in enumerate(DEMO_SCRIPTS, 1):
            jobs.append(
                {
                    "set": "demo",
                    "name": f"demo {i:02d} {s.key}",
                    "script": s,
                    "language": s.language,
                    "layout": s.layout,
                }
            )
    for job in jobs:
        ref = job.get("ref", "")
        if job["set"] == "demo":
            s = job.pop("script")
            wav = Path(tmp.name) / f"{s.key}.wav"
            refs = synthesize(s, wav, 16000)
            ref = " ".join(r.text for r in refs)
            job |= {"path": str(wav), "channels": "mono" if s.layout == "mono" else "stereo"}
        t0 = time.perf_counter()
        res = pipe.run_detailed(
            job["path"], channels=job["channels"], layout=job["layout"], language=job["language"]
        )
        tr = res.transcript
        facts = reliability.facts_of(tr)
        card = score(tr, rubric, sentiment=analyzer)
        row = {k: job[k] for k in ("set", "name", "language")} | {
            "facts": {k: getattr(facts, k) for k in facts.__slots__},
            "segments": [s.text for s in tr.segments][:3],
            "cer": round(error_rate(ref, " ".join(s.text for s in tr.segments), job["language"]), 3)
            if ref
            else None,
            "score": None if card.total is None else round(card.total, 1),
            "seconds": round(time.perf_counter() - t0, 1),
        }
        rows.append(row)
        show(row)
    tmp.cleanup()
    return rows


def show(row: dict) -> None:
    f = reliability.TranscriptFacts(**row["facts"])
    reasons = reliability.assess(f)
    cps = f.text_chars / f.duration if f.duration else 0.0
    sps = f"{f.text_chars / f.speech_seconds:5.2f}" if f.speech_seconds else "  -  "
    lp = f"{f.avg_logprob:6.2f}" if f.avg_logprob is not None else "   -  "
    ns = f"{f.no_speech_prob:4.2f}" if f.no_speech_prob is not None else " -  "
    rc = f"{f.role_confidence:4.2f}" if f.role_confidence is not None else " -  "
    cer = f"{row['cer']:.2f}" if row.get("cer") is not None else "  - "
    score = f"{row['score']:5.1f}" if row.get("score") is not None else "   - "
    verdict = "UNRELIABLE " + "; ".join(m.render("en") for m in reasons) if reasons else "ok"
    print(
        f"{row['name'][:58]:<58} {f.duration:6.1f}s turns {f.turns:3d} chars {f.text_chars:4d} c/s {cps:5.2f}"
        f" c/speech-s {sps} (speech {f.speech_seconds or 0:5.1f}s) logp {lp} nosp {ns} roles {rc}"
        f" CER {cer} score {score}  {verdict}",
        flush=True,
    )


def summary(rows: list[dict]) -> dict:
    out = {}
    for name in ("eval", "demo"):
        sel = [r for r in rows if r["set"] == name]
        if not sel:
            continue
        flagged = [r for r in sel if reliability.assess(reliability.TranscriptFacts(**r["facts"]))]
        reasons: dict[str, int] = {}
        for r in flagged:
            for m in reliability.assess(reliability.TranscriptFacts(**r["facts"])):
                reasons[m.code] = reasons.get(m.code, 0) + 1

        def spread(key: str, sel=sel) -> dict | None:
            vals = [r["facts"][key] for r in sel if r["facts"][key] is not None]
            return (
                {
                    "median": round(statistics.median(vals), 3),
                    "worst": round(min(vals) if key != "no_speech_prob" else max(vals), 3),
                }
                if vals
                else None
            )

        rate = [
            r["facts"]["text_chars"] / r["facts"]["speech_seconds"]
            for r in sel
            if r["facts"]["speech_seconds"]
        ]
        by_transcript = {
            r["name"]: [m.code for m in reliability.assess(reliability.TranscriptFacts(**r["facts"]))]
            for r in sel
        }
        # roles aside: a single-speaker clip has no agent and no customer, so its roles are a guess by nature
        quality = {k: [c for c in v if c != "reliability.roles_uncertain"] for k, v in by_transcript.items()}
        out[name] = {
            "clips": len(sel),
            "flagged": len(flagged),
            "flagged_on_transcript_signals": {k: v for k, v in quality.items() if v},
            "flagged_names": [r["name"] for r in flagged],
            "reasons": reasons,
            "avg_logprob": spread("avg_logprob"),
            "no_speech_prob": spread("no_speech_prob"),
            "chars_per_speech_second": {
                "median": round(statistics.median(rate), 2),
                "worst": round(min(rate), 2),
            }
            if rate
            else None,
            "mean_cer": round(statistics.mean(r["cer"] for r in sel if r["cer"] is not None), 3)
            if any(r["cer"] is not None for r in sel)
            else None,
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--from-json", action="store_true", help="re-judge bench/results/reliability.json")
    ap.add_argument("--only", choices=("eval", "demo"), default=None)
    args = ap.parse_args()
    if args.from_json:
        rows = json.loads(RESULTS.read_text())["clips"]
        for r in rows:
            show(r)
    else:
        rows = run_pipeline(args.only)
    out = {
        "thresholds": {k: getattr(reliability, k) for k in reliability.__all__ if k.isupper()},
        "summary": summary(rows),
        "clips": rows,
    }
    print(json.dumps(out["summary"], indent=2, ensure_ascii=False))
    if not args.from_json:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
