"""Which Mandarin voice can Whisper read?  The demo voices on the same demo lines, one run.

    .venv/bin/python bench/demo_voices.py [--lines 30] [--voice neural espeak]

Takes every k-th Mandarin line of the demo scripts (``--lines`` of them, agent and customer turns as
they come), speaks each with each voice (the agent's / customer's voice of that call, exactly as
`seed-demo` would), recognizes it with the offline Whisper base model (int8, beam 5, VAD; the line
padded with 0.5 s of silence) and prints per line and per voice the CER (normalized as in
bench/speech.py), its median and worst, and the synthesis real-time factor.  Writes
bench/results/demo_voices.json.  Never substitutes the reference for the recognized text.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
from speech import norm_zh  # noqa: E402

from qa_app.demo import DEMO_SCRIPTS, synthesize_text  # noqa: E402
from qa_app.demo import synth as demo_synth  # noqa: E402
from transcription.config import SpeechConfig  # noqa: E402


def lines(n: int) -> list[tuple[str, str, str, str]]:
    """(script key, role, voice seed, text) for every k-th Mandarin demo line."""
    out = []
    for sc in DEMO_SCRIPTS:
        if sc.language != "zh":
            continue
        for t in sc.turns:
            out.append((sc.key, t.role, sc.agent_key if t.role == "agent" else sc.key, t.text))
    step = max(1, len(out) // n)
    return out[::step][:n]


def speak(text: str, role: str, seed: str, voice: str, wav: Path) -> float:
    """The voice that call's role gets in `seed-demo`, resampled to 16 kHz; returns seconds of audio."""
    if voice == "espeak":
        _, prof = demo_synth._voice_for("zh", role, seed)
        return synthesize_text(text, "zh", role, wav, 16000, profile=prof)
    audio, sr = demo_synth._neural_to_array(text, demo_synth._neural_profile(role, seed))
    demo_synth._write_final(demo_synth._normalize(audio, 0.7), sr, wav, 16000, telephone=False)
    return float(sf.info(str(wav)).duration)


def main() -> int:
    import jiwer

    from transcription.backends.asr import load_model, transcribe

    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=30)
    ap.add_argument("--voice", nargs="+", choices=demo_synth.VOICES, default=list(demo_synth.VOICES))
    args = ap.parse_args()
    cfg = SpeechConfig.from_mapping(dict(os.environ))
    model = load_model(cfg)
    chosen = lines(args.lines)
    out: dict = {"uptime_load": os.getloadavg(), "lines": len(chosen), "voices": {}}
    wav = REPO / "bench" / "results" / "_demo_voice_line.wav"
    wav.parent.mkdir(parents=True, exist_ok=True)
    for voice in args.voice:
        rows, synth_s, audio_s = [], 0.0, 0.0
        for key, role, seed, text in chosen:
            t0 = time.perf_counter()
            audio_s += speak(text, role, seed, voice, wav)
            synth_s += time.perf_counter() - t0
            x, _ = sf.read(str(wav), dtype="float32")
            pad = np.zeros(8000, dtype=np.float32)
            res = transcribe(model, np.concatenate([pad, x, pad]), cfg, language="zh")
            hyp = "".join(s.text for s in res.segments)
            ref_n, hyp_n = norm_zh(text), norm_zh(hyp)
            cer = jiwer.cer(ref_n, hyp_n or "-") if ref_n else 0.0
            rows.append({"key": key, "role": role, "ref": text, "hyp": hyp, "cer": round(cer, 3)})
            print(f"{voice:<7} {role:<8} CER {cer:.2f}  {text}  ->  {hyp}", flush=True)
        cers = [r["cer"] for r in rows]
        chars = sum(len(norm_zh(r["ref"])) for r in rows)
        pooled = sum(r["cer"] * len(norm_zh(r["ref"])) for r in rows) / max(1, chars)
        out["voices"][voice] = {
            "cer_median": round(statistics.median(cers), 3),
            "cer_worst": round(max(cers), 3),
            "cer_char_weighted": round(pooled, 3),
            "cer_median_agent": round(statistics.median([r["cer"] for r in rows if r["role"] == "agent"]), 3),
            "cer_median_customer": round(
                statistics.median([r["cer"] for r in rows if r["role"] == "customer"]), 3
            ),
            "synthesis_rtf": round(synth_s / max(audio_s, 1e-9), 3),
            "audio_seconds": round(audio_s, 1),
            "lines": rows,
        }
    wav.unlink(missing_ok=True)
    if len(args.voice) > 1:
        a, b = (out["voices"][v]["cer_median"] for v in args.voice[:2])
        out[f"cer_median_ratio_{args.voice[1]}_over_{args.voice[0]}"] = round(b / a, 2) if a else None
    print(json.dumps({k: v for k, v in out.items() if k != "voices"}, indent=2))
    for voice, v in out["voices"].items():
        print(voice, json.dumps({k: x for k, x in v.items() if k != "lines"}))
    (REPO / "bench" / "results" / "demo_voices.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=2)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
