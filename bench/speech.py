"""Speech benchmark over ../shared/eval: CER / WER / DER, RTF per stage, peak RSS.

    .venv/bin/python bench/speech.py            # everything (about 15-20 min on 2 cores)
    .venv/bin/python bench/speech.py --quick    # accuracy + RTF only, no 30-min / batch runs
    .venv/bin/python bench/speech.py --only zh,en,der,stereo,threads,long,batch

Writes bench/results/speech.json and prints a table.  Skips (exit 0) when the
shared eval folder is absent.  Nothing here is tuned on the references: the
pipeline runs with its defaults (no hotwords, no prompts).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("QA_SHARED_DIR") or REPO.parent / "shared")
EVAL = SHARED / "eval"
RESULTS = REPO / "bench" / "results" / "speech.json"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "0")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as transcription.backends sets it

_CN_DIGITS = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
_PUNCT = re.compile(r"[^\w]|_", re.UNICODE)
TARGETS = {
    "zh_cer_clean5": 0.08,
    "zh_cer_all17": 0.28,
    "en_wer": 0.10,
    "der_pyannote_sample_c0": 0.08,
    "der_derived_zh_c025": 0.05,
    "rtf_e2e": 0.35,
    "rss_gib": 4.0,
}


def norm_zh(text: str) -> str:
    """Remove punctuation/spaces, Traditional -> Simplified, digits -> Chinese (幺 -> 一)."""
    import zhconv

    text = zhconv.convert(text, "zh-hans")
    text = "".join(_CN_DIGITS.get(c, c) for c in text).replace("幺", "一")
    return _PUNCT.sub("", text).lower()


def norm_en(text: str) -> str:
    text = text.lower().replace("'", "")
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text).split())


def rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def _pipeline(**overrides):
    from transcription.config import SpeechConfig
    from transcription.pipeline import SpeechPipeline

    return SpeechPipeline(SpeechConfig(**overrides))


def bench_zh(p) -> dict:
    import jiwer

    rows = list(csv.DictReader((EVAL / "zh_asr" / "refs.tsv").open(encoding="utf-8"), delimiter="\t"))
    per, audio_s, asr_s = [], 0.0, 0.0
    for r in rows:
        audio = p.load_audio(EVAL / "zh_asr" / r["file"])
        t = time.perf_counter()
        out = p.asr(audio, "zh")
        dt = time.perf_counter() - t
        hyp = "".join(s[2] for s in out.channels[0])
        ref_n, hyp_n = norm_zh(r["reference"]), norm_zh(hyp)
        cer = jiwer.cer(ref_n, hyp_n) if hyp_n else 1.0
        per.append(
            {
                "file": r["file"],
                "cer": round(cer, 4),
                "ref_chars": len(ref_n),
                "rtf": round(dt / audio.duration, 3),
                "hyp": hyp,
            }
        )
        audio_s += audio.duration
        asr_s += dt

    def pooled(items):
        refs = [norm_zh(r["reference"]) for r in rows if r["file"] in {i["file"] for i in items}]
        hyps = [norm_zh(i["hyp"]) or "∅" for i in items]
        return round(jiwer.cer(refs, hyps), 4)

    return {
        "clips": per,
        "cer_clean5": pooled(per[:5]),
        "cer_all17": pooled(per),
        "cer_clean5_mean": round(sum(i["cer"] for i in per[:5]) / 5, 4),
        "cer_all17_mean": round(sum(i["cer"] for i in per) / len(per), 4),
        "asr_rtf": round(asr_s / audio_s, 3),
        "audio_seconds": round(audio_s, 1),
    }


def bench_en(p) -> dict:
    import jiwer

    rows = list(csv.DictReader((EVAL / "en_asr" / "refs.tsv").open(encoding="utf-8"), delimiter="\t"))
    per, refs, hyps = [], [], []
    for r in rows:
        audio = p.load_audio(EVAL / "en_asr" / r["file"])
        out = p.asr(audio, "en")
        hyp = " ".join(s[2] for s in out.channels[0])
        refs.append(norm_en(r["reference"]))
        hyps.append(norm_en(hyp))
        per.append({"file": r["file"], "wer": round(jiwer.wer(refs[-1], hyps[-1] or "x"), 4), "hyp": hyp})
    return {"clips": per, "wer": round(jiwer.wer(refs, [h or "x" for h in hyps]), 4)}


def _annotation(turns):
    from pyannote.core import Annotation, Segment

    ann = Annotation()
    for t in turns:
        ann[Segment(t.start, t.end)] = t.speaker
    return ann


def _der(ref, hyp, duration, collar, detailed=False):
    from pyannote.core import Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    uem = Timeline([Segment(0, duration)])
    metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
    if detailed:
        d = metric(ref, hyp, uem=uem, detailed=True)
        total = d["total"] or 1.0
        return {
            k.replace(" ", "_"): round(d[k] / total, 4)
            for k in ("missed detection", "false alarm", "confusion")
        }
    return round(float(metric(ref, hyp, uem=uem)), 4)


def _speaker_attributed_cer(transcript, segments_tsv: Path) -> float:
    """cpCER: per reference speaker text vs the hypothesis speaker mapped to it (best mapping)."""
    import itertools

    import jiwer

    ref: dict[str, str] = {}
    for r in csv.DictReader(segments_tsv.open(encoding="utf-8"), delimiter="\t"):
        ref[r["speaker"]] = ref.get(r["speaker"], "") + norm_zh(r["text"])
    hyp: dict[str, str] = {}
    for s in transcript.segments:
        hyp[s.speaker] = hyp.get(s.speaker, "") + norm_zh(s.text)
    rk, hk = sorted(ref), sorted(hyp)
    while len(hk) < len(rk):
        hk.append(f"_none{len(hk)}")
    best = None
    total_ref = sum(len(v) for v in ref.values())
    for perm in itertools.permutations(hk, len(rk)):
        errs = 0.0
        for r, h in zip(rk, perm, strict=True):
            errs += jiwer.cer(ref[r], hyp.get(h, "") or "∅") * len(ref[r])
        extra = sum(len(hyp[h]) for h in hyp if h not in perm)  # words given to an unmapped speaker
        val = (errs + extra) / total_ref
        best = val if best is None else min(best, val)
    return round(best or 0.0, 4)


def bench_der(p) -> dict:
    from pyannote.database.util import load_rttm

    out: dict = {}
    d = EVAL / "diarization"
    cases = {
        "pyannote_sample": (d / "pyannote_sample.wav", d / "pyannote_sample.rttm", "en"),
        "derived_zh_2spk": (
            d / "derived_zh_2spk/zh_2spk_aishell.wav",
            d / "derived_zh_2spk/zh_2spk_aishell.rttm",
            "zh",
        ),
        "derived_zh_2spk_8k": (
            d / "derived_zh_2spk/zh_2spk_aishell_8k.wav",
            d / "derived_zh_2spk/zh_2spk_aishell.rttm",
            "zh",
        ),
    }
    for name, (wav, rttm, lang) in cases.items():
        audio = p.load_audio(wav)
        ref = next(iter(load_rttm(str(rttm)).values()))
        t = time.perf_counter()
        turns = p.diarize(audio)
        dt = time.perf_counter() - t
        hyp = _annotation(turns)
        res = {
            "der_collar0": _der(ref, hyp, audio.duration, 0.0),
            "der_collar025": _der(ref, hyp, audio.duration, 0.25),
            "components_collar025": _der(ref, hyp, audio.duration, 0.25, detailed=True),
            "speakers_found": len(set(t.speaker for t in turns)),
            "diarize_rtf": round(dt / audio.duration, 3),
        }
        if name.startswith("derived"):
            result = p.run_detailed(wav, language=lang)
            res["speaker_attributed_cer"] = _speaker_attributed_cer(
                result.transcript, d / "derived_zh_2spk/zh_2spk_aishell.segments.tsv"
            )
        out[name] = res
    # 4-speaker debug set with automatic speaker count (informative only)
    ref_all = load_rttm(str(d / "pyannote_debug/debug.test.rttm"))
    p4 = _pipeline(num_speakers=None, min_speakers=1, max_speakers=6)
    for uri in ("tst00", "tst01"):
        wav = d / "pyannote_debug" / f"{uri}.wav"
        if uri not in ref_all or not wav.is_file():
            continue
        audio = p4.load_audio(wav)
        hyp = _annotation(p4.diarize(audio))
        out[f"pyannote_debug_{uri}_auto"] = {
            "der_collar0": _der(ref_all[uri], hyp, audio.duration, 0.0),
            "der_collar025": _der(ref_all[uri], hyp, audio.duration, 0.25),
            "speakers_found": len(hyp.labels()),
            "speakers_ref": len(ref_all[uri].labels()),
        }
    return out


def bench_stereo(p) -> dict:
    import jiwer

    d = EVAL / "diarization"
    out: dict = {}
    refs = {
        r["channel"]: norm_en(r["reference"])
        for r in csv.DictReader((d / "fw_stereo_diarization.refs.tsv").open(), delimiter="\t")
    }
    res = p.run_detailed(
        d / "fw_stereo_diarization.wav", channels="stereo", language="en", layout="stereo_agent_left"
    )
    by = {"LEFT": "", "RIGHT": ""}
    for s in res.transcript.segments:
        by[s.speaker] = (by[s.speaker] + " " + norm_en(s.text)).strip()
    wl, wr = jiwer.wer(refs["left"], by["LEFT"] or "x"), jiwer.wer(refs["right"], by["RIGHT"] or "x")
    xl, xr = jiwer.wer(refs["left"], by["RIGHT"] or "x"), jiwer.wer(refs["right"], by["LEFT"] or "x")
    out["fw_stereo"] = {
        "wer_left": round(wl, 4),
        "wer_right": round(wr, 4),
        "speaker_confusion": bool(wl > xl or wr > xr),
        "roles": res.transcript.speakers,
        "rtf_e2e": round(res.timings["total"] / res.timings["audio_seconds"], 3),
    }
    wav = d / "derived_zh_2spk/zh_2spk_aishell_stereo_A-left_B-right.wav"
    res = p.run_detailed(wav, channels="stereo", language="zh")
    seg_ref = list(
        csv.DictReader(
            (d / "derived_zh_2spk/zh_2spk_aishell.segments.tsv").open(encoding="utf-8"), delimiter="\t"
        )
    )
    ch = {"spkA_S0764": "LEFT", "spkB_S0724": "RIGHT"}
    wrong = 0
    for s in res.transcript.segments:
        mid = (s.start + s.end) / 2
        r = min(
            seg_ref,
            key=lambda r: 0 if float(r["start"]) <= mid <= float(r["end"]) else abs(mid - float(r["start"])),
        )
        wrong += ch[r["speaker"]] != s.speaker
    out["derived_zh_stereo"] = {
        "segments": len(res.transcript.segments),
        "segments_on_wrong_channel": wrong,
        "speaker_attributed_cer": _speaker_attributed_cer(
            res.transcript.with_roles({}), d / "derived_zh_2spk/zh_2spk_aishell.segments.tsv"
        ),
    }
    return out


def _synth_call(minutes: float, path: Path) -> float:
    """Concatenate the zh eval clips (with 0.4 s gaps) up to ``minutes``; return seconds."""
    import numpy as np
    import soundfile as sf

    from transcription.audio import decode

    clips = sorted((EVAL / "zh_asr").rglob("*.wav")) + [
        EVAL / "diarization/derived_zh_2spk/zh_2spk_aishell.wav"
    ]
    arrays = [decode(c, 16000, mono=True)[0] for c in clips]
    gap = np.zeros(int(0.4 * 16000), dtype=np.float32)
    out, total, i = [], 0, 0
    while total < minutes * 60 * 16000:
        a = arrays[i % len(arrays)]
        out += [a, gap]
        total += a.size + gap.size
        i += 1
    sf.write(path, np.concatenate(out)[: int(minutes * 60 * 16000)], 16000, subtype="PCM_16")
    return minutes * 60


def child_long(path: str) -> dict:
    p = _pipeline()
    res = p.run_detailed(path, language="zh")
    t = res.timings
    return {
        "audio_seconds": t["audio_seconds"],
        "timings": t,
        "rtf_e2e": round(t["total"] / t["audio_seconds"], 3),
        "segments": len(res.transcript.segments),
        "peak_rss_gib": round(rss_gib(), 3),
    }


def child_batch(paths: list[str]) -> dict:
    p = _pipeline()
    audio, total = 0.0, 0.0
    rss = []
    for f in paths:
        res = p.run_detailed(f, language="zh")
        audio += res.timings["audio_seconds"]
        total += res.timings["total"]
        rss.append(round(rss_gib(), 3))
    return {
        "calls": len(paths),
        "audio_seconds": round(audio, 1),
        "rtf_e2e": round(total / audio, 3),
        "peak_rss_gib_after_each": rss,
        "peak_rss_gib": max(rss),
    }


def child_threads(path: str) -> dict:
    """Diarization alone vs right after faster-whisper in the same process (oversubscription)."""
    p = _pipeline()
    audio = p.load_audio(path)
    p.diarize(audio)  # load + warm up
    t = time.perf_counter()
    p.diarize(audio)
    alone = time.perf_counter() - t
    p.asr(audio, "en")
    t = time.perf_counter()
    p.diarize(audio)
    after = time.perf_counter() - t
    return {
        "diarize_alone_s": round(alone, 2),
        "diarize_after_asr_s": round(after, 2),
        "slowdown": round(after / alone, 2),
    }


def _run_child(kind: str, *args: str) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=3600)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip()[-800:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_roles(p) -> dict:
    """Role assignment (text only) on real customer-service dialogues: JDDC chat sessions
    (is_agent labels) and NTCIR-14 STC-3 Weibo helpdesk dialogues (sender labels)."""
    from transcription.roles import decide_roles
    from transcription.types import Segment, Transcript

    def evaluate(dialogues: list[list[tuple[str, str]]]) -> dict:
        correct, confident, confident_ok, n = 0, 0, 0, 0
        for turns in dialogues:
            segs = tuple(
                Segment(i, i * 5.0, i * 5.0 + 4.0, "S_A" if who == "agent" else "S_B", text)
                for i, (who, text) in enumerate(turns)
            )
            d = decide_roles(Transcript("zh", len(turns) * 5.0, segs))
            ok = d.speakers.get("S_A") == "agent"
            n += 1
            correct += ok
            if d.confidence >= 0.5:
                confident += 1
                confident_ok += ok
        return {
            "dialogues": n,
            "accuracy": round(correct / max(n, 1), 4),
            "share_confident": round(confident / max(n, 1), 4),
            "accuracy_when_confident": round(confident_ok / max(confident, 1), 4),
        }

    out: dict = {}
    jddc = EVAL / "cs_dialogue/jddc_sample/chat_0.1per.txt"
    if jddc.is_file():
        sessions: dict[str, list[tuple[str, str]]] = {}
        for line in jddc.open(encoding="utf-8"):
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 7:
                sessions.setdefault(cols[0], []).append(("agent" if cols[2] == "1" else "customer", cols[6]))
        dialogues = [t for t in sessions.values() if len(t) >= 4 and len({w for w, _ in t}) == 2]
        out["jddc"] = evaluate(dialogues)
    stc = EVAL / "cs_dialogue/ntcir14_stc3_dch/stc3_test_cn_joined.jsonl"
    if stc.is_file():
        dialogues = []
        for line in stc.open(encoding="utf-8"):
            d = json.loads(line)
            turns = [
                ("agent" if t["sender"] == "helpdesk" else "customer", "".join(t["utterances"]))
                for t in d["turns"]
                if "".join(t["utterances"]).strip()
            ]
            if len({w for w, _ in turns}) == 2:
                dialogues.append(turns)
        out["stc3"] = evaluate(dialogues)
    return out


def bench_e2e_rtf(p) -> dict:
    d = EVAL / "diarization"
    stages: dict[str, float] = {}
    audio = 0.0
    for wav, lang in (
        (d / "pyannote_sample.wav", "en"),
        (d / "derived_zh_2spk/zh_2spk_aishell.wav", "zh"),
        (EVAL / "zh_asr/k2sherpa_docs/fun-asr-nano-2025-12-30__far_3.wav", "zh"),
    ):
        res = p.run_detailed(wav, language=lang)
        for k, v in res.timings.items():
            if k != "audio_seconds":
                stages[k] = stages.get(k, 0.0) + v
        audio += res.timings["audio_seconds"]
    return {
        "audio_seconds": round(audio, 1),
        "rtf_by_stage": {k: round(v / audio, 3) for k, v in stages.items()},
        "rtf_e2e": round(stages["total"] / audio, 3),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="skip the 30-min call and the 10-call batch")
    ap.add_argument("--only", default="", help="comma list of: roles,zh,en,der,stereo,e2e,threads,long,batch")
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        fn = {
            "long": lambda: child_long(a.args[0]),
            "batch": lambda: child_batch(a.args),
            "threads": lambda: child_threads(a.args[0]),
        }[a.child]
        print(json.dumps(fn()))
        return 0
    if not EVAL.is_dir():
        print(f"bench/speech.py: {EVAL} not found; skipping (nothing to measure)")
        return 0
    parts = (
        set(a.only.split(","))
        if a.only
        else {"roles", "zh", "en", "der", "stereo", "e2e", "threads", "long", "batch"}
    )
    if a.quick:
        parts -= {"long", "batch"}
    p = _pipeline()
    results: dict = {
        "machine": {"cpus": os.cpu_count()},
        "config": {
            "asr_model": p.config.asr_model,
            "compute_type": p.config.compute_type,
            "beam_size": p.config.beam_size,
            "cpu_threads": p.config.cpu_threads,
            "diarization": p.config.diarization_pipeline,
        },
        "targets": TARGETS,
    }
    if RESULTS.is_file() and a.only:
        results = json.loads(RESULTS.read_text()) | {
            k: v for k, v in results.items() if k not in ("targets",)
        }
    t0 = time.time()
    results["machine"]["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    steps = [
        ("roles", bench_roles),
        ("zh", bench_zh),
        ("en", bench_en),
        ("der", bench_der),
        ("stereo", bench_stereo),
        ("e2e", bench_e2e_rtf),
    ]
    for name, fn in steps:
        if name in parts:
            print(f"... {name}", file=sys.stderr, flush=True)
            results[name] = fn(p)
    p.release()
    if "threads" in parts:
        print("... threads", file=sys.stderr, flush=True)
        results["threads"] = _run_child("threads", str(EVAL / "diarization/pyannote_sample.wav"))
    with tempfile.TemporaryDirectory() as tmp:
        if "long" in parts:
            print(f"... long ({a.minutes:.0f} min call)", file=sys.stderr, flush=True)
            path = Path(tmp) / "long.wav"
            _synth_call(a.minutes, path)
            results["long"] = _run_child("long", str(path))
        if "batch" in parts:
            print("... batch (10 calls x 3 min)", file=sys.stderr, flush=True)
            paths = []
            for i in range(10):
                path = Path(tmp) / f"call{i}.wav"
                _synth_call(3.0, path)
                paths.append(str(path))
            results["batch"] = _run_child("batch", *paths)
    results["bench_seconds"] = round(time.time() - t0, 1)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["peak_rss_gib_main"] = round(rss_gib(), 3)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print_table(results)
    print(f"\nwrote {RESULTS}")
    return 0


def print_table(r: dict) -> None:
    rows = []

    def add(name, value, target=None, lower=True):
        if value is None:
            return
        ok = "" if target is None else ("PASS" if (value <= target if lower else value >= target) else "MISS")
        rows.append(
            (
                name,
                f"{value:.3f}" if isinstance(value, float) else str(value),
                "" if target is None else f"<= {target}",
                ok,
            )
        )

    g = r.get
    if "zh" in r:
        add("zh CER clean 5 (pooled)", g("zh")["cer_clean5"], TARGETS["zh_cer_clean5"])
        add("zh CER all 17 (pooled)", g("zh")["cer_all17"], TARGETS["zh_cer_all17"])
        add("zh CER all 17 (mean of clips)", g("zh")["cer_all17_mean"])
        add("zh ASR RTF", g("zh")["asr_rtf"])
    if "en" in r:
        add("en WER", g("en")["wer"], TARGETS["en_wer"])
    if "der" in r:
        ds = g("der")
        add("DER pyannote_sample c0", ds["pyannote_sample"]["der_collar0"], TARGETS["der_pyannote_sample_c0"])
        add("DER pyannote_sample c0.25", ds["pyannote_sample"]["der_collar025"])
        add("DER derived_zh_2spk c0", ds["derived_zh_2spk"]["der_collar0"])
        add(
            "DER derived_zh_2spk c0.25",
            ds["derived_zh_2spk"]["der_collar025"],
            TARGETS["der_derived_zh_c025"],
        )
        add("DER derived_zh_2spk 8k c0.25", ds["derived_zh_2spk_8k"]["der_collar025"])
        add("speaker-attributed CER derived_zh", ds["derived_zh_2spk"].get("speaker_attributed_cer"))
        for k in ("pyannote_debug_tst00_auto", "pyannote_debug_tst01_auto"):
            if k in ds:
                add(f"DER {k} c0.25 (4 spk)", ds[k]["der_collar025"])
    if "roles" in r:
        for k, v in g("roles").items():
            add(f"roles {k}: accuracy ({v['dialogues']} dialogues)", v["accuracy"])
            add(
                f"roles {k}: accuracy when conf>=0.5 ({v['share_confident']:.0%})",
                v["accuracy_when_confident"],
            )
    if "stereo" in r:
        add("stereo fw: speaker confusion", str(g("stereo")["fw_stereo"]["speaker_confusion"]))
        add(
            "stereo fw: WER left/right",
            f"{g('stereo')['fw_stereo']['wer_left']:.3f}/{g('stereo')['fw_stereo']['wer_right']:.3f}",
        )
        add(
            "stereo zh: segments on wrong channel",
            g("stereo")["derived_zh_stereo"]["segments_on_wrong_channel"],
        )
    if "e2e" in r:
        add("E2E RTF (3 clips, 66 s)", g("e2e")["rtf_e2e"], TARGETS["rtf_e2e"])
        for k, v in g("e2e")["rtf_by_stage"].items():
            add(f"  RTF {k}", v)
    if "threads" in r and "slowdown" in g("threads"):
        add("diarize after ASR / alone", g("threads")["slowdown"])
    if "long" in r and "rtf_e2e" in g("long"):
        add(
            f"long call {g('long')['audio_seconds'] / 60:.0f} min: RTF",
            g("long")["rtf_e2e"],
            TARGETS["rtf_e2e"],
        )
        add("long call: peak RSS GiB", g("long")["peak_rss_gib"], TARGETS["rss_gib"])
    if "batch" in r and "rtf_e2e" in g("batch"):
        add("10-call batch: RTF", g("batch")["rtf_e2e"], TARGETS["rtf_e2e"])
        add("10-call batch: peak RSS GiB", g("batch")["peak_rss_gib"], TARGETS["rss_gib"])
    w = max(len(x[0]) for x in rows) if rows else 10
    print(f"\n{'metric':<{w}}  {'value':>12}  {'target':>8}  ")
    for name, val, tgt, ok in rows:
        print(f"{name:<{w}}  {val:>12}  {tgt:>8}  {ok}")


if __name__ == "__main__":
    raise SystemExit(main())
