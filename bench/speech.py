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


def speaker_attributed_cer(ref: dict[str, str], hyp: dict[str, str]) -> float:
    """Speaker-attributed CER (cpCER): each reference speaker's words (in time order, normalised as
    ``norm_zh``) against the words of the hypothesis speaker mapped to them, under the mapping of
    speakers that gives the fewest errors; characters given to a hypothesis speaker mapped to nobody
    count as errors too.  Errors / reference characters: 0 is perfect; a line recognised right but
    given to the other party counts twice (deleted from one speaker, inserted in the other)."""
    import itertools

    import jiwer

    ref = {k: norm_zh(v) for k, v in ref.items()}
    hyp = {k: norm_zh(v) for k, v in hyp.items()}
    rk, hk = sorted(ref), sorted(hyp)
    while len(hk) < len(rk):
        hk.append(f"_none{len(hk)}")
    best = None
    total_ref = sum(len(v) for v in ref.values()) or 1
    for perm in itertools.permutations(hk, len(rk)):
        errs = 0.0
        for r, h in zip(rk, perm, strict=True):
            errs += jiwer.cer(ref[r], hyp.get(h, "") or "∅") * len(ref[r])
        extra = sum(len(hyp[h]) for h in hyp if h not in perm)  # words given to an unmapped speaker
        val = (errs + extra) / total_ref
        best = val if best is None else min(best, val)
    return round(best or 0.0, 4)


def _speaker_attributed_cer(transcript, segments_tsv: Path) -> float:
    ref: dict[str, str] = {}
    for r in csv.DictReader(segments_tsv.open(encoding="utf-8"), delimiter="\t"):
        ref[r["speaker"]] = ref.get(r["speaker"], "") + r["text"]
    return speaker_attributed_cer(ref, _by_speaker((s.speaker, s.text) for s in transcript.segments))


def _by_speaker(pairs) -> dict[str, str]:
    out: dict[str, str] = {}
    for speaker, text in pairs:
        out[str(speaker)] = out.get(str(speaker), "") + text
    return out


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


# -- call-shaped audio (issue #13) -------------------------------------------------------------
# Two-speaker calls as the worker sees them: the synthesized zh demo calls (mono mix), the derived
# two-speaker AISHELL clip and one long call made of the demo scripts' turns back to back (one agent
# voice, one customer voice).  Each profile of settings runs in a fresh process: cold = model set-up
# + the first call, warm = every call --runs times with the models loaded.


def build_call_set(out: Path, n_calls: int, long_minutes: float) -> list[dict]:
    """Write the call-shaped set under ``out``; return [{name, path, duration, refs: [(start, end,
    speaker, text)]}].  Demo audio comes from qa_app.demo's public ``synthesize`` (the demo's voice)."""
    import dataclasses

    import soundfile as sf

    from qa_app.demo import DEMO_SCRIPTS, synthesize

    scripts = [sc for sc in DEMO_SCRIPTS if sc.language == "zh"]
    items = []
    for sc in scripts[:n_calls] if n_calls > 0 else scripts:
        wav = out / f"{sc.key}.wav"
        refs = synthesize(dataclasses.replace(sc, layout="mono"), wav, 16000)
        items.append(
            {"name": sc.key, "path": str(wav), "refs": [(r.start, r.end, r.role, r.text) for r in refs]}
        )
    d = EVAL / "diarization/derived_zh_2spk"
    rows = csv.DictReader((d / "zh_2spk_aishell.segments.tsv").open(encoding="utf-8"), delimiter="\t")
    items.append(
        {
            "name": "derived_zh_2spk",
            "path": str(d / "zh_2spk_aishell.wav"),
            "refs": [(float(r["start"]), float(r["end"]), r["speaker"], r["text"]) for r in rows],
        }
    )
    if long_minutes > 0:
        # Turns of consecutive scripts until their text passes long_minutes at 4 characters a second
        # (the demo voices speak about 3.7 with the pauses), then cut at long_minutes.
        turns, i = [], 0
        while sum(len(t.text) for t in turns) / 4.0 < long_minutes * 60:
            turns += list(scripts[i % len(scripts)].turns)
            i += 1
        first = scripts[0]
        long = dataclasses.replace(first, key=f"{first.key}_long", layout="mono", turns=tuple(turns))
        wav = out / "long_call.wav"
        refs = synthesize(long, wav, 16000)
        keep = [r for r in refs if r.end <= long_minutes * 60]
        cut = max(r.end for r in keep) + 0.5
        audio, sr = sf.read(wav, dtype="float32")
        sf.write(wav, audio[: int(cut * sr)], sr, subtype="PCM_16")
        items.append(
            {"name": "long_call", "path": str(wav), "refs": [(r.start, r.end, r.role, r.text) for r in keep]}
        )
    for it in items:
        it["duration"] = round(sf.info(it["path"]).duration, 3)
    return items


def _ref_by_speaker(refs) -> dict[str, str]:
    return _by_speaker((spk, text) for _, _, spk, text in sorted(refs))


def _cpu() -> float:
    """CPU seconds of this process, all threads, user + system."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child_calls(profile: str, manifest: str, runs: int, zh17: bool) -> dict:
    """One profile of settings ("before": BEFORE_13, "after": the defaults) on the call set."""
    from transcription.config import BEFORE_13

    p = _pipeline(**(BEFORE_13 if profile == "before" else {}))
    items = json.loads(Path(manifest).read_text())
    out: dict = {"profile": profile, "config": _profile_config(p.config), "calls": {}}
    for run in range(runs):
        for k, it in enumerate(items):
            if it["name"] == "long_call" and run > 0:
                continue  # the long call runs once (10 minutes of audio per profile)
            load = os.getloadavg()[0]
            res = p.run_detailed(it["path"], language="zh")
            t = res.timings
            if run == 0 and k == 0:
                out["cold"] = {"setup": t["setup"], "setup_cpu": t["setup_cpu"], "first_call": t}
            row = out["calls"].setdefault(it["name"], {"duration": it["duration"], "runs": []})
            row["runs"].append(
                {
                    "timings": t,
                    "load": round(load, 2),
                    "sa_cer": speaker_attributed_cer(
                        _ref_by_speaker(it["refs"]),
                        _by_speaker((s.speaker, s.text) for s in res.transcript.segments),
                    ),
                    "text": " | ".join(f"{s.speaker}:{s.text}" for s in res.transcript.segments),
                }
            )
            print(
                f"  {profile} run {run + 1} {it['name']}: {t['total']:.1f} s / {it['duration']:.0f} s"
                f" (load {load:.1f})",
                file=sys.stderr,
                flush=True,
            )
    out["der"] = _der_two(p)
    if zh17:
        print(f"  {profile}: zh_asr (17 clips)", file=sys.stderr, flush=True)
        out["zh17"] = bench_zh(p)
    out["peak_rss_gib"] = round(rss_gib(), 3)
    return out


def _der_two(p) -> dict:
    """DER (collar 0 / 0.25) on pyannote_sample.wav and the derived two-speaker clip."""
    from pyannote.database.util import load_rttm

    d = EVAL / "diarization"
    out = {}
    for name, wav, rttm in (
        ("pyannote_sample", d / "pyannote_sample.wav", d / "pyannote_sample.rttm"),
        (
            "derived_zh_2spk",
            d / "derived_zh_2spk/zh_2spk_aishell.wav",
            d / "derived_zh_2spk/zh_2spk_aishell.rttm",
        ),
    ):
        audio = p.load_audio(wav)
        ref = next(iter(load_rttm(str(rttm)).values()))
        hyp = _annotation(p.diarize(audio))
        out[name] = {"c0": _der(ref, hyp, audio.duration, 0.0), "c025": _der(ref, hyp, audio.duration, 0.25)}
    return out


def _profile_config(c) -> dict:
    return {
        "temperatures": list(c.temperatures),
        "asr_batch_size": c.asr_batch_size,
        "beam_size": c.beam_size,
        "diarization_step": c.diarization_step,
        "diarization_batch_size": c.diarization_batch_size,
        "diarization_partial_hop": c.diarization_partial_hop,
        "cpu_threads": c.cpu_threads,
    }


class _Laps:
    """Wall and CPU seconds per stage, as the pipeline's timings name them."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._wall, self._cpu = time.perf_counter(), _cpu()

    def __call__(self, stage: str) -> None:
        now, cpu = time.perf_counter(), _cpu()
        self.times[stage] = round(now - self._wall, 3)
        self.times[f"{stage}_cpu"] = round(cpu - self._cpu, 3)
        self._wall, self._cpu = now, cpu


def child_peer(manifest: str, runs: int) -> dict:
    """Stock whisperx on the same weights: ``whisperx.load_model`` (batched faster-whisper, its
    default pyannote VAD from its own bundled checkpoint) + ``whisperx.diarize.DiarizationPipeline``
    on the project's offline pyannote directory + ``assign_word_speakers``; no alignment model (a
    hub download).  Same threads as the product (QA_ASR_THREADS, default 2)."""
    import warnings

    from transcription.backends import ensure_speech_env
    from transcription.config import SpeechConfig

    ensure_speech_env()
    c = SpeechConfig()
    t0, c0 = time.perf_counter(), _cpu()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import torch
        import whisperx
        from whisperx.diarize import DiarizationPipeline, assign_word_speakers

        torch.set_num_threads(c.cpu_threads)
        model = whisperx.load_model(
            c.asr_model, "cpu", compute_type=c.compute_type, language="zh", threads=c.cpu_threads
        )
        diarizer = DiarizationPipeline(model_name=c.diarization_pipeline, device="cpu")
    out: dict = {
        "profile": "whisperx",
        "cold": {"setup": round(time.perf_counter() - t0, 3), "setup_cpu": round(_cpu() - c0, 3)},
        "calls": {},
    }
    items = json.loads(Path(manifest).read_text())
    for run in range(runs):
        for it in items:
            if it["name"] == "long_call" and run > 0:
                continue
            load = os.getloadavg()[0]
            lap = _Laps()
            t = lap.times
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                audio = whisperx.load_audio(it["path"])
                lap("decode")
                result = model.transcribe(audio, batch_size=8, language="zh")
                lap("asr")
                df = diarizer(audio, num_speakers=2)
                lap("diarize")
                result = assign_word_speakers(df, result)
                lap("merge")
            for suffix in ("", "_cpu"):
                t[f"total{suffix}"] = round(
                    sum(t[s + suffix] for s in ("decode", "asr", "diarize", "merge")), 3
                )
            t["audio_seconds"] = it["duration"]
            out["cold"].setdefault("first_call", t)
            segs = result["segments"]
            row = out["calls"].setdefault(it["name"], {"duration": it["duration"], "runs": []})
            row["runs"].append(
                {
                    "timings": t,
                    "load": round(load, 2),
                    "sa_cer": speaker_attributed_cer(
                        _ref_by_speaker(it["refs"]),
                        _by_speaker((s.get("speaker", "_none"), s["text"]) for s in segs),
                    ),
                    "text": " | ".join(f"{s.get('speaker', '_none')}:{s['text']}" for s in segs),
                }
            )
            print(
                f"  whisperx run {run + 1} {it['name']}: {t['total']:.1f} s / {it['duration']:.0f} s"
                f" (load {load:.1f})",
                file=sys.stderr,
                flush=True,
            )
    out["peak_rss_gib"] = round(rss_gib(), 3)
    return out


STAGES = ("asr", "diarize", "total")


def _median(xs):
    import statistics

    return statistics.median(xs) if xs else float("nan")


def summarize_calls(res: dict) -> dict:
    """Per stage: median over calls of each call's median RTF over runs, the worst call-run, the
    pooled RTF (seconds / audio seconds), wall and CPU; speaker-attributed CER (median over runs,
    pooled over the two-speaker calls), and how many calls gave the same text on every run."""
    calls = res.get("calls", {})
    short = {k: v for k, v in calls.items() if k != "long_call"}
    out: dict = {"calls": len(short), "audio_seconds": round(sum(v["duration"] for v in short.values()), 1)}
    for stage in STAGES:
        for suffix in ("", "_cpu"):
            key = stage + suffix
            per_call = [
                _median([r["timings"][key] / v["duration"] for r in v["runs"]]) for v in short.values()
            ]
            every = [r["timings"][key] / v["duration"] for v in short.values() for r in v["runs"]]
            pooled = sum(_median([r["timings"][key] for r in v["runs"]]) for v in short.values())
            out[key] = {
                "median": round(_median(per_call), 4),
                "worst": round(max(every), 4) if every else None,
                "pooled": round(pooled / max(out["audio_seconds"], 1e-9), 4),
            }
    cers = {k: _median([r["sa_cer"] for r in v["runs"]]) for k, v in short.items()}
    out["sa_cer_median"] = round(_median(list(cers.values())), 4)
    out["sa_cer_mean"] = round(sum(cers.values()) / max(len(cers), 1), 4)
    out["sa_cer_per_call"] = {k: round(v, 4) for k, v in cers.items()}
    out["deterministic_calls"] = sum(len({r["text"] for r in v["runs"]}) == 1 for v in short.values())
    out["load_median"] = round(_median([r["load"] for v in calls.values() for r in v["runs"]]), 2)
    if "long_call" in calls:
        lc = calls["long_call"]
        r0 = lc["runs"][0]
        out["long_call"] = {
            "audio_seconds": lc["duration"],
            **{
                k: round(r0["timings"][k] / lc["duration"], 4)
                for k in (*STAGES, *(s + "_cpu" for s in STAGES))
            },
            "sa_cer": r0["sa_cer"],
        }
    out["cold"] = res.get("cold")
    out["peak_rss_gib"] = res.get("peak_rss_gib")
    if "zh17" in res:
        z = res["zh17"]
        out["zh17"] = {k: z[k] for k in ("cer_clean5", "cer_all17", "cer_all17_mean", "asr_rtf")}
    if "der" in res:
        out["der"] = res["der"]
    return out


def bench_calls(n_calls: int, runs: int, long_minutes: float, peer: bool, zh17: bool, jobs: int = 1) -> dict:
    """Before / after / whisperx, each in its own process; ``jobs`` > 1 runs them side by side (on a
    shared machine: CPU-time figures stay comparable, wall figures include each other's load)."""
    with tempfile.TemporaryDirectory() as tmp:
        print("... calls: synthesizing the call-shaped set", file=sys.stderr, flush=True)
        items = build_call_set(Path(tmp), n_calls, long_minutes)
        manifest = Path(tmp) / "calls.json"
        manifest.write_text(json.dumps(items, ensure_ascii=False))
        out: dict = {"set": [{"name": i["name"], "duration": i["duration"]} for i in items], "runs": runs}
        kinds = [("before", ("calls", "before")), ("after", ("calls", "after"))]
        if peer:
            kinds.append(("whisperx", ("peer",)))
        pending: list[tuple[str, subprocess.Popen]] = []
        for name, child in kinds:
            extra = [str(manifest), str(runs)] + (["zh17"] if zh17 and name != "whisperx" else [])
            while len([p for _, p in pending if p.poll() is None]) >= jobs:
                time.sleep(1)
            print(f"... calls: {name}", file=sys.stderr, flush=True)
            pending.append((name, _start_child(child[0], *child[1:], *extra)))
        for name, proc in pending:
            raw = _finish_child(proc)
            out[name] = {"raw": raw, "summary": summarize_calls(raw) if "calls" in raw else raw}
        out["jobs"] = jobs
    return out


def _start_child(kind: str, *args: str) -> subprocess.Popen:
    cmd = [sys.executable, __file__, "--child", kind, *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)


def _finish_child(proc: subprocess.Popen) -> dict:
    stdout, _ = proc.communicate(timeout=4 * 3600)
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode} (see the messages above)"}
    return json.loads(stdout.strip().splitlines()[-1])


def _run_child(kind: str, *args: str) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, *args]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False, timeout=4 * 3600)
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode} (see the messages above)"}
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
    ap.add_argument(
        "--only", default="", help="comma list of: roles,zh,en,der,stereo,e2e,threads,long,batch,calls"
    )
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--calls", type=int, default=0, help="call-shaped set: first N zh demo calls (0: all 14)")
    ap.add_argument("--runs", type=int, default=3, help="call-shaped set: warm runs per call (medians)")
    ap.add_argument(
        "--long-minutes", type=float, default=10.0, help="call-shaped set: the long call (0: none)"
    )
    ap.add_argument("--no-peer", action="store_true", help="call-shaped set: skip stock whisperx")
    ap.add_argument("--jobs", type=int, default=1, help="call-shaped set: profiles run side by side")
    ap.add_argument("--no-zh17", action="store_true", help="call-shaped set: skip zh_asr CER per profile")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        fn = {
            "long": lambda: child_long(a.args[0]),
            "batch": lambda: child_batch(a.args),
            "threads": lambda: child_threads(a.args[0]),
            "calls": lambda: child_calls(a.args[0], a.args[1], int(a.args[2]), "zh17" in a.args[3:]),
            "peer": lambda: child_peer(a.args[0], int(a.args[1])),
        }[a.child]
        print(json.dumps(fn()))
        return 0
    if not EVAL.is_dir():
        print(f"bench/speech.py: {EVAL} not found; skipping (nothing to measure)")
        return 0
    parts = (
        set(a.only.split(","))
        if a.only
        else {"roles", "zh", "en", "der", "stereo", "e2e", "threads", "long", "batch", "calls"}
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
    if "calls" in parts:
        results["calls"] = bench_calls(
            a.calls, a.runs, a.long_minutes, not a.no_peer, not a.no_zh17, max(1, a.jobs)
        )
    results["bench_seconds"] = round(time.time() - t0, 1)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["peak_rss_gib_main"] = round(rss_gib(), 3)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print_table(results)
    if "calls" in results:
        print_calls(results["calls"])
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
    if not rows:
        return
    w = max(len(x[0]) for x in rows)
    print(f"\n{'metric':<{w}}  {'value':>12}  {'target':>8}  ")
    for name, val, tgt, ok in rows:
        print(f"{name:<{w}}  {val:>12}  {tgt:>8}  {ok}")


def print_calls(r: dict) -> None:
    """Before / after / whisperx on the call-shaped set, and the ratios."""
    cols = [
        k for k in ("before", "after", "whisperx") if "summary" in r.get(k, {}) and "asr" in r[k]["summary"]
    ]
    if not cols:
        print(
            "\ncall-shaped set: no result",
            {k: r.get(k, {}).get("raw", {}).get("error") for k in ("before", "after", "whisperx")},
        )
        return
    sm = {k: r[k]["summary"] for k in cols}
    first = sm[cols[0]]
    print(
        f"\nCall-shaped set: {first['calls']} two-speaker calls ({first['audio_seconds']:.0f} s), warm, "
        f"{r['runs']} runs each, {r.get('jobs', 1)} profile(s) at a time; RTF = seconds / audio seconds; "
        "median of the calls' medians (worst call-run)"
    )
    w = 34
    print(f"{'':<{w}}" + "".join(f"{c:>22}" for c in cols))

    def line(label, fn):
        vals = []
        for c in cols:
            try:
                vals.append(fn(sm[c]))
            except (KeyError, TypeError):
                vals.append("-")
        print(f"{label:<{w}}" + "".join(f"{v:>22}" for v in vals))

    for stage in STAGES:
        for suffix, kind in (("", "wall"), ("_cpu", "CPU")):
            key = stage + suffix
            line(
                f"{stage} RTF ({kind})", lambda s, key=key: f"{s[key]['median']:.3f} ({s[key]['worst']:.3f})"
            )
    line(
        "total RTF pooled (wall / CPU)",
        lambda s: f"{s['total']['pooled']:.3f} / {s['total_cpu']['pooled']:.3f}",
    )
    line("speaker-attributed CER med / mean", lambda s: f"{s['sa_cer_median']:.3f} / {s['sa_cer_mean']:.3f}")
    line("same text on every run", lambda s: f"{s['deterministic_calls']}/{s['calls']}")
    line("long call: minutes", lambda s: f"{s['long_call']['audio_seconds'] / 60:.1f}")
    line(
        "long call: RTF total (CPU)",
        lambda s: f"{s['long_call']['total']:.3f} ({s['long_call']['total_cpu']:.3f})",
    )
    line(
        "long call: RTF asr / diarize",
        lambda s: f"{s['long_call']['asr']:.3f} / {s['long_call']['diarize']:.3f}",
    )
    line("long call: speaker-attributed CER", lambda s: f"{s['long_call']['sa_cer']:.3f}")
    line("cold: model set-up s (CPU s)", lambda s: f"{s['cold']['setup']:.1f} ({s['cold']['setup_cpu']:.1f})")
    line(
        "cold: first call RTF",
        lambda s: f"{s['cold']['first_call']['total'] / s['cold']['first_call']['audio_seconds']:.3f}",
    )
    line("peak RSS GiB", lambda s: f"{s['peak_rss_gib']:.2f}")
    line(
        "zh_asr CER all 17 / clean 5",
        lambda s: f"{s['zh17']['cer_all17']:.3f} / {s['zh17']['cer_clean5']:.3f}",
    )
    line("zh_asr ASR RTF", lambda s: f"{s['zh17']['asr_rtf']:.3f}")
    line(
        "DER pyannote_sample c0 / c0.25",
        lambda s: f"{s['der']['pyannote_sample']['c0']:.4f} / {s['der']['pyannote_sample']['c025']:.4f}",
    )
    line(
        "DER derived_zh c0 / c0.25",
        lambda s: f"{s['der']['derived_zh_2spk']['c0']:.4f} / {s['der']['derived_zh_2spk']['c025']:.4f}",
    )
    line("load average (median)", lambda s: f"{s['load_median']:.1f}")
    if "whisperx" in sm:
        peer = sm["whisperx"]
        print(
            "\nratio whisperx / project (times: > 1 = the project is faster; errors: > 1 = the project is more accurate)"
        )
        for c in [c for c in cols if c != "whisperx"]:
            s = sm[c]
            print(
                f"  {c:<7} total wall {peer['total']['pooled'] / s['total']['pooled']:.2f}x, "
                f"CPU {peer['total_cpu']['pooled'] / s['total_cpu']['pooled']:.2f}x, "
                f"median-call wall {peer['total']['median'] / s['total']['median']:.2f}x; "
                f"speaker-attributed CER {peer['sa_cer_mean'] / max(s['sa_cer_mean'], 1e-9):.2f}x"
            )


if __name__ == "__main__":
    raise SystemExit(main())
