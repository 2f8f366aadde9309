"""End to end on the 18 demo calls: synthesized audio -> real speech pipeline -> roles -> automated score.

    .venv/bin/python bench/demo_calls.py [--voice neural espeak] [--only KEY ...] [--mono]

For each demo script (qa_app/demo/scripts.py) and each Mandarin voice asked for (``--voice``, default
both: ``neural`` is what `seed-demo` uses, ``espeak`` is the espeak-ng voice used before; English
scripts are always espeak-ng and run once), the audio is synthesized the same way `seed-demo` does, run through the offline pipeline with the call's channel layout, and compared with
the script:
* role accuracy: share of reference speech time whose transcript segment carries the right role
  (agent / customer), i.e. "is the agent the agent";
* CER (zh) / WER (en) of the transcript against the script (normalized as in bench/speech.py);
* automated verdicts against the hand labels written with each script (`expected`).
``--mono`` also runs every stereo script as a mono mix, so role assignment is decided from the words
and not from the channel layout. Per voice: per call CER, role accuracy and verdict agreement, with the
median and worst over the calls, and the synthesis time of the whole demo (what seeding spends on audio).
Writes bench/results/demo_calls.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "0")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import statistics  # noqa: E402

import rubrics  # noqa: E402
from qa_app.demo import DEMO_SCRIPTS, synthesize  # noqa: E402
from qa_app.demo.synth import VOICES  # noqa: E402
from scoring import sentiment  # noqa: E402
from scoring.engine import score  # noqa: E402
from transcription.pipeline import SpeechPipeline  # noqa: E402


def role_accuracy(transcript, refs) -> tuple[float, float]:
    """(role accuracy, coverage): of the reference speech time that the transcript covers, the share
    whose segment carries the right role; and the share of reference speech time covered at all."""
    right = covered = total = 0.0
    for ref in refs:
        total += ref.end - ref.start
        for seg in transcript.segments:
            ov = min(ref.end, seg.end) - max(ref.start, seg.start)
            if ov > 0:
                covered += ov
                right += ov if seg.role == ref.role else 0.0
    return (right / covered if covered else 0.0), (covered / total if total else 0.0)


def mapping_correct(transcript, refs) -> bool:
    """Is every transcript speaker given the role of the party it mostly overlaps (the agent is the agent)?"""
    overlap: dict[str, dict[str, float]] = {}
    for seg in transcript.segments:
        for ref in refs:
            ov = min(ref.end, seg.end) - max(ref.start, seg.start)
            if ov > 0:
                overlap.setdefault(seg.speaker, {}).setdefault(ref.role, 0.0)
                overlap[seg.speaker][ref.role] += ov
    roles = {seg.speaker: seg.role for seg in transcript.segments}
    return bool(overlap) and all(roles[spk] == max(by, key=by.get) for spk, by in overlap.items())


def error_rate(ref: str, hyp: str, language: str) -> float:
    """CER (zh) or WER (en) with the speech benchmark's normalisation."""
    import jiwer

    sys.path.insert(0, str(REPO / "bench"))
    from speech import norm_en, norm_zh

    if language == "en":
        return jiwer.wer(norm_en(ref), norm_en(hyp) or "-")
    r, h = norm_zh(ref), norm_zh(hyp)
    return jiwer.cer(r, h or "-") if r else 0.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--mono", action="store_true", help="also run stereo scripts as a mono mix")
    ap.add_argument(
        "--voice", nargs="+", choices=VOICES, default=list(VOICES), help="Mandarin voice(s) to compare"
    )
    args = ap.parse_args()
    scripts = [s for s in DEMO_SCRIPTS if not args.only or s.key in args.only]
    base = [(s, s.layout) for s in scripts]
    if args.mono:
        base += [(dataclasses.replace(s, layout="mono"), "mono*") for s in scripts if s.layout != "mono"]
    # English is espeak-ng whatever the voice: run it once, under the first voice asked for
    variants = [
        (s, label, voice)
        for voice in args.voice
        for s, label in base
        if s.language == "zh" or voice == args.voice[0]
    ]
    pipe = SpeechPipeline.from_env(dict(os.environ))
    rubric = rubrics.load_default()
    analyzer = sentiment.create("calibrated")
    rows = []
    synth_seconds: dict[str, float] = {}  # "zh-<voice>" / "en": synthesis time of the calls as recorded
    with tempfile.TemporaryDirectory() as tmp:
        for script, label, voice in variants:
            wav = Path(tmp) / f"{script.key}-{label}-{voice}.wav"
            voice_used = voice if script.language == "zh" else "espeak"
            t0 = time.perf_counter()
            refs = synthesize(script, wav, 16000, voice=voice)
            if not label.endswith("*"):
                k = f"zh-{voice}" if script.language == "zh" else "en"
                synth_seconds[k] = synth_seconds.get(k, 0.0) + time.perf_counter() - t0
            t0 = time.perf_counter()
            result = pipe.run_detailed(
                wav,
                channels="mono" if script.layout == "mono" else "stereo",
                layout=script.layout,
                language=script.language,
            )
            secs = time.perf_counter() - t0
            tr = result.transcript
            role_acc, coverage = role_accuracy(tr, refs)
            card = score(tr, rubric, sentiment=analyzer).results()
            labelled = {k: v for k, v in script.expected.items() if k in card}
            agree = sum(card[k] == v for k, v in labelled.items())
            row = {
                "key": script.key,
                "voice": voice_used,
                "layout": label,
                "language": script.language,
                "audio_s": round(refs[-1].end, 1),
                "rtf": round(secs / max(refs[-1].end, 1e-6), 3),
                "speaker_roles_correct": mapping_correct(tr, refs),
                "role_accuracy": round(role_acc, 3),
                "coverage": round(coverage, 3),
                "role_confidence": round(tr.role_confidence or 0.0, 2),
                "cer": round(
                    error_rate(
                        " ".join(r.text for r in refs), " ".join(s.text for s in tr.segments), script.language
                    ),
                    3,
                ),
                "verdicts_agree": agree,
                "verdicts": len(labelled),
                "disagreements": {k: (card[k], v) for k, v in labelled.items() if card[k] != v},
            }
            rows.append(row)
            print(
                f"{row['key']:<42} {voice_used:<7} {label:<19} roles {'ok' if row['speaker_roles_correct'] else 'WRONG'} {row['role_accuracy']:.2f} (conf {row['role_confidence']:.2f}, cover {coverage:.2f})"
                f"  CER {row['cer']:.2f}  verdicts {agree}/{len(labelled)}  RTF {row['rtf']:.2f}",
                flush=True,
            )

    def spread(sel, key):
        vals = [r[key] for r in sel]
        if not vals:
            return None
        worst = min(vals) if key != "cer" else max(vals)
        return {"median": round(statistics.median(vals), 3), "worst": round(worst, 3)}

    def summary(sel):
        n = len(sel)
        for r in sel:
            r["verdict_agreement"] = round(r["verdicts_agree"] / max(1, r["verdicts"]), 3)
        return {
            "calls": n,
            "cer": spread(sel, "cer"),
            "role_accuracy": spread(sel, "role_accuracy"),
            "call_verdict_agreement": spread(sel, "verdict_agreement"),
            "calls_with_agent_right": sum(r["speaker_roles_correct"] for r in sel),
            "mean_role_accuracy": round(sum(r["role_accuracy"] for r in sel) / n, 3) if n else None,
            "mean_coverage": round(sum(r["coverage"] for r in sel) / n, 3) if n else None,
            "mean_cer": round(sum(r["cer"] for r in sel) / n, 3) if n else None,
            "verdict_agreement": round(
                sum(r["verdicts_agree"] for r in sel) / max(1, sum(r["verdicts"] for r in sel)), 3
            ),
        }

    def as_recorded(r):
        return not r["layout"].endswith("*")

    en = [r for r in rows if r["language"] == "en" and as_recorded(r)]
    out: dict = {"uptime_load": os.getloadavg(), "voices": {}}
    for voice in args.voice:
        zh = [r for r in rows if r["voice"] == voice and r["language"] == "zh"]
        out["voices"][voice] = {
            "all_as_recorded": summary([r for r in zh if as_recorded(r)] + en),
            "zh": summary([r for r in zh if as_recorded(r)]),
            "stereo_as_mono_mix": summary([r for r in zh if not as_recorded(r)]),
            "synthesis_seconds_all_calls": round(
                synth_seconds.get(f"zh-{voice}", 0.0) + synth_seconds.get("en", 0.0), 1
            ),
        }
    out["en"] = summary(en)
    out["calls"] = rows
    print(json.dumps({k: v for k, v in out.items() if k != "calls"}, indent=2))
    dest = REPO / "bench" / "results"
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "demo_calls.json").write_text(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
